"""A set of figures of the kinds people digitize, each with its true data, rendered by matplotlib (Agg) here.

Used by the accuracy test (tests/test_digitize.py) and benchmarks/bench_digitize.py. Each case is
read back through ``digitize_panels`` and compared with the truth in the norm's own space (the
colormap position, 0-1), where one colormap step is 1/256 and the 8-bit quantisation floor is
``1 / 256 / sqrt(12)`` whatever the range and norm.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from matplotlib import colors as mcolors
from PIL import Image as PILImage

from digitize_baseline import recipe_lookup
from digitize_render import Panel, smooth_field, styled_render

FLOOR = 1 / 256 / np.sqrt(12)


@dataclass
class Case:
    name: str
    cmap: str
    kind: str = "imshow"
    style: str = "default"
    grid: bool = False
    spines: bool = True
    norm: str = "linear"
    options: dict = field(default_factory=dict)
    ranges: tuple = ((0.0, 0.7),)
    cells: tuple = (30, 40)
    jpeg: int | None = None  # JPEG quality, None for PNG
    median: int | None = None

    def scale(self, vmin: float, vmax: float):
        """matplotlib's norm for this case's range."""
        if self.norm == "twoslope":
            return mcolors.TwoSlopeNorm(self.options["center"], vmin, vmax)
        if self.norm == "power":
            return mcolors.PowerNorm(self.options["gamma"], vmin, vmax)
        if self.norm == "symlog":
            return mcolors.SymLogNorm(self.options["linthresh"], vmin=vmin, vmax=vmax, base=10)
        if self.norm == "log":
            return mcolors.LogNorm(vmin, vmax)
        return mcolors.Normalize(vmin, vmax)


CASES = [
    Case("imshow viridis", "viridis"),
    Case("imshow RdBu_r", "RdBu_r"),
    Case("imshow magma", "magma"),
    Case("imshow jet_r", "jet_r"),
    Case("pcolormesh plasma", "plasma", kind="pcolormesh"),
    Case("heatmap edges, no frame, RdBu_r", "RdBu_r", kind="edges", spines=False, cells=(12, 16)),
    Case("heatmap edges, no frame, rocket", "rocket", kind="edges", spines=False, cells=(12, 16)),
    Case("heatmap edges, no frame, vlag", "vlag", kind="edges", spines=False, cells=(12, 16)),
    Case("pcolormesh white edges magma", "magma", kind="edges", cells=(12, 16)),
    Case("pcolormesh white edges viridis", "viridis", kind="edges", cells=(12, 16)),
    Case("grid over imshow RdBu_r", "RdBu_r", grid=True),
    Case("grid over imshow gray", "gray", grid=True),
    Case("ggplot grid viridis", "viridis", style="ggplot", grid=True),
    Case("dark background magma", "magma", style="dark_background"),
    Case("dark background viridis", "viridis", style="dark_background"),
    Case("dark background edges viridis", "viridis", style="dark_background", kind="edges", cells=(12, 16)),
    Case("two panels, own ranges, viridis", "viridis", ranges=((0.0, 0.7), (-2.0, 1.0))),
    Case("twoslope RdBu_r", "RdBu_r", norm="twoslope", options={"center": 0.0}, ranges=((-1e-3, 4e-3),)),
    Case("power 0.5 plasma", "plasma", norm="power", options={"gamma": 0.5}, ranges=((0.0, 2.0),)),
    Case("symlog coolwarm", "coolwarm", norm="symlog", options={"linthresh": 0.01}, ranges=((-10.0, 100.0),)),
    Case("log viridis", "viridis", norm="log", ranges=((1.0, 1000.0),)),
    Case("JPEG q90 viridis", "viridis", jpeg=90, median=5),
    Case("JPEG q75 jet_r", "jet_r", jpeg=75, median=5),
]


@dataclass
class Outcome:
    case: Case
    rgb: np.ndarray
    panels: list[Panel]
    results: list
    warnings: list[str]
    rmse: float  # ours over the field pixels we keep, in colormap position (0-1), all panels
    covered: float  # share of the field pixels kept
    stray: int  # kept pixels off every field
    both_ours: float  # ours and the recipe's RMSE over the field pixels both keep
    both_recipe: float


def drawn(name: str):
    """What a plotting call gets for ``name``: seaborn's maps as the ListedColormap seaborn registers."""
    from imarray.digitize.seaborn_maps import seaborn_cmap

    return seaborn_cmap(name) or name


def render(case: Case) -> tuple[np.ndarray, list[Panel], list[np.ndarray]]:
    fields = [smooth_field(case.cells, lo, hi, seed=n) for n, (lo, hi) in enumerate(case.ranges)]
    if case.norm in ("log", "symlog", "power"):  # spread the field over the norm's range, not the value range
        fields = [np.asarray(case.scale(lo, hi).inverse(smooth_field(case.cells, 0.0, 1.0, seed=n)), np.float64)
                  for n, (lo, hi) in enumerate(case.ranges)]
    size = (7.0, 3.0) if len(fields) > 1 else (4.0, 3.0)
    rgb, panels = styled_render(fields, drawn(case.cmap), list(case.ranges), kind=case.kind, style=case.style,
                                grid=case.grid, spines=case.spines, size=size,
                                norm=None if case.norm == "linear" else case.scale)
    if case.jpeg is not None:
        buffer = io.BytesIO()
        PILImage.fromarray(rgb).save(buffer, format="jpeg", quality=case.jpeg)
        buffer.seek(0)
        rgb = np.asarray(PILImage.open(buffer).convert("RGB"))
    return rgb, panels, fields


def read(case: Case, rgb: np.ndarray):
    """digitize_panels on the figure with the case's colormap, norm and ranges."""
    from imarray.digitize import digitize_panels

    options = {"cmap": case.cmap, "norm": case.norm, "median": case.median, **case.options}
    if len(case.ranges) > 1:
        return digitize_panels(rgb, ranges=list(case.ranges), **options)
    (vmin, vmax), = case.ranges
    return digitize_panels(rgb, vmin=vmin, vmax=vmax, **options)


def evaluate(case: Case) -> Outcome:
    rgb, panels, _ = render(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = read(case, rgb)
    off = np.ones(rgb.shape[:2], bool)
    for panel in panels:
        off &= np.isnan(panel.truth)
    ours_errors, both_ours, both_recipe, kept, fields, stray = [], [], [], 0, 0, 0
    for panel, result, (lo, hi) in zip(panels, results, case.ranges, strict=False):
        scale = case.scale(lo, hi)
        y0, y1, x0, x1 = result.box
        keep = np.zeros(rgb.shape[:2], bool)
        keep[y0:y1, x0:x1] = result.mask
        values = np.full(rgb.shape[:2], np.nan)
        values[y0:y1, x0:x1] = result.values
        ok = keep & panel.inside
        truth = np.asarray(scale(panel.truth), np.float64)
        ours_errors.append(np.asarray(scale(values[ok]), np.float64) - truth[ok])
        kept, fields, stray = kept + ok.sum(), fields + panel.inside.sum(), stray + int((keep & off).sum())
        recipe = recipe_lookup(rgb, drawn(case.cmap), lo, hi, samples=256)
        both = ok & ~np.ma.getmaskarray(recipe)
        both_ours.append(np.asarray(scale(values[both]), np.float64) - truth[both])
        both_recipe.append(np.asarray(scale(recipe.data[both]), np.float64) - truth[both])

    def rmse(parts: list[np.ndarray]) -> float:
        joined = np.concatenate(parts) if parts else np.zeros(0)
        return float(np.sqrt(np.mean(np.square(joined)))) if joined.size else float("nan")

    return Outcome(case, rgb, panels, results, [f"{type(w.message).__name__}: {w.message}" for w in caught],
                   rmse(ours_errors), kept / fields, stray, rmse(both_ours), rmse(both_recipe))
