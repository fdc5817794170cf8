"""Colorbar ranges read from their tick labels (OCR, the ``ocr`` extra), on figures rendered here with known ticks."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib import colors as mcolors
from PIL import Image as PILImage

import imarray as ia
from digitize_render import figure_render, smooth_field, styled_render
from imarray.cli import main
from imarray.digitize import TicksNotReadError, digitize, digitize_panels, find_colorbars, read_ticks

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


def test_offset_text_is_refused_not_ignored():
    # matplotlib writes "1e7" above the bar and labels 2.0 ... 5.0: read without it, every value is 1e7 too small
    rendered = figure_render(FIELD / 0.7 * 3e7 + 2e7, "viridis", 2e7, 5e7)
    with pytest.raises(TicksNotReadError, match="offset or a multiplier"):
        _reading(rendered)


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
    # a figure whose multiplier OCR cannot apply: refused, naming the file, nothing written
    scaled = tmp_path / "scaled.png"
    PILImage.fromarray(figure_render(FIELD / 0.7 * 3e7 + 2e7, "viridis", 2e7, 5e7).rgb).save(scaled)
    assert main(["digitize", str(scaled), "--colorbar", "auto", "-o", str(tmp_path / "no.tif")]) == 1
    err = capsys.readouterr().err
    assert "scaled.png" in err and "--range" in err and not (tmp_path / "no.tif").exists()
    # twoslope, symlog, ... ticks do not lie on a line: the range must be given
    assert main(["digitize", str(figure), "--cmap", "RdBu_r", "--norm", "twoslope", "--center", "0.1",
                 "-o", str(out)]) == 2
    assert "needs --range" in capsys.readouterr().err


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
