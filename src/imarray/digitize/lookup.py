"""Per-colour lookup: each distinct colour of a figure is matched once, not each pixel.

A figure of a million pixels holds a few thousand distinct colours. The RGB
triples are packed into 24-bit integers; runs of one colour along the rows
are found in one pass, and their colours made distinct (a sort of the runs,
or a presence table over the 2**24 codes when there are many);
only the distinct colours are matched against the colour model's KD-tree.
Answers per pixel (value, distance, a mask) are gathered back in one pass
through a table over the 2**24 codes, for the whole figure or a window.

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

import mmap
import threading
from functools import cached_property

import numpy as np

from ._deps import need
from .colormap import ColorModel, pack

__all__ = ["Lookup", "lookup", "refine_runs", "rematch", "unpack"]

_SCRATCH = threading.local()


def _kernels():
    """The compiled loops (numba), imported on first use."""
    from . import _kernels

    return _kernels


class Lookup:
    """Per pixel: the value, the RGB distance to the matched colour, and its ambiguity.

    The match is made once per distinct colour (``colors``, ``colors_count``
    pixels, matched to model entry ``colors_entry``, with ``colors_value``,
    ``colors_distance``, ``colors_ambiguous``). Pixels keep their packed colour
    ``codes``; per-pixel arrays are gathered from them through a table over the
    2**24 codes (:meth:`gather`), on first access, or for a window only.
    """

    def __init__(self, codes: np.ndarray, colors_code: np.ndarray, counts: np.ndarray, entry: np.ndarray,
                 value: np.ndarray, distance: np.ndarray, ambiguous: np.ndarray) -> None:
        self.codes = codes
        self.colors_code = colors_code
        self.colors = unpack(colors_code)
        self.colors_count = counts
        self.colors_entry = entry
        self.colors_value = value
        self.colors_distance = distance
        self.colors_ambiguous = ambiguous

    def gather(self, per_colour: np.ndarray, window: tuple[slice, slice] | None = None) -> np.ndarray:
        """Per pixel (of ``window`` only, if given), ``per_colour`` at its colour.

        One pass over the pixels: ``per_colour`` is written into a table over
        the 2**24 colour codes (one per thread and dtype, reused; only the
        figure's own codes are written and read) and taken at each pixel's code.
        """
        per_colour = np.asarray(per_colour)
        table = _scratch_table(per_colour.dtype)
        table[self.colors_code] = per_colour
        return np.take(table, self.codes if window is None else self.codes[window])

    def index_in(self, window: tuple[slice, slice] | None = None) -> np.ndarray:
        """Per pixel (of ``window`` only, if given) the index of its colour among ``colors``, int32."""
        if "index" in self.__dict__:
            return self.index if window is None else self.index[window]
        return self.gather(np.arange(self.colors_code.size, dtype=np.int32), window)

    def where(self, keep_colors: np.ndarray, window: tuple[slice, slice] | None = None) -> np.ndarray:
        """Per pixel (of ``window`` only, if given), ``keep_colors`` (a bool per distinct colour)."""
        return self.gather(np.asarray(keep_colors, np.bool_), window)

    @cached_property
    def index(self) -> np.ndarray:
        """int32 per pixel: the index of its colour among ``colors``."""
        return self.index_in()

    @cached_property
    def value(self) -> np.ndarray:
        """float64 value per pixel."""
        return self.gather(self.colors_value)

    @cached_property
    def distance(self) -> np.ndarray:
        """float32 Euclidean RGB distance (0-255 scale) per pixel to the matched colour."""
        return self.gather(self.colors_distance)

    def runs(self, threshold: float = np.inf) -> np.ndarray:
        """Indices of the distinct colours within ``threshold`` that stand for several entries."""
        return np.flatnonzero(self.colors_ambiguous & (self.colors_distance <= threshold))

    def value_within(self, threshold: float) -> np.ndarray:
        """float64 value per pixel, NaN where the colour is farther than ``threshold`` (one gather)."""
        return self.gather(np.where(self.colors_distance <= threshold, self.colors_value, np.nan))


def _scratch_table(dtype: np.dtype | type, purpose: str = "gather") -> np.ndarray:
    """A table over the 2**24 colour codes, one per thread and dtype, reused (filled only where it is read).

    The memory is an anonymous map, not a NumPy allocation: NumPy asks for
    huge pages on large arrays, which would make the whole table resident
    (64 MB for int32) when a figure's few thousand colours touch it; small
    pages keep only the touched ones (a few MB) and the first call fast.
    """
    dtype = np.dtype(dtype)
    tables = _SCRATCH.__dict__.setdefault("tables", {})
    table = tables.get((dtype, purpose))
    if table is None:
        table = tables[dtype, purpose] = np.frombuffer(mmap.mmap(-1, dtype.itemsize << 24), dtype)
    return table


def unpack(codes: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 RGB from 24-bit codes (the inverse of :func:`~imarray.digitize.colormap.pack`)."""
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1).astype(np.uint8)


def _sorted_distinct(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``codes`` (ascending) and how many pixels have each, without sorting the pixels.

    A figure's pixels come in runs of one colour along its rows (paper, flat
    cells, a colormap entry spanning several pixels), so the runs are found
    first (one comparison pass) and only their colours are made distinct:
    by a sort when there are few runs, else through a presence table over
    the 2**24 codes (no sort of millions of keys).
    """
    flat = codes.reshape(-1)
    if not flat.size:
        return flat.copy(), np.zeros(0, np.intp)
    change = np.empty(flat.size, np.bool_)
    change[0] = True
    np.not_equal(flat[1:], flat[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    run_codes = flat[starts]
    lengths = np.diff(starts, append=flat.size)
    if run_codes.size < _SORT_BELOW:
        unique, inverse = np.unique(run_codes, return_inverse=True)
    else:
        present = _scratch_table(np.bool_, "presence")  # all False between calls
        try:
            present[run_codes] = True
            unique = np.flatnonzero(present).astype(codes.dtype)
        finally:
            present[run_codes] = False
        table = _scratch_table(np.int32)
        table[unique] = np.arange(unique.size, dtype=np.int32)
        inverse = np.take(table, run_codes)
    counts = np.bincount(inverse.reshape(-1), weights=lengths, minlength=unique.size)
    return unique, counts.astype(np.intp)


#: with fewer runs of one colour than this, they are made distinct by a sort, else by a presence table
_SORT_BELOW = 1 << 17


def lookup(rgb: np.ndarray, model: ColorModel) -> Lookup:
    """Match every pixel of ``rgb`` (``(..., 3)`` uint8) to the nearest colour of ``model``.

    Only the distinct colours are matched (a sort of the packed codes finds
    them); per-pixel results are gathered when asked for.

    Returns
    -------
    Lookup
        ``value`` (float64), ``distance`` (float32, Euclidean in 0-255 RGB) and
        ``ambiguous`` (bool), each of the image's shape without the colour axis.
    """
    codes = pack(rgb)
    unique, counts = _sorted_distinct(codes)
    return _match(codes, unique, counts, model)


def _match(codes: np.ndarray, unique: np.ndarray, counts: np.ndarray, model: ColorModel) -> Lookup:
    distance, nearest = model.tree().query(unpack(unique).astype(np.float64), k=1)
    return Lookup(codes, unique, counts, nearest, model.values[nearest], distance.astype(np.float32),
                  model.ambiguous[nearest])


def rematch(found: Lookup, model: ColorModel) -> Lookup:
    """``found``'s pixels and distinct colours matched to another ``model`` (no pass over the pixels)."""
    return _match(found.codes, found.colors_code, found.colors_count, model)


def refine_runs(value: np.ndarray, keep: np.ndarray, found: Lookup, model: ColorModel,
                window: tuple[slice, slice] | None = None, threshold: float = np.inf) -> np.ndarray:
    """Spread the values of colours that stand for a run of entries across each patch of that colour.

    A colour shared by neighbouring entries (jet's flat blue, 8-bit collisions)
    covers an interval ``[low, high]``. Inside each connected patch of such a
    colour, a pixel's value is placed between ``low`` and ``high`` in proportion
    to its distances to the nearest kept pixels below ``low`` and above ``high``
    (the band's edges lie half a pixel before them) inside the patch's bounding
    box widened by two pixels,
    which for a smooth field is the linear interpolation across the band.
    Patches with data on one side only keep the interval's middle. With
    ``window``, ``value`` and ``keep`` are that part of the image; colours
    farther than ``threshold`` from the model are not data and are skipped.

    The patches of all run colours are found at once, as the connected
    pieces of a graph joining equal neighbours among the run pixels (no
    labelling of each colour's bounding box, which for a band curving across
    the field is most of the field); each patch's pixels are then known by
    position, and the distances of all patches come from one compiled call
    (:func:`~imarray.digitize._kernels.band_distances`: each window scanned
    once along its rows, then each band pixel's rows outwards).

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
    out = value.copy()
    runs = found.runs(threshold)
    if not runs.size:
        return out
    is_run = np.zeros(len(found.colors_entry), bool)
    is_run[runs] = True
    height, width = value.shape
    pos = np.flatnonzero(found.where(is_run, window) & keep)  # run pixels kept, row-major
    if not pos.size:
        return out
    codes = (found.codes if window is None else found.codes[window]).reshape(-1)[pos]
    table = _scratch_table(np.int32)
    table[found.colors_code[runs]] = runs.astype(np.int32)
    color = np.take(table, codes)
    patch, count = _patches(pos, color, width)
    order = np.argsort(patch, kind="stable")  # each patch's pixels together, still row-major
    starts = np.searchsorted(patch[order], np.arange(count + 1))
    rows, cols = np.divmod(pos[order], width)
    windows = _windows(rows, cols, starts[:-1], height, width)
    entry = found.colors_entry[color[order[starts[:-1]]]]  # each patch's colour (one per patch)
    bounds = np.column_stack([model.low[entry], model.high[entry]])
    near, far, sided = _kernels().band_distances(value, keep, windows, bounds, starts, rows, cols)
    to_low, to_high = np.empty(pos.size), np.empty(pos.size)
    to_low[order], to_high[order] = near, far  # back to row-major order
    entry = found.colors_entry[color]
    low, high = model.low[entry], model.high[entry]
    done = sided[patch]
    share = (to_low[done] - 0.5) / (to_low[done] + to_high[done] - 1)  # edges half a pixel out
    out.reshape(-1)[pos[done]] = low[done] + (high[done] - low[done]) * share
    return out


def _patches(pos: np.ndarray, color: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    """Patch number of each run pixel (flat, sorted ``pos``): 4-connected pieces of one colour."""
    csgraph, sparse = need("scipy.sparse.csgraph"), need("scipy.sparse")
    n = pos.size
    right = np.flatnonzero((pos[1:] == pos[:-1] + 1) & ((pos[:-1] + 1) % width != 0) & (color[1:] == color[:-1]))
    below = np.searchsorted(pos, pos + width)
    inside = below < n
    below_ok = np.zeros(n, bool)
    below_ok[inside] = (pos[below[inside]] == pos[inside] + width) & (color[below[inside]] == color[inside])
    down = np.flatnonzero(below_ok)
    first = np.concatenate([right, down])
    second = np.concatenate([right + 1, below[down]])
    graph = sparse.coo_matrix((np.ones(first.size, np.int8), (first, second)), shape=(n, n))
    count, patch = csgraph.connected_components(graph, directed=False)
    return patch, count


def _windows(rows: np.ndarray, cols: np.ndarray, starts: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(y0, y1, x0, x1)`` per patch (pixels grouped, each group from ``starts``): its box widened by two pixels."""
    y0 = np.maximum(np.minimum.reduceat(rows, starts) - 2, 0)
    y1 = np.minimum(np.maximum.reduceat(rows, starts) + 3, height)
    x0 = np.maximum(np.minimum.reduceat(cols, starts) - 2, 0)
    x1 = np.minimum(np.maximum.reduceat(cols, starts) + 3, width)
    return np.stack([y0, y1, x0, x1], axis=1)
