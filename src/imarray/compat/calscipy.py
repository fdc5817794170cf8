"""CalSciPy's io_tools names over imarray: change one import, keep your values.

Same names, parameters and defaults as ``CalSciPy.io_tools`` (``name=``,
``size_cap=`` in GB, ``mapped=``, ``mode=``, ``missing_metadata=``), with
imarray's guarantees: uint32, int8, float64 and bool come back exactly, writes
are atomic, and paths may contain dashes, spaces and nested folders. Saves
return the path written (CalSciPy returned ``0``).

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "my run"
>>> stack = np.arange(24, dtype=np.uint32).reshape(2, 3, 4) * 100_000
>>> path = save_binary(folder, stack)
>>> path.name
'binary_video.bin'
>>> bool((load_binary(folder) == stack).all())
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .. import api
from ..formats import folder as folder_format
from ..formats import raw
from ..registry import BY_NAME

__all__ = ["load_binary", "load_images", "save_binary", "save_images"]


def _target(path: str | Path, name: str | None, extension: str, default_name: str) -> Path:
    """CalSciPy's rule: a path with a suffix is the file; otherwise a folder holding ``name``."""
    path = Path(path)
    if path.suffix:
        return path.with_suffix(extension)
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{name or default_name}{extension}"


def load_images(path: str | Path) -> np.ndarray:
    """Load a .tif file, or every .tif of a folder, as one array.

    Examples
    --------
    >>> images = load_images("imaging_folder")          # doctest: +SKIP
    """
    return api.load(path)


def save_images(path: str | Path, images: np.ndarray, name: str | None = None, size_cap: float = 3.9) -> Path:
    """Save images as one .tif, or as numbered .tif files of at most ``size_cap`` GB.

    A stack larger than ``size_cap`` goes to a folder named after the file
    (``images.tif`` -> ``images/images_00000.tif`` ...), which ``load_images``
    reads back whole.

    Examples
    --------
    >>> save_images("desired_folder", images, name="example_images")   # doctest: +SKIP
    """
    target = _target(path, name, ".tif", "images")
    images = np.asarray(images)
    if images.nbytes <= size_cap * 1e9:
        return api.save(target, images)
    return api.save(target, images, size_cap=int(size_cap * 1e9))


def load_binary(
    path: str | Path,
    mapped: bool = False,
    mode: str = "r",
    missing_metadata: Mapping | None = None,
) -> np.ndarray | np.memmap:
    """Load a binary written by CalSciPy or imarray (file, stem, or folder with ``binary_video``).

    Examples
    --------
    >>> load_binary("desired_folder", missing_metadata={"frames": 100, "y": 100, "dtype": int})  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        default = path / "binary_video.bin"
        path = default if default.exists() else folder_format.image_files(path)[1][0]
    dtype, dims = None, {}
    if missing_metadata:
        meta = dict(missing_metadata)
        dtype = np.dtype(meta.pop("dtype", None)) if meta.get("dtype") is not None else None
        dims = {key: int(value) for key, value in meta.items() if value not in (None, -1)}
        if raw._bin_path(path).with_suffix(".json").exists():
            dtype, dims = None, {}
    array, _ = raw.read(raw._bin_path(path), spec=BY_NAME["raw"], mmap=mapped, mode=mode, dtype=dtype, dims=dims)
    return array


def save_binary(path: str | Path, images: np.ndarray, name: str | None = None) -> Path:
    """Save images as ``.bin`` + ``.json``; default stem ``binary_video``.

    3D native-order stacks get CalSciPy's own four-key sidecar, which CalSciPy
    reads; other arrays get imarray's sidecar.

    Examples
    --------
    >>> save_binary("desired_folder", images, name="example_binary")   # doctest: +SKIP
    """
    target = _target(path, name, ".bin", "binary_video")
    images = np.asarray(images)
    calscipy = images.ndim == 3 and images.dtype.byteorder != ">"
    return raw.write(target, images, spec=BY_NAME["raw"], metadata={},
                     sidecar="calscipy" if calscipy else "imarray")
