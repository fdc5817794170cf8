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
as many rows (columns), in one compiled pass (:func:`~imarray.digitize._kernels.line_bumps`),
so it costs about a millisecond on any figure.

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


def _bands_along_rows(rgb: np.ndarray) -> np.ndarray:
    """bool per row: inside a line band running along the rows."""
    height, width = rgb.shape[:2]
    flagged = np.zeros(height, np.bool_)
    if height < 3 or width < MIN_LENGTH:
        return flagged
    step = max(1, width // SAMPLES)
    from ._kernels import line_bumps, sample_columns

    planes = sample_columns(rgb, step)  # (3, rows, columns) int16
    columns = planes.shape[2]
    least = int(np.searchsorted(np.arange(columns + 1) / columns, WEAK_SHARE))  # fewer never make a line
    counts = line_bumps(planes, MAX_WIDTH, CONTRAST, least)  # [size - 1, r]: columns where rows r+1.. stand out
    share = counts / columns
    line = share >= SHARE
    weak = (share >= WEAK_SHARE) & ~line
    if weak.any():  # a line of one colour (a grey grid over gray) stands out only where the field differs from it
        rows = np.unique(np.nonzero(weak)[1])
        band = planes[:, rows + 1].transpose(1, 2, 0)  # each band's first row, at the sampled columns
        mode = np.median(band, axis=1, keepdims=True)
        uniform = np.zeros(height, np.bool_)
        uniform[rows] = (np.abs(band - mode).max(axis=2) <= 2).mean(axis=1) >= ONE_COLOUR
        line |= weak & uniform
    for size in range(1, MAX_WIDTH + 1):  # the band of `size` rows from row r + 1 (r < height - size - 1)
        for inner in range(size):
            flagged[1 + inner :] |= line[size - 1, : height - 1 - inner]
    if flagged.mean() > MAX_LINES_SHARE:
        return np.zeros(height, np.bool_)
    return flagged


def line_bands(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (bool per row, per column) of ``rgb`` covered by straight lines across it."""
    return _bands_along_rows(rgb), _bands_along_rows(rgb.transpose(1, 0, 2))


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
