"""Axes calibrated from their tick labels (OCR, the ``ocr`` extra), on figures rendered here with known extents.

Each figure is rendered once (module-scoped): OCR takes a few tenths of a second per axis. The truth of a
pixel's coordinate is matplotlib's own transform at the pixel's centre.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter
from PIL import Image as PILImage

import imarray as ia
from digitize_render import smooth_field
from imarray.cli import main
from imarray.digitize import Axis, AxisTicksWarning, CalibrationError, digitize_panels, read_axis_ticks
from imarray.digitize.axis_ticks import AxisTicksNotReadError
from imarray.errors import InvalidOptionError

FIELD = smooth_field((30, 40))


pytestmark = pytest.mark.usefixtures("ocr_engine")  # every test here reads labels by OCR


def _draw(kind: str, ax, field: np.ndarray):
    if kind == "extent":  # negative numbers on both axes
        return ax.imshow(field, cmap="viridis", extent=(-12.0, 12.0, -250.0, 50.0), origin="lower", aspect="auto",
                         interpolation="nearest")
    if kind == "mesh":  # pcolormesh with coordinate arrays
        return ax.pcolormesh(np.linspace(-5, 3, field.shape[1] + 1), np.linspace(100, 250, field.shape[0] + 1),
                             field, cmap="viridis")
    if kind == "log":
        mesh = ax.pcolormesh(np.logspace(-2, 2, field.shape[1] + 1), np.linspace(0, 1, field.shape[0] + 1), field,
                             cmap="viridis")
        ax.set_xscale("log")
        return mesh
    if kind == "offset":  # matplotlib writes "+1e7" under x (cut off by the figure's edge) and "1e-5" over y
        return ax.imshow(field, cmap="viridis", extent=(1e7, 1e7 + 40, 0, 3e-5), origin="lower", aspect="auto")
    if kind == "offsets":  # "1e-5+1.2e1" under x (labels 0 ... 4), "+1e6" over y (labels 0 ... 10)
        return ax.imshow(field, cmap="viridis", extent=(12.0, 12.0 + 4e-5, 1e6, 1e6 + 10), origin="lower",
                         aspect="auto")
    if kind == "negative":  # "-2e3" under x (labels -0.4 ... 0.4), "1e8" over y (labels 5.0 ... 9.0)
        return ax.imshow(field, cmap="viridis", extent=(-2000.5, -1999.5, 5e8, 9e8), origin="lower", aspect="auto")
    if kind == "mathtext":  # "+10^7" under x (reads "+107": a number), "x10^-5" over y (reads "x10-5")
        ax.xaxis.set_major_formatter(ScalarFormatter(useMathText=True))
        ax.yaxis.set_major_formatter(ScalarFormatter(useMathText=True))
        return ax.imshow(field, cmap="viridis", extent=(1e7, 1e7 + 40, 0, 3e-5), origin="lower", aspect="auto")
    if kind == "dates":  # matplotlib's date axis: "01-05", "01-09", ... (or with the year, the month)
        days = np.datetime64("2024-01-01") + np.arange(field.shape[1] + 1)
        return ax.pcolormesh(days, np.arange(field.shape[0] + 1), field, cmap="viridis")
    if kind == "categories":
        image = ax.imshow(field, cmap="viridis", aspect="auto")
        ax.set_xticks([0, 10, 20, 30], ["north", "east", "south", "west"])
        return image
    raise ValueError(kind)


def render(kinds: list[str], layout: str | None = None) -> tuple[np.ndarray, list]:
    """One panel per kind side by side, each with its colorbar; the figure and, per panel, pixel -> data x and y.

    ``layout="constrained"`` makes room for everything drawn (the x axis's offset text below its labels).
    """
    fig = Figure(figsize=(4.0 * len(kinds), 3.0), dpi=100, layout=layout)
    FigureCanvasAgg(fig)
    truths = []
    for n, kind in enumerate(kinds):
        ax = fig.add_subplot(1, len(kinds), n + 1)
        fig.colorbar(_draw(kind, ax, smooth_field((30, 40), seed=n)), ax=ax)
        ax.set_xlabel("x (km)")
        ax.set_ylabel("depth (m)")
        ax.set_title("A known field")
        truths.append(ax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    rgb = np.asarray(PILImage.open(buffer).convert("RGB"))
    height = rgb.shape[0]

    def coordinates(ax):  # data x of each column's centre, data y of each row's centre
        inverse = ax.transData.inverted()
        columns, rows = np.arange(rgb.shape[1]) + 0.5, np.arange(height) + 0.5
        return (inverse.transform(np.column_stack([columns, np.zeros_like(columns)]))[:, 0],
                inverse.transform(np.column_stack([np.zeros_like(rows), height - rows]))[:, 1])

    return rgb, [coordinates(ax) for ax in truths]


@pytest.fixture(scope="module")
def figures():
    drawn = {kind: render([kind]) for kind in ("extent", "mesh", "log", "offset", "categories", "dates")}
    return drawn | {kind: render([kind], layout="constrained") for kind in ("offsets", "negative", "mathtext")}


def _read(rgb, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = digitize_panels(rgb, cmap="viridis", vmin=0.0, vmax=0.7, axes_ocr=True, **options)
    return results, [w for w in caught if issubclass(w.category, AxisTicksWarning)]


def _pixels_off(result, truth, log=(False, False)) -> tuple[float, float]:
    """Largest error of the result's x and y coordinates, in pixels (log10 units for a log axis)."""
    y0, y1, x0, x1 = result.box
    out = []
    for got, want, is_log in ((result.x, truth[0][x0:x1], log[0]), (result.y, truth[1][y0:y1], log[1])):
        got, want = (np.log10(got), np.log10(want)) if is_log else (got, want)
        out.append(float(np.abs(got - want).max() / np.abs(np.diff(want)).mean()))
    return out[0], out[1]


@pytest.mark.parametrize("kind", ["extent", "mesh"])
def test_axes_from_the_tick_labels_match_the_extent(figures, kind):
    rgb, (truth,) = figures[kind]
    (result,), refused = _read(rgb)
    assert not refused
    x_off, y_off = _pixels_off(result, truth)
    # the tick marks are whole pixels (matplotlib snaps them): half a pixel off, and the fit's slope
    assert x_off <= 1.0 and y_off <= 1.0
    for reading in (result.x_reading, result.y_reading):
        assert reading.confidence > 0.5 and reading.residual <= 1.0 and len(reading.values) >= 4
        assert reading.scale == "linear"
    assert "tick labels below the plot box (x)" in str(result.x_reading)
    assert "tick labels left of the plot box (y)" in str(result.y_reading)
    if kind == "extent":
        assert (result.x_reading.values < 0).any() and (result.y_reading.values < 0).any()  # minus signs read
    if kind == "mesh":  # an axis given by hand is kept, the other read
        hand = Axis(0, 0.0, 10, 1.0)
        (kept,), _ = _read(rgb, x_axis=hand)
        assert kept.x_axis is hand and kept.x_reading is None and kept.y_reading is not None


def test_log_axis_from_powers_of_ten(figures):
    rgb, (truth,) = figures["log"]
    (result,), refused = _read(rgb)
    assert not refused and result.x_reading.scale == "log" and result.y_reading.scale == "linear"
    assert set(result.x_reading.values) <= {0.01, 0.1, 1.0, 10.0, 100.0} and len(result.x_reading.values) >= 4
    x_off, y_off = _pixels_off(result, truth, log=(True, False))
    assert x_off <= 1.0 and y_off <= 1.0
    # a log axis has no constant spacing: no Image, the coordinates are in result.x
    with pytest.raises(CalibrationError, match="log axis"):
        result.to_image()
    # told it is linear, the labels 10^0, 10^1, 10^2 would read as 100, 101, 102, on a line: refused
    (linear,), refused = _read(rgb, axis_scales=("linear", "auto"))
    assert linear.x_axis is None and any("powers of ten" in str(w.message) for w in refused)


@pytest.mark.parametrize(("kind", "x_offset", "y_offset"), [("offsets", (1e-5, 12.0), (1.0, 1e6)),
                                                             ("negative", (1.0, -2000.0), (1e8, 0.0))])
def test_offset_and_multiplier_are_read_and_applied(figures, kind, x_offset, y_offset):
    rgb, (truth,) = figures[kind]
    (result,), refused = _read(rgb)
    assert not refused
    for reading, (multiplier, offset) in ((result.x_reading, x_offset), (result.y_reading, y_offset)):
        assert (reading.offset.multiplier, reading.offset.offset) == (multiplier, offset)
        assert f"offset text {reading.offset.text!r}" in str(reading) and reading.confidence <= reading.offset.score
    # within a pixel of matplotlib's own transform (read without the offset text: 1e6 or 1e8 times off)
    x_off, y_off = _pixels_off(result, truth)
    assert x_off <= 1.0 and y_off <= 1.0


def test_offset_text_not_read_with_confidence_is_refused(figures):
    # the x axis's "+1e7" is cut off by the figure's edge: refused; the y axis's "1e-5" is read
    rgb, (truth,) = figures["offset"]
    (result,), refused = _read(rgb)
    (warning,) = refused
    assert "x axis" in str(warning.message) and "offset or a multiplier" in str(warning.message)
    _, _, x0, x1 = result.box
    assert result.x_axis is None and np.array_equal(result.x, np.arange(x0, x1))
    assert result.y_reading.offset.multiplier == 1e-5 and _y_pixels_off(result, truth) <= 1.0
    # mathtext: "x10^{-5}" over y reads "x10-5", applied; "+10^{7}" under x reads "+107", a number too: refused
    rgb, (truth,) = figures["mathtext"]
    (result,), refused = _read(rgb)
    (warning,) = refused
    assert "x axis" in str(warning.message) and "'+107'" in str(warning.message) and result.x_axis is None
    assert result.y_reading.offset.multiplier == 1e-5 and result.y_reading.offset.text in ("x10-5", "\u00d710-5")
    assert _y_pixels_off(result, truth) <= 1.0


def _y_pixels_off(result, truth) -> float:
    """Largest error of the result's y coordinates, in pixels (its x may be pixel indices)."""
    want = truth[1][result.box[0] : result.box[1]]
    return float(np.abs(result.y - want).max() / np.abs(np.diff(want)).mean())


def test_categories_are_refused_and_the_numeric_axis_read(figures):
    rgb, (truth,) = figures["categories"]
    (result,), refused = _read(rgb)
    (warning,) = refused
    assert "x axis" in str(warning.message) and "not numbers" in str(warning.message)
    assert result.x_axis is None and result.y_reading is not None
    assert _pixels_off(result, truth)[1] <= 1.0


def test_dates_are_refused(figures):
    rgb, _ = figures["dates"]
    (result,), refused = _read(rgb)
    assert result.x_axis is None and any("x axis" in str(w.message) for w in refused)


def test_fewer_than_two_ticks_or_none_are_refused():
    page = np.full((200, 300, 3), 255, np.uint8)
    page[50:150, 60:260] = 90  # a grey block without frame, ticks or labels
    with pytest.raises(AxisTicksNotReadError, match="fewer than two tick marks"):
        read_axis_ticks(page, (50, 150, 60, 260), "x")
    with pytest.raises(InvalidOptionError, match="'auto', 'linear' or 'log'"):
        read_axis_ticks(page, (50, 150, 60, 260), "x", scale="log10")
    for scales in (("auto", "ln"), ("log",), "log"):
        with pytest.raises(InvalidOptionError, match="'auto', 'linear' or 'log'"):
            digitize_panels(page, cmap="gray", vmin=0, vmax=1, axes_ocr=True, axis_scales=scales)


def test_each_panel_its_own_axes():
    rgb, truths = render(["mesh", "extent"])
    results, refused = _read(rgb)
    assert not refused and len(results) == 2
    for result, truth in zip(results, truths, strict=True):
        x_off, y_off = _pixels_off(result, truth)
        # the narrow panel's x labels: a misread one ("4" for "-4") left out, three ticks 124 px apart
        # extrapolated over 222 px: the ticks' half-pixel snapping grows to 1.5 px at the far edge
        assert x_off <= 1.5 and y_off <= 1.5
    assert results[0].x_reading.values.max() <= 3 and results[1].y_reading.values.min() <= -200


def test_cli_reads_the_axes_with_the_range(tmp_path, capsys, figures):
    rgb, (truth,) = figures["extent"]
    figure, out = tmp_path / "fig.png", tmp_path / "field.tif"
    PILImage.fromarray(rgb).save(figure)
    assert main(["digitize", str(figure), "--cmap", "viridis", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "tick labels below the plot box (x)" in printed and "(--x-axis overrides)" in printed
    image = ia.read(out)
    x_step, y_step = np.abs(np.diff(truth[0])).mean(), np.abs(np.diff(truth[1])).mean()
    assert abs(image.spacing[0] / y_step - 1) < 0.01 and abs(image.spacing[1] / x_step - 1) < 0.01
    # the box's first column and (rows flipped: y rises up the figure) its bottom row, within a pixel
    _, y1, x0, _ = (int(v) for v in re.search(r"plot box rows (\d+)-(\d+), columns (\d+)-(\d+)", printed).groups())
    assert abs(image.origin[0] - truth[1][y1 - 1]) <= y_step and abs(image.origin[1] - truth[0][x0]) <= x_step
    # --no-axes-ocr: pixel geometry, nothing read
    assert main(["digitize", str(figure), "--cmap", "viridis", "--range", "0", "0.7", "--no-axes-ocr",
                 "-o", str(out)]) == 0
    assert "tick labels below" not in capsys.readouterr().out
    assert ia.read(out).spacing == (1.0, 1.0)
