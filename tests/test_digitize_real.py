"""digitize on real figures from other projects' image-comparison suites, against data recomputed from their tests.

The figures and where they come from: tests/data/digitize_real/PROVENANCE. Each test re-implements the
producing test's data (same seed, same formula) and compares the median of each cell read back (its
antialiased rim left out) with the value drawn there.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import imarray as ia
from imarray.digitize import AxisTicksWarning, TicksNotReadError, digitize, digitize_panels, find_colorbars, read_ticks
from imarray.digitize.stray import StrayDataWarning

DATA = Path(__file__).parent / "data" / "digitize_real"
#: pixels of each cell's rim left out of its median (antialiasing, cell labels' outlines stay inside)
RIM = 3


def figure(name: str) -> np.ndarray:
    rgb = ia.load(DATA / name)
    return rgb[..., :3] if rgb.shape[-1] == 4 else rgb  # matplotlib's baselines are RGBA, opaque


def cell_medians(result, xedges, yedges) -> np.ndarray:
    """Median value read in each cell ``[i, j]`` (x bin i, y bin j; y rising up), the box spanning the edges."""
    y0, y1, x0, x1 = result.box
    xedges, yedges = np.asarray(xedges, float), np.asarray(yedges, float)
    cols = x0 + (xedges - xedges[0]) / (xedges[-1] - xedges[0]) * (x1 - x0)
    rows = y1 - (yedges - yedges[0]) / (yedges[-1] - yedges[0]) * (y1 - y0)
    out = np.full((xedges.size - 1, yedges.size - 1), np.nan)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            cell = result.values[int(np.ceil(rows[j + 1])) + RIM - y0 : int(rows[j]) - RIM - y0,
                                 int(np.ceil(cols[i])) + RIM - x0 : int(cols[i + 1]) - RIM - x0]
            if np.isfinite(cell).any():
                out[i, j] = np.nanmedian(cell)
    return out


def mplhep_histogram():
    """mplhep's tests/test_basic.py::test_hist2dplot_cbar_subplots data: a 7 x 5 histogram of 100 normal points."""
    legacy = np.random.RandomState(0)  # the stream of np.random.seed(0), which the test calls
    xedges, yedges = np.arange(0, 11.5, 1.5), [0, 2, 3, 4, 6, 7]
    x, y = legacy.normal(5, 1.5, 100), legacy.normal(4, 1, 100)
    counts, xedges, yedges = np.histogram2d(x, y, bins=(xedges, yedges))
    return counts, xedges, yedges


def test_mplhep_two_panels_with_their_own_ranges():
    # H and 2 H side by side, each with its colorbar (no tick labels: remove_text); numbers drawn in the cells
    counts, xedges, yedges = mplhep_histogram()
    results = digitize_panels(figure("mplhep_hist2dplot_cbar_subplots.png"), cmap="viridis",
                              ranges=[(0.0, counts.max()), (0.0, 2 * counts.max())])
    assert len(results) == 2
    for scale, result in zip((1, 2), results, strict=True):
        read = cell_medians(result, xedges, yedges)
        # within one colormap step (1/256 of the range) and its rounding
        assert np.abs(read - scale * counts).max() <= 1.5 / 256 * scale * counts.max()


def test_mplhep_four_panels_from_lists():
    data = [np.array([[1, 2, 3]])] * 2 + [np.array([[1, 2, 3], [3, 4, 1]])] * 2  # hist2dplot(H): x bins, y bins
    rgb = figure("mplhep_hist2dplot_inputs_nobin.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = digitize_panels(rgb, cmap="viridis", ranges=[(d.min(), d.max()) for d in data], axes_ocr=True)
    assert len(results) == 4
    for values, result in zip(data, results, strict=True):
        read = cell_medians(result, np.arange(values.shape[0] + 1), np.arange(values.shape[1] + 1))
        assert np.abs(read - values).max() <= 1.5 / 256 * (values.max() - values.min())
    # the baseline was saved without text: tick marks but no labels, so no axis is calibrated, each one said
    refused = [str(w.message) for w in caught if issubclass(w.category, AxisTicksWarning)]
    assert len(refused) == 8 and all("fewer than two tick labels" in m for m in refused)
    assert all(r.x_axis is None and r.y_axis is None for r in results)


def test_plotnine_row_apart_is_named_then_read():
    # plotnine's tests/test_geom_raster.py::test_gap_no_interpolation: a 3 x 2 grid of uniform values, the fifth
    # moved from y=1 to y=3, leaving y=2 empty (viridis, colorbar from the data's min to max)
    g = np.random.RandomState(123).uniform(size=6)
    x, y = np.tile([0, 1, 2], 2), np.repeat([0, 1], 3)
    y[4] = 3
    truth = np.full((3, 4), np.nan)
    truth[x, y] = g
    rgb = figure("plotnine_geom_raster_gap_no_interpolation.png")
    with pytest.warns(StrayDataWarning, match="outside the plot box") as caught:
        alone = digitize(rgb, cmap="viridis", vmin=g.min(), vmax=g.max())
    box = tuple(int(v) for v in str(caught[0].message).split("box=(")[1].split(")")[0].split(", "))
    assert alone.box[0] > box[0]  # the detected box holds the two lower rows only; the suggested one all four
    result = digitize(rgb, cmap="viridis", vmin=g.min(), vmax=g.max(), box=box)
    read = cell_medians(result, np.arange(-0.5, 3.0), np.arange(-0.5, 4.0))
    assert np.array_equal(np.isnan(read), np.isnan(truth))  # the empty row stays empty
    assert np.nanmax(np.abs(read - truth)) <= 1.5 / 256 * (g.max() - g.min())


def test_plotnine_colorbar_range_is_right_or_refused():
    # plotnine's colorbar runs from the data's min to max, its labels (0.3 ... 0.7) inside; the legend's title
    # ("g") stands above the bar where matplotlib writes an offset. Whatever OCR makes of it, the range read is
    # never wrong: within a pixel's step of the truth, or refused naming why
    from imarray.digitize.ticks import _engine

    try:
        _engine()
    except Exception as err:  # a missing package, or a native library the wheels need (libGL for OpenCV)
        pytest.skip(f"the OCR engine (rapidocr-onnxruntime) cannot load here: {type(err).__name__}: {err}")
    g = np.random.RandomState(123).uniform(size=6)
    rgb = figure("plotnine_geom_raster_gap_no_interpolation.png")
    (bar,) = find_colorbars(rgb)
    try:
        reading = read_ticks(rgb, bar)
    except TicksNotReadError as refused:
        assert "--range" in str(refused)
    else:
        assert abs(reading.low - g.min()) <= reading.step and abs(reading.high - g.max()) <= reading.step
