"""itk-python: ``to_itk`` views the Image's pixels (no copy), ``from_itk`` views the ITK buffer.

``itk.image_view_from_array`` silently copies a non-contiguous array, and
``itk.image_from_array`` on a row-padded array copies it twice. ``to_itk``
wraps a C-contiguous array in place and makes exactly one dense copy of any
other layout. The ITK image itself (the C++ object, not only its Python
wrapper) holds a reference to the pixels it views, the Image's own array or
that one copy, and lets go when ITK destroys it: dropping the Image, the
source array and even the wrapper (``Filter.New(img.to_itk())``) leaves the
pixels valid for as long as ITK uses them. Spacing, origin and direction go
over in ITK's (x, y, z) order.

ITK is wrapped for uint8, int16, uint16, int32, uint32, uint64, float32 and
float64 pixels; bool masks are handed over as uint8 0/1 without a copy, and
other dtypes are refused with the cast that fits.

Examples
--------
>>> import numpy as np
>>> from imarray import Image
>>> img = Image.from_array(np.zeros((5, 64, 128), np.float32), spacing=(2.0, 0.5, 0.25))
>>> view = img.to_itk()                                     # doctest: +SKIP
>>> tuple(view.GetSpacing())                                # doctest: +SKIP
(0.25, 0.5, 2.0)
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .._optional import import_optional
from ..errors import UnsupportedDtypeError
from ..image import Image
from ._toolkit import from_toolkit, owned_view, to_toolkit

_WRAPPED = ("uint8", "int16", "uint16", "int32", "uint32", "uint64", "float32", "float64")
_INSTEAD = {"int8": "int16", "int64": "int32 (if the values fit) or float64", "float16": "float32",
            "complex64": "two float32 images (real, imag)",
            "complex128": "two float64 images (real, imag)"}


def itk_module() -> ModuleType:
    """The itk module, or ``MissingDependencyError`` naming the ``itk`` extra."""
    return import_optional("itk", extra="itk", purpose="ITK images")


def to_itk(image: Image) -> Any:
    """An ITK image viewing ``image``'s pixels (one dense copy only if they are not C-contiguous).

    Examples
    --------
    >>> from imarray.interop.itk import to_itk                  # doctest: +SKIP
    >>> itk_image = to_itk(Image.from_array(np.zeros((2, 3), np.uint8), spacing=(2, 1)))  # doctest: +SKIP
    """
    if image.dtype == np.bool_:
        image = image.replace(array=image.array.view(np.uint8))
    name = image.dtype.newbyteorder("=").name
    if name not in _WRAPPED or image.dtype.byteorder == ">":
        instead = "its native byte order" if image.dtype.byteorder == ">" else _INSTEAD.get(name, "float64")
        raise UnsupportedDtypeError(
            f"itk-python is wrapped for {', '.join(_WRAPPED)} pixels, not {image.dtype}",
            hint=f"convert to {instead} first, e.g. img.replace(array=imarray.dtypes.exact_cast(img.array, ...))",
        )
    itk = itk_module()
    geometry = to_toolkit(image)
    view = itk.image_view_from_array(geometry.array, is_vector=geometry.components > 1)
    # ITK's own reference to the pixels lives in the Python wrapper only: a view handed straight to a filter
    # (Filter.New(img.to_itk())) lost it, and the filter read freed memory (a segfault, measured). The C++ image
    # now owns a command that holds the array; ITK releases it when the image itself is destroyed.
    view.AddObserver(itk.DeleteEvent(), _holding(geometry.array))
    view.SetSpacing(geometry.spacing)
    view.SetOrigin(geometry.origin)
    view.SetDirection(np.array(geometry.direction).reshape(geometry.dimension, geometry.dimension))
    return view


def _holding(array: np.ndarray) -> Any:
    """A callable that references ``array``: whoever keeps the callable keeps the array."""
    return lambda: array


def from_itk(itk_image: Any, *, kind: str | None = None) -> Image:
    """An Image viewing an ITK image's pixels (no copy); the array keeps the ITK image alive.

    ITK images have no copy on write: the array sees every later change to the
    image's pixels, and stays on the buffer it views unless the ITK image is
    given a buffer of another size (as ``itk.array_view_from_image`` does).
    """
    itk = itk_module()
    view = itk.array_view_from_image(itk_image)
    # a plain array whose base holds the ITK image (NumPy would collapse a view of ITK's own view to the buffer)
    array = owned_view(view.ctypes.data, view.nbytes, view.dtype, view.shape, itk_image)
    spacing = tuple(float(s) for s in itk_image.GetSpacing())
    origin = tuple(float(o) for o in itk_image.GetOrigin())
    direction = itk.array_from_matrix(itk_image.GetDirection()).reshape(-1)
    components = itk_image.GetNumberOfComponentsPerPixel()
    return from_toolkit(array, components, spacing, origin, direction, kind=kind)
