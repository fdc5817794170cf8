"""Per-colour lookup: each distinct colour of a figure is matched once, not each pixel.

A figure of a million pixels holds a few thousand distinct colours. The RGB
triples are packed into 24-bit integers, made distinct (with the inverse
index back to the pixels), and only the distinct colours are matched against
the colour model's KD-tree.

Examples
--------
>>> from imarray.digitize.colormap import from_cmap
>>> model = from_cmap("viridis", 0, 1)
>>> rgb = model.colors[[0, -1, 127]].reshape(1, 3, 3)
>>> found = lookup(rgb, model)
>>> found.value.round(3).tolist(), found.distance.tolist()
([[0.002, 0.998, 0.502]], [[0.0, 0.0, 0.0]])
"""

from __future__ import annotations

import threading
from functools import cached_property

import numpy as np

from ._deps import need
from .colormap import ColorModel, pack

__all__ = ["Lookup", "distinct_colors", "lookup", "refine_runs"]

# from this many pixels on, a sort plus a 2**24 index table beats np.unique's argsort
_DENSE_FROM = 1 << 17
_SCRATCH = threading.local()


class Lookup:
    """Per pixel: the value, the RGB distance to the matched colour, and its ambiguity.

    The match is made once per distinct colour (``colors``, ``colors_count``
    pixels, matched to model entry ``colors_entry``, with ``colors_value``,
    ``colors_distance``, ``colors_ambiguous``); ``index`` maps each pixel to
    its colour, and the per-pixel arrays are gathered on first access.
    """

    def __init__(self, colors: np.ndarray, counts: np.ndarray, index: np.ndarray, entry: np.ndarray,
                 value: np.ndarray, distance: np.ndarray, ambiguous: np.ndarray) -> None:
        self.colors = colors
        self.colors_count = counts
        self.index = index
        self.colors_entry = entry
        self.colors_value = value
        self.colors_distance = distance
        self.colors_ambiguous = ambiguous

    @cached_property
    def value(self) -> np.ndarray:
        """float64 value per pixel."""
        return self.colors_value[self.index]

    @cached_property
    def distance(self) -> np.ndarray:
        """float32 Euclidean RGB distance (0-255 scale) per pixel to the matched colour."""
        return self.colors_distance[self.index]

    @cached_property
    def ambiguous(self) -> np.ndarray:
        """bool per pixel: the matched colour stands for several colormap entries."""
        return self.colors_ambiguous[self.index]

    def value_within(self, threshold: float) -> np.ndarray:
        """float64 value per pixel, NaN where the colour is farther than ``threshold`` (one gather)."""
        return np.where(self.colors_distance <= threshold, self.colors_value, np.nan)[self.index]

    def where(self, keep_colors: np.ndarray) -> np.ndarray:
        """Per pixel, ``keep_colors`` (a bool per distinct colour) gathered to the image."""
        return keep_colors[self.index]


def _scratch_table() -> np.ndarray:
    table = getattr(_SCRATCH, "table", None)
    if table is None:
        table = _SCRATCH.table = np.empty(1 << 24, np.int32)
    return table


def distinct_colors(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct 24-bit colour codes, per pixel the index of its code among them, and their counts.

    The same answer as ``np.unique(codes, return_inverse=True, return_counts=True)``; for large
    images a plain sort and an index table over the 2**24 codes (one per
    thread, reused) replace the slower argsort.

    Examples
    --------
    >>> u, inv, n = distinct_colors(np.array([5, 1, 5], np.uint32))
    >>> u.tolist(), inv.tolist(), n.tolist()
    ([1, 5], [1, 0, 1], [1, 2])
    """
    flat = codes.ravel()
    if flat.size < _DENSE_FROM:
        unique, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
        return unique, inverse.reshape(codes.shape), counts
    ordered = np.sort(flat)  # 32-bit keys sort fast; np.unique's argsort is the slow part
    keep = np.empty(ordered.size, np.bool_)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    starts = np.flatnonzero(keep)
    unique = ordered[starts]
    table = _scratch_table()
    table[unique] = np.arange(unique.size, dtype=np.int32)
    return unique, table[flat].reshape(codes.shape), np.diff(starts, append=flat.size)


def lookup(rgb: np.ndarray, model: ColorModel) -> Lookup:
    """Match every pixel of ``rgb`` (``(..., 3)`` uint8) to the nearest colour of ``model``.

    Returns
    -------
    Lookup
        ``value`` (float64), ``distance`` (float32, Euclidean in 0-255 RGB) and
        ``ambiguous`` (bool), each of the image's shape without the colour axis.
    """
    unique, inverse, counts = distinct_colors(pack(rgb))
    colors = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1).astype(np.uint8)
    distance, nearest = model.tree().query(colors.astype(np.float64), k=1)
    return Lookup(colors, counts, inverse, nearest, model.values[nearest], distance.astype(np.float32),
                  model.ambiguous[nearest])


def refine_runs(value: np.ndarray, keep: np.ndarray, found: Lookup, model: ColorModel,
                window: tuple[slice, slice] | None = None, threshold: float = np.inf) -> np.ndarray:
    """Spread the values of colours that stand for a run of entries across each patch of that colour.

    A colour shared by neighbouring entries (jet's flat blue, 8-bit collisions)
    covers an interval ``[low, high]``. Inside each connected patch of such a
    colour, a pixel's value is placed between ``low`` and ``high`` in proportion
    to its distances to the nearest kept pixels below ``low`` and above ``high``
    (the band's edges lie half a pixel before them),
    which for a smooth field is the linear interpolation across the band.
    Patches with data on one side only keep the interval's middle. With
    ``window``, ``value`` and ``keep`` are that part of the image; colours
    farther than ``threshold`` from the model are not data and are skipped.

    Examples
    --------
    >>> from imarray.digitize.colormap import from_samples
    >>> c = np.array([[0, 0, 0], [5, 5, 5], [5, 5, 5], [5, 5, 5], [9, 9, 9]], np.uint8)
    >>> m = from_samples(c, np.arange(5.0), np.arange(1.0, 6), name="demo")
    >>> row = m.colors[[0, 1, 1, 1, 1, 1, 2]][None]
    >>> found = lookup(row, m)
    >>> refine_runs(found.value, np.ones((1, 7), bool), found, m).round(2).tolist()
    [[0.5, 1.3, 1.9, 2.5, 3.1, 3.7, 4.5]]
    """
    ndimage = need("scipy.ndimage")
    out = value.copy()
    index = found.index if window is None else found.index[window]
    runs = np.flatnonzero(model.ambiguous[found.colors_entry] & (found.colors_distance <= threshold))
    for color in runs:
        entry = found.colors_entry[color]
        low, high = model.low[entry], model.high[entry]
        patches, _ = ndimage.label(keep & (index == color))
        for number, (rows, cols) in enumerate(ndimage.find_objects(patches), start=1):
            y0, x0 = max(rows.start - 2, 0), max(cols.start - 2, 0)
            window = (slice(y0, rows.stop + 2), slice(x0, cols.stop + 2))
            seen, kept = value[window], keep[window]
            below, above = kept & (seen < low), kept & (seen > high)
            if not (below.any() and above.any()):
                continue
            to_low = ndimage.distance_transform_edt(~below)
            to_high = ndimage.distance_transform_edt(~above)
            patch = patches[window] == number
            share = (to_low[patch] - 0.5) / (to_low[patch] + to_high[patch] - 1)  # edges half a pixel out
            out[window][patch] = low + (high - low) * share
    return out
