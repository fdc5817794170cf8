"""Which pixels of a figure are data: colour distance, paper, plot box, connectivity.

The colour distance alone cannot tell white paper from the white middle of a
diverging map, nor a tick label from a field pixel of a similar colour. The
mask therefore combines four tests:

1. the colour lies within a threshold of the colour model, chosen from the
   figure's own distances (:func:`auto_threshold`);
2. paper-coloured pixels connected to the image border are background, when
   the border is mostly paper (a matplotlib figure; a bare render is not);
3. the plot box is the bounding box of the largest connected run of data
   pixels, grown by the pieces whose boxes touch it (a coastline splits a
   field; the axes frame and padding keep colorbar, title and labels apart),
   found at half resolution and trimmed to the data pixels;
4. inside the box, connected pieces smaller than a few pixels are dropped.

Each test is a few vectorised passes over the pixels: colours are judged
once per distinct colour and gathered to the pixels through a table, and
connected pieces are labelled on the half-resolution figure and inside the box only.

Also here: input checks (:func:`as_rgb`), alpha un-blending over white
(:func:`unblend`) and median denoising of JPEG figures' values (:func:`denoise`).

Examples
--------
>>> from imarray.digitize.colormap import from_cmap
>>> from imarray.digitize.lookup import lookup
>>> model = from_cmap("viridis", 0, 1)
>>> page = np.full((20, 30, 3), 255, np.uint8)
>>> page[5:15, 5:20] = model.colors[100]
>>> page[8, 24] = (0, 0, 0)  # a speck of text
>>> found = lookup(page, model)
>>> m = data_mask(page, found, threshold=auto_threshold(found))
>>> m.box, int(m.keep.sum())
((5, 15, 5, 20), 150)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidOptionError, PixelKindError
from ._deps import need
from .colormap import PAGE, ColorModel
from .lines import line_bands
from .lookup import Lookup
from .paper import blank_colors, ink_colors, paper_distance

__all__ = ["DataMask", "as_rgb", "auto_threshold", "check_median", "data_mask", "data_masks", "denoise", "unblend"]

#: the automatic threshold never goes below this (8-bit rounding) nor above MAX_THRESHOLD
MIN_THRESHOLD = 3.0
MAX_THRESHOLD = 24.0
#: connected pieces of data smaller than this many pixels (inside the plot box) are dropped
MIN_PIECE = 4
#: the largest median window of :func:`denoise`: wider windows blur more than JPEG noise costs
MAX_MEDIAN = 99
#: axes-frame lines: ink pixels (see paper.ink_colors) in straight runs at least 1/LINE_SHARE of the
#: figure's shorter side (and LINE_MIN pixels) long
LINE_SHARE = 8
LINE_MIN = 16
#: the frame is the plot's when at least this share of the colour-matching pixels lie inside it
FRAME_HOLDS = 0.5
#: the longest lines of each direction considered for frames, and the most frames
MAX_LINES = 2000
MAX_FRAMES = 256
#: a frame line has one side mostly clear of ink this many pixels away (a thick dark patch of a field has none)
LINE_CLEAR = 3
#: pieces of data whose bounding boxes come this close (pixels) to the plot box join it
BOX_REACH = 3
#: without a frame, edge rows (columns) of a plot box with less than this share of the median row's data are cut
TRIM_FILL = 0.5
#: another group of data pieces with at least this share of the largest group's pixels is a panel of its own
PANEL_SHARE = 0.3
#: ... unless it is this many times longer than wide and solid: a colorbar
PANEL_BAR_ASPECT = 4


@dataclass(frozen=True)
class DataMask:
    """``keep`` (bool per pixel), the plot ``box`` ``(y0, y1, x0, x1)``, the ``threshold`` used, and the
    box's rows and columns under straight lines (``line_rows``, ``line_cols``, bool, masked in ``keep``)."""

    keep: np.ndarray
    box: tuple[int, int, int, int]
    threshold: float
    line_rows: np.ndarray
    line_cols: np.ndarray


def as_rgb(array: np.ndarray, model: ColorModel | None = None, *, path=None) -> np.ndarray:
    """Check a figure's pixels and return them as ``(y, x, 3)`` uint8.

    RGBA figures are composited over white paper (how they look on a page);
    greyscale figures are accepted only for a grey colour model.

    Examples
    --------
    >>> rgba = np.zeros((1, 1, 4), np.uint8); rgba[..., 3] = 0
    >>> as_rgb(rgba).tolist()
    [[[255, 255, 255]]]
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise PixelKindError(
            f"a figure has 8-bit colour samples, got {array.dtype}", path=path,
            hint="save the figure as an 8-bit PNG (or pass array.astype(np.uint8) if the values are 0-255)",
        )
    if array.ndim == 2:
        if model is not None and not model.is_grey:
            raise PixelKindError(
                f"the figure is greyscale but colormap {model.name!r} has colours", path=path,
                hint="pass the grey colormap the figure was drawn with (e.g. --cmap gray), or the colour figure",
            )
        return np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise PixelKindError(
            f"a figure is (y, x, 3) RGB or (y, x, 4) RGBA, got shape {array.shape}", path=path,
            hint="pass one frame of an RGB image",
        )
    if array.shape[2] == 3:
        return array
    alpha = array[..., 3:4].astype(np.float32) / 255
    blended = array[..., :3] * alpha + PAGE.astype(np.float32) * (1 - alpha)
    return np.rint(blended).astype(np.uint8)


def unblend(rgb: np.ndarray, alpha: float, paper: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Undo drawing with opacity ``alpha`` over ``paper``: ``c = (seen - (1 - alpha) * paper) / alpha``.

    Examples
    --------
    >>> unblend(np.array([[[191, 127, 127]]], np.uint8), 0.5).tolist()
    [[[127, 0, 0]]]
    """
    if not 0 < alpha <= 1:
        raise InvalidOptionError(f"alpha must be an opacity in (0, 1], got {alpha}", hint="pass e.g. alpha=0.5")
    seen = rgb.astype(np.float32)
    colour = (seen - (1 - alpha) * np.asarray(paper, np.float32)) / alpha
    return np.clip(np.rint(colour), 0, 255).astype(np.uint8)


def check_median(size: object) -> int:
    """``size`` if it is a median window :func:`denoise` takes (1 to ``MAX_MEDIAN`` pixels), else an error.

    Examples
    --------
    >>> check_median(5)
    5
    """
    if not (isinstance(size, int | np.integer) and not isinstance(size, bool) and 1 <= size <= MAX_MEDIAN):
        raise InvalidOptionError(f"the median window must be 1 to {MAX_MEDIAN} pixels, got {size!r}",
                                 hint="pass median=5 (--denoise 5), a good start for JPEG figures, or leave it out")
    return int(size)


def denoise(values: np.ndarray, keep: np.ndarray, size: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """JPEG clean-up: drop the rim of data next to non-data, then median-filter the data values.

    JPEG rings next to sharp edges (the axes frame, text, masked holes), so
    the one-pixel rim of data pixels touching non-data or the edge of the
    plot box (where the frame is) is dropped. Each
    remaining pixel then gets the median of the data values in the
    ``size`` x ``size`` window around it; masked pixels never enter a median.
    Filtering values rather than RGB keeps frame and text colours out.

    Returns
    -------
    values, keep
        The filtered values (NaN off the data) and the reduced mask.

    Examples
    --------
    >>> v = np.full((7, 7), 0.5); v[3, 3] = 0.9  # one outlier
    >>> out, kept = denoise(v, np.ones((7, 7), bool), size=3)
    >>> float(out[3, 3]), int(kept.sum())  # the outer ring is dropped
    (0.5, 25)
    """
    size = check_median(size)
    ndimage = need("scipy.ndimage")
    data = np.where(keep, values, np.nan)
    keep = keep & ndimage.binary_erosion(keep)  # the box edge counts as non-data: the frame is there
    from ._kernels import window_medians

    out = window_medians(data, keep, size)  # NaN off `keep`
    return out, keep


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def auto_threshold(found: Lookup, paper: np.ndarray = PAGE) -> float:
    """A colour-distance threshold from the figure itself.

    Four times the median distance of the pixels that are plausibly data
    (closer than ``MAX_THRESHOLD``, and not blank ``paper``, which is common and
    lies near the white of diverging maps or the black of magma), kept between ``MIN_THRESHOLD``
    (exact renders: rounding only) and ``MAX_THRESHOLD`` (JPEG noise).
    """
    counts = found.colors_count
    blank = blank_colors(found.colors, paper)
    near = (found.colors_distance < MAX_THRESHOLD) & ~blank
    if not near.any():
        return MIN_THRESHOLD
    typical = _weighted_median(found.colors_distance[near], counts[near])
    return float(np.clip(4 * typical, MIN_THRESHOLD, MAX_THRESHOLD))


def _border(mask: np.ndarray) -> np.ndarray:
    return np.concatenate([mask[0], mask[-1], mask[1:-1, 0], mask[1:-1, -1]])


def _paper_colors(found: Lookup, threshold: float, paper: np.ndarray = PAGE) -> np.ndarray | None:
    """Per distinct colour: paper-coloured, if the model has a paper-like colour (else None: distance drops paper)."""
    paper_colors = paper_distance(found.colors, paper) <= threshold
    return paper_colors if (paper_colors & (found.colors_distance <= threshold)).any() else None


def _paper_background(paper: np.ndarray) -> np.ndarray | None:
    """The ``paper`` pixels connected to the border, if the border is mostly paper."""
    if _border(paper).mean() < 0.5:
        return None
    from ._kernels import border_reach

    return border_reach(paper)


def _blocks(keep: np.ndarray, scale: int) -> np.ndarray:
    """``keep`` at ``1 / scale`` resolution: a cell is data if every pixel of its block is."""
    if scale == 1:
        return keep
    cells = np.ones((-(-keep.shape[0] // scale), -(-keep.shape[1] // scale)), np.bool_)
    for dy in range(scale):
        for dx in range(scale):
            part = keep[dy::scale, dx::scale]
            cells[: part.shape[0], : part.shape[1]] &= part
    return cells


def _dilate3(mask: np.ndarray) -> np.ndarray:
    """``mask`` grown by one pixel in all eight directions (a 3x3 dilation by shifted ors, ~10x scipy's)."""
    tall = mask.copy()
    tall[1:] |= mask[:-1]
    tall[:-1] |= mask[1:]
    grown = tall.copy()
    grown[:, 1:] |= tall[:, :-1]
    grown[:, :-1] |= tall[:, 1:]
    return grown


def _colorbar_like(box: tuple[int, int, int, int], size: int) -> bool:
    """A piece of data this long and thin and solid is a colorbar, not a panel."""
    height, width = box[1] - box[0], box[3] - box[2]
    return max(height, width) >= PANEL_BAR_ASPECT * min(height, width) and size >= 0.9 * height * width


def _plot_boxes(keep: np.ndarray, min_piece: int = MIN_PIECE, reach: int = BOX_REACH,
                scale: int = 2) -> list[tuple[int, int, int, int]]:
    """Plot boxes, largest first: groups of data pieces, each grown by every piece whose box comes within ``reach``.

    Coastlines, contour lines, grid lines and cell edges split a field into
    pieces that lie next to each other; a colorbar or legend lies apart,
    beyond the axes' padding. Pieces are found on blocks of ``scale`` x
    ``scale`` pixels that are all data (``scale**2`` times fewer pixels to
    label; specks and one-pixel chains of noise vanish) and gathered into
    groups of pieces at most two blocks apart. The largest group seeds the
    first box; every other group of at least ``PANEL_SHARE`` of its cells
    that is not shaped like a colorbar seeds another panel. Each box grows by
    the pieces whose boxes come within ``reach``, then to the data's own
    edges. Pieces of fewer than ``min_piece`` pixels do not grow a box.
    Figures without a solid block of data are searched at full resolution.
    """
    from ._kernels import components, piece_boxes, scratch_labels

    cells = _blocks(keep, scale)
    boxes, sizes, first = piece_boxes(cells)
    if sizes.size == 0:
        return _plot_boxes(keep, min_piece, reach, 1) if scale > 1 else [(0, keep.shape[0], 0, keep.shape[1])]
    # groups: pieces at most two cells apart (grid lines and cell edges cut a field into cells)
    groups = components(_dilate3(cells), out=scratch_labels(cells.shape))[0]
    group_of = groups[first[:, 0], first[:, 1]].astype(np.int64)
    group_sizes = np.bincount(group_of, weights=sizes)
    area = scale * scale  # pixels per cell
    grows = area * sizes >= min_piece
    order = np.argsort(-group_sizes, kind="stable")
    found: list[tuple[int, int, int, int]] = []
    steps = -(-reach // scale)  # in cells, rounded up: pieces `reach` pixels apart join
    for group in order:
        if group == 0 or group_sizes[group] < PANEL_SHARE * group_sizes[order[0]] or not group_sizes[group]:
            break
        members = group_of == group
        members &= grows | (sizes == sizes[members].max())  # the group's largest piece grows its box in any case
        y0, y1 = int(boxes[members, 0].min()), int(boxes[members, 1].max())
        x0, x1 = int(boxes[members, 2].min()), int(boxes[members, 3].max())
        if found and _colorbar_like((y0, y1, x0, x1), int(group_sizes[group])):
            continue
        candidates = boxes[grows]
        while True:
            touching = ((candidates[:, 0] < y1 + steps) & (candidates[:, 1] > y0 - steps)
                        & (candidates[:, 2] < x1 + steps) & (candidates[:, 3] > x0 - steps))
            grown = (min(y0, candidates[touching, 0].min(initial=y0)), max(y1, candidates[touching, 1].max(initial=y1)),
                     min(x0, candidates[touching, 2].min(initial=x0)), max(x1, candidates[touching, 3].max(initial=x1)))
            if grown == (y0, y1, x0, x1):
                break
            y0, y1, x0, x1 = (int(v) for v in grown)
        pixels = (scale * y0, min(scale * y1, keep.shape[0]), scale * x0, min(scale * x1, keep.shape[1]))
        if any(_overlap(pixels, other) for other in found):
            continue
        found.append(pixels)
    return [_to_edges(keep, box, reach) for box in found]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def _to_edges(keep: np.ndarray, box: tuple[int, int, int, int], reach: int) -> tuple[int, int, int, int]:
    """Grow ``box`` side by side (up to ``reach`` pixels) while data just outside it touches data on its edge.

    Blocks straddling the data's edges are not all data; the field's own
    first and last rows and columns are found here.
    """
    y0, y1, x0, x1 = box
    height, width = keep.shape

    def touches(outside: np.ndarray, edge: np.ndarray) -> bool:
        return bool(np.logical_and(outside, edge).any())

    for _ in range(reach):
        grown = (y0 - (y0 > 0 and touches(keep[y0 - 1, x0:x1], keep[y0, x0:x1])),
                 y1 + (y1 < height and touches(keep[y1, x0:x1], keep[y1 - 1, x0:x1])),
                 x0 - (x0 > 0 and touches(keep[y0:y1, x0 - 1], keep[y0:y1, x0])),
                 x1 + (x1 < width and touches(keep[y0:y1, x1], keep[y0:y1, x1 - 1])))
        if grown == (y0, y1, x0, x1):
            break
        y0, y1, x0, x1 = grown
    return (y0, y1, x0, x1)


def _frames(lines: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Insides ``(y0, y1, x0, x1)`` of rectangles drawn with long straight ink lines, tallest first.

    An axes frame (its spines) is two horizontal lines joined by two vertical
    ones; tick marks at the corners may lengthen any of them. The data start
    one pixel inside the lines, as that pixel is blended with the line by
    antialiasing. A colormap with the ink's colour (magma, gray) matches frame,
    ticks and text by colour, so the frame bounds the plot instead.
    """
    from ._kernels import clear_column_runs, clear_runs

    length = max(LINE_MIN, min(lines.shape) // LINE_SHARE)
    across = clear_runs(lines, length, LINE_CLEAR)  # (row, x0, x1), one side clear of ink
    down = clear_column_runs(lines, length, LINE_CLEAR)  # (column, y0, y1)
    across = across[np.argsort(across[:, 1] - across[:, 2], kind="stable")[:MAX_LINES]]
    down = down[np.argsort(down[:, 1] - down[:, 2], kind="stable")[:MAX_LINES]]
    tolerance = 2  # pixels: a corner's lines may stop short of each other
    # [i, j]: vertical line j crosses horizontal line i (reaches its row, inside its span)
    crosses = ((down[None, :, 1] <= across[:, :1] + tolerance) & (down[None, :, 2] > across[:, :1] - tolerance)
               & (down[None, :, 0] >= across[:, 1:2] - tolerance) & (down[None, :, 0] < across[:, 2:3] + tolerance))
    shared = crosses.astype(np.int32) @ crosses.T.astype(np.int32)  # [i, k]: verticals crossing both lines
    first, second = np.nonzero(np.triu(shared >= 2, 1))
    gaps = np.abs(across[second, 0] - across[first, 0])
    frames = []
    for n in np.argsort(-gaps, kind="stable")[:MAX_FRAMES]:
        if gaps[n] <= length:
            break
        i, k = sorted((first[n], second[n]), key=lambda m: across[m, 0])
        sides = down[crosses[i] & crosses[k], 0]
        if np.ptp(sides) <= length:
            continue
        # inside the innermost line on each side, less the antialiased pixel next to it
        left = int(sides[sides <= sides.min() + tolerance].max())
        right = int(sides[sides >= sides.max() - tolerance].min())
        frames.append((int(across[i, 0]) + 2, int(across[k, 0]) - 1, left + 2, right - 1))
    return frames


def _inside_frames(keep: np.ndarray, lines: np.ndarray) -> bool:
    """Cut ``keep`` (in place) to the insides of the axes frames drawn by ``lines``, if they hold most of it.

    The frame holding the most data is the plot's; every other frame, apart
    from it, holding at least ``PANEL_SHARE`` as much is another panel's.
    Returns whether frames were found.
    """
    total = np.count_nonzero(keep)
    frames = [frame for frame in _frames(lines) if frame[0] < frame[1] and frame[2] < frame[3]]
    held = [np.count_nonzero(keep[y0:y1, x0:x1]) for y0, y1, x0, x1 in frames]
    if not frames or max(held) < FRAME_HOLDS * total:
        return False
    chosen: list[tuple[int, int, int, int]] = []
    for n in np.argsort(-np.array(held), kind="stable"):
        if held[n] < PANEL_SHARE * max(held):
            break
        if not any(_overlap(frames[n], other) for other in chosen):
            chosen.append(frames[n])
    inside = np.zeros_like(keep)
    for y0, y1, x0, x1 in chosen:
        inside[y0:y1, x0:x1] = True
    keep &= inside
    return True


def _trim(keep: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``box`` without its sparse edge rows and columns: tick marks and labels next to a field with no frame.

    A colormap with the ink's colour (gray, magma) matches ticks and labels;
    without a frame they join the field's box. A field fills its rows and
    columns, text does not: edge rows (columns) holding less than
    ``TRIM_FILL`` of the median row's (column's) data are cut, side by side.
    """
    y0, y1, x0, x1 = box
    window = keep[y0:y1, x0:x1]
    if window.size == 0:
        return box
    rows, cols = np.count_nonzero(window, axis=1), np.count_nonzero(window, axis=0)
    full_rows = np.flatnonzero(rows >= TRIM_FILL * np.median(rows))
    full_cols = np.flatnonzero(cols >= TRIM_FILL * np.median(cols))
    if not full_rows.size or not full_cols.size:
        return box
    top, bottom, left, right = full_rows[0], full_rows[-1] + 1, full_cols[0], full_cols[-1] + 1
    return (y0 + int(top), y0 + int(bottom), x0 + int(left), x0 + int(right))


def _drop_specks(keep: np.ndarray, min_piece: int) -> np.ndarray:
    """``keep`` without its connected pieces of fewer than ``min_piece`` pixels.

    A plot box is usually data throughout but for its one-pixel rim (the
    frame's antialiasing): then every rim pixel but a corner touches the solid
    inside, and only a corner with no data beside it is a piece of its own.
    Otherwise the pieces are labelled and counted.
    """
    height, width = keep.shape
    if height > 2 and width > 2 and (height - 2) * (width - 2) >= min_piece and keep[1:-1, 1:-1].all():
        corners = [(y, x) for y, x, dy, dx in ((0, 0, 1, 1), (0, -1, 1, -2), (-1, 0, -2, 1), (-1, -1, -2, -2))
                   if min_piece > 1 and keep[y, x] and not keep[y, dx] and not keep[dy, x]]
        if corners:
            keep = keep.copy()
            keep[tuple(np.array(corners).T)] = False
        return keep
    from ._kernels import without_small

    return without_small(keep, min_piece)


def _drop_fringe(inside: np.ndarray, found: Lookup, window: tuple[slice, slice], paper: np.ndarray,
                 ruled: np.ndarray | None = None) -> np.ndarray:
    """``inside`` without the pixels next to an ink overlay (coastline, contour line, black text or marker).

    An overlay's antialiased edge blends its colour into the field's and may
    land near another colormap colour (11% of a map's overlay pixels were
    kept, some 0.1 off). Data pixels touching (8-connected) a pixel that is
    ink (dark on light paper, light on dark paper) and not data are dropped.
    Overlays drawn in a colormap colour (white text over RdBu_r) cannot be
    told from data by colour and stay. Pixels ``ruled`` by straight lines
    (masked already, with their antialiased rows) are no overlay.
    """
    if inside.size == 0 or inside[1:-1, 1:-1].all():
        return inside  # no holes: nothing drawn over the field
    overlay = found.where(ink_colors(found.colors, paper), window) & ~inside
    if ruled is not None:
        overlay &= ~ruled
    if not overlay.any():
        return inside
    return inside & ~_dilate3(overlay)


def data_masks(rgb: np.ndarray, found: Lookup, *, threshold: float, box: tuple[int, int, int, int] | None = None,
               min_piece: int = MIN_PIECE, paper: np.ndarray = PAGE, lines: bool = True) -> list[DataMask]:
    """The pixels that are data, per panel (largest first): near the colour model, inside a plot box, not paper,
    lines or specks.

    Parameters
    ----------
    rgb
        The figure, ``(y, x, 3)`` uint8.
    found
        :func:`~imarray.digitize.lookup.lookup` of ``rgb``.
    threshold
        Largest colour distance of a data pixel (see :func:`auto_threshold`).
    box
        ``(y0, y1, x0, x1)`` to skip plot-box detection (one panel); ``None`` detects the panels.
    min_piece
        Connected pieces of fewer pixels are dropped.
    paper
        The figure's paper colour (:func:`~imarray.digitize.paper.paper_colour`): paper-coloured pixels
        connected to the figure's border are background, and ink is what stands out from it.
    lines
        Mask straight lines across a plot box (grid lines, cell edges; see :mod:`~imarray.digitize.lines`).
    """
    near = found.colors_distance <= threshold
    paper_colors = _paper_colors(found, threshold, paper)
    keep = None  # per pixel of the whole figure: needed to find the box or to drop the paper
    boxes = [box] if box is not None else []
    if box is None or paper_colors is not None:
        # one pass through the colour table for all per-pixel tests: bit 0 near, bit 1 paper, bit 2 ink
        flags = near.astype(np.uint8)
        if paper_colors is not None:
            flags |= paper_colors.astype(np.uint8) << 1
        if box is None:
            flags |= ink_colors(found.colors, paper).astype(np.uint8) << 2
        bits = found.gather(flags)
        keep = (bits & 1).view(np.bool_)
        background = None if paper_colors is None else _paper_background((bits & 2) != 0)
        if background is not None:
            keep &= ~background
        if box is None:
            framed = _inside_frames(keep, bits >= 4)  # bit 2 is the highest
            boxes = _plot_boxes(keep, min_piece)
            if not framed:
                boxes = [_trim(keep, b) for b in boxes]
    masks = []
    for y0, y1, x0, x1 in ((int(v) for v in b) for b in boxes):
        window = (slice(y0, y1), slice(x0, x1))
        inside = found.where(near, window) if keep is None else keep[window].copy()
        rows, cols = line_bands(rgb, (y0, y1, x0, x1)) if lines else (np.zeros(y1 - y0, bool), np.zeros(x1 - x0, bool))
        if rows.any() or cols.any():
            inside[rows] = False
            inside[:, cols] = False
        data = np.zeros(found.index.shape, np.bool_)
        ruled = (rows[:, None] | cols[None, :]) if rows.any() or cols.any() else None
        data[window] = _drop_fringe(_drop_specks(inside, min_piece), found, window, paper, ruled)
        masks.append(DataMask(data, (y0, y1, x0, x1), threshold, rows, cols))
    return masks


def data_mask(rgb: np.ndarray, found: Lookup, *, threshold: float, box: tuple[int, int, int, int] | None = None,
              min_piece: int = MIN_PIECE, paper: np.ndarray = PAGE, lines: bool = True) -> DataMask:
    """The pixels that are data in the largest panel (or ``box``); see :func:`data_masks`."""
    return data_masks(rgb, found, threshold=threshold, box=box, min_piece=min_piece, paper=paper, lines=lines)[0]
