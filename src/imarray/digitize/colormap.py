"""Colour models: which 8-bit RGB triple stands for which value.

A figure's pixels were made by a colormap and a norm. Matplotlib maps a value
to one of the colormap's ``N`` entries (``int(norm(v) * N)``) and writes the
entry as bytes by truncation, ``(lut * 255).astype(uint8)``; a model built
the same way has one row per entry, not 10,000 samples that tie. Entries that
round to one triple are merged: the merged colour stands for the union of
their value intervals and is flagged ambiguous.

Examples
--------
>>> model = from_cmap("plasma", 0.0, 1.0)
>>> len(model), model.colors.dtype
(256, dtype('uint8'))
>>> float(model.values[0])  # the middle of the first of 256 steps
0.001953125
>>> colormap_report("twilight").cyclic
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from ..errors import InvalidOptionError
from ._deps import need

Norm = Literal["linear", "log", "symlog", "power", "twoslope", "boundary", "contourf"]
#: norms that map a range continuously onto the colormap (the others map bins)
CONTINUOUS = ("linear", "log", "symlog", "power", "twoslope")
PAGE = np.array([255, 255, 255], np.uint8)
#: a colormap "contains the page colour" when an entry lies this close to white (RGB distance)
PAGE_NEAR = 20.0
#: a map is cyclic when it is continuous (median RGB step between entries below CONTINUOUS_STEP) and its
#: ends lie within CYCLIC_GAP of its colour span (the diagonal of its RGB bounding box)
CONTINUOUS_STEP = 20.0
CYCLIC_GAP = 0.1

__all__ = ["ColorModel", "ColormapError", "ColormapReport", "colormap_report", "from_cmap", "from_samples", "pack"]


class ColormapError(InvalidOptionError):
    """A colormap name, norm or range that cannot describe a figure (an option's value: the CLI's exit status 2)."""


def pack(rgb: np.ndarray) -> np.ndarray:
    """Pack ``(..., 3)`` uint8 RGB into one uint32 code per colour, ``r << 16 | g << 8 | b``.

    Examples
    --------
    >>> int(pack(np.array([1, 2, 3], np.uint8)))
    66051
    """
    rgb = np.asarray(rgb)
    if rgb.dtype == np.uint8 and rgb.ndim >= 2 and rgb.shape[-1] == 3 and rgb.flags.c_contiguous and rgb.size > 3:
        # one pass: read 4 bytes at every 3rd byte as a big-endian word, r g b and the next r, and drop the last
        flat = rgb.reshape(-1)
        codes = np.empty(rgb.shape[:-1], np.uint32)
        words = np.ndarray((flat.size // 3 - 1,), dtype=">u4", buffer=flat, strides=(3,))
        np.right_shift(words, 8, out=codes.reshape(-1)[:-1])
        codes.reshape(-1)[-1] = int(flat[-3]) << 16 | int(flat[-2]) << 8 | int(flat[-1])
        return codes
    codes = rgb[..., 0].astype(np.uint32)  # shifted and or-ed in place: no temporaries
    codes <<= 8
    codes |= rgb[..., 1]
    codes <<= 8
    codes |= rgb[..., 2]
    return codes


@dataclass(frozen=True, eq=False)
class ColorModel:
    """Distinct 8-bit colours, each with the value it stands for.

    Attributes
    ----------
    colors
        ``(K, 3)`` uint8, distinct rows.
    values
        ``(K,)`` float64: the middle of the value interval each colour covers
        (in the norm's own space: geometric middle for log norms).
    low, high
        ``(K,)`` float64: the interval of values that render as this colour.
    ambiguous
        ``(K,)`` bool: the colour stands for several colormap entries (entries
        that collide in 8 bits, or the two ends of a cyclic map).
    name
        Where the model came from (a colormap name or ``"colorbar"``).
    """

    colors: np.ndarray
    values: np.ndarray
    low: np.ndarray
    high: np.ndarray
    ambiguous: np.ndarray
    name: str

    def __len__(self) -> int:
        return len(self.colors)

    @property
    def step(self) -> float:
        """The median width of one colour's value interval (the quantisation step)."""
        return float(np.median(self.high - self.low))

    @property
    def is_grey(self) -> bool:
        """True when every colour has ``r == g == b``, so a greyscale figure can be read."""
        return bool((self.colors == self.colors[:, :1]).all())

    def nearest(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row of ``queries`` (``(n, 3)`` uint8): the RGB distance (float64) to the nearest colours of the
        model, and the lowest and the highest index among the colours that near (int64; equal but for ties).

        Exact: the colours are walked in order of their projection on the
        direction they spread most along (their first principal axis), from
        each query's own projection outwards, until the projections alone are
        farther apart than the best distance (see
        :func:`~imarray.digitize._kernels.nearest_colours`).

        Examples
        --------
        >>> m = from_samples(np.array([[0, 0, 0], [2, 0, 0]], np.uint8), np.zeros(2), np.ones(2), name="demo")
        >>> [a.tolist() for a in m.nearest(np.array([[1, 0, 0], [2, 1, 0]], np.uint8))]
        [[1.0, 1.0], [0, 1], [1, 1]]
        """
        queries = np.ascontiguousarray(queries, np.uint8).reshape(-1, 3)
        if not len(self.colors) or not len(queries):
            none = np.zeros(len(queries), np.int64)
            return np.full(len(queries), np.inf), none, none
        cached = self.__dict__.get("_walk")
        if cached is None:
            colors = self.colors.astype(np.float64)
            axis = np.linalg.svd(colors - colors.mean(axis=0), full_matrices=False)[2][0]
            projection = colors @ axis
            order = np.argsort(projection, kind="stable")
            cached = (np.ascontiguousarray(axis), order, np.ascontiguousarray(projection[order]))
            object.__setattr__(self, "_walk", cached)
        from ._kernels import nearest_colours

        return nearest_colours(queries, np.ascontiguousarray(self.colors), *cached)


def from_samples(
    colors: np.ndarray, low: np.ndarray, high: np.ndarray, *, name: str, log: bool = False,
    space: tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]] | None = None,
) -> ColorModel:
    """Build a model from ordered entries: one colour and one value interval per entry.

    Entries with the same colour are merged. A run of neighbouring entries
    becomes one colour covering the joined interval; entries that are not
    neighbours (a cyclic map's ends) keep the first run's interval. Both are
    flagged ambiguous. A colour's value is the middle of its interval in the
    norm's own space: ``log10`` when ``log``, else ``space`` (a function and
    its inverse, e.g. a norm and ``norm.inverse``) if given, else linear.

    Examples
    --------
    >>> c = np.array([[0, 0, 0], [0, 0, 0], [9, 9, 9]], np.uint8)
    >>> m = from_samples(c, np.array([0., 1, 2]), np.array([1., 2, 3]), name="demo")
    >>> m.values.tolist(), m.ambiguous.tolist()
    ([1.0, 2.5], [True, False])
    """
    colors = np.ascontiguousarray(colors, dtype=np.uint8)
    low = np.asarray(low, np.float64)
    high = np.asarray(high, np.float64)
    _, first, inverse, counts = np.unique(pack(colors), return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(first)  # keep the colormap's order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    group = rank[inverse]
    k = len(order)
    index = np.arange(len(colors))
    # the end of the first run of each group: entries of a group up to the first gap
    starts = first[order]
    run_end = starts.copy()
    for i in index:  # 256 entries at most for a colormap, a bar's length for a colorbar
        g = group[i]
        if i == run_end[g] + 1:
            run_end[g] = i
    lo = low[starts]
    hi = high[run_end]
    if log:
        space = (np.log10, lambda t: 10.0**t)
    elif space is None:
        space = (np.asarray, lambda t: t)
    forward, back = space
    with np.errstate(divide="ignore", invalid="ignore"):
        values = back((forward(np.minimum(lo, hi)) + forward(np.maximum(lo, hi))) / 2)
    return ColorModel(
        colors=colors[starts], values=np.asarray(values, np.float64), low=np.minimum(lo, hi),
        high=np.maximum(lo, hi), ambiguous=counts[order] > 1 if k else np.zeros(0, bool), name=name,
    )


def _cmap(name: str):
    colormaps = need("matplotlib").colormaps
    try:
        return colormaps[name]
    except KeyError:
        from .seaborn_maps import SEABORN_MAPS, seaborn_cmap

        seaborn = seaborn_cmap(name)  # seaborn registers these on import; they are known without it
        if seaborn is not None:
            return seaborn
        known = sorted([*colormaps, *SEABORN_MAPS, *(f"{n}_r" for n in SEABORN_MAPS)])
        close = [n for n in known if n.lower().startswith(name.lower()[:3])][:8]
        raise ColormapError(
            f"unknown colormap {name!r}",
            hint=f"use a matplotlib colormap name{' such as ' + ', '.join(close) if close else ''}",
        ) from None


def _continuous_norm(norm: str, vmin: float, vmax: float, center: float | None, gamma: float | None,
                     linthresh: float | None):
    """matplotlib's norm object for a continuous ``norm`` (not linear or log), its options checked."""
    colors_mod = need("matplotlib.colors")
    if norm == "twoslope":
        if center is None or not vmin < center < vmax:
            raise ColormapError(f"a two-slope norm needs vmin < center < vmax, got {vmin}, {center}, {vmax}",
                                hint="pass center= (--center C), the value drawn in the colormap's middle")
        return colors_mod.TwoSlopeNorm(center, vmin, vmax)
    if norm == "power":
        if gamma is None or not (np.isfinite(gamma) and gamma > 0):
            raise ColormapError(f"a power norm needs gamma > 0, got {gamma}", hint="pass gamma= (--gamma G)")
        return colors_mod.PowerNorm(gamma, vmin, vmax)
    if linthresh is None or not (np.isfinite(linthresh) and linthresh > 0):
        raise ColormapError(f"a symlog norm needs linthresh > 0, got {linthresh}",
                            hint="pass linthresh= (--linthresh T), the half-width of the linear part around 0")
    return colors_mod.SymLogNorm(linthresh, vmin=vmin, vmax=vmax, base=10)


def _no_stray_options(norm: str, center, gamma, linthresh) -> None:
    for option, value, owner in (("center", center, "twoslope"), ("gamma", gamma, "power"),
                                 ("linthresh", linthresh, "symlog")):
        if value is not None and norm != owner:
            raise ColormapError(f"{option}= belongs to norm={owner!r}, not norm={norm!r}",
                                hint=f"pass norm={owner!r} (--norm {owner}) or leave {option} out")


def from_cmap(
    name: str,
    vmin: float | None = None,
    vmax: float | None = None,
    *,
    norm: Norm = "linear",
    boundaries: Sequence[float] | None = None,
    center: float | None = None,
    gamma: float | None = None,
    linthresh: float | None = None,
    rounding: Literal["truncate", "round"] = "truncate",
) -> ColorModel:
    """The colour model matplotlib renders with ``cmap=name`` and the given norm.

    Parameters
    ----------
    name
        A matplotlib colormap name (``"jet_r"``, ``"viridis"``, ``"RdBu_r"``),
        or a seaborn one (``"rocket"``, ``"vlag"``; see :mod:`.seaborn_maps`).
    vmin, vmax
        The value range (``--range``); ``vmin < vmax``, both positive for ``log``.
    norm
        ``"linear"`` (``Normalize``), ``"log"`` (``LogNorm``), ``"symlog"``
        (``SymLogNorm(linthresh, base=10)``), ``"power"`` (``PowerNorm(gamma)``),
        ``"twoslope"`` (``TwoSlopeNorm(center)``: ``vmin``..``center`` on the
        lower half of the map, ``center``..``vmax`` on the upper), ``"boundary"``
        (``imshow``/``pcolormesh`` with ``BoundaryNorm`` over ``boundaries``:
        bin ``i`` of ``n`` takes colormap entry ``i * (N - 1) // (n - 1)``) or
        ``"contourf"`` (filled contours over levels ``boundaries``: each band
        takes the colour of its midpoint under ``Normalize(vmin, vmax)``,
        which default to the first and last level). The two colour the same
        bands differently: a contourf figure read with ``"boundary"`` loses
        bands. Values come back as band midpoints; the band itself is
        ``model.low``/``model.high``.
    boundaries
        Bin edges for ``norm="boundary"``, contour levels for ``norm="contourf"``.
    center, gamma, linthresh
        The options of ``"twoslope"``, ``"power"`` and ``"symlog"``.
    rounding
        How the figure's bytes came from the colormap's floats: ``imshow``
        truncates (``lut * 255`` cast to bytes), ``pcolormesh`` and other
        collections hand floats to Agg, which rounds.

    Examples
    --------
    >>> m = from_cmap("plasma", 1, 1000, norm="log")
    >>> round(float(m.values[0]), 4), bool(m.low[0] == 1)
    (1.0136, True)
    >>> from_cmap("viridis", 0, 1, norm="boundary", boundaries=[0, 0.5, 1]).values.tolist()
    [0.25, 0.75]
    >>> from_cmap("viridis", norm="contourf", boundaries=[0, 0.5, 1]).colors.tolist()  # at 0.25 and 0.75
    [[58, 82, 139], [94, 201, 97]]
    >>> m = from_cmap("RdBu_r", -1, 3, norm="twoslope", center=0)
    >>> float(m.low[128]), float(m.high[-1])  # the upper half of the map covers 0..3
    (0.0, 3.0)
    """
    key = (name, vmin, vmax, norm, None if boundaries is None else tuple(float(b) for b in boundaries), center, gamma,
           linthresh, rounding)
    return _cached_model(*key)


@lru_cache(maxsize=64)
def _cached_model(*key) -> ColorModel:
    """:func:`from_cmap`, built once per colormap, range and norm (its nearest-colour order with it), read-only."""
    model = _build_model(*key)
    for array in (model.colors, model.values, model.low, model.high, model.ambiguous):
        array.flags.writeable = False
    return model


def _build_model(name, vmin, vmax, norm, boundaries, center, gamma, linthresh, rounding) -> ColorModel:
    colors_mod = need("matplotlib.colors")
    cmap = _cmap(name)
    _no_stray_options(norm, center, gamma, linthresh)
    if norm in ("boundary", "contourf"):
        if boundaries is None or len(boundaries) < 2:
            raise ColormapError(f"norm={norm!r} needs at least two boundaries",
                                hint="pass boundaries=[b0, b1, ...] (--boundaries B0 B1 ...)")
        edges = np.asarray(boundaries, np.float64)
        if not (np.isfinite(edges).all() and (np.diff(edges) > 0).all()):
            raise ColormapError("boundaries must be finite and increase", hint="sort the bin edges")
        mids = (edges[:-1] + edges[1:]) / 2
        if norm == "boundary":
            where = colors_mod.BoundaryNorm(edges, cmap.N)(mids)
        else:  # contourf: cmap(norm(layer midpoints)), the norm autoscaled to the levels
            low = edges[0] if vmin is None else vmin
            high = edges[-1] if vmax is None else vmax
            if not low < high:
                raise ColormapError(f"contourf needs vmin < vmax, got {low} and {high}", hint="leave vmin/vmax out")
            where = colors_mod.Normalize(low, high)(mids)
        rgb = cmap(where, bytes=True)[:, :3]
        return from_samples(rgb, edges[:-1], edges[1:], name=name)
    if norm not in CONTINUOUS:
        raise ColormapError(f"norm={norm!r} is not one of {', '.join(CONTINUOUS)}, boundary or contourf",
                            hint="pass norm='linear' (imshow's default)")
    if vmin is None or vmax is None or not np.isfinite([vmin, vmax]).all() or not vmin < vmax:
        raise ColormapError(
            f"the value range must be finite with vmin < vmax, got vmin={vmin}, vmax={vmax}",
            hint="pass --range LO HI with LO below HI",
        )
    if norm == "log" and vmin <= 0:
        raise ColormapError(f"a log norm needs vmin > 0, got {vmin}", hint="pass a positive --range or norm='linear'")
    n = cmap.N
    if rounding not in ("truncate", "round"):
        raise ColormapError(f"rounding must be 'truncate' or 'round', got {rounding!r}", hint="leave it out")
    if rounding == "truncate":
        rgb = cmap(np.arange(n), bytes=True)[:, :3]  # imshow's bytes: lut * 255 truncated
    else:
        rgb = np.rint(cmap(np.arange(n))[:, :3] * 255).astype(np.uint8)  # Agg's own conversion of float colours
    edges = np.arange(n + 1) / n
    if norm in ("linear", "log"):
        values = vmin * (vmax / vmin) ** edges if norm == "log" else vmin + (vmax - vmin) * edges
        return from_samples(rgb, values[:-1], values[1:], name=name, log=norm == "log")
    scale = _continuous_norm(norm, vmin, vmax, center, gamma, linthresh)
    values = np.asarray(scale.inverse(edges), np.float64)
    values[0], values[-1] = vmin, vmax  # exact ends (the inverse rounds)
    space = (lambda v: np.asarray(scale(v), np.float64), lambda t: np.asarray(scale.inverse(t), np.float64))
    return from_samples(rgb, values[:-1], values[1:], name=name, space=space)


@dataclass(frozen=True)
class ColormapReport:
    """How well a colormap can be inverted from an 8-bit figure."""

    name: str
    entries: int
    distinct: int
    colliding_entries: int
    page_distance: float
    contains_page_colour: bool
    ink_distance: float
    contains_ink_colour: bool
    cyclic: bool
    min_step: float

    def __str__(self) -> str:
        lines = [
            f"colormap {self.name}: {self.entries} entries, {self.distinct} distinct 8-bit colours",
            f"  entries sharing an 8-bit colour with another: {self.colliding_entries}",
            f"  nearest entry to white paper: RGB distance {self.page_distance:.1f}"
            + (" (contains the page colour: masking needs the plot box)" if self.contains_page_colour else ""),
            f"  nearest entry to black ink (frame, ticks, text): RGB distance {self.ink_distance:.1f}"
            + (" (contains the ink colour: masking relies on the axes frame)" if self.contains_ink_colour else ""),
            f"  cyclic (ends meet): {'yes, ends are ambiguous' if self.cyclic else 'no'}",
            f"  smallest RGB step between neighbouring entries: {self.min_step:.1f}",
        ]
        return "\n".join(lines)


def _cyclic(steps: np.ndarray, ends: float, span: float) -> bool:
    """A continuous map (small steps, unlike a qualitative one) whose ends meet within CYCLIC_GAP of its span.

    hsv's ends are 23 RGB units apart (its span: 442), twilight's 1; the
    closest non-cyclic map (RdGy) leaves 20% of its span between its ends.
    """
    return bool(np.median(steps) < CONTINUOUS_STEP and ends <= max(CYCLIC_GAP * span, 2.0))


def colormap_report(name: str) -> ColormapReport:
    """Say how invertible colormap ``name`` is: 8-bit collisions, page colour, cyclic.

    Examples
    --------
    >>> r = colormap_report("RdBu_r")
    >>> r.contains_page_colour, r.contains_ink_colour, r.cyclic
    (True, False, False)
    >>> colormap_report("hsv").cyclic, colormap_report("magma").contains_ink_colour
    (True, True)
    """
    cmap = _cmap(name)
    rgb = cmap(np.arange(cmap.N), bytes=True)[:, :3].astype(np.int64)
    _, counts = np.unique(pack(rgb.astype(np.uint8)), return_counts=True)
    page = float(np.sqrt(((rgb - PAGE.astype(np.int64)) ** 2).sum(axis=1)).min())
    ink = float(np.sqrt((rgb**2).sum(axis=1)).min())
    steps = np.sqrt((np.diff(rgb, axis=0) ** 2).sum(axis=1))
    ends = float(np.sqrt(((rgb[0] - rgb[-1]) ** 2).sum()))
    span = float(np.sqrt(((rgb.max(axis=0) - rgb.min(axis=0)) ** 2).sum()))
    return ColormapReport(
        name=name, entries=int(cmap.N), distinct=len(counts), colliding_entries=int(counts[counts > 1].sum()),
        page_distance=page, contains_page_colour=page <= PAGE_NEAR, ink_distance=ink,
        contains_ink_colour=ink <= PAGE_NEAR, cyclic=_cyclic(steps, ends, span), min_step=float(steps.min()),
    )
