"""Thin straight lines across the plot: grid lines, cell edges (heatmaps, ``pcolormesh(edgecolors=...)``).

A line drawn across a field along a row is a band of one to
``MAX_WIDTH`` rows in which every pixel is blended towards the line's colour
by the same share (antialiasing coverage is constant along an axis-aligned
line). Against the rows just outside the band it is a bump: with ``a`` the
row above and ``b`` the row below, ``|band_top - a| + |band_bottom - b| -
|a - b|`` is large, where a smooth field gives about zero and a step
between two cells (no line) exactly zero. A band is a line when that bump
stands out (``CONTRAST``) at most of the box's columns (``SHARE``), or at
some of them (``WEAK_SHARE``) with one colour along nearly all of it (a
grey grid over a gray map stands out only where the field differs); its
pixels are not data, whatever colour the line has (white edges over RdBu's
white middle, grey grid over gray). If more than ``MAX_LINES_SHARE`` of the
rows would be lines, the field itself is that busy and nothing is masked.

The test runs on at most ``SAMPLES`` columns spread over the box (rows) and
as many rows (columns), in one compiled pass over the pixels in place
(:func:`~imarray.digitize._kernels.line_bumps`), a fraction of a millisecond on any figure.

Examples
--------
>>> rgb = np.zeros((40, 50, 3), np.uint8)
>>> rgb[..., 0] = np.linspace(0, 200, 50).astype(np.uint8)  # a smooth ramp
>>> rgb[10] = rgb[30] = 255  # two white grid lines
>>> rows, cols = line_bands(rgb)
>>> np.flatnonzero(rows).tolist(), int(cols.sum())
([10, 30], 0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["fill_lines", "line_bands", "line_mask"]

#: widest line band (pixels): a 2 pt line at 100 dpi with its antialiased rows
MAX_WIDTH = 4
#: L1 colour difference (0-765) of the bump a line makes at one column
CONTRAST = 24
#: share of the columns at which a band must stand out to be a line
SHARE = 0.6
#: a band standing out at WEAK_SHARE of the columns is a line if ONE_COLOUR of its pixels have one colour
WEAK_SHARE = 0.2
ONE_COLOUR = 0.8
#: lines shorter than this (a box this narrow) are not looked for: too few pixels to tell a line from data
MIN_LENGTH = 16
#: the most columns (rows) the test looks at
SAMPLES = 256
#: when more rows (columns) than this share would be lines, the field is busy, not ruled: nothing is masked
MAX_LINES_SHARE = 0.2


def _least(samples: int) -> int:
    """The fewest of ``samples`` places at which a band can make a line (a weak one); -1 when there are too
    few places to tell a line from data."""
    if samples < MIN_LENGTH:
        return -1
    return int(np.searchsorted(np.arange(samples + 1) / samples, WEAK_SHARE))


def _flag(counts: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """bool per line (row, or column): inside a line band, from the band counts of one direction of
    :func:`~imarray.digitize._kernels.line_bumps` and the sampled pixels ``samples`` (``(lines, n, 3)``)."""
    lines = counts.shape[1]
    flagged = np.zeros(lines, np.bool_)
    share = counts / samples.shape[1]
    line = share >= SHARE
    weak = (share >= WEAK_SHARE) & ~line
    if weak.any():  # a line of one colour (a grey grid over gray) stands out only where the field differs from it
        rows = np.unique(np.nonzero(weak)[1])
        band = samples[rows + 1].astype(np.int16)  # each band's first line, at the sampled places
        mode = np.median(band, axis=1, keepdims=True)
        uniform = np.zeros(lines, np.bool_)
        uniform[rows] = (np.abs(band - mode).max(axis=2) <= 2).mean(axis=1) >= ONE_COLOUR
        line |= weak & uniform
    for size in range(1, MAX_WIDTH + 1):  # the band of `size` lines from line r + 1 (r < lines - size - 1)
        for inner in range(size):
            flagged[1 + inner :] |= line[size - 1, : max(lines - 1 - inner, 0)]
    if flagged.mean() > MAX_LINES_SHARE:
        return np.zeros(lines, np.bool_)
    return flagged


def line_bands(rgb: np.ndarray, box: tuple[int, int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (bool per row, per column) of ``rgb`` (or of its ``box`` ``(y0, y1, x0, x1)``)
    covered by straight lines across it.

    Both directions come from one compiled pass over the pixels in place
    (:func:`~imarray.digitize._kernels.line_bumps`), at most ``SAMPLES``
    columns (rows) looked at.
    """
    y0, y1, x0, x1 = (0, rgb.shape[0], 0, rgb.shape[1]) if box is None else box
    height, width = y1 - y0, x1 - x0
    if height < 3 or width < 3:
        return np.zeros(height, np.bool_), np.zeros(width, np.bool_)
    row_step, column_step = max(1, height // SAMPLES), max(1, width // SAMPLES)
    from ._kernels import line_bumps

    figure = np.ascontiguousarray(rgb)
    window = figure[y0:y1, x0:x1]
    across_columns = window[:, ::column_step]  # the samples of each row, and of each column
    across_rows = window[::row_step].transpose(1, 0, 2)
    rows, columns = line_bumps(figure, y0, y1, x0, x1, row_step, column_step, MAX_WIDTH, CONTRAST,
                               _least(across_columns.shape[1]), _least(across_rows.shape[1]))
    return _flag(rows, across_columns), _flag(columns, across_rows)


def true_runs(flags: np.ndarray) -> np.ndarray:
    """``[start, stop)`` of each run of True in the 1-D ``flags``, as an ``(n, 2)`` array.

    >>> true_runs(np.array([0, 1, 1, 0, 1], bool)).tolist()
    [[1, 3], [4, 5]]
    """
    return np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))).reshape(-1, 2)


def line_mask(rgb: np.ndarray) -> np.ndarray:
    """bool per pixel of ``rgb``: on a straight line across it (grid line, cell edge) or its antialiased rows."""
    rows, cols = line_bands(rgb)
    return rows[:, None] | cols[None, :]


def _fill_axis(values: np.ndarray, keep: np.ndarray, lines: np.ndarray) -> None:
    """Fill the rows flagged in ``lines`` (bool per row) by linear interpolation between the kept rows around."""
    for start, stop in true_runs(lines):
        if start == 0 or stop == len(lines):
            continue  # a line at the box's edge has one side only
        above, below = values[start - 1], values[stop]
        both = keep[start - 1] & keep[stop]
        for offset, row in enumerate(range(start, stop), start=1):
            share = offset / (stop - start + 1)
            fill = both & ~keep[row]
            values[row, fill] = (above + (below - above) * share)[fill]
            keep[row, fill] = True


def fill_lines(values: np.ndarray, keep: np.ndarray, rows: np.ndarray,
               cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values under line bands interpolated from the data on both sides (rows first, then columns).

    Only pixels with data on both sides of their band are filled; crossings of
    a row line and a column line are filled from the filled rows.

    Examples
    --------
    >>> v = np.array([[0.0, 0.0], [np.nan, np.nan], [1.0, 1.0]])
    >>> out, kept = fill_lines(v, ~np.isnan(v), np.array([False, True, False]), np.zeros(2, bool))
    >>> out[1].tolist(), bool(kept.all())
    ([0.5, 0.5], True)
    """
    values, keep = values.copy(), keep.copy()
    _fill_axis(values, keep, rows)
    _fill_axis(values.T, keep.T, cols)
    return values, keep
