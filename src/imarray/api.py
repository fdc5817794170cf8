"""``load``, ``save`` and ``info``: resolve the format, then call it.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> import imarray as ia
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> labels = np.array([[0, 5, 70000]], dtype=np.uint32)
>>> _ = ia.save(folder / "labels.tif", labels)
>>> ia.load(folder / "labels.tif")
array([[    0,     5, 70000]], dtype=uint32)
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import registry
from ._atomic import atomic_file, durability
from ._progress import streamed_progress
from .dtypes import ScaleSpec, exact_cast, is_lazy, scale_to, smallest_fitting
from .errors import (
    CorruptFileError,
    ImageFileNotFoundError,
    ImarrayError,
    UnsupportedDtypeError,
)
from .fileinfo import FileInfo
from .formats import folder as folder_format
from .registry import FormatSpec
from .streaming import STREAMED_MODULES

PathLike = str | os.PathLike[str]

__all__ = ["FormatMismatchWarning", "info", "load", "parse_size", "save"]

_RAW_DIMS = ("shape", "frames", "t", "z", "c", "y", "x")


class FormatMismatchWarning(UserWarning):
    """The file's content is of another format than its extension says."""


def parse_size(size: int | float | str) -> int:
    """Bytes from ``3_900_000_000``, ``"3.9GB"``, ``"500 MB"`` or ``"2GiB"``.

    Examples
    --------
    >>> parse_size("1.5 KiB")
    1536
    >>> parse_size("2GB")
    2000000000
    """
    if isinstance(size, int | float) and not isinstance(size, bool):
        if size <= 0:
            raise ValueError(f"size must be positive, got {size!r}")
        return int(size)
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?i?b?)\s*", str(size).lower())
    if not match:
        raise ValueError(f"cannot read a size from {size!r}; write e.g. 3.9GB or 500MiB")
    number, unit = float(match.group(1)), match.group(2).rstrip("b")
    powers = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
              "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
    return parse_size(int(number * powers[unit]))


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(32)
    except IsADirectoryError:  # pragma: no cover - checked by callers
        return b""
    except PermissionError as exc:
        raise ImageFileNotFoundError(f"cannot open the file ({exc.strerror})", path=path) from exc


def _existing(path: PathLike) -> Path:
    path = Path(path)
    if path.exists():
        return path
    for ext in (".bin",):  # CalSciPy style: the stem of a binary without its suffix
        if path.with_name(path.name + ext).exists():
            return path.with_name(path.name + ext)
    raise ImageFileNotFoundError(
        "no such file or folder",
        path=path,
        hint=f"check the path; the current folder is {Path.cwd()}",
    )


def resolve(path: PathLike, format: str | None = None) -> tuple[Path, FormatSpec | None]:
    """The existing path and the format that reads it (``None`` for a folder)."""
    path = _existing(path)
    if path.is_dir():
        return path, _store_spec(path, format)
    if format is not None:
        return path, registry.for_writing(path, format)
    if path.stat().st_size == 0:
        raise CorruptFileError(
            "the file is empty (0 bytes)", path=path, hint="the write that made it failed; rewrite it"
        )
    head = _head(path)
    spec = registry.for_reading(path, head)
    if spec.magic and not any(head.startswith(m) for m in spec.magic):
        raise CorruptFileError(
            f"the name says {spec.name} but the content is not (it starts with {head[:8]!r})",
            path=path,
            hint="the file is damaged, renamed or not an image; pass format= if you know better",
        )
    by_ext = registry.by_extension(path)
    if by_ext is not None and by_ext.module != spec.module:
        warnings.warn(
            f"{path}: the content is {spec.name} but the extension says {by_ext.name}; reading it as {spec.name}",
            FormatMismatchWarning,
            stacklevel=3,
        )
    return path, spec


def _store_spec(folder: Path, format: str | None) -> FormatSpec | None:
    """The Zarr row for a folder that is a Zarr store (``None``: a folder of images)."""
    from .formats.zarr_ import store_format

    found = store_format(folder)
    if found is None:
        return None
    return registry.BY_NAME[format.lower() if format and format.lower() in ("zarr", "ome-zarr") else found]


def load(
    path: PathLike,
    *,
    format: str | None = None,
    dtype: Any = None,
    mmap: bool = False,
    verify: bool = False,
    progress: bool = False,
    lazy: bool = False,
    **dims: int,
) -> np.ndarray:
    """Load an image file or folder as a NumPy array, exactly as written.

    Parameters
    ----------
    path
        A file, or a folder of slices, stacks or a size-capped series.
    format
        Force a format by name instead of detecting it.
    dtype
        For raw binaries without a sidecar: the dtype stored in the file.
        For every other format: an exact cast of the result (``LossyCastError``
        if a value does not fit).
    mmap
        Return a read-only ``np.memmap`` instead of reading (raw binaries and
        uncompressed contiguous TIFF).
    verify
        Check a raw binary's checksum recorded in its sidecar.
    progress
        Show a progress bar for folders when stderr is a terminal.
    lazy
        Return a ``dask.array.Array`` (the ``dask`` extra) built from headers
        alone: chunks are files of a folder, groups of TIFF pages or raw
        frames, or Zarr chunks, read only when computed. See
        :mod:`imarray.lazy`.
    **dims
        Raw binaries without a sidecar: sizes such as ``y=512, x=512``
        (``frames``, ``t``, ``z``, ``c``, ``y``, ``x``) or ``shape=``; one size
        may be left out and is inferred from the file size.

    Returns
    -------
    numpy.ndarray
        The pixels, with the dtype the file holds.

    Examples
    --------
    >>> import imarray as ia
    >>> stack = ia.load("slices/")                      # doctest: +SKIP
    >>> mm = ia.load("run1.bin", mmap=True)             # doctest: +SKIP
    >>> ia.load("run1.bin", dtype="uint16", y=512, x=512)  # sidecar lost  # doctest: +SKIP
    >>> big = ia.load("slices/", lazy=True)             # dask array, nothing read  # doctest: +SKIP
    """
    if lazy:
        if mmap or verify:
            raise TypeError("lazy=True reads chunks on demand; it takes no mmap= or verify=")
        unknown = set(dims) - set(_RAW_DIMS)
        if unknown:
            raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
        from .lazy import load_lazy

        return load_lazy(path, format=format, dtype=dtype, dims=dims)
    array, _ = _read(path, format=format, dtype=dtype, mmap=mmap, verify=verify, progress=progress, dims=dims)
    return array


def _read(path, *, format, dtype, mmap, verify, progress, dims) -> tuple[np.ndarray, FileInfo]:
    unknown = set(dims) - set(_RAW_DIMS)
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
    path, spec = resolve(path, format)
    if spec is None:
        if mmap:
            raise UnsupportedDtypeError(
                "mmap=True needs one file; a folder is read into one array",
                path=path,
                hint="load the folder without mmap (lazy loading arrives with the dask extra)",
            )
        array, file_info = folder_format.read(path, show_progress=progress)
    else:
        module = spec.load()
        if spec.name == "raw":
            return module.read(path, spec=spec, mmap=mmap, verify=verify, dtype=dtype, dims=dims)
        if dims or verify:
            raise TypeError(f"{spec.name} files take no sidecar dimensions or verify=; those are for raw binaries")
        if mmap:
            array, file_info = module.read(path, spec=spec, mmap=True)
        else:
            array, file_info = module.read(path, spec=spec)
    if dtype is not None:
        array = exact_cast(array, dtype, path=path)
    return array, file_info


def info(path: PathLike, *, format: str | None = None) -> FileInfo:
    """Describe an image file or folder without reading its pixels.

    Examples
    --------
    >>> import imarray as ia
    >>> print(ia.info("labels.tif"))                    # doctest: +SKIP
    path       labels.tif
    format     tiff
    shape      36 x 512 x 512  (qyx)
    ...
    """
    path, spec = resolve(path, format)
    if spec is None:
        return folder_format.info(path)
    return spec.load().info(path, spec=spec)


def _unsupported_message(array: np.ndarray, spec: FormatSpec, path: Path) -> UnsupportedDtypeError:
    held = "/".join(spec.dtypes)
    fit = smallest_fitting(array, [d for d in spec.dtypes if d != "bool"] if array.dtype != bool else list(spec.dtypes))
    alternatives = [name for name in registry.formats_holding(array.dtype.name) if name != spec.name]
    exts = ", ".join(
        registry.BY_NAME[name].extensions[0] for name in alternatives if registry.BY_NAME[name].extensions
    )
    ways = []
    if fit is not None:
        ways.append(f"pass dtype={fit!r} (every value fits)")
    elif spec.scale_target or array.dtype.kind in "iuf":
        target = spec.scale_target or spec.dtypes[-1]
        ways.append(f"pass dtype={target!r} with scale='minmax' or scale=(lo, hi) to map the values")
    if exts:
        ways.append(f"save as {exts} to keep {array.dtype} exactly")
    return UnsupportedDtypeError(
        f"{spec.name} holds {held}, not {array.dtype}",
        path=path,
        hint="; or ".join(ways) or None,
    )


def _ndim_hint(ndim: int) -> str:
    holding = [
        spec.extensions[0] for spec in registry.FORMATS if spec.extensions and spec.ndim[0] <= ndim <= spec.ndim[1]
    ]
    hint = "reshape the array (a[np.newaxis] adds a dimension)"
    if holding:
        hint += f", or save as {', '.join(holding)}, which hold {ndim}D arrays"
    return hint


def convert_for(
    array: np.ndarray, spec: FormatSpec, *, dtype: Any = None, scale: ScaleSpec | None = None, path: Path | None = None
) -> tuple[np.ndarray, dict]:
    """Apply the caller's ``dtype=``/``scale=`` and check that ``spec`` holds the result."""
    metadata: dict = {}
    if scale is not None:
        target = dtype if dtype is not None else spec.scale_target
        if target is None:
            raise UnsupportedDtypeError(
                f"scale= needs a target dtype for {spec.name}",
                path=path,
                hint=f"pass dtype= as well, one of {', '.join(spec.dtypes)}",
            )
        array, record = scale_to(array, target, scale, path=path)
        metadata["scale"] = record.as_dict()
    elif dtype is not None:
        array = exact_cast(array, dtype, path=path)
    if array.dtype.name not in spec.dtypes:
        raise _unsupported_message(array, spec, path)
    return array, metadata


def save(
    path: PathLike,
    array: Any,
    *,
    format: str | None = None,
    dtype: Any = None,
    scale: ScaleSpec | None = None,
    compression: str | None = None,
    axes: str | None = None,
    size_cap: int | float | str | None = None,
    bigtiff: bool | None = None,
    photometric: str | None = None,
    quality: int | None = None,
    checksum: bool | None = None,
    chunks: tuple[int, ...] | None = None,
    pyramid: bool | int | None = None,
    progress: bool = False,
    durable: bool = True,
) -> Path:
    """Save an array so that it loads back exactly, or refuse before writing.

    The write is atomic: a temporary file in the same folder is renamed over
    the target only when complete, so an error leaves any old file whole.

    Parameters
    ----------
    path
        Target file; the extension chooses the format unless ``format=``.
    array
        The pixels: a NumPy array, or a dask array, which TIFF, raw and Zarr
        write chunk by chunk without holding it whole (see
        :mod:`imarray.streaming`).
    format
        Format name (``tiff``, ``ome-tiff``, ``imagej``, ``raw``, ``zarr``,
        ``ome-zarr``, ``png``, ``jpeg``, ``bmp``).
    dtype
        Exact cast before writing; ``LossyCastError`` if any value does not fit.
    scale
        Map values on request: ``"clip"``, ``"minmax"`` or ``(lo, hi)``; the
        mapping is recorded in the file where the format has room.
    compression
        TIFF: ``"zlib"``, ``"zstd"``, ``"lzw"``, ``"lzma"`` (the ``codecs``
        extra for zstd and lzw). Off by default.
    axes
        Letters from ``tzcyx`` (and ``q`` for unknown), one per dimension;
        recorded in TIFF and raw sidecars.
    size_cap
        TIFF: split along the first axis into numbered files of at most this
        many bytes (``"3.9GB"``) in a folder named after ``path``.
    bigtiff
        TIFF: force (or forbid) BigTIFF; by default chosen when needed.
    photometric
        TIFF: ``"rgb"`` to write the last axis (3 or 4) as colour samples.
    quality
        JPEG quality, 1-95.
    checksum
        Raw: ``False`` skips the CRC-32 recorded in the sidecar.
    chunks
        Zarr: chunk shape, one size per dimension (default: the dask array's
        chunks, or Zarr's choice for a NumPy array).
    pyramid
        OME-Zarr: ``True`` adds levels downsampled by 2 in y, x (and z);
        a number gives that many levels in all.
    progress
        Show a progress bar for multi-file writes when stderr is a terminal.
    durable
        ``True`` (default) flushes the file and its folder to disk around the
        rename, so a power cut leaves the old or the new file whole. ``False``
        skips the flushes (faster when the disk is the bottleneck); the rename
        is still atomic if the process dies.

    Returns
    -------
    pathlib.Path
        The file (or series folder) written.

    Examples
    --------
    >>> import numpy as np, imarray as ia
    >>> labels = np.array([[1, 36, 70000]], dtype=np.uint32)
    >>> ia.save("labels.png", labels)                   # doctest: +SKIP
    Traceback (most recent call last):
    imarray.errors.UnsupportedDtypeError: labels.png: png holds bool/uint8/uint16, not uint32. ...
    """
    path = Path(path)
    spec = registry.for_writing(path, format)
    given = {
        "compression": compression,
        "axes": axes,
        "size_cap": size_cap,
        "bigtiff": bigtiff,
        "photometric": photometric,
        "quality": quality,
        "checksum": checksum,
        "chunks": chunks,
        "pyramid": pyramid,
    }
    options = {key: value for key, value in given.items() if value is not None}
    refused = [key for key in options if key not in spec.options]
    if refused:
        raise TypeError(
            f"{path}: {spec.name} takes no {', '.join(k + '=' for k in refused)}"
            f" (it takes {', '.join(o + '=' for o in spec.options) or 'no options'})"
        )
    if not is_lazy(array) or spec.module not in STREAMED_MODULES:
        array = np.asarray(array)  # a dask array is computed whole only for formats of single images
    if array.ndim == 0 or array.size == 0:
        raise UnsupportedDtypeError(
            f"an image needs at least one pixel in at least one dimension; got shape {array.shape}",
            path=path,
        )
    if array.dtype.kind not in "biufc":
        raise UnsupportedDtypeError(
            f"{array.dtype} is not an image dtype", path=path, hint="use a numeric or bool array"
        )
    low, high = spec.ndim
    if not low <= array.ndim - (1 if photometric == "rgb" else 0) <= high:
        raise UnsupportedDtypeError(
            f"{spec.name} holds images of {low} to {high} dimensions, not {array.ndim} (shape {array.shape})",
            path=path,
            hint=_ndim_hint(array.ndim),
        )
    array, metadata = convert_for(array, spec, dtype=dtype, scale=scale, path=path)
    size_cap_bytes = options.pop("size_cap", None)
    module = spec.load()
    try:
        module.check_writable(array, spec=spec, **options)
    except ImarrayError as err:
        if err.path is not None:
            raise
        raise type(err)(err.message, path=path, hint=err.hint) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    with durability(durable), streamed_progress(progress):
        return _write(path, array, spec, module, metadata, size_cap_bytes, options, progress)


def _write(path: Path, array: np.ndarray, spec: FormatSpec, module: Any, metadata: dict,
           size_cap_bytes: Any, options: dict, progress: bool) -> Path:
    if size_cap_bytes is not None:
        return folder_format.write_series(
            path, array, spec=spec, size_cap=parse_size(size_cap_bytes), metadata=metadata,
            show_progress=progress, **options,
        )
    if spec.multi_file:
        return module.write(path, array, spec=spec, metadata=metadata, **options)
    with atomic_file(path) as temporary:
        module.write(temporary, array, spec=spec, metadata=metadata, **options)
    return path
