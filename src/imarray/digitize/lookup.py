"""Per-colour lookup: each distinct colour of a figure is matched once, not each pixel.

A figure of a million pixels holds a few thousand distinct colours. One
compiled pass (:func:`~imarray.digitize._kernels.distinct_colours`) packs
the RGB triples into 24-bit codes, lists the distinct ones and numbers each
pixel's colour; only the distinct colours are matched to the colour model
(:meth:`~imarray.digitize.colormap.ColorModel.nearest`). Answers per pixel (value, distance, a mask) are gathered
back through the colour numbers in one pass, for the whole figure or a window.

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

from ..errors import PixelKindError
from .colormap import ColorModel

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
    ``index`` of their colour among ``colors`` (int32); per-pixel arrays,
    ``codes`` (packed colours) among them, are gathered through it
    (:meth:`gather`), on first access, or for a window only.
    """

    def __init__(self, index: np.ndarray, colors_code: np.ndarray, counts: np.ndarray, entry: np.ndarray,
                 value: np.ndarray, distance: np.ndarray, ambiguous: np.ndarray,
                 colors: np.ndarray | None = None) -> None:
        self.index = index
        self.colors_code = colors_code
        self.colors = unpack(colors_code) if colors is None else colors  # (K, 3) uint8, if the caller has it
        self.colors_count = counts
        self.colors_entry = entry
        self.colors_value = value
        self.colors_distance = distance
        self.colors_ambiguous = ambiguous

    def gather(self, per_colour: np.ndarray, window: tuple[slice, slice] | None = None) -> np.ndarray:
        """Per pixel (of ``window`` only, if given), ``per_colour`` at its colour.

        One compiled pass over the pixels' colour indices, reading
        ``per_colour`` (a few thousand entries: it stays in cache).
        """
        per_colour = np.asarray(per_colour)
        index = self.index_in(window)
        if index.ndim != 2:
            return np.take(per_colour, index)
        return _kernels().gather(per_colour, index)

    def index_in(self, window: tuple[slice, slice] | None = None) -> np.ndarray:
        """Per pixel (of ``window`` only, if given) the index of its colour among ``colors``, int32."""
        return self.index if window is None else self.index[window]

    def where(self, keep_colors: np.ndarray, window: tuple[slice, slice] | None = None) -> np.ndarray:
        """Per pixel (of ``window`` only, if given), ``keep_colors`` (a bool per distinct colour)."""
        return self.gather(np.asarray(keep_colors, np.bool_), window)

    @cached_property
    def codes(self) -> np.ndarray:
        """uint32 per pixel: its packed colour (see :func:`~imarray.digitize.colormap.pack`)."""
        return self.gather(self.colors_code)

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


def _number_table() -> np.ndarray:
    """int32 per 2**24 colour code, zero between calls, one per thread, reused (see
    :func:`~imarray.digitize._kernels.distinct_colours`, which numbers the colours in it).

    The memory is an anonymous map, not a NumPy allocation: NumPy asks for
    huge pages on large arrays, which would make the whole table resident
    (64 MB) when a figure's few thousand colours touch it; small pages keep
    only the touched ones (a few MB) and the first call fast.
    """
    table = getattr(_SCRATCH, "table", None)
    if table is None:
        table = _SCRATCH.table = np.frombuffer(mmap.mmap(-1, 4 << 24), np.int32)
    return table


def unpack(codes: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 RGB from 24-bit codes (the inverse of :func:`~imarray.digitize.colormap.pack`)."""
    return np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1).astype(np.uint8)


def lookup(rgb: np.ndarray, model: ColorModel) -> Lookup:
    """Match every pixel of ``rgb`` (``(..., 3)`` uint8) to the nearest colour of ``model``.

    Only the distinct colours are matched (one pass over the pixels finds
    them); per-pixel results are gathered when asked for.

    Returns
    -------
    Lookup
        ``value`` (float64), ``distance`` (float32, Euclidean in 0-255 RGB) and
        ``ambiguous`` (bool), each of the image's shape without the colour axis.
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim < 2 or rgb.shape[-1] != 3:
        raise PixelKindError(f"lookup takes (..., 3) uint8 RGB, got {rgb.dtype} {rgb.shape}",
                             hint="pass the figure through imarray.digitize.mask.as_rgb first")
    flat = rgb.reshape(-1, 1, 3) if rgb.ndim != 3 else rgb
    if not rgb.size:
        return _match(np.zeros(rgb.shape[:-1], np.int32), np.zeros(0, np.uint32), np.zeros(0, np.intp), model)
    unique, counts, index = _kernels().distinct_colours(flat, _number_table())
    return _match(index.reshape(rgb.shape[:-1]), unique, counts, model)


def _match(index: np.ndarray, unique: np.ndarray, counts: np.ndarray, model: ColorModel,
           colors: np.ndarray | None = None) -> Lookup:
    """Each distinct colour matched to its nearest model colour.

    A colour equally near several model colours (common where a colorbar's
    sampled colours are one unit off the field's) is matched to the middle
    one, or for two (four, ...) to the edge between the middle two, where the
    truth lies (taking either end would pull every tie the same way along the
    map); its value stays inside its entry's interval, which the run
    refinement relies on.
    """
    colors = unpack(unique) if colors is None else colors
    distance, lowest, highest = model.nearest(colors)
    entry = (lowest + highest) // 2  # the middle entry, or the first of the middle two
    value = model.values[entry]
    edge = np.flatnonzero((highest - lowest) % 2 == 1)
    if edge.size:  # an even number of equals: the edge between the middle two, inside the first's interval
        below = entry[edge]
        rising = model.values[below + 1] >= model.values[below]
        value[edge] = np.where(rising, model.high[below], model.low[below])
    return Lookup(index, unique, counts, entry, value, distance.astype(np.float32), model.ambiguous[entry], colors)


def rematch(found: Lookup, model: ColorModel) -> Lookup:
    """``found``'s pixels and distinct colours matched to another ``model`` (no pass over the pixels)."""
    return _match(found.index, found.colors_code, found.colors_count, model, found.colors)


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

    All of it is one compiled call
    (:func:`~imarray.digitize._kernels.refine_patches`): the patches of all
    run colours are found at once, as the connected pieces of a graph joining
    equal neighbours among the run pixels (no labelling of each colour's
    bounding box, which for a band curving across the field is most of the
    field); each patch's pixels are then known by position, and the
    distances of all patches come from one pass
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
    runs = found.runs(threshold)
    if not runs.size:
        return value.copy()
    is_run = np.zeros(len(found.colors_entry), bool)
    is_run[runs] = True
    return _kernels().refine_patches(value, keep, found.index_in(window), is_run, found.colors_entry, model.low,
                                     model.high)
