"""digitize on real figures from other projects' image-comparison suites, against data recomputed from their tests.

The figures, their data and how a cell is compared: tests/digitize_real_figures.py; where they come from:
tests/data/digitize_real/PROVENANCE.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from digitize_real_figures import REAL, plotnine_gap, read, steps_off
from imarray.digitize import AxisTicksWarning, TicksNotReadError, digitize, digitize_panels, find_colorbars, read_ticks
from imarray.digitize.stray import StrayDataWarning


@pytest.mark.parametrize("figure", REAL, ids=[f.file.removesuffix(".png") for f in REAL])
def test_every_cell_within_two_colormap_steps(figure):
    # mplhep draws numbers in the cells, each panel has its own range, masked cells leave holes; plotnine's rows
    # stand apart
    rgb = figure.load()
    results = read(figure, rgb)
    assert len(results) == len(figure.truths)
    assert steps_off(figure, results, rgb) <= 1.5  # one step of quantisation and half of rounding


def test_labels_removed_leave_the_axes_uncalibrated_and_say_so():
    # mplhep saved its baselines without text: tick marks, no labels; nothing is guessed, each axis says why
    figure = next(f for f in REAL if "inputs_nobin" in f.file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = digitize_panels(figure.load(), axes_ocr=True, **figure.options)
    refused = [str(w.message) for w in caught if issubclass(w.category, AxisTicksWarning)]
    assert len(refused) == 2 * len(results) and all("fewer than two tick labels" in m for m in refused)
    assert all(r.x_axis is None and r.y_axis is None for r in results)


def test_plotnine_row_apart_is_named_with_the_box_that_takes_it_in():
    figure = next(f for f in REAL if f.file.startswith("plotnine"))
    options = {k: v for k, v in figure.options.items() if k != "box"}
    with pytest.warns(StrayDataWarning, match="outside the plot box") as caught:
        alone = digitize(figure.load(), **options)
    named = str(caught[0].message).split("box=(")[1].split(")")[0]
    assert tuple(int(v) for v in named.split(", ")) == figure.options["box"]
    assert alone.box[0] > figure.options["box"][0]  # the detected box: the two lower rows only


def test_plotnine_colorbar_range_is_right_or_refused(ocr_engine):
    # plotnine's colorbar runs from the data's min to max, its labels (0.3 ... 0.7) inside; the legend's title
    # ("g") stands above the bar, not where matplotlib writes an offset text. Its tick marks are white rows on
    # the bar (none beside it): the labels' first strokes next to the bar are no tick marks ("0.6" cut there
    # reads "3.6"). Whatever OCR makes of it, the range read is never wrong: within a pixel and a half of the
    # truth (the marks put 0.7 and 0.3 on rows 179 and 273, the bar's ends lie a pixel beyond where the data's
    # min and max would), or refused saying what to pass
    figure = next(f for f in REAL if f.file.startswith("plotnine"))
    rgb = figure.load()
    (bar,) = find_colorbars(rgb)
    truth = plotnine_gap()
    try:
        reading = read_ticks(rgb, bar)
    except TicksNotReadError as refused:
        assert "--range" in str(refused)
    else:
        assert set(reading.values) <= {0.3, 0.4, 0.5, 0.6, 0.7} and reading.offset is None
        assert abs(reading.low - np.nanmin(truth)) <= 1.5 * reading.step
        assert abs(reading.high - np.nanmax(truth)) <= 1.5 * reading.step


def test_mplhep_clipped_colorbar_labels_give_the_range(ocr_engine):
    # the figure's right edge clips the labels ("1007." for 1007.5): those are left out as off the line, named,
    # and the rest give the range (the smallest mean shown to cmax) that reads every cell
    figure = next(f for f in REAL if "hist_mask" in f.file)
    rgb = figure.load()
    (bar,) = find_colorbars(rgb)
    reading = read_ticks(rgb, bar)
    assert reading.high == 1010.0 and abs(reading.low - figure.options["vmin"]) <= reading.step
    assert "1007." in reading.left_out and 1007.5 not in reading.values and len(reading.values) >= 5
    results = digitize_panels(rgb, cmap="viridis", vmin=reading.low, vmax=reading.high)
    assert steps_off(figure, results, rgb) <= 2.0
