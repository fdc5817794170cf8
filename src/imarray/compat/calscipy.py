"""CalSciPy's io_tools names over imarray: change one import, keep your values.

Same names, parameters and defaults as ``CalSciPy.io_tools`` (``name=``,
``size_cap=`` in GB, ``mapped=``, ``mode=``, ``missing_metadata=``,
``frame_rate=``), with
imarray's guarantees: uint32, int8, float64 and bool come back exactly, writes
are atomic, and paths may contain dashes, spaces and nested folders. Saves
return the path written (CalSciPy returned ``0``).

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> stack = np.arange(24, dtype=np.uint32).reshape(2, 3, 4) * 100_000
>>> with tempfile.TemporaryDirectory() as name:
...     folder = pathlib.Path(name) / "my run"
...     path = save_binary(folder, stack)
...     path.name, bool((load_binary(folder) == stack).all())
('binary_video.bin', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

import numpy as np

from .. import api
from .._paths import local, visible_files
from ..dtypes import as_dtype
from ..errors import ImageFileNotFoundError
from ..formats import folder as folder_format
from ..formats import raw
from ..registry import BY_NAME

__all__ = ["load_binary", "load_gif", "load_images", "load_video", "save_binary", "save_gif", "save_images",
           "save_video"]


def _target(
    path: str | Path, name: str | None, extension: str, default_name: str, keep: tuple[str, ...] = ()
) -> Path:
    """CalSciPy's rule: a path with a suffix is the file; otherwise a folder holding ``name``.

    Suffixes in ``keep`` stay (``save_video("movie.mkv", ...)`` writes lossless FFV1).
    """
    path = Path(path)
    if path.suffix:
        return path if path.suffix.lower() in keep else path.with_suffix(extension)
    path.mkdir(parents=True, exist_ok=True)
    return path / f"{name or default_name}{extension}"


def load_images(path: str | Path) -> np.ndarray:
    """Load a .tif file, or every .tif of a folder, as one array.

    A folder that :func:`save_images` split a stack into (``run/stack/stack_00000.tif``
    ...) loads from the folder it was saved to (``load_images("run")``) when that
    series is the only image there.

    Examples
    --------
    >>> images = load_images("imaging_folder")          # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir() and not any(p.suffix.lower() in (".tif", ".tiff") for p in visible_files(path)):
        series = [sub for sub in sorted(path.iterdir()) if sub.is_dir() and _is_series(sub)]
        if len(series) > 1:
            raise ImageFileNotFoundError(
                f"the folder holds no .tif but {len(series)} split stacks: {', '.join(s.name for s in series)}",
                path=path, hint="pass the folder of the one you want")
        if series:
            path = series[0]
    return api.load(path)


def _is_series(folder: Path) -> bool:
    """Whether ``folder`` holds a stack split by ``save_images``: ``<folder name>_00000.tif`` ..."""
    pattern = folder_format.series_pattern(folder.name, ".tif")
    files = visible_files(folder)
    return bool(files) and all(pattern.fullmatch(p.name) for p in files)


def save_images(path: str | Path, images: np.ndarray, name: str | None = None, size_cap: float = 3.9) -> Path:
    """Save images as one .tif, or as numbered .tif files of at most ``size_cap`` GB.

    A stack larger than ``size_cap`` goes to a folder named after the file
    (``images.tif`` -> ``images/images_00000.tif`` ...), which ``load_images``
    reads back whole, given that folder or the folder it was saved to.

    Examples
    --------
    >>> save_images("desired_folder", images, name="example_images")   # doctest: +SKIP
    """
    target = _target(path, name, ".tif", "images")
    images = np.asarray(images)
    if images.nbytes <= size_cap * 1e9:
        return cast(Path, api.save(target, images))
    return cast(Path, api.save(target, images, size_cap=int(size_cap * 1e9)))


def load_binary(
    path: str | Path,
    mapped: bool = False,
    mode: str = "r+",
    missing_metadata: Mapping | None = None,
) -> np.ndarray | np.memmap:
    """Load a binary written by CalSciPy or imarray (file, stem, or folder with ``binary_video``).

    ``mapped=True`` maps the file writable (``mode="r+"``), as CalSciPy's
    ``load_binary`` does; pass ``mode="r"`` for a read-only map.

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
        dtype = as_dtype(meta.pop("dtype"), path=path) if meta.get("dtype") is not None else None
        dims = {key: int(value) for key, value in meta.items() if value not in (None, -1)}
        if raw.bin_path(path).with_suffix(".json").exists():
            dtype, dims = None, {}
    array, _ = raw.read(raw.bin_path(path), spec=BY_NAME["raw"], mmap=mapped, mode=mode, dtype=dtype, dims=dims)
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
    written = raw.write(target, images, spec=BY_NAME["raw"], metadata={},
                        sidecar="calscipy" if calscipy else "imarray")
    return local(written)  # a local target gives a local path


def _with_default_suffix(path: str | Path, extension: str) -> Path:
    """CalSciPy adds the suffix to a bare stem: ``load_video("run1")`` reads ``run1.mp4``."""
    path = Path(path)
    if not path.exists() and not path.suffix and path.with_suffix(extension).exists():
        return path.with_suffix(extension)
    return path


def load_video(path: str | Path) -> np.ndarray:
    """Load an .mp4 or .mkv video, or every video of a folder in natural order, as one array.

    Grey videos written by imarray come back as ``(frames, y, x)``; colour ones
    (and videos by other tools) as ``(frames, y, x, 3)`` uint8 (CalSciPy always
    returned colour). No OpenCV needed.

    Examples
    --------
    >>> images = load_video("video_file.mp4")          # doctest: +SKIP
    """
    return api.load(_with_default_suffix(path, ".mp4"))


def save_video(
    path: str | Path, images: np.ndarray, frame_rate: float = 30, name: str | None = None, *, scale=None
) -> Path:
    """Save images as an H.264 .mp4 (or lossless FFV1 if the path ends in .mkv); default name ``video``.

    Unlike CalSciPy, data other than uint8 is not cast silently: pass
    ``scale="minmax"`` or ``scale=(lo, hi)`` to map it for display, or use
    ``.mkv`` to keep uint16 exactly.

    As in CalSciPy, any other suffix is replaced by ``.mp4``: ``"clip.avi"``
    writes ``clip.mp4`` (no AVI is written), and the path returned says so.

    Examples
    --------
    >>> save_video("desired_folder", images, frame_rate=90.0)   # doctest: +SKIP
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_video(pathlib.Path(folder) / "clip.avi", np.zeros((2, 8, 8), np.uint8)).name
    'clip.mp4'
    """
    target = _target(path, name, ".mp4", "video", keep=(".mp4", ".mkv"))
    return cast(Path, api.save(target, images, frame_rate=frame_rate, scale=scale))


def load_gif(path: str | Path) -> np.ndarray:
    """Load a .gif (or a folder of them): ``(frames, y, x)`` grey or ``(frames, y, x, 3)`` RGB.

    Examples
    --------
    >>> gif = load_gif("gif_file.gif")                 # doctest: +SKIP
    """
    return api.load(_with_default_suffix(path, ".gif"))


def save_gif(
    path: str | Path, images: np.ndarray, frame_rate: float = 30, name: str | None = None, *, scale=None
) -> Path:
    """Save images as an animated .gif; default name ``images`` (CalSciPy's).

    Every frame is kept (identical frames too); uint8 grey is exact. Data
    other than uint8 needs ``scale=`` (CalSciPy cast it silently).

    Examples
    --------
    >>> save_gif("gif_file.gif", images, frame_rate=5.0)  # doctest: +SKIP
    """
    target = _target(path, name, ".gif", "images")
    return cast(Path, api.save(target, images, frame_rate=frame_rate, scale=scale))
