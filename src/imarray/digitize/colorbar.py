"""Find a figure's colorbar and build a colour model from it.

A colorbar is a long, thin, solid rectangle of colourful pixels. It is found
as the connected piece of such pixels (colour spread ``max - min`` of the
channels above :data:`CHROMA`, or a light neutral that is not paper) that fills its
bounding box and is at least :data:`MIN_ASPECT` times longer than wide;
vertical bars run from ``lo`` at the bottom to ``hi`` at the top, horizontal
bars from ``lo`` at the left. Grey colormaps have no colour spread: pass the
colormap name instead.

Examples
--------
>>> from imarray.digitize.colormap import from_cmap
>>> page = np.full((120, 60, 3), 255, np.uint8)
>>> page[10:110, 40:48] = from_cmap("viridis", 0, 1).colors[::-1][np.linspace(0, 253, 100).astype(int)][:, None]
>>> bar = find_colorbar(page)
>>> bar.box, bar.orientation
((10, 110, 40, 48), 'vertical')
>>> model = bar.model(0.0, 1.0)
>>> round(float(model.values[0]), 3), round(float(model.values[-1]), 3)
(0.005, 0.995)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ImarrayError, InvalidOptionError
from .colormap import ColormapError, ColorModel, from_samples, pack
from .paper import is_light, paper_colour

__all__ = ["Colorbar", "ColorbarNotFoundError", "colorbar_in", "find_colorbar", "find_colorbars"]

CHROMA = 24
#: light neutral colours (every channel at least LIGHT) that differ from white paper by more than
#: PAPER_TOLERANCE also count, or a diverging bar would fall apart at its white middle
LIGHT = 200
PAPER_TOLERANCE = 4
MIN_ASPECT = 4.0
MIN_LENGTH = 20
MIN_FILL = 0.9
#: a bar's body has at least this share of colourful pixels (light neutral ones count only as a middle)
MIN_COLOURFUL = 0.25
#: a run of one colour along the bar this many times longer than the bar's median run stands for several entries
LONG_RUN = 2.0
#: the outline around a bar: ink along its sides (every channel at most this, or at least 255 minus this on dark
#: paper)
OUTLINE_DARK = 96


class ColorbarNotFoundError(ImarrayError, ValueError):
    """No colorbar could be found in the figure."""


@dataclass(frozen=True)
class Colorbar:
    """A colorbar's ``box`` ``(y0, y1, x0, x1)``, its orientation and its colours along the bar.

    ``colors`` run from the low end to the high end; ``positions`` are their
    pixel positions (row for vertical bars, column for horizontal ones).
    """

    box: tuple[int, int, int, int]
    orientation: str
    colors: np.ndarray
    positions: np.ndarray

    def model(self, lo: float | None = None, hi: float | None = None, *, ticks: Sequence[float] | None = None,
              tick_values: Sequence[float] | None = None, log: bool = False) -> ColorModel:
        """A colour model from the bar: its end values ``lo``/``hi``, or tick positions and values.

        Ticks are pixel positions along the bar (rows of a vertical bar,
        columns of a horizontal one) and the values written next to them;
        values in between are linear in the pixel position (or in ``log10``).
        """
        y0, y1, x0, x1 = self.box
        if ticks is not None or tick_values is not None:
            if ticks is None or tick_values is None or len(ticks) != len(tick_values) or len(ticks) < 2:
                raise ColormapError("ticks and tick_values need two or more matching entries",
                                    hint="pass --ticks PX1 V1 PX2 V2 ... (pixel along the bar, value)")
            t = np.asarray(tick_values, np.float64)
            t = np.log10(t) if log else t
            slope, offset = np.polyfit(np.asarray(ticks, np.float64), t, 1)
        else:
            if lo is None or hi is None or not lo < hi:
                raise ColormapError(
                    f"a colorbar's end values need lo < hi, got {lo} and {hi}",
                    hint="pass --range LO HI (the values at the bar's ends), or --ticks",
                )
            ends = (np.log10(lo), np.log10(hi)) if log else (lo, hi)
            # the bar's outer edges carry the end values: bottom (y1) or left (x0)
            start, stop = (y1 - 0.5, y0 - 0.5) if self.orientation == "vertical" else (x0 - 0.5, x1 - 0.5)
            slope = (ends[1] - ends[0]) / (stop - start)
            offset = ends[0] - slope * start
        edges_a = slope * (self.positions - 0.5) + offset
        edges_b = slope * (self.positions + 0.5) + offset
        low, high = np.minimum(edges_a, edges_b), np.maximum(edges_a, edges_b)
        if log:
            low, high = 10.0**low, 10.0**high
        # a bar longer than its colormap shows each entry over a few positions: one run of one colour is one
        # entry, not a collision of several; only runs much longer than the bar's usual run (jet's flat ends)
        # stand for several entries and are spread across their patches (refine_runs)
        codes = pack(self.colors)
        first = np.concatenate([[True], codes[1:] != codes[:-1]])
        starts = np.flatnonzero(first)
        stops = np.append(starts[1:], len(codes)) - 1
        run_low = np.minimum(low[starts], low[stops])
        run_high = np.maximum(high[starts], high[stops])
        model = from_samples(self.colors[starts], run_low, run_high, name="colorbar", log=log)
        lengths = np.diff(np.append(starts, len(codes)))
        long_runs = pack(self.colors[starts][lengths > LONG_RUN * np.median(lengths)])
        wide = np.isin(pack(model.colors), long_runs)
        return replace(model, ambiguous=model.ambiguous | wide) if wide.any() else model


def _candidates(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Colourful pixels, and light neutral ones that are not paper (the white middle of RdBu); and which of
    them are colourful (one compiled pass)."""
    from ._kernels import bar_candidates

    return bar_candidates(rgb, CHROMA, LIGHT, PAPER_TOLERANCE)


def _body(piece: np.ndarray) -> tuple[slice, slice, int] | None:
    """Rows, columns and pixels of the solid body of a vertical ``piece`` (transpose a horizontal one).

    The body is the longest stretch of rows that span the bar's width, and
    across it the columns filled along that stretch: ``extend=`` triangles
    narrow to a point past the ends, and antialiased tick marks may join the
    piece at a side; neither is part of the body, whose ends carry ``vmin``
    and ``vmax``.
    """
    across = piece.sum(axis=1)
    width = float(np.median(across))  # the body's: triangles and tick marks are short
    full = np.concatenate([[False], across >= MIN_FILL * width, [False]])
    edges = np.flatnonzero(np.diff(full.astype(np.int8)))
    if edges.size == 0:
        return None
    longest = int(np.argmax(edges[1::2] - edges[::2]))
    start, stop = int(edges[2 * longest]), int(edges[2 * longest + 1])
    filled = np.flatnonzero(piece[start:stop].mean(axis=0) >= MIN_FILL)
    if filled.size == 0:
        return None
    left, right = int(filled[0]), int(filled[-1]) + 1
    if stop - start < max(MIN_LENGTH, MIN_ASPECT * (right - left)) or right - left < 3:
        return None
    size = int(np.count_nonzero(piece[start:stop, left:right]))
    if size < MIN_FILL * (stop - start) * (right - left):
        return None
    return slice(start, stop), slice(left, right), size


def _outlined(rgb: np.ndarray, rows: slice, cols: slice, vertical: bool,
              paper: np.ndarray) -> tuple[slice, slice]:
    """The bar's body between the ends of the outline along its sides, when it has one.

    Colours near the page (twilight's ends) or near black (magma's) are not
    found as colourful, so the body found stops short; ``extend=`` triangles
    are nearly as wide as the bar for a pixel or two, so it overshoots. The
    outline's side lines run the body's length plus the corner pixel at each
    end (the end line's, or the first of a triangle's diagonal). The outline
    is drawn in ink: dark on light ``paper``, light on dark paper (where
    magma's black end meets the paper and only the outline shows the end).
    """
    light = is_light(paper)
    along, side = (rows, cols) if vertical else (cols, rows)
    image = rgb if vertical else rgb.transpose(1, 0, 2)
    spans = []
    width = side.stop - side.start
    for lines in (range(side.start - 2, side.start + 1), range(side.stop - 1, side.stop + 2)):
        best = None
        for line in lines:
            if not 0 <= line < image.shape[1]:
                continue
            ink = (image[:, line].max(axis=1) <= OUTLINE_DARK if light
                   else image[:, line].min(axis=1) >= 255 - OUTLINE_DARK)
            dark = np.concatenate([[False], ink, [False]])
            edges = np.flatnonzero(np.diff(dark.astype(np.int8)))
            for start, stop in zip(edges[::2], edges[1::2], strict=True):
                # the outline's side runs along the body found (whose ends may reach a pixel or two into
                # extend= triangles, or stop short of colours near paper or black)
                if start <= along.start + width and stop >= along.stop - width and \
                        (best is None or stop - start > best[1] - best[0]):
                    best = (int(start), int(stop))
        spans.append(best)
    first, second = spans
    if first is None or second is None or abs(first[0] - second[0]) > 2 or abs(first[1] - second[1]) > 2:
        return rows, cols
    start, stop = max(first[0], second[0]) + 1, min(first[1], second[1]) - 1
    if stop - start < MIN_LENGTH:
        return rows, cols
    body = slice(start, stop)
    return (body, cols) if vertical else (rows, body)


def find_colorbars(rgb: np.ndarray, paper: np.ndarray | None = None) -> list[Colorbar]:
    """Every colorbar in ``rgb`` (``(y, x, 3)`` uint8), largest first: the long, thin, solid pieces of colour.

    ``paper``: the figure's paper colour if known (:func:`~imarray.digitize.paper.paper_colour`), for the ink
    of the bars' outlines.

    Examples
    --------
    >>> page = np.full((60, 60, 3), 255, np.uint8)
    >>> red = np.zeros((50, 1, 3), np.uint8); red[:, 0, 0] = np.linspace(40, 220, 50)
>>> page[5:55, 10:16], page[5:45, 40:46] = red, red[:40]
    >>> [bar.box for bar in find_colorbars(page)]
    [(5, 55, 10, 16), (5, 45, 40, 46)]
    """
    from ._kernels import components, scratch_labels

    candidates, colourful = _candidates(rgb)
    labels, boxes, _ = components(candidates, out=scratch_labels(candidates.shape))  # used here only
    bodies = []
    for number, (y0, y1, x0, x1) in enumerate(boxes.tolist(), start=1):
        height, width = y1 - y0, x1 - x0
        if max(height, width) < MIN_LENGTH or min(height, width) < 3:
            continue
        rows, cols = slice(y0, y1), slice(x0, x1)
        vertical = height > width
        piece = labels[rows, cols] == number
        body = _body(piece if vertical else piece.T)
        if body is None:
            continue
        inner_rows, inner_cols, size = body if vertical else (body[1], body[0], body[2])
        rows = slice(rows.start + inner_rows.start, rows.start + inner_rows.stop)
        cols = slice(cols.start + inner_cols.start, cols.start + inner_cols.stop)
        if np.count_nonzero(colourful[rows, cols]) < MIN_COLOURFUL * size:
            continue  # light grey throughout: a pale patch of a field (a grey colormap's bar is not found)
        bodies.append((size, rows, cols))
    bodies.sort(key=lambda body: -body[0])  # stable: equal sizes keep the labelling's order
    paper = paper_colour(rgb) if paper is None else paper
    return [_bar(rgb, rows, cols, paper) for _, rows, cols in bodies]


def _bar(rgb: np.ndarray, rows: slice, cols: slice, paper: np.ndarray) -> Colorbar:
    rows, cols = _outlined(rgb, rows, cols, rows.stop - rows.start > cols.stop - cols.start, paper)
    return _sampled(rgb, (rows.start, rows.stop, cols.start, cols.stop))


def _sampled(rgb: np.ndarray, box: tuple[int, int, int, int]) -> Colorbar:
    """The bar whose colour strip fills ``box``, along its longer side: the median colour per position along
    it over the middle half across (away from its outline); low end at the bottom, or at the left."""
    y0, y1, x0, x1 = box
    vertical = y1 - y0 > x1 - x0
    if vertical:
        quarter = (x1 - x0) // 4
        colors = np.median(rgb[y0:y1, x0 + quarter : x1 - quarter], axis=1)[::-1]
        positions = np.arange(y0, y1)[::-1]
    else:
        quarter = (y1 - y0) // 4
        colors = np.median(rgb[y0 + quarter : y1 - quarter, x0:x1], axis=0)
        positions = np.arange(x0, x1)
    return Colorbar(box=box, orientation="vertical" if vertical else "horizontal",
                    colors=np.rint(colors).astype(np.uint8), positions=positions.astype(np.float64))


def find_colorbar(rgb: np.ndarray) -> Colorbar:
    """Locate the colorbar in ``rgb`` (``(y, x, 3)`` uint8): the largest long, thin, solid piece of colour.

    Raises
    ------
    ColorbarNotFoundError
        No long, thin, solid piece of colour is in the figure.
    """
    bars = find_colorbars(rgb)
    if not bars:
        raise ColorbarNotFoundError(
            "no colorbar found (a solid bar of colour at least 4 times longer than wide)",
            hint="pass the colormap name (--cmap NAME --range LO HI) instead of --colorbar auto",
        )
    return bars[0]


#: a hand-drawn bar is at least this many pixels thick (across), this long, and this many times longer than thick
MARKED_THICK = 3
MARKED_LONG = 20
MARKED_ASPECT = 2.0
_MARK_HINT = "drag the rectangle over the colorbar's colour strip, from one end to the other, inside its outline"


def colorbar_in(rgb: np.ndarray, box: tuple[int, int, int, int]) -> Colorbar:
    """The colorbar whose colour strip fills ``box`` ``(y0, y1, x0, x1)`` of ``rgb``: one marked by hand where
    :func:`find_colorbars` misses it (``--colorbar-box``, a rectangle dragged on the ``--serve`` page).

    The bar runs along the longer side: vertical when the box is taller than
    wide (low end at the bottom, as :func:`find_colorbars` has it), else
    horizontal (low end at the left). Its colours are sampled as a found
    bar's are (the median over the middle half across, at each pixel along);
    from there it is an ordinary :class:`Colorbar`. An :class:`InvalidOptionError`
    (saying what to mark) when the box leaves the figure, is thinner than
    ``MARKED_THICK`` pixels, shorter than ``MARKED_LONG`` or than ``MARKED_ASPECT``
    times its thickness, or holds one colour only.

    Examples
    --------
    >>> from matplotlib import colormaps
    >>> page = np.full((120, 60, 3), 255, np.uint8)
    >>> page[10:110, 40:48] = colormaps["viridis"](np.linspace(1, 0, 100), bytes=True)[:, None, :3]
    >>> bar = colorbar_in(page, (10, 110, 40, 48))
    >>> bar.orientation, bar.box, [int(v) for v in bar.colors[0]]
    ('vertical', (10, 110, 40, 48), [68, 1, 84])
    """
    height, width = rgb.shape[:2]
    y0, y1, x0, x1 = box
    where = f"the colorbar rectangle (rows {y0}-{y1}, columns {x0}-{x1})"
    if not (0 <= y0 < y1 <= height and 0 <= x0 < x1 <= width):
        raise InvalidOptionError(f"{where} is empty or leaves the {height} x {width} figure", hint=_MARK_HINT)
    vertical = y1 - y0 > x1 - x0
    long, thick = (y1 - y0, x1 - x0) if vertical else (x1 - x0, y1 - y0)
    if thick < MARKED_THICK:
        raise InvalidOptionError(f"{where} is {thick} px thick: at least {MARKED_THICK} are needed", hint=_MARK_HINT)
    if long < max(MARKED_LONG, MARKED_ASPECT * thick):
        raise InvalidOptionError(f"{where} is {long} px long and {thick} px thick: a colour strip at least "
                                 f"{MARKED_LONG} px long and {MARKED_ASPECT:g} times longer than thick is needed",
                                 hint=_MARK_HINT)
    bar = _sampled(rgb, (y0, y1, x0, x1))  # as a found bar is
    if len(np.unique(bar.colors, axis=0)) < 2:
        raise InvalidOptionError(f"{where} holds one colour only, {tuple(int(c) for c in bar.colors[0])}: no "
                                 "colour strip", hint=_MARK_HINT)
    return bar
