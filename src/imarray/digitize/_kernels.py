"""Compiled per-pixel loops of the digitize pipeline (numba), imported on first use.

Each function here is one pass (or a few fused passes) over a figure's pixels
that NumPy would make as several whole-array passes with temporaries, or a
per-patch Python loop. They are compiled on first use, about 10 s once per
machine, and cached on disk (numba's cache beside this file, or in the
user's cache folder when that is read-only; without either, once per
process); later processes load them in a fraction of a second.

Examples
--------
>>> import numpy as np
>>> from imarray.digitize._kernels import band_distances
>>> value = np.array([[0.0, 1.0, 1.0, 1.0, 2.0]])
>>> boxes = np.array([[0, 1, 0, 5]]); bounds = np.array([[0.5, 1.5]])
>>> near, far, sided = band_distances(value, np.ones((1, 5), bool), boxes, bounds, np.array([0, 3]),
...                                   np.zeros(3, np.int64), np.arange(1, 4))
>>> near.tolist(), far.tolist(), sided.tolist()
([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [True])
"""

from __future__ import annotations

import threading

import numpy as np

from ._deps import need

numba = need("numba")

__all__ = [
    "band_distances", "bar_candidates", "border_reach", "clear_column_runs", "clear_runs", "components",
    "distinct_colours", "gather", "line_bumps", "nearest_colours", "patches", "piece_boxes", "refine_patches",
    "scratch_labels", "window_medians", "without_small",
]


def _compiled(function):
    """``numba.njit`` with its machine code cached on disk, or compiled in each process where numba finds no
    folder it may write its cache to (a read-only install with no writable home)."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)


#: "no source in this row" as a horizontal distance (int32); its square plus any row offset's fits an int64
_FAR = 1 << 30


#: band pixels look for their nearest sources first within this many pixels (rows and columns) of themselves
BAND_REACH = 64
#: ... on tiles of this many pixels a side around them
BAND_TILE = 16


@_compiled
def _row_distances(value, keep, y0, x0, marked, low, high, to_below, to_above):  # pragma: no cover - compiled
    """Per pixel of the window's ``marked`` tiles (``BAND_TILE`` pixels a side; the window's corner is
    ``(y0, x0)``): the horizontal distance to the nearest kept pixel below ``low`` (``to_below``) and above
    ``high`` (``to_above``) within the run of marked tiles along its row, ``_FAR`` where it has none.
    Returns whether the marked tiles hold pixels of both kinds."""
    height, width = to_below.shape
    any_below = any_above = False
    for r in range(height):
        tiles = marked[r // BAND_TILE]
        j = 0
        while j < tiles.size:
            if not tiles[j]:
                j += 1
                continue
            first = j
            while j < tiles.size and tiles[j]:
                j += 1
            start, stop = first * BAND_TILE, min(width, j * BAND_TILE)
            last_below = last_above = -_FAR
            seen, kept = value[y0 + r], keep[y0 + r]
            for c in range(start, stop):
                if kept[x0 + c]:
                    v = seen[x0 + c]
                    if v < low:
                        last_below = c
                        any_below = True
                    if v > high:
                        last_above = c
                        any_above = True
                to_below[r, c] = min(c - last_below, _FAR)
                to_above[r, c] = min(c - last_above, _FAR)
            last_below = last_above = 2 * _FAR
            for c in range(stop - 1, start - 1, -1):
                if to_below[r, c] == 0:
                    last_below = c
                if to_above[r, c] == 0:
                    last_above = c
                to_below[r, c] = min(to_below[r, c], last_below - c)
                to_above[r, c] = min(to_above[r, c], last_above - c)
    return any_below and any_above


@_compiled
def _nearest_squared(across, r, c, reach):  # pragma: no cover - compiled
    """Squared Euclidean distance from pixel ``(r, c)`` to the nearest source, given each pixel's horizontal
    distance to the nearest source of its row (``across``): rows are scanned outwards until their offset
    alone is farther than the best found, or ``reach`` rows away."""
    best = np.int64(across[r, c]) ** 2
    height = across.shape[0]
    dy = 1
    while dy * dy < best and dy <= reach and (r - dy >= 0 or r + dy < height):
        for row in (r - dy, r + dy):
            if 0 <= row < height:
                d = dy * dy + np.int64(across[row, c]) ** 2
                if d < best:
                    best = d
        dy += 1
    return best


@_compiled
def _tiles_near(rows, cols, y0, x0, height, width):  # pragma: no cover - compiled
    """The window's tiles within ``BAND_REACH`` pixels (rows and columns) of a band pixel."""
    grown = BAND_REACH // BAND_TILE  # tiles: every pixel within BAND_REACH of a tile lies this many tiles away
    tall, wide = (height + BAND_TILE - 1) // BAND_TILE, (width + BAND_TILE - 1) // BAND_TILE
    band = np.zeros((tall, wide), np.bool_)
    for t in range(rows.size):
        band[(rows[t] - y0) // BAND_TILE, (cols[t] - x0) // BAND_TILE] = True
    across = np.zeros((tall, wide), np.bool_)
    for i in range(tall):
        for j in range(wide):
            if band[i, j]:
                across[i, max(0, j - grown) : min(wide, j + grown + 1)] = True
    marked = np.zeros((tall, wide), np.bool_)
    for i in range(tall):
        for j in range(wide):
            if across[i, j]:
                marked[max(0, i - grown) : min(tall, i + grown + 1), j] = True
    return marked


@_compiled
def band_distances(value, keep, boxes, bounds, starts, rows, cols):  # pragma: no cover - compiled
    """Distances of band pixels to the data on either side of their band, exact, all patches in one call.

    Patch ``p`` has the pixels ``rows[starts[p]:starts[p+1]]``, ``cols[...]``
    (figure coordinates), its window ``boxes[p]`` = ``(y0, y1, x0, x1)`` and
    its value interval ``bounds[p]`` = ``(low, high)``. Inside the window, the
    sources are the ``keep`` pixels with ``value`` below ``low`` (for
    ``near``) and above ``high`` (for ``far``); each is the Euclidean
    distance (what ``scipy.ndimage.distance_transform_edt`` gives) from the
    band pixel to the nearest source.

    One pass along the rows finds every pixel's nearest source in its row;
    each band pixel then scans rows outwards. The pass covers first only the
    tiles of the window within ``BAND_REACH`` pixels of the band: a distance
    found there that is at most ``BAND_REACH`` is exact (a nearer source
    would lie on those tiles, in the same run of tiles along its row). A
    patch with a band pixel farther from either side, or a side missing from
    its tiles, is scanned again over its whole window. So a band costs its
    surroundings, not its window (a band curving across the field has a
    window of most of the field).

    Returns
    -------
    near, far
        float64 per band pixel (``inf`` in patches without sources on both sides).
    sided
        bool per patch: its window holds sources on both sides.
    """
    count = boxes.shape[0]
    near = np.full(rows.size, np.inf)
    far = np.full(rows.size, np.inf)
    sided = np.zeros(count, np.bool_)
    reach = BAND_REACH
    for p in range(count):
        y0, y1, x0, x1 = boxes[p, 0], boxes[p, 1], boxes[p, 2], boxes[p, 3]
        height, width = y1 - y0, x1 - x0
        low, high = bounds[p, 0], bounds[p, 1]
        first, last = starts[p], starts[p + 1]
        to_below = np.empty((height, width), np.int32)
        to_above = np.empty((height, width), np.int32)
        marked = _tiles_near(rows[first:last], cols[first:last], y0, x0, height, width)
        exact = _row_distances(value, keep, y0, x0, marked, low, high, to_below, to_above)
        if exact:
            for t in range(first, last):
                below = _nearest_squared(to_below, rows[t] - y0, cols[t] - x0, reach)
                above = _nearest_squared(to_above, rows[t] - y0, cols[t] - x0, reach)
                if below > reach * reach or above > reach * reach:
                    exact = False
                    break
                near[t], far[t] = np.sqrt(np.float64(below)), np.sqrt(np.float64(above))
        if not exact:  # the whole window
            marked[:] = True
            if not _row_distances(value, keep, y0, x0, marked, low, high, to_below, to_above):
                near[first:last] = np.inf
                far[first:last] = np.inf
                continue
            for t in range(first, last):
                near[t] = np.sqrt(np.float64(_nearest_squared(to_below, rows[t] - y0, cols[t] - x0, height)))
                far[t] = np.sqrt(np.float64(_nearest_squared(to_above, rows[t] - y0, cols[t] - x0, height)))
        sided[p] = True
    return near, far, sided


@_compiled
def _far(rgb, r, k, j, step, across):  # pragma: no cover - compiled
    """L1 colour difference of lines ``r`` and ``r + k`` at sample ``j``: rows at column ``j * step``, or
    columns at row ``j * step`` (``across``), of ``rgb`` (``(y, x, 3)`` uint8)."""
    y0, x0, y1, x1 = (j * step, r, j * step, r + k) if across else (r, j * step, r + k, j * step)
    return (abs(np.int16(rgb[y1, x1, 0]) - np.int16(rgb[y0, x0, 0]))
            + abs(np.int16(rgb[y1, x1, 1]) - np.int16(rgb[y0, x0, 1]))
            + abs(np.int16(rgb[y1, x1, 2]) - np.int16(rgb[y0, x0, 2])))


@_compiled
def _stands_out(rgb, near, r, size, j, step, across, contrast):  # pragma: no cover - compiled
    """Whether the band of ``size`` lines after line ``r`` stands out at sample ``j`` (see :func:`line_bumps`)."""
    if near[r, j] + near[r + size, j] - _far(rgb, r, size + 1, j, step, across) < contrast:
        return False
    half = contrast // 2
    for inner in range(size):
        if (_far(rgb, r, inner + 1, j, step, across) < half
                or _far(rgb, r + 1 + inner, size - inner, j, step, across) < half):
            return False
    return True


@_compiled
def _bump_counts(rgb, near, step, across, widest, contrast, least):  # pragma: no cover - compiled
    """``counts[size - 1, r]`` of :func:`line_bumps` for one direction, from ``near[r, j]``, the L1
    difference of lines ``r`` and ``r + 1`` at sample ``j``."""
    lines, samples = near.shape
    counts = np.zeros((widest, lines), np.int32)
    if least < 0:
        return counts
    # a + b >= contrast needs 2a >= contrast or 2b >= contrast: per line, the samples where its difference
    # is half the contrast bound the samples where it and another line can make a bump (smooth lines: none)
    steep = np.zeros(lines, np.int64)
    for r in range(lines):
        count = 0
        for j in range(samples):
            count += 2 * near[r, j] >= contrast
        steep[r] = count
    for size in range(1, widest + 1):
        if lines < size + 2:
            break
        for r in range(lines - size - 1):
            if steep[r] + steep[r + size] < least:
                continue
            bound = 0
            for j in range(samples):
                bound += near[r, j] + near[r + size, j] >= contrast
            if bound < least:
                continue
            count = 0
            for j in range(samples):
                if near[r, j] + near[r + size, j] >= contrast:
                    count += _stands_out(rgb, near, r, size, j, step, across, contrast)
            counts[size - 1, r] = count
    return counts


@_compiled
def _byte_differences(first, second, out):  # pragma: no cover - compiled
    """``out[b] = |first[b] - second[b]|`` over 1-D uint8 runs (contiguous: one vectorised loop)."""
    for b in range(out.size):
        out[b] = abs(np.int16(first[b]) - np.int16(second[b]))


@_compiled
def _pixel_sums(bytes_, out, step):  # pragma: no cover - compiled
    """``out[j]``: the sum of the three byte differences of pixel ``j * step`` (a constant stride when ``step``
    is 1, which the compiler vectorises)."""
    if step == 1:
        for j in range(out.size):
            out[j] = bytes_[3 * j] + bytes_[3 * j + 1] + bytes_[3 * j + 2]
    else:
        for j in range(out.size):
            b = 3 * j * step
            out[j] = bytes_[b] + bytes_[b + 1] + bytes_[b + 2]


@_compiled
def line_bumps(figure, y0, y1, x0, x1, row_step, column_step, widest, contrast, least_rows,
               least_columns):  # pragma: no cover - compiled
    """Per band width ``1..widest`` and first line: at how many sampled places a band of that many rows
    (columns) stands out from the rows (columns) on either side (see :mod:`~imarray.digitize.lines`), in the
    box ``y0:y1, x0:x1`` of ``figure`` (``(y, x, 3)`` uint8, C-ordered), read in place.

    Rows are sampled at every ``column_step``-th column, columns at every
    ``row_step``-th row. ``counts[size - 1, r - 1]`` is for the band of
    ``size`` lines starting at line ``r``. At one sample, with ``far(k, r)``
    the L1 colour difference of lines ``r`` and ``r + k``, the band stands out
    when ``far(1, r - 1) + far(1, r - 1 + size) - far(size + 1, r - 1)``
    reaches ``contrast`` and each of its lines differs by half that from the
    line before the band and from the line after it. The bump is at most
    ``far(1, r - 1) + far(1, r - 1 + size)``: the samples where that bound
    reaches ``contrast`` are counted first in one vectorised pass, and a band
    with fewer than ``least_rows`` (``least_columns``) of them (a smooth
    field's lines, almost all) is not looked at sample by sample; counts
    there are 0, as are all counts of a direction whose ``least`` is negative.
    The differences of neighbouring lines are taken byte by byte along the
    figure's rows (contiguous, vectorised), then summed per pixel.

    Returns
    -------
    along_rows, along_columns
        int32 ``(widest, y1 - y0)`` and ``(widest, x1 - x0)``.
    """
    height, width = y1 - y0, x1 - x0
    rgb = figure[y0:y1, x0:x1]
    flat = figure.reshape(figure.shape[0], figure.shape[1] * 3)
    down = np.zeros((height, (width + column_step - 1) // column_step), np.int16)  # rows y, y + 1; at most 765
    across = np.zeros((width, (height + row_step - 1) // row_step), np.int16)  # columns x, x + 1
    bytes_ = np.empty(3 * width, np.int16)
    if least_rows >= 0:
        for y in range(height - 1):
            _byte_differences(flat[y0 + y + 1, 3 * x0 : 3 * x1], flat[y0 + y, 3 * x0 : 3 * x1], bytes_)
            _pixel_sums(bytes_, down[y], column_step)
    if least_columns >= 0 and width > 1:
        for i in range(across.shape[1]):
            row = flat[y0 + i * row_step]
            part = bytes_[: 3 * (width - 1)]
            _byte_differences(row[3 * x0 + 3 : 3 * x1], row[3 * x0 : 3 * x1 - 3], part)
            _pixel_sums(part, across[: width - 1, i], 1)
    return (_bump_counts(rgb, down, column_step, False, widest, contrast, least_rows),
            _bump_counts(rgb, across, row_step, True, widest, contrast, least_columns))


#: slots of the small direct-mapped cache of recent colours in front of the 2**24-entry table
_RECENT = 4096


@_compiled
def distinct_colours(rgb, table):  # pragma: no cover - compiled
    """The distinct colours of ``rgb`` (``(y, x, 3)`` uint8, at least one pixel) as 24-bit codes
    (``r << 16 | g << 8 | b``), and each pixel's colour number, in one pass.

    At each change of colour along the rows (paper, flat cells and colormap
    entries come in runs) the colour's number is looked up in a small cache
    of recent colours, else in ``table`` (a zeroed int32 per 2**24 code,
    left zeroed again: it holds number + 1 while the call runs); a new colour
    gets the next number: colours are numbered in the order they are first
    met along the rows. No sort, no scan of the 2**24 table.

    Returns
    -------
    unique, counts
        The distinct codes, in the order first met, and how many pixels have each.
    index
        int32 per pixel: the index of its colour in ``unique``.
    """
    height, width = rgb.shape[0], rgb.shape[1]
    index = np.empty((height, width), np.int32)
    listed = np.empty(min(height * width, 1 << 24), np.int64)  # untouched pages cost nothing: no growing
    counts = np.empty(listed.size, np.intp)
    recent_code = np.full(_RECENT, -1, np.int64)
    recent_number = np.zeros(_RECENT, np.int32)
    n = 0
    previous, number, run = np.int64(-1), np.int32(0), 0
    for y in range(height):
        for x in range(width):
            code = (np.int64(rgb[y, x, 0]) << 16) | (np.int64(rgb[y, x, 1]) << 8) | np.int64(rgb[y, x, 2])
            if code != previous:
                if run:
                    counts[number] += run
                slot = (code ^ (code >> 11)) & (_RECENT - 1)
                if recent_code[slot] == code:
                    number = recent_number[slot]
                else:
                    if table[code] == 0:
                        listed[n] = code
                        counts[n] = 0
                        n += 1
                        table[code] = n
                    number = np.int32(table[code] - 1)
                    recent_code[slot], recent_number[slot] = code, number
                previous, run = code, 0
            index[y, x] = number
            run += 1
    counts[number] += run
    for k in range(n):
        table[listed[k]] = 0
    return listed[:n].astype(np.uint32), counts[:n].copy(), index


@_compiled
def bar_candidates(rgb, chroma, light, paper_tolerance):  # pragma: no cover - compiled
    """Per pixel of ``rgb`` (``(y, x, 3)`` uint8): ``colourful`` (channel spread at least ``chroma``) and
    ``candidate`` (colourful, or light neutral: every channel at least ``light`` and below ``255 -
    paper_tolerance``), in one pass (see :func:`~imarray.digitize.colorbar.find_colorbars`)."""
    height, width = rgb.shape[0], rgb.shape[1]
    candidate = np.empty((height, width), np.bool_)
    colourful = np.empty((height, width), np.bool_)
    for y in range(height):
        for x in range(width):
            r, g, b = rgb[y, x, 0], rgb[y, x, 1], rgb[y, x, 2]
            low = min(r, min(g, b))
            spread = max(r, max(g, b)) - low
            colourful[y, x] = spread >= chroma
            candidate[y, x] = spread >= chroma or (low >= light and low < 255 - paper_tolerance)
    return candidate, colourful


@_compiled
def nearest_colours(queries, colors, axis, order, key):  # pragma: no cover - compiled
    """Per row of ``queries`` (``(n, 3)`` uint8), the nearest rows of ``colors`` (``(m, 3)`` uint8, m >= 1)
    in Euclidean RGB distance: ``distance`` (float64), and ``lowest`` and ``highest`` (int64), the lowest and
    the highest index among the colours that near (the same index but for ties).

    ``order`` lists ``colors``' indices by ``key``, their projection on the
    unit vector ``axis`` (the direction they spread most along), ``key``
    ascending. Each query starts at its own projection in that list and
    walks both ways until the projections' difference alone exceeds the best
    distance found (it never exceeds the distance itself; a margin covers the
    rounding of the projections): exact, integer distances, a few dozen
    colours looked at per query.
    """
    n, m = queries.shape[0], order.size
    distance = np.empty(n, np.float64)
    lowest = np.empty(n, np.int64)
    highest = np.empty(n, np.int64)
    for i in range(n):
        r, g, b = np.int32(queries[i, 0]), np.int32(queries[i, 1]), np.int32(queries[i, 2])
        at = r * axis[0] + g * axis[1] + b * axis[2]
        lo, hi = 0, m  # first place with key >= at
        while lo < hi:
            mid = (lo + hi) // 2
            if key[mid] < at:
                lo = mid + 1
            else:
                hi = mid
        best, first, last = np.int32(1 << 30), m, -1
        for direction in (-1, 1):
            k = lo if direction == 1 else lo - 1
            while 0 <= k < m:
                apart = key[k] - at
                if apart * apart > best + 1e-6 * (best + 1):
                    break
                j = order[k]
                dr = np.int32(colors[j, 0]) - r
                dg = np.int32(colors[j, 1]) - g
                db = np.int32(colors[j, 2]) - b
                d = dr * dr + dg * dg + db * db
                if d < best:
                    best, first, last = d, j, j
                elif d == best:
                    first, last = min(first, j), max(last, j)
                k += direction
        distance[i] = np.sqrt(np.float64(best))
        lowest[i], highest[i] = first, last
    return distance, lowest, highest


@_compiled
def gather(per_colour, index):  # pragma: no cover - compiled
    """``per_colour[index]`` for a 2-D ``index`` (any strides: a window of the figure), C-ordered."""
    out = np.empty(index.shape, per_colour.dtype)
    for y in range(index.shape[0]):
        for x in range(index.shape[1]):
            out[y, x] = per_colour[index[y, x]]
    return out


@_compiled
def _root(parent, i):  # pragma: no cover - compiled
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@_compiled
def patches(pos, color, width):  # pragma: no cover - compiled
    """4-connected pieces of one colour among pixels at flat positions ``pos`` (ascending) of an image
    ``width`` wide, with colours ``color``: a piece number per pixel (numbered in order of their first
    pixel) and the count. Union-find over right and lower neighbours, found by a second pointer into
    ``pos`` one row ahead."""
    n = pos.size
    parent = np.arange(n)
    ahead = 0
    for i in range(n):
        if i + 1 < n and pos[i + 1] == pos[i] + 1 and (pos[i] + 1) % width != 0 and color[i + 1] == color[i]:
            a, b = _root(parent, i), _root(parent, i + 1)
            if a != b:
                parent[max(a, b)] = min(a, b)
        while ahead < n and pos[ahead] < pos[i] + width:
            ahead += 1
        if ahead < n and pos[ahead] == pos[i] + width and color[ahead] == color[i]:
            a, b = _root(parent, i), _root(parent, ahead)
            if a != b:
                parent[max(a, b)] = min(a, b)
    label = np.empty(n, np.int64)
    count = 0
    for i in range(n):
        root = _root(parent, i)
        if root == i:
            label[i] = count
            count += 1
        else:
            label[i] = label[root]
    return label, count


@_compiled
def _pieces(mask):  # pragma: no cover - compiled
    """The runs of True along the rows of the 2-D bool ``mask`` (any strides) and the 4-connected piece of each.

    A run joins every run of the row above that it overlaps by a column
    (union-find, the earlier run staying the root), so a piece's root is its
    first run along the rows, and pieces are numbered from 1 in the order of
    their first pixel, as ``scipy.ndimage.label`` numbers them.

    Returns
    -------
    row, start, stop
        Each run's row and columns ``[start, stop)``, in order along the rows.
    piece
        Each run's piece number (1..count).
    count
        The number of pieces.
    """
    height, width = mask.shape
    most = height * ((width + 1) // 2)  # a run needs a gap after it
    row = np.empty(most, np.int64)
    start = np.empty(most, np.int64)
    stop = np.empty(most, np.int64)
    parent = np.empty(most, np.int64)
    n = 0
    above = 0  # first run of the row above
    for y in range(height):
        first = n
        x = 0
        while x < width:
            if not mask[y, x]:
                x += 1
                continue
            x0 = x
            while x < width and mask[y, x]:
                x += 1
            row[n], start[n], stop[n], parent[n] = y, x0, x, n
            while above < first and stop[above] <= x0:  # runs above ending before this one cannot touch it
                above += 1
            k = above
            while k < first and start[k] < x:
                a, b = _root(parent, k), _root(parent, n)
                if a < b:
                    parent[b] = a
                elif b < a:
                    parent[a] = b
                k += 1
            n += 1
        above = first
    piece = np.zeros(n, np.int64)
    count = 0
    for k in range(n):
        root = _root(parent, k)
        if root == k:
            count += 1
            piece[k] = count
        else:
            piece[k] = piece[root]  # a root comes before the runs joined to it: numbered already
    return row[:n], start[:n], stop[:n], piece, count


def components(mask, out=None):
    """4-connected pieces of True in the 2-D bool ``mask`` (any strides), numbered from 1 in the order of
    their first pixel along the rows (what ``scipy.ndimage.label`` gives), from the runs along the rows.

    ``out``: an int32 array of ``mask``'s shape to write the labels into (every pixel is written), e.g.
    :func:`scratch_labels` where the labels are used before the next call: a fresh 2 MP label image costs
    more in first touches of its memory than the labelling itself.

    Returns
    -------
    labels
        int32 per pixel, 0 off ``mask`` (``out`` if given).
    boxes
        ``(count, 4)`` int64: ``y0, y1, x0, x1`` of each piece (stops exclusive), piece ``n`` in row ``n - 1``.
    sizes
        int64 pixels per piece.
    """
    labels = np.empty(mask.shape, np.int32) if out is None else out
    boxes, sizes = _label_into(mask, labels)
    return labels, boxes, sizes


_SCRATCH = threading.local()
#: the largest label image kept for reuse (pixels; 16 MB): a larger figure's labels are allocated each time
#: rather than held by the thread after the call
SCRATCH_PIXELS = 1 << 22


def scratch_labels(shape: tuple[int, int]) -> np.ndarray:
    """An int32 array of ``shape`` over this thread's reused buffer (grown as needed, up to
    ``SCRATCH_PIXELS``): for labels used and dropped before the next call on the thread."""
    size = int(np.prod(shape))
    if size > SCRATCH_PIXELS:
        return np.empty(shape, np.int32)
    buffer = getattr(_SCRATCH, "labels", None)
    if buffer is None or buffer.size < size:
        buffer = _SCRATCH.labels = np.empty(size, np.int32)
    return buffer[:size].reshape(shape)


@_compiled
def _piece_stats(height, width, row, start, stop, piece, count):  # pragma: no cover - compiled
    """Per piece (of :func:`_pieces`' runs): ``boxes`` ``(count, 4)`` (``y0, y1, x0, x1``, stops exclusive),
    ``sizes`` and ``first``, ``(count, 2)``: its first pixel ``(y, x)`` along the rows."""
    boxes = np.empty((count, 4), np.int64)
    boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3] = height, 0, width, 0
    sizes = np.zeros(count, np.int64)
    first = np.full((count, 2), -1, np.int64)
    for k in range(row.size):
        p = piece[k] - 1
        y, x0, x1 = row[k], start[k], stop[k]
        if first[p, 0] < 0:
            first[p, 0], first[p, 1] = y, x0
        sizes[p] += x1 - x0
        boxes[p, 0] = min(boxes[p, 0], y)
        boxes[p, 1] = max(boxes[p, 1], y + 1)
        boxes[p, 2] = min(boxes[p, 2], x0)
        boxes[p, 3] = max(boxes[p, 3], x1)
    return boxes, sizes, first


@_compiled
def _label_into(mask, labels):  # pragma: no cover - compiled
    """:func:`components` into ``labels`` (int32, ``mask``'s shape, every pixel written): boxes and sizes."""
    height, width = mask.shape
    row, start, stop, piece, count = _pieces(mask)
    k = 0
    for y in range(height):
        x = 0
        while k < row.size and row[k] == y:
            for gap in range(x, start[k]):
                labels[y, gap] = 0
            for run in range(start[k], stop[k]):
                labels[y, run] = piece[k]
            x = stop[k]
            k += 1
        for gap in range(x, width):
            labels[y, gap] = 0
    boxes, sizes, _ = _piece_stats(height, width, row, start, stop, piece, count)
    return boxes, sizes


@_compiled
def piece_boxes(mask):  # pragma: no cover - compiled
    """The 4-connected pieces of True in the 2-D bool ``mask`` (numbered as :func:`components` numbers them)
    without a label per pixel: ``boxes`` ``(count, 4)`` (``y0, y1, x0, x1``, stops exclusive), ``sizes`` and
    ``first``, ``(count, 2)``: each piece's first pixel ``(y, x)`` along the rows."""
    height, width = mask.shape
    return _piece_stats(height, width, *_pieces(mask))


@_compiled
def _runs_of(height, width, row, start, stop, piece, chosen):  # pragma: no cover - compiled
    """bool ``(height, width)``: True on the runs whose piece is ``chosen`` (a bool per piece, from 1)."""
    out = np.zeros((height, width), np.bool_)
    for k in range(row.size):
        if chosen[piece[k]]:
            for x in range(start[k], stop[k]):
                out[row[k], x] = True
    return out


@_compiled
def without_small(mask, least):  # pragma: no cover - compiled
    """A copy of the 2-D bool ``mask`` without its 4-connected pieces of fewer than ``least`` pixels."""
    height, width = mask.shape
    row, start, stop, piece, count = _pieces(mask)
    _, sizes, _ = _piece_stats(height, width, row, start, stop, piece, count)
    large = np.zeros(count + 1, np.bool_)
    large[1:] = sizes >= least
    return _runs_of(height, width, row, start, stop, piece, large)


@_compiled
def _clear_side(lines, y, x0, x1, clear):  # pragma: no cover - compiled
    """Whether row ``y - clear`` or ``y + clear`` of ``lines`` (2-D bool; the transpose for columns) is off the
    image or True at most at half of the columns ``x0:x1``."""
    height = lines.shape[0]
    for side in (y - clear, y + clear):
        if side < 0 or side >= height:
            return True
        ink = 0
        for k in range(x0, x1):
            ink += lines[side, k]
        if 2 * ink <= x1 - x0:
            return True
    return False


@_compiled
def _triples(first, second, third):  # pragma: no cover - compiled
    """Three equal lists of ints as the rows of an ``(n, 3)`` int64 array."""
    found = np.empty((len(first), 3), np.int64)
    for k in range(len(first)):
        found[k, 0], found[k, 1], found[k, 2] = first[k], second[k], third[k]
    return found


@_compiled
def clear_runs(lines, length, clear):  # pragma: no cover - compiled
    """``(row, start, stop)`` of each run of True along the rows of the 2-D bool ``lines`` (C-ordered) at
    least ``length`` long and with a clear side: ``clear`` rows above or below it (off the image counts as
    clear), at most half of its columns are True. In order of rows, then starts. A frame's spine has paper
    on its outer side; the dark parts of a field are thick.

    Rows with fewer than ``length`` True pixels in all (most: a figure's
    lines, not its text) are counted in a vectorised pass and not scanned.
    """
    height, width = lines.shape
    rows, starts, stops = [], [], []
    for y in range(height):
        total = 0
        for x in range(width):
            total += lines[y, x]
        if total < length:
            continue
        x0 = -1
        for x in range(width + 1):
            if x < width and lines[y, x]:
                if x0 < 0:
                    x0 = x
            elif x0 >= 0:
                if x - x0 >= length and _clear_side(lines, y, x0, x, clear):
                    rows.append(y)
                    starts.append(x0)
                    stops.append(x)
                x0 = -1
    return _triples(rows, starts, stops)


@_compiled
def clear_column_runs(lines, length, clear):  # pragma: no cover - compiled
    """``(column, start, stop)`` of each run of True down the columns of the 2-D bool ``lines`` (C-ordered)
    at least ``length`` long and with a clear side: ``clear`` columns left or right of it (off the image
    counts as clear), at most half of its rows are True. In order of columns, then starts (see
    :func:`clear_runs` for the rows).

    One pass along the rows keeps each column's run length (vectorised: no
    branch per pixel); a row where a long run ends is looked at again.
    """
    height, width = lines.shape
    run = np.zeros(width, np.int32)
    columns, starts, stops = [], [], []
    for y in range(height + 1):
        ended = 0
        if y < height:
            for x in range(width):
                ended |= (run[x] >= length) & (lines[y, x] == 0)
        else:
            for x in range(width):
                ended |= run[x] >= length
        if ended:
            for x in range(width):
                ends = run[x] >= length and (y == height or not lines[y, x])
                if ends and _clear_side(lines.T, x, y - run[x], y, clear):
                    columns.append(x)
                    starts.append(y - run[x])
                    stops.append(y)
        if y < height:
            for x in range(width):
                run[x] = (run[x] + 1) * lines[y, x]
    found = _triples(columns, starts, stops)
    return found[np.argsort(found[:, 0] * (height + 1) + found[:, 1], kind="mergesort")]


@_compiled
def border_reach(mask):  # pragma: no cover - compiled
    """bool per pixel: True where ``mask`` (2-D bool) is True and 4-connected through it to the image's border."""
    height, width = mask.shape
    row, start, stop, piece, count = _pieces(mask)
    touches = np.zeros(count + 1, np.bool_)
    for k in range(row.size):
        if row[k] == 0 or row[k] == height - 1 or start[k] == 0 or stop[k] == width:
            touches[piece[k]] = True
    return _runs_of(height, width, row, start, stop, piece, touches)


@_compiled
def refine_patches(value, keep, index, is_run, entry, low, high):  # pragma: no cover - compiled
    """The run refinement of :func:`~imarray.digitize.lookup.refine_runs` in one call: a copy of ``value``
    where each kept pixel of a run colour (``is_run[index]``) is placed in its entry's interval ``low``-``high``
    (per colour: ``entry[index]``) by its distances to the data on either side of its patch.

    The run pixels are listed along the rows, joined into 4-connected patches
    of one colour (:func:`patches`), grouped by patch (a counting sort,
    row-major within each), given each patch's window (its box widened by two
    pixels) and measured by :func:`band_distances`; a patch with data on one
    side only keeps its values.
    """
    height, width = value.shape
    out = value.copy()
    n = 0
    for y in range(height):
        for x in range(width):
            n += keep[y, x] and is_run[index[y, x]]
    if n == 0:
        return out
    pos = np.empty(n, np.int64)
    color = np.empty(n, np.int64)
    n = 0
    for y in range(height):
        for x in range(width):
            if keep[y, x] and is_run[index[y, x]]:
                pos[n] = y * width + x
                color[n] = index[y, x]
                n += 1
    patch, count = patches(pos, color, width)
    starts = np.zeros(count + 1, np.int64)
    for i in range(n):
        starts[patch[i] + 1] += 1
    for p in range(count):
        starts[p + 1] += starts[p]
    order = np.empty(n, np.int64)
    filled = starts[:-1].copy()
    for i in range(n):
        order[filled[patch[i]]] = i
        filled[patch[i]] += 1
    rows = np.empty(n, np.int64)
    cols = np.empty(n, np.int64)
    for k in range(n):
        rows[k], cols[k] = divmod(pos[order[k]], width)
    windows = np.empty((count, 4), np.int64)
    bounds = np.empty((count, 2), np.float64)
    for p in range(count):
        y0, y1, x0, x1 = height, -1, width, -1
        for k in range(starts[p], starts[p + 1]):
            y0, y1 = min(y0, rows[k]), max(y1, rows[k])
            x0, x1 = min(x0, cols[k]), max(x1, cols[k])
        windows[p, 0], windows[p, 1] = max(y0 - 2, 0), min(y1 + 3, height)
        windows[p, 2], windows[p, 3] = max(x0 - 2, 0), min(x1 + 3, width)
        e = entry[color[order[starts[p]]]]
        bounds[p, 0], bounds[p, 1] = low[e], high[e]
    near, far, sided = band_distances(value, keep, windows, bounds, starts, rows, cols)
    for k in range(n):
        i = order[k]
        if sided[patch[i]]:
            e = entry[color[i]]
            share = (near[k] - 0.5) / (near[k] + far[k] - 1)  # edges half a pixel out
            y, x = divmod(pos[i], width)
            out[y, x] = low[e] + (high[e] - low[e]) * share
    return out


@_compiled
def window_medians(data, keep, size):  # pragma: no cover - compiled
    """Per ``keep`` pixel, the median of the non-NaN ``data`` in the ``size`` x ``size`` window around it
    (rows ``y - size // 2`` to ``y - size // 2 + size - 1``, columns likewise)
    (what ``np.nanmedian`` gives: the mean of the two middle values for an even count); NaN elsewhere and
    where the window holds no data. The window's values are sorted by insertion (at most ``size**2``)."""
    height, width = data.shape
    r = size // 2
    out = np.full((height, width), np.nan)
    values = np.empty(size * size)
    for y in range(height):
        for x in range(width):
            if not keep[y, x]:
                continue
            n = 0
            for yy in range(max(0, y - r), min(height, y - r + size)):
                for xx in range(max(0, x - r), min(width, x - r + size)):
                    v = data[yy, xx]
                    if v == v:  # not NaN
                        k = n
                        while k > 0 and values[k - 1] > v:
                            values[k] = values[k - 1]
                            k -= 1
                        values[k] = v
                        n += 1
            if n:
                out[y, x] = values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2.0
    return out
