"""imarray: scientific images as NumPy arrays, loaded and saved exactly.

>>> import numpy as np, imarray as ia
>>> labels = np.arange(1, 37, dtype=np.uint32).reshape(6, 6)
>>> ia.save("labels.tif", labels)            # doctest: +SKIP
>>> ia.load("labels.tif").dtype              # doctest: +SKIP
dtype('uint32')

``import imarray`` imports nothing heavy: NumPy, tifffile and the format
modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "load": "imarray.api",
    "save": "imarray.api",
    "info": "imarray.api",
    "iter_frames": "imarray.api",
    "read": "imarray.api",
    "write": "imarray.api",
    "FileInfo": "imarray.fileinfo",
    "Image": "imarray.image",
    "Channel": "imarray.image",
    "Geometry": "imarray.geometry",
    "layout": "imarray.layout",
    "errors": "imarray.errors",
    "load_images": "imarray.compat.calscipy",
    "save_images": "imarray.compat.calscipy",
    "load_binary": "imarray.compat.calscipy",
    "save_binary": "imarray.compat.calscipy",
    "load_video": "imarray.compat.calscipy",
    "save_video": "imarray.compat.calscipy",
    "load_gif": "imarray.compat.calscipy",
    "save_gif": "imarray.compat.calscipy",
}

__all__ = ["Channel", "FileInfo", "Geometry", "Image", "__version__", "errors", "info", "iter_frames", "layout", "load",
           "load_binary", "load_gif", "load_images", "load_video", "read", "save", "save_binary", "save_gif",
           "save_images", "save_video", "write"]

if TYPE_CHECKING:  # pragma: no cover
    from . import errors, layout
    from .api import info, iter_frames, load, read, save, write
    from .compat.calscipy import (
        load_binary,
        load_gif,
        load_images,
        load_video,
        save_binary,
        save_gif,
        save_images,
        save_video,
    )
    from .fileinfo import FileInfo
    from .geometry import Geometry
    from .image import Channel, Image


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'imarray' has no attribute {name!r}")
    value = importlib.import_module(module)
    if name not in ("errors", "layout"):
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
