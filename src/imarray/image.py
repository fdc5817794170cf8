"""``Image``: one ndarray (or a dask array), never copied, plus what its pixels mean.

An Image carries axis letters (numpy order), spacing, origin and units per
axis (numpy order too), an optional direction matrix, and a pixel kind:

- ``intensity``: any numeric dtype;
- ``rgb``: a colour axis ``c`` of 3 or 4 samples;
- ``binary``: bool, uint8 or int8 holding 0 and 1;
- ``label``: unsigned integers (non-negative signed labels are viewed as unsigned).

A dask array (``ia.read(path, lazy=True)``) stays lazy: see :attr:`Image.lazy`
and :meth:`Image.compute`.

Nothing is guessed from shape: 2D arrays are ``yx`` and 3D arrays ``zyx``
unless told otherwise; 4D and 5D arrays need ``axes=`` or ``geometry=``, and a
colour axis needs :meth:`Image.from_rgb_array`.

Examples
--------
>>> import numpy as np
>>> from imarray import Image
>>> volume = np.zeros((5, 64, 128), np.uint16)
>>> img = Image.from_array(volume, spacing=(2.0, 0.5, 0.5), units="um")
>>> img.array is volume
True
>>> img.geometry
Geometry(size_x=128, size_y=64, size_z=5, size_c=None, size_t=None)
>>> img.spacing_in("xyz")
(0.5, 0.5, 2.0)
>>> img.at(z=4, y=10, x=100)
np.uint16(0)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from .dtypes import is_lazy
from .errors import AxesError, CopyRequiredError, LazyImageError, PixelKindError
from .geometry import Geometry, check_axes, check_order
from .layout import Layout, classify
from .registry import converter

Kind = Literal["intensity", "rgb", "binary", "label"]
KINDS: tuple[str, ...] = ("intensity", "rgb", "binary", "label")
SPATIAL = "zyx"
_BINARY_DTYPES = ("bool", "uint8", "int8")

__all__ = ["KINDS", "Image"]


class Channel(NamedTuple):
    """One index of an image's ``c`` axis: its name and display colour (``#RRGGBB``), either may be unknown."""

    name: str | None = None
    color: str | None = None

    @staticmethod
    def parse(entry: Any) -> Channel:
        """A Channel from a name, a Channel or a ``(name, color)`` pair, its colour checked and written ``#RRGGBB``.

        >>> Channel.parse(["GFP", "00ff00"])
        Channel(name='GFP', color='#00FF00')
        """
        if entry is None or isinstance(entry, str):
            return Channel(entry)
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise TypeError(f"a channel is a name or imarray.Channel(name, color), not {entry!r}")
        name, color = entry
        if color is not None:
            match = _HEX.fullmatch(str(color))
            if match is None:
                raise AxesError(f"channel colour {color!r} is not six hex digits (RRGGBB)",
                                hint="e.g. '00FF00' for green")
            color = "#" + match.group(1).upper()
        return Channel(None if name is None else str(name), color)


_HEX = re.compile(r"#?([0-9a-fA-F]{6})")


def _as_array(data: Any, copy: bool | None, dtype: Any = None) -> Any:
    """Obey NumPy 2's ``copy=``: None shares when it can, False refuses to copy, True copies."""
    if copy is True:
        return np.array(data, dtype=dtype, copy=True)
    if (isinstance(data, np.ndarray) or is_lazy(data)) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data  # a dask array stays lazy
    try:
        return np.asarray(data, dtype=dtype, copy=copy)
    except ValueError as exc:
        if copy is not False:
            raise
        what = type(data).__name__
        reason = (f"a dtype change from {data.dtype} to {np.dtype(dtype)}" if isinstance(data, np.ndarray)
                  else f"a {what} holds no buffer an array can share")
        raise CopyRequiredError(
            f"copy=False, but making an array from this input needs a copy ({reason})",
            hint="pass copy=None to allow the copy, or an ndarray of the right dtype",
        ) from exc


def _per_axis(value: Any, axes: str, name: str, default: Any, check: Any) -> tuple:
    """One value per axis: a single value, one per axis, or one per axis but the colour axis ``c``.

    Colour (channel) axes have no physical extent: a single value, or one
    value per other axis, leaves them at ``default``.
    """
    others = [i for i, letter in enumerate(axes) if letter != "c"]
    if value is None:
        return (default,) * len(axes)
    if np.isscalar(value):
        values, positions = [value] * len(others), others
    else:
        values = list(value)
        if len(values) == len(axes):
            positions = list(range(len(axes)))
        elif len(values) == len(others):
            positions = others
        else:
            raise AxesError(f"{name} has {len(values)} values but the image has {len(axes)} axes ({axes})",
                            hint=f"give one {name} value per axis, in numpy order (the colour axis may be left "
                                 "out), or one value for all")
    result = [default] * len(axes)
    for i, v in zip(positions, values, strict=True):
        result[i] = default if v is None else check(v, name)
    return tuple(result)


def _finite(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not math.isfinite(number) or isinstance(value, bool | str):
        raise AxesError(f"{name} values must be finite numbers, got {value!r}",
                        hint=f"give {name} in physical units, e.g. {name}=(2.0, 0.5, 0.5)")
    return number


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise AxesError(f"units are text, got {value!r}", hint="pass units='um', or one unit (or None) per axis")
    return value


def _unsigned_labels(array: np.ndarray) -> np.ndarray:
    """Signed labels viewed as unsigned (same bytes, same byte order), after a check that none is negative."""
    if array.size and int(array.min()) < 0:
        raise PixelKindError(
            f"labels are non-negative, but this {array.dtype} array holds {int(array.min())}",
            hint="shift or relabel first (skimage.segmentation.relabel_sequential), "
            "or wrap it with Image.from_array as intensity",
        )
    return array.view(array.dtype.str.replace("i", "u"))


def _zeros_and_ones(array: np.ndarray) -> np.ndarray:
    """``array`` itself, after a check that it holds 0 and 1 only."""
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 1:
            raise PixelKindError(
                f"a binary image holds 0 and 1, but this one holds values from {low} to {high}",
                hint="pass array != 0 (or array > threshold) to make a mask",
            )
    return array


def _default_axes(ndim: int) -> str:
    if ndim == 2:
        return "yx"
    if ndim == 3:
        return "zyx"
    raise AxesError(
        f"a {ndim}D array needs its axes named: nothing is guessed from shape",
        hint="pass axes='tzyx' (one letter of 'tzcyx' per dimension) or geometry=Geometry(size_x=..., ...)",
    )


class Image:
    """An ndarray with axes, geometry and a pixel kind; the array is shared, never copied.

    Build one with :meth:`from_array`, :meth:`from_rgb_array`,
    :meth:`from_binary_array`, :meth:`from_label_array` or :meth:`from_buffer`.
    Spacing, origin and units are per axis in numpy (array) order; use
    :meth:`spacing_in` for toolkits that want ``xyz``.
    """

    __slots__ = ("_array", "_axes", "_channels", "_direction", "_kind", "_origin", "_spacing", "_units")

    def __init__(
        self,
        array: np.ndarray,
        *,
        axes: str,
        spacing: Sequence[float] | float | None = None,
        origin: Sequence[float] | float | None = None,
        units: Sequence[str | None] | str | None = None,
        direction: Any = None,
        kind: Kind = "intensity",
        channels: Sequence[Channel | str] | None = None,
    ) -> None:
        if not isinstance(array, np.ndarray) and not is_lazy(array):
            raise TypeError(f"Image holds an ndarray (or a dask array), not a {type(array).__name__}; "
                            "use Image.from_array")
        self._array: Any = array  # an ndarray, or a dask array (lazy)
        self._axes = check_axes(axes, array.ndim)
        check_order(self._axes)
        self._spacing = _per_axis(spacing, self._axes, "spacing", 1.0, _finite)
        if any(not s > 0 for s in self._spacing):
            raise AxesError(f"spacing must be positive, got {self._spacing}",
                            hint="give the physical size of one pixel along each axis, e.g. spacing=(2.0, 0.5, 0.5)")
        self._origin = _per_axis(origin, self._axes, "origin", 0.0, _finite)
        self._units = _per_axis(units, self._axes, "units", None, _text)
        self._direction = None if direction is None else self._checked_direction(direction)
        self._kind = kind
        self._check_kind()
        self._channels = None if channels is None else self._checked_channels(channels)

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_array(
        cls,
        data: Any,
        *,
        axes: str | None = None,
        geometry: Geometry | None = None,
        spacing: Sequence[float] | float | None = None,
        origin: Sequence[float] | float | None = None,
        units: Sequence[str | None] | str | None = None,
        direction: Any = None,
        kind: Kind = "intensity",
        copy: bool | None = None,
    ) -> Image:
        """Wrap ``data`` without copying it (``copy=None``).

        ``copy=False`` raises ``CopyRequiredError`` if wrapping needs a copy;
        ``copy=True`` always copies. 2D arrays are ``yx``, 3D ``zyx``; other
        shapes need ``axes=`` or ``geometry=``.

        Examples
        --------
        >>> a = np.zeros((2, 5, 64, 128), np.float32)
        >>> Image.from_array(a, geometry=Geometry(size_x=128, size_y=64, size_z=5, size_t=2)).axes
        'tzyx'
        """
        array = _as_array(data, copy)
        if axes is not None and geometry is not None:
            raise AxesError("axes= and geometry= both say which dimension is which",
                            hint="pass axes= or geometry=, not both")
        if geometry is not None:
            axes = geometry.axes_for(array.shape)
        return cls(array, axes=axes or _default_axes(array.ndim), spacing=spacing, origin=origin,
                   units=units, direction=direction, kind=kind)

    @classmethod
    def from_rgb_array(
        cls,
        data: Any,
        *,
        channel_axis: int | None = None,
        axes: str | None = None,
        spacing: Sequence[float] | float | None = None,
        origin: Sequence[float] | float | None = None,
        units: Sequence[str | None] | str | None = None,
        copy: bool | None = None,
    ) -> Image:
        """Wrap a colour image: a channel axis of 3 (RGB) or 4 (RGBA), first or last.

        Interleaved ``(y, x, 3)`` and planar ``(3, y, x)`` arrays are both
        wrapped in place. When both the first and last axes could be the
        colour axis, ``channel_axis=`` says which.

        Examples
        --------
        >>> Image.from_rgb_array(np.zeros((64, 128, 3), np.uint8)).axes
        'yxc'
        >>> Image.from_rgb_array(np.zeros((4, 64, 128), np.uint8)).axes
        'cyx'
        """
        array = _as_array(data, copy)
        if axes is None:
            if array.ndim not in (3, 4):
                raise AxesError(
                    f"an RGB array is 3D (y, x, colour) or 4D (z, y, x, colour); got shape {array.shape}",
                    hint="pass axes= with a 'c' for the colour axis",
                )
            channel_axis = cls._channel_axis(array, channel_axis)
            spatial = "yx" if array.ndim == 3 else "zyx"
            axes = spatial + "c" if channel_axis == array.ndim - 1 else "c" + spatial
        return cls(array, axes=axes, spacing=spacing, origin=origin, units=units, kind="rgb")

    @staticmethod
    def _channel_axis(array: np.ndarray, channel_axis: int | None) -> int:
        candidates = [axis for axis in (array.ndim - 1, 0) if array.shape[axis] in (3, 4)]
        if channel_axis is not None:
            axis = channel_axis % array.ndim
            if axis not in (0, array.ndim - 1) or array.shape[axis] not in (3, 4):
                raise PixelKindError(
                    f"channel_axis={channel_axis} has {array.shape[axis]} samples in shape {array.shape}; "
                    "the colour axis is the first or last one and holds 3 (RGB) or 4 (RGBA)",
                    hint="pass channel_axis=0 or -1 for an axis of 3 or 4, or use Image.from_array for other stacks",
                )
            return axis
        if not candidates:
            raise PixelKindError(
                f"shape {array.shape} has no colour axis of 3 or 4 samples first or last",
                hint="for a stack of grey images use Image.from_array",
            )
        if len(candidates) == 2:
            raise PixelKindError(
                f"shape {array.shape} could hold its colour first or last",
                hint="pass channel_axis=0 or channel_axis=-1",
            )
        return candidates[0]

    @classmethod
    def from_binary_array(
        cls,
        data: Any,
        *,
        validate: bool = True,
        axes: str | None = None,
        spacing: Sequence[float] | float | None = None,
        origin: Sequence[float] | float | None = None,
        units: Sequence[str | None] | str | None = None,
        copy: bool | None = None,
    ) -> Image:
        """Wrap a 2D or 3D mask of bool, uint8 or int8 holding 0 and 1.

        The values are checked unless ``validate=False``; a dask array is
        checked block by block as it is computed, never read here.

        Examples
        --------
        >>> Image.from_binary_array(np.array([[0, 1], [1, 0]], np.uint8)).kind
        'binary'
        """
        array = _as_array(data, copy)
        if array.dtype.name not in _BINARY_DTYPES:
            raise PixelKindError(
                f"a binary image is bool, uint8 or int8, not {array.dtype}",
                hint="pass mask.astype(bool) or (array > threshold)",
            )
        if axes is None and array.ndim not in (2, 3):
            raise AxesError(f"a binary image is 2D or 3D; got shape {array.shape}", hint="pass axes=")
        if validate and array.dtype != np.bool_ and is_lazy(array):  # checked block by block when computed
            array = array.map_blocks(_zeros_and_ones, dtype=array.dtype)
        elif validate and array.dtype != np.bool_:
            _zeros_and_ones(array)
        return cls(array, axes=axes or _default_axes(array.ndim), spacing=spacing, origin=origin,
                   units=units, kind="binary")

    @classmethod
    def from_label_array(
        cls,
        data: Any,
        *,
        axes: str | None = None,
        spacing: Sequence[float] | float | None = None,
        origin: Sequence[float] | float | None = None,
        units: Sequence[str | None] | str | None = None,
        copy: bool | None = None,
    ) -> Image:
        """Wrap a label image: unsigned 8 to 64 bit, or non-negative signed viewed as unsigned.

        scikit-image's int32 (and int64) label arrays are viewed as uint32
        (uint64) without a copy, after a check that no label is negative.
        A dask array stays lazy: its blocks are checked as they are computed.

        Examples
        --------
        >>> labels = np.array([[0, 1], [2, 70000]], np.int32)
        >>> img = Image.from_label_array(labels)
        >>> img.dtype, np.shares_memory(img.array, labels)
        (dtype('uint32'), True)
        """
        array = _as_array(data, copy)
        kind = array.dtype.kind
        if kind == "i" and is_lazy(array):  # checked block by block when computed, not read here
            unsigned = np.dtype(array.dtype.str.replace("i", "u"))
            array = array.map_blocks(_unsigned_labels, dtype=unsigned)
        elif kind == "i":
            array = _unsigned_labels(array)
        elif kind != "u":
            hint = ("labels are integers: pass array.astype(np.uint32) after checking it holds whole numbers"
                    if kind == "f" else "for a mask use Image.from_binary_array")
            raise PixelKindError(f"a label image holds unsigned integers, not {array.dtype}", hint=hint)
        return cls(array, axes=axes or _default_axes(array.ndim), spacing=spacing, origin=origin,
                   units=units, kind="label")

    @classmethod
    def from_buffer(
        cls,
        buffer: Any,
        shape: tuple[int, ...],
        dtype: Any,
        *,
        row_stride: int | None = None,
        plane_stride: int | None = None,
        offset: int = 0,
        axes: str | None = None,
        spacing: Sequence[float] | float | None = None,
        kind: Kind = "intensity",
    ) -> Image:
        """Wrap a raw buffer whose rows or planes are padded, in place.

        ``row_stride`` and ``plane_stride`` are in bytes (the padded length of
        one row and of one y-x plane); by default rows and planes are dense.

        Examples
        --------
        >>> raw = bytearray(2 * 4 * 64)                  # 2 planes of 4 rows of 64 bytes
        >>> img = Image.from_buffer(raw, (2, 4, 30), np.uint16, row_stride=64)
        >>> img.shape, img.layout.kind.value
        ((2, 4, 30), 'row-padded')
        """
        dtype = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        if len(shape) < 2:
            raise AxesError(f"from_buffer needs at least 2 dimensions, got shape {shape}",
                            hint="pass shape=(rows, columns) or (planes, rows, columns)")
        row = row_stride if row_stride is not None else shape[-1] * dtype.itemsize
        plane = plane_stride if plane_stride is not None else shape[-2] * row
        if row < shape[-1] * dtype.itemsize or plane < (shape[-2] - 1) * row + shape[-1] * dtype.itemsize:
            raise AxesError(
                f"row_stride={row} or plane_stride={plane} is shorter than the data of one row or plane",
                hint=f"pass row_stride >= {shape[-1] * dtype.itemsize} (a row of {shape[-1]} {dtype} pixels) and "
                "plane_stride >= rows * row_stride",
            )
        inner = [dtype.itemsize, row, plane]
        for size in reversed(shape[1:-2]):
            inner.append(inner[-1] * size)
        strides = tuple(reversed(inner[: len(shape)]))
        view = memoryview(buffer).cast("B")
        needed = offset + sum((s - 1) * st for s, st in zip(shape, strides, strict=True)) + dtype.itemsize
        if needed > view.nbytes:
            raise AxesError(f"the buffer holds {view.nbytes} bytes; shape {shape} with these strides needs {needed}",
                            hint="check shape=, row_stride=, plane_stride= and offset= against the acquisition's "
                            "settings, or pass the whole buffer")
        array = np.ndarray(shape, dtype=dtype, buffer=view, offset=offset, strides=strides)
        return cls(array, axes=axes or _default_axes(len(shape)), spacing=spacing, kind=kind)

    # ------------------------------------------------------------ properties
    @property
    def array(self) -> np.ndarray:
        """The pixels (shared, never a copy); a dask array if the image is :attr:`lazy`."""
        return self._array

    @property
    def lazy(self) -> bool:
        """Whether the pixels are a dask array, read only when computed (``ia.read(path, lazy=True)``)."""
        return is_lazy(self._array)

    def compute(self) -> Image:
        """This image with its pixels in memory: the same Image if they already are.

        Examples
        --------
        >>> import dask.array as da
        >>> lazy = Image.from_array(da.zeros((4, 6), dtype=np.uint8, chunks=2), spacing=(2.0, 0.5))
        >>> lazy.lazy, lazy.compute().lazy, lazy.compute().spacing
        (True, False, (2.0, 0.5))
        """
        return self.replace(array=np.asarray(self._array.compute())) if self.lazy else self

    @property
    def axes(self) -> str:
        """One letter per dimension, in numpy order: t, z, c, y, x (q: other)."""
        return self._axes

    @property
    def spacing(self) -> tuple[float, ...]:
        """Pixel spacing per axis, numpy order."""
        return self._spacing

    @property
    def origin(self) -> tuple[float, ...]:
        """Physical position of the first pixel per axis, numpy order."""
        return self._origin

    @property
    def units(self) -> tuple[str | None, ...]:
        """Unit of each axis's spacing (``None`` where unknown), numpy order."""
        return self._units

    @property
    def direction(self) -> np.ndarray | None:
        """Direction cosines of the spatial axes (rows: physical, columns: array axes), numpy order."""
        return self._direction

    @property
    def kind(self) -> str:
        """``intensity``, ``rgb``, ``binary`` or ``label``."""
        return self._kind

    @property
    def channels(self) -> tuple[Channel, ...] | None:
        """Name and display colour of each index of the ``c`` axis, where known (OME's Channel, NGFF's omero).

        Examples
        --------
        >>> img = Image(np.zeros((2, 4, 4), np.uint16), axes="cyx", channels=["DAPI", Channel("GFP", "00ff00")])
        >>> img.channels
        (Channel(name='DAPI', color=None), Channel(name='GFP', color='#00FF00'))
        """
        return self._channels

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def dtype(self) -> np.dtype:
        return self._array.dtype

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def geometry(self) -> Geometry:
        """Sizes by name, in x, y, z, c, t order."""
        return Geometry.of(self._axes, self._array.shape)

    @property
    def layout(self) -> Layout:
        """How the pixels lie in memory (see :mod:`imarray.layout`)."""
        return classify(self._in_memory("a memory layout"))

    @property
    def spatial_axes(self) -> str:
        """The spatial axis letters present, numpy order (e.g. ``'zyx'``)."""
        return "".join(a for a in self._axes if a in SPATIAL)

    # ------------------------------------------------------------ access
    def at(self, **index: Any) -> Any:
        """Index by axis name: ``img.at(z=3)`` is the plane ``z=3``; any order, any subset.

        Examples
        --------
        >>> img = Image.from_array(np.arange(24).reshape(2, 3, 4))
        >>> img.at(x=1, z=1)
        array([13, 17, 21])
        """
        unknown = set(index) - set(self._axes)
        if unknown:
            raise AxesError(f"no axis {', '.join(sorted(unknown))} in an image with axes {self._axes!r}")
        return self._array[tuple(index.get(letter, slice(None)) for letter in self._axes)]

    def _in_order(self, values: tuple, order: str) -> tuple:
        missing = set(order) - set(self._axes)
        if missing:
            raise AxesError(f"no axis {', '.join(sorted(missing))} in an image with axes {self._axes!r}")
        return tuple(values[self._axes.index(letter)] for letter in order)

    def spacing_in(self, order: str = "xyz") -> tuple[float, ...]:
        """Spacing listed in ``order`` (toolkits such as ITK want ``'xyz'``)."""
        return self._in_order(self._spacing, order)

    def origin_in(self, order: str = "xyz") -> tuple[float, ...]:
        """Origin listed in ``order``."""
        return self._in_order(self._origin, order)

    def replace(self, **changes: Any) -> Image:
        """A new Image on the same array with some attributes changed (``spacing=...``, ``kind=...``)."""
        attributes: dict[str, Any] = {"axes": self._axes, "spacing": self._spacing, "origin": self._origin,
                                      "units": self._units, "direction": self._direction, "kind": self._kind,
                                      "channels": self._channels}
        unknown = set(changes) - set(attributes) - {"array"}
        if unknown:
            raise TypeError(f"Image has no attribute {', '.join(sorted(unknown))} to replace")
        attributes.update(changes)
        return Image(changes.get("array", self._array), **{k: v for k, v in attributes.items() if k != "array"})

    # ------------------------------------------------------------ protocols
    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if self.lazy:  # computed: a new array, never shared
            if copy is False:
                raise CopyRequiredError("copy=False, but a lazy image has no pixels in memory to share",
                                        hint="pass copy=None, or call image.compute() first")
            return _as_array(self._array.compute(), None, dtype)
        return _as_array(self._array, copy, dtype)

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._in_memory("DLPack").__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._in_memory("DLPack").__dlpack_device__()

    def _in_memory(self, purpose: str) -> np.ndarray:
        """The pixels as the ndarray ``purpose`` needs; ``LazyImageError`` for a lazy image."""
        if self.lazy:
            raise LazyImageError(f"{purpose} needs the pixels in memory, and this image is lazy (a dask array)",
                                 hint="call image.compute() first, or slice it and compute the part you need")
        return self._array

    # ---------------------------------------- toolkits: imarray.interop modules, through registry.CONVERTERS
    def to_sitk(self) -> Any:
        """A SimpleITK image: pixels copied once, spacing/origin/direction in (x, y, z) order.

        See :mod:`imarray.interop.sitk`; needs the ``medical`` extra (SimpleITK).
        """
        return converter("sitk").to_sitk(self)

    @classmethod
    def from_sitk(cls, image: Any, *, kind: Kind | None = None) -> Image:
        """An Image viewing a SimpleITK image's pixels (no copy), geometry in numpy order."""
        return converter("sitk").from_sitk(image, kind=kind)

    def to_itk(self) -> Any:
        """An ITK image viewing these pixels (one dense copy only if they are not C-contiguous).

        See :mod:`imarray.interop.itk`; needs the ``itk`` extra.
        """
        return converter("itk").to_itk(self)

    @classmethod
    def from_itk(cls, image: Any, *, kind: Kind | None = None) -> Image:
        """An Image viewing an ITK image's pixels (no copy), geometry in numpy order."""
        return converter("itk").from_itk(image, kind=kind)

    def to_xarray(self) -> Any:
        """An ``xarray.DataArray`` sharing these pixels, dims named by axis, coordinates from spacing and origin.

        See :mod:`imarray.interop.xarray`; needs the ``xarray`` extra.
        """
        return converter("xarray").to_xarray(self)

    @classmethod
    def from_xarray(cls, data: Any, *, kind: Kind | None = None) -> Image:
        """An Image sharing a DataArray's NumPy pixels, axes from its dims, geometry from its coordinates."""
        return converter("xarray").from_xarray(data, kind=kind)

    def __repr__(self) -> str:
        sizes = " x ".join(f"{letter}={size}" for letter, size in zip(self._axes, self.shape, strict=True))
        spacing = ", ".join(f"{s:g}" for s in self._spacing)
        units = {u for u in self._units if u}
        unit = f" {units.pop()}" if len(units) == 1 else ""
        lazy = " lazy" if self.lazy else ""
        return f"<Image{lazy} {self._kind} {self.dtype} {sizes}, spacing ({spacing}){unit}>"

    # ------------------------------------------------------------ validation
    def _checked_direction(self, direction: Any) -> np.ndarray:
        matrix = np.array(direction, dtype=np.float64)
        count = len(self.spatial_axes)
        if matrix.shape != (count, count):
            raise AxesError(
                f"direction must be a {count}x{count} matrix for the spatial axes {self.spatial_axes!r}, "
                f"got shape {matrix.shape}",
                hint="rows are physical axes, columns array axes, both in numpy order (z, y, x)",
            )
        if not np.allclose(matrix @ matrix.T, np.eye(count), atol=1e-6):
            raise AxesError("direction must be orthonormal (its rows are unit vectors at right angles)",
                            hint="put scaling in spacing=, not in the direction; from ITK use GetDirection() as is")
        matrix.setflags(write=False)
        return matrix

    def _check_kind(self) -> None:
        check_kind(self._kind, self._array, self._axes)

    def _checked_channels(self, channels: Sequence[Channel | str]) -> tuple[Channel, ...]:
        if "c" not in self._axes:
            raise AxesError(f"channels= names the indices of a c axis, and the axes {self._axes!r} have none",
                            hint="name the channel axis c (axes=...), or leave channels out")
        size = self.shape[self._axes.index("c")]
        if isinstance(channels, str) or len(channels) != size:
            raise AxesError(f"channels= needs one entry per index of the c axis ({size}), got {channels!r}")
        return tuple(Channel.parse(entry) for entry in channels)


def check_kind(kind: str, array: np.ndarray, axes: str) -> None:
    """Raise ``PixelKindError`` unless ``array`` with ``axes`` satisfies the rules of ``kind``."""
    dtype = array.dtype
    if kind not in KINDS:
        raise PixelKindError(f"kind={kind!r} is not a pixel kind", hint=f"choose one of {', '.join(KINDS)}")
    if dtype.kind not in "biufc":
        raise PixelKindError(f"{dtype} is not an image dtype", hint="use a numeric or bool array")
    if kind == "rgb":
        if "c" not in axes or array.shape[axes.index("c")] not in (3, 4):
            raise PixelKindError(
                f"an rgb image needs a colour axis 'c' of 3 or 4 samples; axes {axes!r}, shape {array.shape}",
                hint="use Image.from_rgb_array, which finds the colour axis",
            )
        if dtype.kind in "bc":
            raise PixelKindError(f"rgb samples are numbers, not {dtype}", hint="pass array.astype(np.uint8)")
    elif kind == "binary" and dtype.name not in _BINARY_DTYPES:
        raise PixelKindError(f"a binary image is bool, uint8 or int8, not {dtype}",
                             hint="use Image.from_binary_array(array != 0)")
    elif kind == "label" and dtype.kind != "u":
        raise PixelKindError(f"a label image holds unsigned integers, not {dtype}", hint="use Image.from_label_array")


def valid_kind(kind: Any, array: np.ndarray, axes: str) -> bool:
    """Whether ``kind`` (as a file records it) fits ``array``; readers fall back to intensity if not."""
    try:
        check_kind(kind, array, axes)
    except PixelKindError:
        return False
    return True
