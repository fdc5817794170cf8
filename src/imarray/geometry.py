"""Sizes in toolkit order (x, y, z, c, t) beside numpy's order of dimensions.

NumPy indexes a volume as ``array[z, y, x]``; ITK, SimpleITK, ImageJ and most
file headers list sizes and spacing as (x, y, z). :class:`Geometry` is the
toolkit view: it names each size, so a 4D or 5D array can be described without
relying on the order of its dimensions, and :meth:`Geometry.axes_for` finds
which dimension is which, refusing when the sizes leave a choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import overload

from .errors import AxesError

AXIS_LETTERS = "tzcyxq"
TOOLKIT_ORDER = "xyzct"
# lengths and times in the units files state them in: millimetres and seconds per unit
MILLIMETRES = {"m": 1e3, "cm": 10.0, "mm": 1.0, "um": 1e-3, "\u00b5m": 1e-3, "\u03bcm": 1e-3, "micron": 1e-3,
               "nm": 1e-6}
SECONDS = {"h": 3600.0, "min": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6}
_NUMPY_ORDERS = ("tzcyx", "tzyxc")  # planar (TIFF hyperstacks) and interleaved colour


@dataclass(frozen=True)
class Geometry:
    """Image sizes by axis name, in x, y, z, c, t order; ``None`` for an absent axis.

    Examples
    --------
    >>> g = Geometry(size_x=128, size_y=64, size_z=5, size_c=3)
    >>> g.axes_for((5, 64, 128, 3))
    'zyxc'
    >>> g.axes_for((5, 3, 64, 128))
    'zcyx'
    >>> Geometry.of("zyx", (5, 64, 128))
    Geometry(size_x=128, size_y=64, size_z=5, size_c=None, size_t=None)
    """

    size_x: int
    size_y: int
    size_z: int | None = None
    size_c: int | None = None
    size_t: int | None = None

    @classmethod
    def of(cls, axes: str, shape: tuple[int, ...]) -> Geometry:
        """The geometry of an array whose dimensions are labelled ``axes``."""
        sizes = dict(zip(axes, shape, strict=True))
        if "x" not in sizes or "y" not in sizes:
            raise AxesError(f"axes {axes!r} lack x or y; a geometry needs both")
        return cls(sizes["x"], sizes["y"], sizes.get("z"), sizes.get("c"), sizes.get("t"))

    def sizes(self) -> dict[str, int]:
        """Present axes and their sizes, in x, y, z, c, t order."""
        return {f.name[-1]: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def axes_for(self, shape: tuple[int, ...]) -> str:
        """Axis letters, one per dimension of ``shape``, that these sizes describe.

        Raises ``AxesError`` when no order fits, or when two orders fit
        (equal sizes): then pass ``axes=`` instead.
        """
        sizes = self.sizes()
        if any(size < 1 for size in sizes.values()):
            raise AxesError(f"geometry sizes must be positive: {self}")
        if len(sizes) != len(shape):
            raise AxesError(
                f"the geometry names {len(sizes)} axes ({''.join(sizes)}) but the array has {len(shape)} "
                f"dimensions (shape {tuple(shape)})",
                hint="give one size per dimension",
            )
        fits = set()
        for order in _NUMPY_ORDERS:
            axes = "".join(letter for letter in order if letter in sizes)
            if tuple(sizes[letter] for letter in axes) == tuple(shape):
                fits.add(axes)
        if not fits:
            raise AxesError(
                f"shape {tuple(shape)} fits no dimension order of {self} (tried {' and '.join(_NUMPY_ORDERS)})",
                hint="pass axes= with one letter of 'tzcyx' per dimension",
            )
        if len(fits) > 1:
            raise AxesError(
                f"shape {tuple(shape)} fits {' and '.join(sorted(fits))} alike",
                hint="pass axes= to say which",
            )
        return fits.pop()


def check_order(axes: str) -> None:
    """Raise ``AxesError`` unless time and spatial letters come in numpy order (t, z, y, x).

    Colour and other axes may sit anywhere.

    Examples
    --------
    >>> check_order("tzcyx")
    """
    present = [letter for letter in axes if letter in "tzyx"]
    expected = sorted(present, key="tzyx".index)
    if present != expected:
        raise AxesError(
            f"axes={axes!r} are not in numpy order: a numpy array indexes [t, z, y, x]",
            hint=f"name the dimensions in the array's order ({''.join(expected)} here), or reorder the array "
                 "first, e.g. np.moveaxis; toolkits' (x, y, z) order is what spacing_in('xyz') gives",
        )


def agrees(axes: str, given: str) -> bool:
    """Whether ``axes`` names every axis as ``given`` does where ``given`` names it (``q`` names none).

    Examples
    --------
    >>> agrees("zyx", "qyx"), agrees("tyx", "qyx"), agrees("zxy", "qyx")
    (True, True, False)
    """
    return len(axes) == len(given) and all(old in ("q", new) for new, old in zip(axes, given, strict=True))


def named_as(given: str | None, default: str) -> str | None:
    """``given`` with a first, unnamed (``q``) axis named as in ``default``; None if that does not fit.

    A folder of slices stacks them along an unnamed first axis (``qyx``);
    formats that name every axis give it their default name when the other
    axes agree. Any other unnamed axis stays unnamed (None): nothing is guessed.

    Examples
    --------
    >>> named_as("qyx", "zyx"), named_as(None, "zyx"), named_as("tyx", "zyx")
    ('zyx', 'zyx', 'tyx')
    >>> named_as("qcx", "zyx"), named_as("qqx", "zyx")
    (None, None)
    """
    if not given:
        return default
    if "q" not in given:
        return given
    stack_only = given[0] == "q" and "q" not in given[1:]
    return default if stack_only and agrees(default, given) else None


@overload
def check_axes(axes: str, ndim: int) -> str: ...
@overload
def check_axes(axes: None, ndim: int) -> None: ...


def check_axes(axes: str | None, ndim: int) -> str | None:
    """Validate axis letters: one per dimension, from 'tzcyxq', none repeated but 'q'.

    ``None`` (axes not given) passes through.

    Examples
    --------
    >>> check_axes("ZYX", 3)
    'zyx'
    """
    if axes is None:
        return None
    letters = axes.lower()
    if len(letters) != ndim or set(letters) - set(AXIS_LETTERS):
        raise AxesError(
            f"axes={axes!r} must have one letter of 'tzcyx' (or 'q' for other) per dimension of a {ndim}D array"
        )
    repeated = {a for a in letters if a != "q" and letters.count(a) > 1}
    if repeated:
        raise AxesError(f"axes={axes!r} repeats {''.join(sorted(repeated))}")
    return letters


# OME's unit symbols (its UnitsLength and UnitsTime enumerations, the common ones) and spellings that mean them
_OME_LENGTHS = {"m": ("meter", "metre", "meters", "metres"), "dm": ("decimeter",), "cm": ("centimeter", "centimetre"),
                "mm": ("millimeter", "millimetre", "millimeters"),
                "µm": ("um", "\u03bcm", "micron", "microns", "micrometer", "micrometre", "micrometers"),
                "nm": ("nanometer", "nanometre", "nanometers"), "pm": ("picometer", "picometre"),
                "Å": ("angstrom", "Angstrom", "\u212b", "A"), "in": ("inch", "inches"), "ft": ("foot", "feet"),
                "pixel": ("px", "pixels")}
_OME_TIMES = {"s": ("sec", "second", "seconds"), "ms": ("msec", "millisecond", "milliseconds"),
              "µs": ("us", "\u03bcs", "usec", "microsecond", "microseconds"), "ns": ("nanosecond", "nanoseconds"),
              "min": ("minute", "minutes"), "h": ("hour", "hours"), "d": ("day", "days")}


def ome_unit(unit: str, *, time: bool = False) -> str | None:
    """OME's symbol for ``unit`` (a length, or a time with ``time=True``), or None if OME has no such unit.

    Examples
    --------
    >>> ome_unit("micrometer"), ome_unit("inch"), ome_unit("angstrom"), ome_unit("ms", time=True)
    ('µm', 'in', 'Å', 'ms')
    >>> ome_unit("furlong") is None
    True
    """
    for symbol, spellings in (_OME_TIMES if time else _OME_LENGTHS).items():
        if unit == symbol or unit in spellings:
            return symbol
    return None


PYRAMID_TOP = 256  # pyramid=True halves y and x until the larger is at most this


def pyramid_levels(side: int, pyramid: bool | int | None) -> int:
    """Levels in all, full resolution included, of a pyramid whose larger of y and x is ``side``.

    ``pyramid=True`` halves until that side is at most :data:`PYRAMID_TOP` (two
    levels at least); a number is that many levels; ``None``/``False`` is one.

    >>> pyramid_levels(2048, True), pyramid_levels(100, True), pyramid_levels(2048, 3), pyramid_levels(2048, None)
    (4, 2, 3, 1)
    """
    if not pyramid:
        return 1
    if pyramid is not True:
        return int(pyramid)
    return 1 + max(1, math.ceil(math.log2(side / PYRAMID_TOP))) if side > PYRAMID_TOP else 2
