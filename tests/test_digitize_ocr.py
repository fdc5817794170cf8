"""Colorbar ranges read from their tick labels (OCR, the ``ocr`` extra), on figures rendered here with known ticks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib import colors as mcolors
from matplotlib.ticker import ScalarFormatter
from PIL import Image as PILImage

import imarray as ia
from digitize_render import figure_render, smooth_field, styled_render
from imarray.cli import main
from imarray.digitize import TicksNotReadError, digitize, digitize_panels, find_colorbars, read_ticks
from imarray.digitize.ticks import parse_offset

FIELD = smooth_field((60, 80))


pytestmark = pytest.mark.usefixtures("ocr_engine")  # every test here reads labels by OCR


def _reading(rendered, log: bool = False):
    (bar,) = find_colorbars(rendered.rgb)
    return bar, read_ticks(rendered.rgb, bar, log=log)


@pytest.mark.parametrize(("cmap", "low", "high"), [("viridis", 0.0, 0.7), ("RdBu_r", -1e-3, 1e-3),
                                                   ("jet_r", -3.5, 12.0)])
def test_vertical_bar_range_from_its_labels(cmap, low, high):
    rendered = figure_render(FIELD * (high - low) / 0.7 + low, cmap, low, high)
    _, reading = _reading(rendered)
    assert reading.side == "right" and reading.confidence > 0.5 and reading.residual <= 1.0
    # every label used is placed within a pixel of where matplotlib drew the tick of its value (the marks are
    # whole rows); the detector misses a short label ("0") now and then
    drawn = np.polyval(np.polyfit(rendered.tick_values, rendered.tick_px, 1), reading.values)
    assert np.abs(reading.positions - drawn).max() <= 1.0 and len(reading.values) >= len(rendered.tick_values) - 2
    for end, truth in ((reading.low, low), (reading.high, high)):
        labelled = np.isclose(reading.values, truth).any()
        # a labelled end is taken as written; an end without a label is within a pixel of the truth
        assert end == truth if labelled else abs(end - truth) <= reading.step
    assert "tick labels right of the colorbar" in str(reading) and "OCR confidence" in str(reading)


def test_log_and_horizontal_bars():
    decades = 0.01 * 10 ** (FIELD / 0.7 * 4)
    _, reading = _reading(figure_render(decades, "viridis", 0.01, 100, norm=mcolors.LogNorm(0.01, 100)), log=True)
    assert (reading.low, reading.high) == (0.01, 100.0)  # labels written 10^{-2} ... 10^{2}
    assert set(reading.values) <= {0.01, 0.1, 1, 10, 100} and len(reading.values) >= 4
    _, across = _reading(figure_render(FIELD, "plasma", 0.0, 0.7, orientation="horizontal"))
    assert across.side == "below" and (across.low, across.high) == (0.0, 0.7)
    assert len(across.values) >= 7  # labels close together on one line, each read apart


class _Garbled(ScalarFormatter):
    """matplotlib's formatter with its offset text garbled where it stands: "1e7" becomes "1e7 (approx.)"."""

    def get_offset(self):
        return super().get_offset() + " (approx.)"


#: name: (low, high, figure_render options, the offset text's multiplier and offset)
SCALED = {
    "multiplier": (1e-7, 5e-7, {}, (1e-7, 0.0)),  # "1e-7" above the bar, labels 1.0 ... 5.0
    "offset": (1e6, 1e6 + 10, {}, (1.0, 1e6)),  # "+1e6", labels 0 ... 10
    "negative offset": (-1500.5, -1499.5, {}, (1.0, -1500.0)),  # "-1.5e3", labels -0.4 ... 0.4
    "both, horizontal": (12.0, 12.0 + 5e-5, {"orientation": "horizontal"}, (1e-5, 12.0)),  # "1e-5+1.2e1"
    "multiplier, horizontal": (2e7, 5e7, {"orientation": "horizontal"}, (1e7, 0.0)),  # "1e7" right, below the labels
    "mathtext multiplier": (1e-7, 5e-7, {"bar_formatter": ScalarFormatter(useMathText=True)}, (1e-7, 0.0)),
}
#: name: (low, high, figure_render options); what stands beyond the bar does not read as an offset text
UNREAD = {
    "mathtext offset": (1e6, 1e6 + 10, {"bar_formatter": ScalarFormatter(useMathText=True)}),  # "+10^6": "+106"
    "garbled": (2e7, 5e7, {"bar_formatter": _Garbled()}),
}


@pytest.fixture(scope="module")
def scaled_bars():
    """Each figure of :data:`SCALED` and :data:`UNREAD`, rendered once."""
    return {name: figure_render(FIELD / 0.7 * (case[1] - case[0]) + case[0], "viridis", case[0], case[1], **case[2])
            for name, case in {**SCALED, **UNREAD}.items()}


@pytest.mark.parametrize("name", list(SCALED))
def test_offset_text_is_read_and_applied(scaled_bars, name):
    low, high, _, (multiplier, offset) = SCALED[name]
    _, reading = _reading(scaled_bars[name])
    assert reading.offset is not None and (reading.offset.multiplier, reading.offset.offset) == (multiplier, offset)
    # an end is within a pixel of the truth (as written when a label stands on it): read without the offset
    # text, it would be a factor 1e7 off, or 1e6 too small
    assert abs(reading.low - low) <= reading.step and abs(reading.high - high) <= reading.step
    assert reading.step < (high - low) / 50 and reading.confidence == min(reading.confidence, reading.offset.score)
    # the values are what the labels stand for, on the ticks matplotlib drew
    drawn = np.polyval(np.polyfit(scaled_bars[name].tick_values, scaled_bars[name].tick_px, 1), reading.values)
    assert np.abs(reading.positions - drawn).max() <= 1.0
    assert f"offset text {reading.offset.text!r}" in str(reading)


@pytest.mark.parametrize("name", list(UNREAD))
def test_offset_text_not_read_with_confidence_is_refused(scaled_bars, name):
    with pytest.raises(TicksNotReadError, match="offset or a multiplier") as caught:
        _reading(scaled_bars[name])
    assert ("106" if name == "mathtext offset" else "approx") in str(caught.value)


def test_offset_text_parsing():
    # matplotlib's ScalarFormatter.get_offset, plain ("\u2212" its minus) and mathtext read inline
    assert parse_offset("1e\u22127") == (1e-7, 0.0) and parse_offset("1e7") == (1e7, 0.0)
    assert parse_offset("+1e6") == (1.0, 1e6) and parse_offset("\u22121.5e3") == (1.0, -1500.0)
    assert parse_offset("1e\u22126\u22122.99999") == (1e-6, -2.99999) and parse_offset("le-5+l.2el") == (1e-5, 12.0)
    assert parse_offset("\u00d710\u22127") == (1e-7, 0.0) and parse_offset("x1012") == (1e12, 0.0)
    # a dropped point ("+12e1"), a space inside a number, a mathtext offset ("+10^6" reads "+106"), words: not read
    for text in ("+12e1", "1e-5+1 2e1", "+106", "-1.5 x 103", "10-5+1.2x101", "e7", "1e7.", "field1e7", ""):
        assert parse_offset(text) is None, text


def test_cli_reads_the_range_when_none_is_given(tmp_path, capsys):
    rendered = figure_render(FIELD, "viridis", 0.0, 0.7)
    figure, out = tmp_path / "fig.png", tmp_path / "field.tif"
    PILImage.fromarray(rendered.rgb).save(figure)
    assert main(["digitize", str(figure), "--cmap", "viridis", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "8 tick labels right of the colorbar" in printed and "range 0 to 0.7" in printed
    expected = digitize(rendered.rgb, cmap="viridis", vmin=0.0, vmax=0.7).values.astype(np.float32)
    # the axes are read too (the figure states its numbers): y rises up the figure, so the file's rows are flipped
    assert "tick labels left of the plot box (y)" in printed and "rows flipped" in printed
    assert np.array_equal(ia.load(out), expected[::-1], equal_nan=True)
    # --range overrides: no reading, the range as given
    assert main(["digitize", str(figure), "--cmap", "viridis", "--range", "0", "1.4", "-o", str(out)]) == 0
    assert "tick labels" not in capsys.readouterr().out
    assert np.allclose(ia.load(out), 2 * expected, equal_nan=True, atol=1e-6)
    # twoslope, symlog, ... ticks do not lie on a line: the range must be given
    assert main(["digitize", str(figure), "--cmap", "RdBu_r", "--norm", "twoslope", "--center", "0.1",
                 "-o", str(out)]) == 2
    assert "needs --range" in capsys.readouterr().err


def test_cli_applies_the_multiplier_and_refuses_a_garbled_one(tmp_path, capsys, scaled_bars):
    # matplotlib writes "1e-7" above the bar and labels 1.0 ... 5.0: the run reads the range 1e-7 to 5e-7
    figure, out = tmp_path / "scaled.png", tmp_path / "field.tif"
    PILImage.fromarray(scaled_bars["multiplier"].rgb).save(figure)
    assert main(["digitize", str(figure), "--cmap", "viridis", "--no-axes-ocr", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "offset text '1e-7' (labels x 1e-07" in printed and "range 1e-07 to 5e-07" in printed
    expected = digitize(scaled_bars["multiplier"].rgb, cmap="viridis", vmin=1e-7, vmax=5e-7).values
    assert np.allclose(ia.load(out), expected, rtol=1e-6, atol=0, equal_nan=True) and np.nanmax(expected) > 4e-7
    # a garbled one: refused, naming the file and why, nothing written
    garbled = tmp_path / "garbled.png"
    PILImage.fromarray(scaled_bars["garbled"].rgb).save(garbled)
    assert main(["digitize", str(garbled), "--cmap", "viridis", "-o", str(tmp_path / "no.tif")]) == 1
    err = capsys.readouterr().err
    assert "garbled.png" in err and "offset or a multiplier" in err and "--range" in err
    assert not (tmp_path / "no.tif").exists()


def test_cli_reads_each_panels_colorbar(tmp_path, capsys):
    ranges = [(0.0, 0.7), (-2.0, 1.0)]
    fields = [smooth_field((30, 40)), smooth_field((30, 40), -2.0, 1.0, seed=3)]
    rgb, _ = styled_render(fields, "viridis", ranges, size=(7.0, 3.0))
    figure = tmp_path / "two.png"
    PILImage.fromarray(rgb).save(figure)
    assert main(["digitize", str(figure), "--cmap", "viridis", "--no-axes-ocr", "-o", str(tmp_path / "field.tif")]) == 0
    printed = capsys.readouterr().out
    assert "range 0 to 0.7" in printed and "range -2 to 1" in printed and "plot box (x)" not in printed
    for n, result in enumerate(digitize_panels(rgb, cmap="viridis", ranges=ranges)):
        assert np.array_equal(ia.load(tmp_path / f"field_{n}.tif"), result.values.astype(np.float32), equal_nan=True)


@pytest.mark.parametrize("name", ["ggplot grid viridis", "dark background viridis", "two panels, own ranges, viridis"])
def test_styles_people_use(name):
    # ggplot's grey ticks stand a pixel off the bar, right before the label: read with it, "- 0.7" is -0.7;
    # on dark paper the ticks and labels are light
    from digitize_figures import CASES, render

    case = next(c for c in CASES if c.name == name)
    rgb = render(case)[0]
    bars = sorted(find_colorbars(rgb), key=lambda bar: bar.box[2])
    readings = [read_ticks(rgb, bar) for bar in bars]
    assert [(r.low, r.high) for r in readings] == [tuple(v) for v in case.ranges]
