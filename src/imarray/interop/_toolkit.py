"""The geometry of an Image as ITK-style toolkits hold it: (x, y, z[, t]) order, direction in xyz.

An Image's spatial axes are in numpy order and its direction matrix is in
numpy order too (rows: physical z, y, x; columns: array axes z, y, x); ITK and
SimpleITK want sizes, spacing and origin reversed, and the direction with rows
and columns reversed. A colour axis last becomes the toolkit's pixel components.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..errors import AxesError
from ..image import Image, Kind, valid_kind
from ..layout import dense_volume

TOOLKIT_AXES = ("yx", "zyx", "tzyx")  # numpy order of the scalar dimensions a toolkit image can take


@dataclass(frozen=True)
class ToolkitGeometry:
    """Pixels and geometry in toolkit order.

    Attributes
    ----------
    array
        The pixels in numpy order: the Image's own array, or one dense copy of it.
    components
        Samples per pixel: 1, or the length of a last colour axis.
    spacing, origin
        Per toolkit dimension, x first.
    direction
        Row-major, ``dimension x dimension``, x first (as ``GetDirection`` gives it).
    """

    array: np.ndarray
    components: int
    spacing: tuple[float, ...]
    origin: tuple[float, ...]
    direction: tuple[float, ...]

    @property
    def dimension(self) -> int:
        return len(self.spacing)


def scalar_axes(image: Image) -> str:
    """The image's axes without a last colour axis; refuses what a toolkit image cannot hold."""
    axes = image.axes[:-1] if image.axes.endswith("c") else image.axes
    if axes not in TOOLKIT_AXES:
        raise AxesError(
            f"ITK-style toolkits take images with axes {', '.join(TOOLKIT_AXES)} (and a colour axis 'c' last); "
            f"this one has {image.axes!r}",
            hint="select or move axes first, e.g. Image.from_array(np.moveaxis(img.array, 0, -1), axes=...) "
            "or img.at(c=0)",
        )
    return axes


def to_toolkit(image: Image, *, dense: bool = True) -> ToolkitGeometry:
    """Toolkit-order geometry of ``image``.

    With ``dense=True`` the pixels are made C-contiguous with at most one copy
    (none if they are already); with ``dense=False`` they are left as they lie.
    """
    axes = scalar_axes(image)
    components = image.shape[-1] if image.axes.endswith("c") else 1
    spacing = image.spacing_in(axes[::-1])
    origin = image.origin_in(axes[::-1])
    direction = np.eye(len(axes))
    spatial = len(image.spatial_axes)
    if image.direction is not None:
        direction[:spatial, :spatial] = image.direction[::-1, ::-1]
    pixels = image._in_memory("an ITK or SimpleITK image")
    return ToolkitGeometry(dense_volume(pixels) if dense else pixels, components, spacing, origin,
                           tuple(float(v) for v in direction.ravel()))


def from_toolkit(array: np.ndarray, components: int, spacing, origin, direction, *,
                 kind: str | None = None) -> Image:
    """The Image of a toolkit image's pixels (numpy order, a last colour axis if ``components > 1``)."""
    dimension = len(spacing)
    axes = TOOLKIT_AXES[dimension - 2] if 2 <= dimension <= 4 else None
    if axes is None:
        raise AxesError(f"toolkit images of {dimension} dimensions have no axis names here; 2, 3 or 4 have")
    matrix = np.asarray(direction, dtype=np.float64).reshape(dimension, dimension)
    spatial = min(dimension, 3)
    block = matrix[:spatial, :spatial][::-1, ::-1]
    spacing = tuple(spacing)[::-1]
    origin = tuple(origin)[::-1]
    if components > 1:
        axes += "c"
        spacing, origin = (*spacing, 1.0), (*origin, 0.0)
    if kind is None or not valid_kind(kind, array, axes):
        kind = "rgb" if components in (3, 4) and array.dtype == np.uint8 else "intensity"
    identity = np.array_equal(block, np.eye(spatial))
    return Image(array, axes=axes, spacing=spacing, origin=origin, direction=None if identity else block,
                 kind=cast(Kind, kind))


def owned_view(address: int, nbytes: int, dtype: np.dtype, shape: tuple[int, ...], owner: Any) -> np.ndarray:
    """A writable array over ``nbytes`` of toolkit memory at ``address`` that keeps ``owner`` alive.

    The array's base is a ctypes buffer holding a reference to ``owner`` (the
    toolkit image that owns the memory), so the memory lives as long as the
    array or any view of it does; NumPy's collapsing of view chains stops there.
    """
    holder = (ctypes.c_char * nbytes).from_address(address)
    holder.owner = owner  # type: ignore[attr-defined]  # ctypes instances take new attributes
    return np.frombuffer(holder, dtype=dtype).reshape(shape)  # type: ignore[call-overload]  # a ctypes buffer
