"""SimpleITK: ``to_sitk`` / ``from_sitk`` with spacing, origin and direction in SimpleITK's (x, y, z) order.

SimpleITK cannot wrap memory it did not allocate, so ``to_sitk`` copies the
pixels once, straight into the SimpleITK image's own buffer; a padded or
strided array is read in place, with no intermediate dense copy. ``from_sitk`` is zero-copy: the array views the
SimpleITK buffer and keeps the SimpleITK image alive for as long as the array
lives. Scalar images are never mistaken for vector images by their shape
(SimpleITK's own ``GetImageFromArray`` turns any 4D array into a 3D vector
image); ``bool`` masks go over as uint8 0/1 without a copy of their meaning.

Examples
--------
>>> import numpy as np
>>> from imarray import Image
>>> img = Image.from_array(np.zeros((5, 64, 128), np.float32), spacing=(2.0, 0.5, 0.25))
>>> simple = img.to_sitk()                                  # doctest: +SKIP
>>> simple.GetSpacing(), simple.GetSize()                   # doctest: +SKIP
((0.25, 0.5, 2.0), (128, 64, 5))
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .._optional import import_optional
from ..errors import UnsupportedDtypeError
from ..image import Image
from ._toolkit import from_toolkit, owned_view, to_toolkit

KIND_KEY = "imarray_kind"  # metadata key that carries the pixel kind through SimpleITK's writers
_SCALAR_IDS = {
    "uint8": "sitkUInt8", "int8": "sitkInt8", "uint16": "sitkUInt16", "int16": "sitkInt16",
    "uint32": "sitkUInt32", "int32": "sitkInt32", "uint64": "sitkUInt64", "int64": "sitkInt64",
    "float32": "sitkFloat32", "float64": "sitkFloat64", "complex64": "sitkComplexFloat32",
    "complex128": "sitkComplexFloat64",
}
_VECTOR_IDS = {
    "uint8": "sitkVectorUInt8", "int8": "sitkVectorInt8", "uint16": "sitkVectorUInt16", "int16": "sitkVectorInt16",
    "uint32": "sitkVectorUInt32", "int32": "sitkVectorInt32", "uint64": "sitkVectorUInt64",
    "int64": "sitkVectorInt64", "float32": "sitkVectorFloat32", "float64": "sitkVectorFloat64",
}


def simpleitk() -> ModuleType:
    """The SimpleITK module, or ``MissingDependencyError`` naming the ``medical`` extra."""
    return import_optional("SimpleITK", extra="medical", purpose="SimpleITK images and medical formats")


def _pixel_id(sitk: ModuleType, dtype: np.dtype, components: int) -> int:
    table = _SCALAR_IDS if components == 1 else _VECTOR_IDS
    name = table.get(dtype.newbyteorder("=").name)
    if name is None:
        held = ", ".join(table)
        raise UnsupportedDtypeError(
            f"SimpleITK holds {'scalar' if components == 1 else 'vector'} pixels of {held}, not {dtype}",
            hint="float16: pass img.replace(array=img.array.astype(np.float32)); complex colour: split the channels",
        )
    return getattr(sitk, name)


def buffer_array(image: Any) -> np.ndarray:
    """A writable NumPy view of a SimpleITK image's pixels that keeps those pixels alive.

    SimpleITK shares a buffer between an image and its copies (``sitk.Image(img)``)
    until one of them is written, and then gives the written one a buffer of
    its own. The array's base therefore holds a copy of the image made after
    the view: it shares the viewed buffer, so the buffer lives as long as the
    array, whatever happens to ``image`` (measured: holding ``image`` itself
    left the array on freed memory once a copy was written and dropped).
    """
    sitk = simpleitk()
    memory = sitk._SimpleITK._GetMemoryViewFromImage(image)  # makes image's buffer its own, then views it
    shape = tuple(image.GetSize())[::-1]
    components = image.GetNumberOfComponentsPerPixel()
    dtype = np.dtype(sitk.extra._get_numpy_dtype(image))
    if components > 1 and dtype.kind != "c":
        shape += (components,)
    holder = sitk.Image(image)  # shares the buffer just viewed: SimpleITK frees it only when no image uses it
    return owned_view(np.frombuffer(memory, np.uint8).ctypes.data, memory.nbytes, dtype, shape, holder)


def to_sitk(image: Image) -> Any:
    """A SimpleITK image with the pixels (copied once) and the geometry of ``image``.

    Examples
    --------
    >>> from imarray.interop.sitk import to_sitk                 # doctest: +SKIP
    >>> to_sitk(Image.from_array(np.zeros((2, 3), np.uint8), spacing=(2, 1))).GetSpacing()  # doctest: +SKIP
    (1.0, 2.0)
    """
    sitk = simpleitk()
    if image.dtype == np.bool_:
        image = image.replace(array=image.array.view(np.uint8))
    geometry = to_toolkit(image, dense=False)
    size = [int(s) for s in geometry.array.shape[::-1]]
    if geometry.components > 1:
        size = size[1:]
    result = sitk.Image(size, _pixel_id(sitk, geometry.array.dtype, geometry.components), geometry.components)
    np.copyto(buffer_array(result), geometry.array)  # strided sources are read in place: no intermediate copy
    result.SetSpacing(geometry.spacing)
    result.SetOrigin(geometry.origin)
    result.SetDirection(geometry.direction)
    if image.kind != "intensity":
        result.SetMetaData(KIND_KEY, image.kind)
    return result


def from_sitk(simple: Any, *, kind: str | None = None) -> Image:
    """An Image viewing a SimpleITK image's pixels (no copy), with its spacing, origin and direction.

    Writes through the array show in the SimpleITK image; a write through
    SimpleITK (``SetPixel``, in-place filters) gives that image a buffer of its
    own (SimpleITK's copy on write), and the array keeps the pixels it views,
    valid for as long as it lives.

    The pixel kind is ``kind`` if given, else what the image's metadata
    records (``imarray_kind``), else ``rgb`` for 3 or 4 uint8 components,
    else ``intensity``.
    """
    recorded = simple.GetMetaData(KIND_KEY) if simple.HasMetaDataKey(KIND_KEY) else None
    array = buffer_array(simple)
    components = array.shape[-1] if array.ndim > simple.GetDimension() else 1  # complex pixels count 2 in ITK
    return from_toolkit(array, components, simple.GetSpacing(), simple.GetOrigin(), simple.GetDirection(),
                        kind=kind or recorded)
