"""Fewer points that still describe the field, and the field back from them.

``reduce(values, method="uniform")`` (the default) keeps data pixels on a
regular grid; ``method="clusters"`` keeps one pixel per connected region of
zero gradient (the flat patches a colormap makes), nearest its centroid: the
recipe's gradient + DBSCAN idea, as connected components.
``reconstruct(points, shape)`` interpolates them back onto the grid.

Examples
--------
>>> field = np.add.outer(np.arange(40.0), np.arange(60.0))
>>> points = reduce(field, n=100)
>>> back = reconstruct(points, field.shape)
>>> len(points) <= 100, bool(np.allclose(back[5:-5, 5:-5], field[5:-5, 5:-5]))  # exact inside the points' hull
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import InvalidOptionError
from ._deps import need

__all__ = ["Points", "reconstruct", "reduce"]


@dataclass(frozen=True)
class Points:
    """Pixel rows ``y``, columns ``x`` and the ``value`` at each."""

    y: np.ndarray
    x: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.value)


def _uniform(values: np.ndarray, valid: np.ndarray, n: int) -> Points:
    rows, cols = np.nonzero(valid)
    if rows.size <= n:
        return Points(rows, cols, values[rows, cols])
    # a grid point on a masked pixel moves to the nearest data pixel within half a step
    distance, (near_y, near_x) = need("scipy.ndimage").distance_transform_edt(~valid, return_indices=True)
    step = np.sqrt(rows.size / n)
    for _ in range(8):  # masked areas hold no points: widen or narrow the grid until n fit
        # grid lines on the first and last rows and columns, so interpolation covers the edges too
        gy = np.rint(np.linspace(rows.min(), rows.max(), max(2, round(np.ptp(rows) / step) + 1))).astype(int)
        gx = np.rint(np.linspace(cols.min(), cols.max(), max(2, round(np.ptp(cols) / step) + 1))).astype(int)
        yy, xx = np.meshgrid(gy, gx, indexing="ij")
        hit = distance[yy, xx] <= step / 2
        if hit.sum() <= n:
            break
        step *= np.sqrt(hit.sum() / n) * 1.001
    snapped = np.unique(np.column_stack([near_y[yy[hit], xx[hit]], near_x[yy[hit], xx[hit]]]), axis=0)
    y, x = snapped[:, 0], snapped[:, 1]
    return Points(y, x, values[y, x])


def _clusters(values: np.ndarray, valid: np.ndarray, n: int | None) -> Points:
    ndimage = need("scipy.ndimage")
    # zero forward gradient along y and x, as the recipe's np.diff (NaN equals nothing; the last row
    # and column have no forward neighbour), and 4-connected regions: DBSCAN with eps=1 on the grid
    flat = np.zeros_like(valid)
    flat[:-1, :-1] = (values[1:, :-1] == values[:-1, :-1]) & (values[:-1, 1:] == values[:-1, :-1])
    labels, count = ndimage.label(flat)
    if count == 0:
        return Points(np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    index = np.arange(1, count + 1)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    if n is not None and count > n:
        index = index[np.argsort(sizes)[::-1][:n]]
    centres = np.asarray(ndimage.center_of_mass(flat, labels, index))
    rows, cols = np.indices(values.shape)
    # the member pixel nearest each centroid (a curved patch's centroid may lie outside it)
    centre_y = np.zeros(count + 1)
    centre_x = np.zeros(count + 1)
    centre_y[index], centre_x[index] = centres[:, 0], centres[:, 1]
    far = (rows - centre_y[labels]) ** 2 + (cols - centre_x[labels]) ** 2
    positions = np.asarray(ndimage.minimum_position(far, labels, index))
    y, x = positions[:, 0], positions[:, 1]
    return Points(y, x, values[y, x])


def reduce(values: np.ndarray, method: Literal["uniform", "clusters"] = "uniform", n: int | None = None) -> Points:
    """Pick points that describe ``values`` (2D float, NaN where there is no data).

    Parameters
    ----------
    method
        ``"uniform"``: a regular grid of about ``n`` data pixels (default
        ``n``: one per 100 data pixels). ``"clusters"``: one pixel per
        4-connected region of zero gradient (the recipe's DBSCAN on a grid), the ``n`` largest
        regions if ``n`` is given.
    """
    values = np.asarray(values, np.float64)
    if values.ndim != 2:
        raise InvalidOptionError(f"reduce takes a 2D field (rows, columns), got shape {values.shape}",
                                 hint="pass result.values of a digitize result, or one 2D plane")
    if method not in ("uniform", "clusters"):
        raise InvalidOptionError(f"method must be 'uniform' or 'clusters', got {method!r}", hint="use 'uniform'")
    if n is not None and not (isinstance(n, int | np.integer) and not isinstance(n, bool) and n >= 1):
        raise InvalidOptionError(f"n must be a whole number of points >= 1, got {n!r}",
                                 hint="pass e.g. n=500, or leave it out (one point per 100 data pixels)")
    valid = np.isfinite(values)
    if method == "uniform":
        return _uniform(values, valid, max(1, int(valid.sum()) // 100) if n is None else int(n))
    return _clusters(values, valid, n)


def reconstruct(points: Points, shape: tuple[int, int], method: Literal["linear", "cubic"] = "linear") -> np.ndarray:
    """Interpolate ``points`` onto a ``shape`` grid; outside their hull, the nearest point's value.

    Points that span no area (all on one row, column or line) have no hull:
    every pixel then takes the nearest point's value.
    """
    interpolate = need("scipy.interpolate")
    try:
        sizes: tuple[int, ...] = tuple(int(v) for v in shape)
    except (TypeError, ValueError):
        sizes = ()
    if len(sizes) != 2 or min(sizes) < 1:
        raise InvalidOptionError("shape must be two positive integers (rows, columns)",
                                 hint="pass result.values.shape")
    shape = (sizes[0], sizes[1])
    if method not in ("linear", "cubic"):
        raise InvalidOptionError(f"method must be 'linear' or 'cubic', got {method!r}", hint="use 'linear'")
    if len(points) == 0:
        return np.full(shape, np.nan)
    known = np.column_stack([points.y, points.x]).astype(np.float64)
    grid = tuple(np.indices(shape, dtype=np.float64))
    if len(points) < 4 or np.linalg.matrix_rank(known - known.mean(axis=0)) < 2:  # no hull to interpolate in
        return interpolate.griddata(known, points.value, grid, method="nearest")
    out = interpolate.griddata(known, points.value, grid, method=method)
    hole = np.isnan(out)
    if hole.any():
        out[hole] = interpolate.griddata(known, points.value, tuple(g[hole] for g in grid), method="nearest")
    return out
