"""Real figures from other projects' image-comparison suites, with their data recomputed from the producing tests.

Used by tests/test_digitize_real.py and benchmarks/bench_digitize.py. The files and their provenance:
tests/data/digitize_real/PROVENANCE. Each figure draws cells (2-D histograms, rasters); a cell's value read
back is the median over the cell without its rim (antialiasing; the outlines of numbers drawn in the cells
stay inside and are masked), compared with the value drawn there in colormap steps (1/256 of the range).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data" / "digitize_real"
#: pixels of each cell's rim left out of its median
RIM = 3


@dataclass
class RealFigure:
    name: str
    file: str
    truths: list[np.ndarray]  # per panel, value per cell [x bin, y bin] (y rising up), NaN where nothing is drawn
    edges: list[tuple[np.ndarray, np.ndarray]]  # per panel, x and y bin edges spanning the plot box
    options: dict = field(default_factory=dict)  # digitize_panels' arguments

    def load(self) -> np.ndarray:
        from imarray import load

        rgb = load(DATA / self.file)
        return rgb[..., :3] if rgb.shape[-1] == 4 else rgb  # matplotlib's baselines are RGBA, opaque


def axes_frame(rgb: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The inside of the dark frame around ``box`` (matplotlib's axes), or ``box`` where a side has none.

    The edges span the axes, not the data: a histogram's empty outer row leaves the plot box smaller.
    """
    dark = rgb.max(axis=2) < 100
    y0, y1, x0, x1 = box

    def first(lines, fraction) -> int | None:
        return next((n for n in lines if fraction(n) > 0.9), None)

    top = first(range(y0 - 1, -1, -1), lambda r: dark[r, x0:x1].mean())
    bottom = first(range(y1, rgb.shape[0]), lambda r: dark[r, x0:x1].mean())
    left = first(range(x0 - 1, -1, -1), lambda c: dark[y0:y1, c].mean())
    right = first(range(x1, rgb.shape[1]), lambda c: dark[y0:y1, c].mean())
    return (y0 if top is None else top + 1, y1 if bottom is None else bottom,
            x0 if left is None else left + 1, x1 if right is None else right)


def cell_medians(result, xedges, yedges, frame: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Median value read in each cell ``[i, j]`` (x bin i, y bin j; y rising up); the edges span ``frame``
    (figure pixels; default: the result's box)."""
    by0, _, bx0, _ = result.box
    y0, y1, x0, x1 = result.box if frame is None else frame
    xedges, yedges = np.asarray(xedges, float), np.asarray(yedges, float)
    cols = x0 + (xedges - xedges[0]) / (xedges[-1] - xedges[0]) * (x1 - x0)
    rows = y1 - (yedges - yedges[0]) / (yedges[-1] - yedges[0]) * (y1 - y0)
    values = np.full((max(y1, by0 + result.values.shape[0]), max(x1, bx0 + result.values.shape[1])), np.nan)
    values[by0 : by0 + result.values.shape[0], bx0 : bx0 + result.values.shape[1]] = result.values
    out = np.full((xedges.size - 1, yedges.size - 1), np.nan)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            cell = values[int(np.ceil(rows[j + 1])) + RIM : int(rows[j]) - RIM,
                          int(np.ceil(cols[i])) + RIM : int(cols[i + 1]) - RIM]
            if np.isfinite(cell).any():
                out[i, j] = np.nanmedian(cell)
    return out


def mplhep_histogram() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mplhep's tests/test_basic.py::test_hist2dplot_cbar_subplots data: a 7 x 5 histogram of 100 normal points."""
    legacy = np.random.RandomState(0)  # the stream of np.random.seed(0), which the test calls
    x, y = legacy.normal(5, 1.5, 100), legacy.normal(4, 1, 100)
    return np.histogram2d(x, y, bins=(np.arange(0, 11.5, 1.5), [0, 2, 3, 4, 6, 7]))


def mplhep_masked_means() -> tuple[np.ndarray, np.ndarray]:
    """mplhep's tests/test_basic.py::test_hist2dplot_hist_mask data: the mean of 300 normal samples per cell of a
    10 x 10 histogram, shown where a cell has two entries or more and its mean is at most cmax=1010."""
    legacy = np.random.RandomState(0)  # the stream of np.random.seed(0), which the test calls
    x, y, sample = legacy.uniform(-5, 5, 300), legacy.normal(-5, 5, 300), legacy.normal(1000, 5, 300)
    edges = np.linspace(-5, 5, 11)  # hist.axis.Regular(10, -5, 5); entries outside go to flow bins, not drawn
    counts = np.histogram2d(x, y, bins=(edges, edges))[0]
    sums = np.histogram2d(x, y, bins=(edges, edges), weights=sample)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return np.where((counts > 1) & (means <= 1010), means, np.nan), edges


def plotnine_gap() -> np.ndarray:
    """plotnine's tests/test_geom_raster.py::test_gap_no_interpolation data: a 3 x 2 grid of uniform values, the
    fifth moved from y=1 to y=3 (y=2 left empty); cells [x, y]."""
    g = np.random.RandomState(123).uniform(size=6)
    x, y = np.tile([0, 1, 2], 2), np.repeat([0, 1], 3)
    y[4] = 3
    cells = np.full((3, 4), np.nan)
    cells[x, y] = g
    return cells


def _figures() -> list[RealFigure]:
    counts, xedges, yedges = mplhep_histogram()
    lists = [np.array([[1.0, 2, 3]])] * 2 + [np.array([[1.0, 2, 3], [3, 4, 1]])] * 2
    gap = plotnine_gap()
    means, edges = mplhep_masked_means()
    return [
        RealFigure("mplhep hist2dplot, two panels, numbers in the cells", "mplhep_hist2dplot_cbar_subplots.png",
                   [counts, 2 * counts], [(xedges, yedges)] * 2,
                   {"cmap": "viridis", "ranges": [(0.0, counts.max()), (0.0, 2 * counts.max())]}),
        RealFigure("mplhep hist2dplot, four panels from lists", "mplhep_hist2dplot_inputs_nobin.png", lists,
                   [(np.arange(v.shape[0] + 1.0), np.arange(v.shape[1] + 1.0)) for v in lists],
                   {"cmap": "viridis", "ranges": [(v.min(), v.max()) for v in lists]}),
        # the colorbar runs from the smallest mean shown to cmax; its labels are clipped by the figure's edge
        RealFigure("mplhep hist2dplot, masked cells", "mplhep_hist2dplot_hist_mask.png", [means], [(edges, edges)],
                   {"cmap": "viridis", "vmin": np.nanmin(means), "vmax": 1010.0}),
        # the box StrayDataWarning names without it: the detected box holds the two lower rows only
        RealFigure("plotnine geom_raster, a row apart", "plotnine_geom_raster_gap_no_interpolation.png", [gap],
                   [(np.arange(-0.5, 3.0), np.arange(-0.5, 4.0))],
                   {"cmap": "viridis", "vmin": np.nanmin(gap), "vmax": np.nanmax(gap), "box": (26, 424, 59, 546)}),
    ]


REAL = _figures()


def read(figure: RealFigure, rgb: np.ndarray) -> list:
    from imarray.digitize import digitize_panels

    return digitize_panels(rgb, **figure.options)


def steps_off(figure: RealFigure, results: list, rgb: np.ndarray) -> float:
    """The largest error of a cell read, in colormap steps (1/256 of its panel's range); inf if a cell is lost or
    one is read where nothing was drawn."""
    worst = 0.0
    for result, truth, (xedges, yedges) in zip(results, figure.truths, figure.edges, strict=True):
        read = cell_medians(result, xedges, yedges, axes_frame(rgb, result.box))
        if not np.array_equal(np.isnan(read), np.isnan(truth)):
            return float("inf")
        span = np.nanmax(truth) - np.nanmin(truth)
        worst = max(worst, float(np.nanmax(np.abs(read - truth)) / span * 256))
    return worst
