"""``digitize``: a colour-mapped figure in, the field's values (and their coordinates) out.

Examples
--------
>>> import numpy as np
>>> from matplotlib import colormaps
>>> from imarray.digitize import digitize
>>> field = np.tile(np.linspace(0, 0.7, 96), (64, 1))
>>> rgb = colormaps["jet_r"](field / 0.7, bytes=True)[..., :3]
>>> result = digitize(rgb, cmap="jet_r", vmin=0, vmax=0.7)
>>> result.box, bool(np.nanmax(abs(result.values - field)) < 0.7 / 256)
((0, 64, 0, 96), True)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

from ..errors import ImarrayError, InvalidOptionError
from .axis_ticks import AxisReading, Scale, check_scales, read_axes
from .calibrate import Axis, CalibrationError
from .colorbar import Colorbar, find_colorbar, find_colorbars
from .colormap import ColorModel, Norm, from_cmap
from .lines import fill_lines
from .lookup import Lookup, lookup, refine_runs, rematch
from .mask import DataMask, as_rgb, auto_threshold, check_median, data_masks, denoise, unblend
from .paper import blank_colors, paper_colour, paper_distance
from .stray import warn_stray

__all__ = [
    "DigitizeWarning", "Digitized", "NothingFoundWarning", "PanelRangeWarning", "PanelsWarning", "PlotBoxWarning",
    "digitize", "digitize_panels",
]

#: below this share of kept pixels inside the plot box, the figure does not match the colour model
MIN_COVERAGE = 0.05
#: the largest RGB distance there is, from black to white
MAX_DISTANCE = float(np.sqrt(3) * 255)
#: below this share of the figure's ink (pixels not paper-coloured) kept as data, the plot box is implausible
MIN_INK_SHARE = 0.2


class DigitizeWarning(UserWarning):
    """The result is doubtful: do not trust its values without a look (the CLI refuses to write it)."""


class NothingFoundWarning(DigitizeWarning):
    """The figure's colours are nowhere near the colour model: the result is (almost) all masked."""


class PanelsWarning(DigitizeWarning):
    """The figure has several panels and one result was asked for: the largest panel was read."""


class PanelRangeWarning(DigitizeWarning):
    """Several panels have their own colorbars, but one value range was applied to all of them."""


class PlotBoxWarning(DigitizeWarning):
    """The recovered plot box holds a small part of the figure's ink: a wrong colormap matched a sliver."""


@dataclass(frozen=True, eq=False)
class Digitized:
    """What :func:`digitize` recovered, cropped to the plot box.

    Attributes
    ----------
    values
        float64 field, NaN where the pixel is not data.
    mask
        bool, True where ``values`` holds data.
    lookup
        The figure's distinct colours, each matched once to the model.
    index, distance, ambiguous
        Per pixel the index of its colour among ``lookup.colors``, its colour
        distance to the model, and whether the colour stands for several
        entries (gathered on first access).
    rgb
        The figure's pixels inside the box (after un-blending and denoising).
    box
        ``(y0, y1, x0, x1)`` of the plot box in the figure.
    x, y
        Data coordinates of the box's columns and rows (pixel indices if no axis was given).
    model, threshold, colorbar
        The colour model, the colour-distance threshold and the colorbar used (or None).
    x_reading, y_reading
        What OCR read along the axes with ``axes_ocr=True`` (None for an axis given or not read).
    """

    values: np.ndarray
    mask: np.ndarray
    lookup: Lookup
    rgb: np.ndarray
    box: tuple[int, int, int, int]
    x: np.ndarray
    y: np.ndarray
    x_axis: Axis | None
    y_axis: Axis | None
    model: ColorModel
    threshold: float
    colorbar: Colorbar | None
    x_reading: AxisReading | None = None
    y_reading: AxisReading | None = None

    @property
    def _window(self) -> tuple[slice, slice]:
        y0, y1, x0, x1 = self.box
        return (slice(y0, y1), slice(x0, x1))

    @cached_property
    def index(self) -> np.ndarray:
        """int32 per pixel: the index of its colour among ``lookup.colors``."""
        return self.lookup.index_in(self._window)

    @cached_property
    def distance(self) -> np.ndarray:
        """float32 per pixel: RGB distance of its colour to the model."""
        return self.lookup.gather(self.lookup.colors_distance, self._window)

    @cached_property
    def ambiguous(self) -> np.ndarray:
        """bool per pixel: its colour stands for several colormap entries."""
        return self.lookup.gather(self.lookup.colors_ambiguous, self._window)

    def to_image(self, dtype: Any = None):
        """The field as an :class:`imarray.Image` with spacing and origin from the axes.

        Without axes, spacing is one pixel and ``origin`` the box's place in the
        figure. ``dtype`` casts the values (``"float32"`` halves the file).

        Rows or columns are flipped where the data coordinate falls with the
        pixel index (a y axis pointing up), so that spacing is positive and
        ``origin`` is the first pixel's coordinate. Log axes have no constant
        spacing: use ``x``/``y`` instead.
        """
        from ..image import Image

        values = self.values if dtype is None else self.values.astype(dtype)
        spacing, origin = [1.0, 1.0], [float(self.box[0]), float(self.box[2])]
        for dim, axis, coords in ((0, self.y_axis, self.y), (1, self.x_axis, self.x)):
            if axis is None:
                continue
            if axis.scale == "log":
                raise CalibrationError(
                    "a log axis has no constant spacing for an Image", hint="use result.values with result.x/result.y"
                )
            if axis.spacing < 0:
                values, coords = np.flip(values, axis=dim), coords[::-1]
            spacing[dim], origin[dim] = abs(axis.spacing), float(coords[0])
        return Image.from_array(values, axes="yx", spacing=spacing, origin=origin)


def _read(figure: Any) -> tuple[np.ndarray, str | None]:
    if isinstance(figure, str | os.PathLike):
        from ..api import load

        return load(figure), os.fspath(figure)
    return np.asarray(figure), None


def _bar_model(bar: Colorbar | None, vmin, vmax, norm: Norm, ticks, tick_values) -> ColorModel:
    if bar is None:
        raise ImarrayError("say how colours map to values", hint="pass cmap= with vmin/vmax, or colorbar='auto'")
    return bar.model(vmin, vmax, ticks=ticks, tick_values=tick_values, log=norm == "log")


#: the rounded colour model replaces the truncated one when it matches this many times more pixels exactly
ROUNDING_WIN = 2.0


def _rounding(found: Lookup, model: ColorModel, paper: np.ndarray, cmap: str | None, vmin, vmax,
              options: dict) -> tuple[ColorModel, Lookup, Literal["truncate", "round"]]:
    """The model (truncated bytes, as imshow writes them, or rounded, as pcolormesh's) that the figure matches.

    Pixels that match an entry exactly are counted for both (paper left
    out); the rounded model is taken only when it matches clearly more.
    """
    if cmap is None or options.get("norm") in ("boundary", "contourf"):
        return model, found, "truncate"
    blank = blank_colors(found.colors, paper)
    exact = int(found.colors_count[(found.colors_distance == 0) & ~blank].sum())
    if ROUNDING_WIN * exact >= int(found.colors_count[~blank].sum()):
        return model, found, "truncate"  # the rounded model cannot match more than every pixel: no query needed
    rounded = from_cmap(cmap, vmin, vmax, rounding="round", **options)
    if np.array_equal(rounded.colors, model.colors):
        return model, found, "truncate"
    distance, _, _ = rounded.nearest(found.colors[~blank])
    exact_rounded = int(found.colors_count[~blank][distance == 0].sum())
    if exact_rounded > ROUNDING_WIN * exact:
        return rounded, rematch(found, rounded), "round"
    return model, found, "truncate"


def _check_options(threshold: Any, alpha: Any, median: Any, colorbar: Any) -> None:
    """Refuse bad options before any work, naming the valid range."""
    if isinstance(threshold, str):
        if threshold != "auto":
            raise InvalidOptionError(f"threshold must be 'auto' or a number, got {threshold!r}",
                                     hint=f"pass a colour distance between 0 and {MAX_DISTANCE:.0f}, or 'auto'")
    elif not (isinstance(threshold, int | float | np.number) and 0 <= threshold <= MAX_DISTANCE):
        raise InvalidOptionError(f"threshold must be a colour distance in [0, {MAX_DISTANCE:.0f}], got {threshold!r}",
                                 hint="pass threshold='auto' (the default) or e.g. 8")
    if alpha is not None and not (isinstance(alpha, int | float | np.number) and 0 < alpha <= 1):
        raise InvalidOptionError(f"alpha must be an opacity in (0, 1], got {alpha!r}",
                                 hint="pass the alpha the field was drawn with, e.g. 0.5, or leave it out")
    if median is not None:
        check_median(median)
    if not isinstance(colorbar, Colorbar) and colorbar not in (None, "auto"):
        raise InvalidOptionError(f"colorbar must be 'auto', a Colorbar or None, got {colorbar!r}",
                                 hint="pass colorbar='auto'")


def _check_box(box: Any, shape: tuple[int, ...], path: str | None) -> tuple[int, int, int, int]:
    """``box`` as four ints inside the figure, with ``y0 < y1`` and ``x0 < x1``."""
    height, width = shape[:2]
    valid = f"0 <= y0 < y1 <= {height} and 0 <= x0 < x1 <= {width}"
    try:
        y0, y1, x0, x1 = (int(v) for v in box)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"box must be four integers (y0, y1, x0, x1), got {box!r}", path=path,
                                 hint=f"pass a box with {valid}") from None
    if not (0 <= y0 < y1 <= height and 0 <= x0 < x1 <= width):
        raise InvalidOptionError(f"box {box!r} is empty or outside the {height} x {width} figure", path=path,
                                 hint=f"pass a box with {valid}")
    return (y0, y1, x0, x1)


_PARAMETERS = """
    Parameters
    ----------
    figure
        A path (PNG, JPEG, ...) or an array ``(y, x, 3)`` uint8. RGBA is
        composited over white; greyscale needs a grey ``cmap``.
    cmap, vmin, vmax, norm, boundaries, center, gamma, linthresh
        The colormap the figure was drawn with and its norm (see
        :func:`~imarray.digitize.colormap.from_cmap`).
    colorbar
        ``"auto"``: find the colorbar (each panel's own, the nearest one).
        Without ``cmap`` its colours are the model, with ``vmin``/``vmax`` as
        its end values or ``ticks`` (pixel positions along the bar) with
        ``tick_values``. With ``cmap`` it is only located (and must exist).
        A :class:`~imarray.digitize.colorbar.Colorbar` (one marked by hand,
        :func:`~imarray.digitize.colorbar.colorbar_in`) is used as found.
    x_axis, y_axis
        Pixel-to-data calibration; default: pixel indices (or read, with ``axes_ocr``).
    axes_ocr
        Read the axes not given from the tick labels along each plot box's
        bottom and left edges (OCR, the ``ocr`` extra; see
        :func:`~imarray.digitize.axis_ticks.read_axis_ticks`); an axis that
        cannot be read stays in pixel indices, with an ``AxisTicksWarning``.
    axis_scales
        ``(x, y)`` scales for ``axes_ocr``: ``"auto"`` (log when the labels
        are powers of ten), ``"linear"`` or ``"log"``.
    threshold
        Largest colour distance of a data pixel; ``"auto"`` chooses it.
    box
        The plot box ``(y0, y1, x0, x1)``; default: detected (every panel).
    alpha
        Un-blend a field drawn with this opacity over white.
    median
        JPEG figures: drop the rim next to non-data and median-filter the
        values over this window (5 is a good start); see
        :func:`~imarray.digitize.mask.denoise`.
    refine
        Spread colours that stand for a run of entries across their patches.
    lines
        ``"mask"``: straight lines across the plot (grid lines, cell edges)
        are not data; ``"fill"``: their pixels get values interpolated from
        both sides (not read: a guess); ``"keep"``: no line detection.
"""


def _prepare(figure, *, cmap, vmin, vmax, norm, boundaries, center, gamma, linthresh, colorbar, threshold, box,
             alpha, median, lines):
    _check_options(threshold, alpha, median, colorbar)
    if lines not in ("mask", "fill", "keep"):
        raise InvalidOptionError(f"lines must be 'mask', 'fill' or 'keep', got {lines!r}",
                                 hint="pass lines='mask' (the default): grid lines and cell edges are not data")
    array, path = _read(figure)
    if box is not None:
        box = _check_box(box, array.shape, path)
    model = (from_cmap(cmap, vmin, vmax, norm=norm, boundaries=boundaries, center=center, gamma=gamma,
                       linthresh=linthresh) if cmap is not None else None)
    rgb = as_rgb(array, model, path=path)
    if alpha is not None:
        rgb = unblend(rgb, alpha)
    paper = paper_colour(rgb)
    bars = [colorbar] if isinstance(colorbar, Colorbar) else find_colorbars(rgb, paper) if colorbar == "auto" else []
    if colorbar == "auto" and not bars:
        find_colorbar(rgb)  # raises ColorbarNotFoundError with its hint
    return rgb, model, bars, paper, box


def _nearest_bar(bars: list[Colorbar], box: tuple[int, int, int, int]) -> Colorbar | None:
    """The colorbar closest to the plot box (gap between the two rectangles), or None."""
    def gap(bar: Colorbar) -> float:
        y0, y1, x0, x1 = bar.box
        dy = max(box[0] - y1, y0 - box[1], 0)
        dx = max(box[2] - x1, x0 - box[3], 0)
        return float(np.hypot(dy, dx))

    return min(bars, key=gap) if bars else None


def _reading_order(boxes: list[tuple[int, int, int, int]]) -> list[int]:
    """Indices of ``boxes`` row by row (boxes whose rows overlap by half share a row), left to right."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    rows: list[list[int]] = []
    for i in order:
        y0, y1 = boxes[i][:2]
        last = rows[-1] if rows else None
        if last is not None and min(y1, boxes[last[0]][1]) - max(y0, boxes[last[0]][0]) >= 0.5 * (y1 - y0):
            last.append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda i: boxes[i][2])]


def digitize_panels(
    figure: Any,
    *,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    ranges: Sequence[tuple[float, float]] | None = None,
    norm: Norm = "linear",
    boundaries: Sequence[float] | None = None,
    center: float | None = None,
    gamma: float | None = None,
    linthresh: float | None = None,
    colorbar: Literal["auto"] | Colorbar | None = None,
    ticks: Sequence[float] | None = None,
    tick_values: Sequence[float] | None = None,
    x_axis: Axis | None = None,
    y_axis: Axis | None = None,
    axes_ocr: bool = False,
    axis_scales: tuple[Scale, Scale] = ("auto", "auto"),
    threshold: float | Literal["auto"] = "auto",
    box: tuple[int, int, int, int] | None = None,
    alpha: float | None = None,
    median: int | None = None,
    refine: bool = True,
    lines: Literal["mask", "fill", "keep"] = "mask",
) -> list[Digitized]:
    """Recover the values behind every colour-mapped panel of a figure, in reading order.

    Takes the arguments of :func:`digitize` (without ``panel``), and
    ``ranges``: one ``(vmin, vmax)`` per panel, in reading order, for panels
    drawn with the same colormap but their own ranges.

    Warns
    -----
    PanelRangeWarning
        Several panels each have their own colorbar but one range was given
        for all: their ranges may differ (pass ``ranges=``).

    Examples
    --------
    >>> import numpy as np
    >>> from matplotlib import colormaps
    >>> page = np.full((60, 130, 3), 255, np.uint8)
    >>> page[10:50, 10:60] = colormaps["viridis"](np.linspace(0, 1, 50), bytes=True)[None, :, :3]
    >>> page[10:50, 70:120] = colormaps["viridis"](np.linspace(1, 0, 50), bytes=True)[None, :, :3]
    >>> [p.box for p in digitize_panels(page, cmap="viridis", vmin=0, vmax=1)]
    [(10, 50, 10, 60), (10, 50, 70, 120)]
    """
    if axes_ocr:
        check_scales(axis_scales)
    options: dict[str, Any] = {"norm": norm, "boundaries": boundaries, "center": center, "gamma": gamma,
                               "linthresh": linthresh}
    if ranges is not None:
        pairs = [tuple(r) for r in ranges]
        if not pairs or any(len(r) != 2 for r in pairs):
            raise InvalidOptionError(f"ranges must be (vmin, vmax) pairs, got {ranges!r}",
                                     hint="pass one (vmin, vmax) per panel, in reading order")
        ranges = [(pair[0], pair[1]) for pair in pairs]
        vmin, vmax = ranges[0]
    rgb, model, bars, paper, box = _prepare(
        figure, cmap=cmap, vmin=vmin, vmax=vmax, colorbar=colorbar, threshold=threshold, box=box, alpha=alpha,
        median=median, lines=lines, **options)
    first_bar = bars[0] if bars else None
    if model is None:
        model = _bar_model(first_bar, vmin, vmax, norm, ticks, tick_values)
    found = lookup(rgb, model)
    model, found, rounding = _rounding(found, model, paper, cmap, vmin, vmax, options)
    limit = auto_threshold(found, paper) if threshold == "auto" else float(threshold)
    masks = data_masks(rgb, found, threshold=limit, box=box, paper=paper, lines=lines != "keep")
    if box is None:
        _warn_stray(found, limit, paper, masks)
    order = _reading_order([m.box for m in masks])
    if ranges is not None and len(ranges) != len(masks):
        raise InvalidOptionError(f"{len(ranges)} ranges for {len(masks)} panels", hint="pass one range per panel "
                                 f"(panel boxes, in reading order: {[masks[i].box for i in order]})")
    results = []
    for n, i in enumerate(order):
        bar = _nearest_bar(bars, masks[i].box)
        panel_model, panel_found = model, found
        if ranges is not None and n:
            low, high = ranges[n]
            panel_model = (from_cmap(cmap, low, high, rounding=rounding, **options) if cmap is not None
                           else _bar_model(bar, low, high, norm, ticks, tick_values))
            panel_found = lookup(rgb, panel_model)
        elif cmap is None and bar is not first_bar:
            panel_model = _bar_model(bar, vmin, vmax, norm, ticks, tick_values)
            panel_found = lookup(rgb, panel_model)
        if panel_found is not found:  # same pixels and box, this panel's colours
            masks[i] = data_masks(rgb, panel_found, threshold=limit, box=masks[i].box, paper=paper,
                                  lines=lines != "keep")[0]
        results.append(_result(rgb, panel_found, masks[i], panel_model, bar, x_axis, y_axis, refine, median, lines,
                               paper, boxed=box is not None or len(masks) > 1,
                               ocr_scales=axis_scales if axes_ocr else None))
    if len(results) > 1 and ranges is None:  # with cmap= or each panel's own colorbar, one range (or ticks) for all
        _warn_ranges(results, rgb, bars if bars else None)
    return results


def _warn_stray(found: Lookup, limit: float, paper: np.ndarray, masks: list[DataMask]) -> None:
    """Warn when colour-matching data (not paper-coloured) lie outside every detected plot box."""
    off_paper = paper_distance(found.colors, paper) > limit
    warn_stray(found.where((found.colors_distance <= limit) & off_paper), [m.box for m in masks], stacklevel=4)


def _warn_ranges(results: list[Digitized], rgb: np.ndarray, bars: list[Colorbar] | None) -> None:
    """Warn when several panels have their own colorbars but one range was applied to all of them."""
    if bars is None:
        bars = find_colorbars(rgb)
    owners = {id(_nearest_bar(bars, r.box)) for r in results if bars}
    if len(bars) >= 2 and len(owners) >= 2:
        warnings.warn(
            f"{len(results)} panels with {len(bars)} colorbars: each panel may have its own range, but one range was "
            "applied to all (pass ranges=[(lo, hi), ...] per panel in reading order, --range once per panel)",
            PanelRangeWarning, stacklevel=3,
        )


def digitize(
    figure: Any,
    *,
    cmap: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    norm: Norm = "linear",
    boundaries: Sequence[float] | None = None,
    center: float | None = None,
    gamma: float | None = None,
    linthresh: float | None = None,
    colorbar: Literal["auto"] | Colorbar | None = None,
    ticks: Sequence[float] | None = None,
    tick_values: Sequence[float] | None = None,
    x_axis: Axis | None = None,
    y_axis: Axis | None = None,
    axes_ocr: bool = False,
    axis_scales: tuple[Scale, Scale] = ("auto", "auto"),
    threshold: float | Literal["auto"] = "auto",
    box: tuple[int, int, int, int] | None = None,
    alpha: float | None = None,
    median: int | None = None,
    refine: bool = True,
    lines: Literal["mask", "fill", "keep"] = "mask",
    panel: int | None = None,
) -> Digitized:
    """Recover the values behind a colour-mapped figure (one panel; :func:`digitize_panels` for all).
    {parameters}
    panel
        Which panel, in reading order (rows top to bottom, each left to
        right); default: the largest, with a warning when there are several.

    Warns
    -----
    NothingFoundWarning
        Fewer than 5% of the plot box are near the colour model: the colours do
        not match (wrong colormap?); the result is mostly NaN.
    PlotBoxWarning
        The data kept are less than 20% of the figure's ink (its pixels that are
        not paper-coloured): a wrong colormap matched a sliver of the field or of
        the colorbar (pass ``box=``, which skips this check).
    PanelsWarning
        The figure has several panels and ``panel`` was not given.
    StrayDataWarning
        Colour-matching data lie apart from every plot box and were not read
        (the warning names the ``box=`` that takes them in).
    AxisTicksWarning
        With ``axes_ocr``, an axis's tick labels could not be read (it keeps
        pixel coordinates; the warning says why).
    """
    _check_options(threshold, alpha, median, colorbar)
    if panel is not None and not (isinstance(panel, int | np.integer) and not isinstance(panel, bool) and panel >= 0):
        raise InvalidOptionError(f"panel must be a panel number (0, 1, ...), got {panel!r}", hint="pass panel=0")
    if axes_ocr:
        check_scales(axis_scales)
    options: dict[str, Any] = {"norm": norm, "boundaries": boundaries, "center": center, "gamma": gamma,
                               "linthresh": linthresh}
    rgb, model, bars, paper, box = _prepare(
        figure, cmap=cmap, vmin=vmin, vmax=vmax, colorbar=colorbar, threshold=threshold, box=box, alpha=alpha,
        median=median, lines=lines, **options)
    if model is None:
        model = _bar_model(bars[0] if bars else None, vmin, vmax, norm, ticks, tick_values)
    found = lookup(rgb, model)
    model, found, _ = _rounding(found, model, paper, cmap, vmin, vmax, options)
    limit = auto_threshold(found, paper) if threshold == "auto" else float(threshold)
    masks = data_masks(rgb, found, threshold=limit, box=box, paper=paper, lines=lines != "keep")
    if box is None:
        _warn_stray(found, limit, paper, masks)
    order = _reading_order([m.box for m in masks])
    if panel is not None and panel >= len(masks):
        raise InvalidOptionError(f"panel {panel} of a figure with {len(masks)} panel(s)",
                                 hint=f"pass panel= from 0 to {len(masks) - 1} (boxes in reading order: "
                                      f"{[masks[i].box for i in order]})")
    chosen = 0 if panel is None else order[panel]
    if panel is None and len(masks) > 1:
        warnings.warn(
            f"the figure has {len(masks)} panels (plot boxes in reading order: {[masks[i].box for i in order]}); "
            f"this is the largest, panel {order.index(0)}: pass panel=N for another, or use digitize_panels",
            PanelsWarning, stacklevel=2,
        )
    bar = _nearest_bar(bars, masks[chosen].box)
    if cmap is None and bar is not bars[0]:
        model = _bar_model(bar, vmin, vmax, norm, ticks, tick_values)
        found = lookup(rgb, model)
        masks[chosen] = data_masks(rgb, found, threshold=limit, box=masks[chosen].box, paper=paper,
                                   lines=lines != "keep")[0]
    return _result(rgb, found, masks[chosen], model, bar, x_axis, y_axis, refine, median, lines, paper,
                   boxed=box is not None or len(masks) > 1, ocr_scales=axis_scales if axes_ocr else None)


digitize.__doc__ = (digitize.__doc__ or "").format(parameters=_PARAMETERS)
digitize_panels.__doc__ = (digitize_panels.__doc__ or "").replace(
    "    Takes the arguments", _PARAMETERS.rstrip() + "\n\n    Takes the arguments", 1)


def _check_ink_share(found: Lookup, keep: np.ndarray, window: tuple[slice, slice], threshold: float,
                     model: ColorModel, paper: np.ndarray) -> None:
    """Warn when the kept data are a small part of the figure's ink (coverage inside the box cannot tell)."""
    ink_colors = paper_distance(found.colors, paper) > threshold
    ink = int(found.colors_count[ink_colors].sum())
    if ink == 0:
        return  # blank paper (or a field of the page colour): nothing to compare with
    share = np.count_nonzero(keep) / ink  # kept paper-coloured pixels (a diverging map's middle) count too
    if share < MIN_INK_SHARE:
        y0, y1, x0, x1 = (w for s in window for w in (s.start, s.stop))
        warnings.warn(
            f"the plot box (rows {y0}-{y1}, columns {x0}-{x1}) holds only {share:.1%} of the figure's non-paper "
            f"pixels: colormap {model.name!r} matches a small part of the figure (wrong colormap? several panels? "
            "pass box=)", PlotBoxWarning, stacklevel=4,
        )


def _result(rgb: np.ndarray, found: Lookup, kept: DataMask, model: ColorModel, bar: Colorbar | None,
            x_axis: Axis | None, y_axis: Axis | None, refine: bool, median: int | None, lines: str,
            paper: np.ndarray, *, boxed: bool = False, ocr_scales: tuple[Scale, Scale] | None = None) -> Digitized:
    """The panel in ``kept.box``; with ``ocr_scales``, the axes not given are read from its tick labels."""
    x_reading: AxisReading | None = None
    y_reading: AxisReading | None = None
    if ocr_scales is not None:
        x_axis, y_axis, x_reading, y_reading = read_axes(rgb, kept.box, x_axis=x_axis, y_axis=y_axis,
                                                         scales=ocr_scales)
    y0, y1, x0, x1 = kept.box
    window = (slice(y0, y1), slice(x0, x1))
    keep = kept.keep[window]
    coverage = np.count_nonzero(keep) / keep.size if keep.size else 0.0
    if coverage < MIN_COVERAGE:
        warnings.warn(
            f"only {coverage:.1%} of the plot box is within colour distance {kept.threshold:.0f} of colormap "
            f"{model.name!r}: the colours do not match (check the colormap name and the figure)",
            NothingFoundWarning, stacklevel=3,
        )
    elif not boxed:  # one warning says what is wrong; a box the caller gave may hold one panel of several
        _check_ink_share(found, keep, window, kept.threshold, model, paper)
    values = found.gather(found.colors_value, window)
    if refine and found.runs(kept.threshold).size:
        values = refine_runs(values, keep, found, model, window, kept.threshold)
    np.copyto(values, np.nan, where=~keep)
    if lines == "fill" and (kept.line_rows.any() or kept.line_cols.any()):
        values, keep = fill_lines(values, keep, kept.line_rows, kept.line_cols)
    if median:
        values, keep = denoise(values, keep, median)
    rows, cols = np.arange(y0, y1), np.arange(x0, x1)
    return Digitized(
        values=values, mask=keep, lookup=found, rgb=rgb[window], box=kept.box,
        x=x_axis(cols) if x_axis else cols.astype(np.float64), y=y_axis(rows) if y_axis else rows.astype(np.float64),
        x_axis=x_axis, y_axis=y_axis, model=model, threshold=kept.threshold, colorbar=bar,
        x_reading=x_reading, y_reading=y_reading,
    )
