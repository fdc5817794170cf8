"""``load``, ``save`` and ``info``: resolve the format, then call it.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> import imarray as ia
>>> labels = np.array([[0, 5, 70000]], dtype=np.uint32)
>>> with tempfile.TemporaryDirectory() as folder:
...     path = ia.save(pathlib.Path(folder) / "labels.tif", labels)
...     ia.load(path)
array([[    0,     5, 70000]], dtype=uint32)
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import numpy as np

from . import registry
from ._atomic import atomic_file, durability, expecting, make_parent
from ._progress import streamed_progress
from .dtypes import ScaleSpec, canonical, exact_cast, is_lazy, scale_to, smallest_fitting
from .errors import (
    AxesError,
    CorruptFileError,
    FormatNotFoundError,
    ImageFileNotFoundError,
    ImarrayError,
    InvalidOptionError,
    UnsupportedDtypeError,
    UnsupportedSourceError,
)
from .fileinfo import FileInfo
from .geometry import agrees, check_axes, check_order
from .registry import FormatSpec
from .sources import Source, SourceLike, as_source

if TYPE_CHECKING:  # pragma: no cover
    from dask.array import Array as DaskArray

    from .image import Image, Kind

PathLike = str | os.PathLike[str]

__all__ = ["FormatMismatchWarning", "info", "iter_frames", "load", "parse_size", "read", "save", "write"]

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
            raise InvalidOptionError(f"size_cap must be positive, got {size!r}", hint="pass e.g. '3.9GB'")
        return int(size)
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?i?b?)\s*", str(size).lower())
    if not match:
        raise InvalidOptionError(f"cannot read a size from {size!r}", hint="write e.g. 3.9GB or 500MiB")
    number, unit = float(match.group(1)), match.group(2).rstrip("b")
    powers = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
              "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
    return parse_size(int(number * powers[unit]))


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(132)  # DICOM's magic sits after a 128-byte preamble
    except IsADirectoryError:  # pragma: no cover - checked by callers
        return b""
    except PermissionError as exc:
        raise ImageFileNotFoundError(f"cannot open the file ({exc.strerror})", path=path) from exc


def _existing(path: PathLike) -> Path:
    path = Path(path)
    if path.exists():
        if not (path.is_file() or path.is_dir()):  # a FIFO would block the open until someone writes to it
            raise ImageFileNotFoundError("it is not a regular file (a named pipe, socket or device)", path=path,
                                         hint="save the data to a file first and pass that file")
        return path
    for ext in (".bin",):  # CalSciPy style: the stem of a binary without its suffix
        if path.with_name(path.name + ext).exists():
            return path.with_name(path.name + ext)
    spec = registry.by_extension(path)
    if spec is not None:  # save("big.tif", size_cap=...) wrote the folder big/: load it by the name saved
        from .formats import folder as folder_format

        series, stem, ext = folder_format.series_folder(path, spec)
        if series.is_dir() and any(folder_format.series_pattern(stem, ext).fullmatch(p.name)
                                   for p in series.iterdir()):
            return series
    raise ImageFileNotFoundError(
        "no such file or folder",
        path=path,
        hint=f"check the path; the current folder is {Path.cwd()}",
    )


def _surely(spec: FormatSpec, head: bytes) -> bool:
    """Whether ``head`` carries a signature of ``spec`` of 4 or more bytes (a raw file may start with "BM")."""
    for magic in spec.magic:
        offset, signature = magic if isinstance(magic, tuple) else (0, magic)
        if len(signature) >= 4 and head[offset : offset + len(signature)] == signature:
            return True
    return False


def _forced(path: Path, format: str, head: bytes) -> FormatSpec:
    """The format named by ``format=``, if the content can be of it: another format's magic bytes, or the
    absence of its own, are refused rather than handed to a reader that would read a part or a guess."""
    spec = registry.for_writing(path, format)
    found = [other for other in registry.by_magic(head) if other.module != spec.module and _surely(other, head)]
    if found or (spec.magic and not spec.matches(head)):
        content = f"the content is {found[0].name}" if found else f"the content is not {spec.name}"
        raise FormatNotFoundError(
            f"format={format!r} was asked, but {content} (it starts with {head[:8]!r})",
            path=path,
            hint=f"drop format= to read it as {found[0].name}" if found else "drop format= to detect the format",
        )
    return spec


def resolve(path: SourceLike, format: str | None = None, *, storage_options: dict | None = None,
            timeout: float | None = None) -> tuple[Path | Source, FormatSpec]:
    """Where the image is (a local path, or a :class:`~imarray.sources.Source`) and the row that reads it.

    A URL, ``bytes`` or a file object is read by rows that declare ``remote``
    or ``file_objects``; anything else is an ``UnsupportedSourceError`` that
    says so, before a byte of pixels is fetched.
    """
    from ._commit import before_reading

    source = as_source(path, storage_options=storage_options, timeout=timeout)
    if not source.is_local:
        return source, _resolve_source(source, format)
    before_reading(Path(source.path), sweep_beside=False)  # a set's interrupted commit: finished, or an error
    path = _existing(source.path)
    if path.is_dir():
        before_reading(path, sweep_beside=True)
        return path, registry.for_folder(path, format)
    if path.stat().st_size == 0:
        raise CorruptFileError(
            "the file is empty (0 bytes)", path=path, hint="the write that made it failed; rewrite it"
        )
    head = _head(path)
    if format is not None:
        return path, _forced(path, format, head)
    spec = registry.for_reading(path, head)
    if spec.magic and not spec.matches(head):
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
    if spec.multi_file or path.suffix.lower() == ".mhd":  # sets of files: sweep a killed save's temporaries
        before_reading(path, sweep_beside=True)
    return path, spec


@overload
def load(path: SourceLike, *, format: str | None = ..., dtype: Any = ..., mmap: Literal[False] = ...,
         verify: bool = ..., progress: bool = ..., lazy: Literal[False] = ...,
         series: int | str | None = ..., level: int | None = ...,
         storage_options: dict | None = ..., timeout: float | None = ..., **dims: int) -> np.ndarray: ...
@overload
def load(path: SourceLike, *, format: str | None = ..., dtype: Any = ..., mmap: Literal[True],
         verify: bool = ..., progress: bool = ..., lazy: Literal[False] = ...,
         storage_options: dict | None = ..., timeout: float | None = ..., **dims: int) -> np.memmap: ...
@overload
def load(path: SourceLike, *, format: str | None = ..., dtype: Any = ..., mmap: Literal[False] = ...,
         verify: Literal[False] = ..., progress: bool = ..., lazy: Literal[True], level: int | None = ...,
         storage_options: dict | None = ..., timeout: float | None = ..., **dims: int) -> DaskArray: ...
@overload
def load(path: SourceLike, *, format: str | None = ..., dtype: Any = ..., mmap: bool = ..., verify: bool = ...,
         progress: bool = ..., lazy: bool = ..., series: int | str | None = ..., level: int | None = ...,
         storage_options: dict | None = ..., timeout: float | None = ..., **dims: int) -> np.ndarray | DaskArray: ...


def load(
    path: SourceLike,
    *,
    format: str | None = None,
    dtype: Any = None,
    mmap: bool = False,
    verify: bool = False,
    progress: bool = False,
    lazy: bool = False,
    series: int | str | None = None,
    level: int | None = None,
    storage_options: dict | None = None,
    timeout: float | None = None,
    **dims: int,
) -> np.ndarray | DaskArray:
    """Load an image file or folder as a NumPy array, exactly as written.

    Parameters
    ----------
    path
        A file, or a folder of slices, stacks or a size-capped series; a URL
        (``s3://``, ``https://``, ``memory://``, ... with the ``remote`` extra),
        ``bytes`` or an open binary file, for the formats that read them
        (``imarray formats``: remote, file_objects). See ``docs/sources.md``.
    format
        Force a format by name instead of detecting it.
    storage_options
        For a URL: passed to fsspec (credentials, ``anon=True``, an endpoint).
    timeout
        For a URL: seconds a server may stay silent before the read fails
        (``SourceTimeoutError``); 30 by default.
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
    series
        A folder of several DICOM series: which to read, by index (as
        ``info(...).metadata["series"]`` lists them) or SeriesInstanceUID.
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
    return _pixels(path, format=format, dtype=dtype, mmap=mmap, verify=verify, progress=progress, lazy=lazy,
                   dims=dims, caller="load", series=series, level=level, storage_options=storage_options,
                   timeout=timeout)[0]


def _resolve_source(source: Source, format: str | None) -> FormatSpec:
    """The row that reads a URL, bytes or a file object: a remote folder is a Zarr store or nothing."""
    capability = "remote" if source.is_remote else "file_objects"
    if source.is_remote and source.is_dir():
        rows = [row for row in registry.formats() if row.can("directory") and row.can("remote")]
        claimed = next((row for row in rows if row.load().claims(source, spec=row)), None)
        asked = None if format is None else registry.by_name(format, path=source)
        if claimed is None or (asked is not None and asked.module != claimed.module):
            raise FormatNotFoundError(
                "a folder at a URL is read as a Zarr store only, and this is not one" if claimed is None else
                f"format={format!r} was asked, but the folder is {claimed.name}", path=source,
                hint="point at the store's folder (the one holding zarr.json or .zarray), or at one file")
        return asked or claimed
    if source.size() == 0:
        raise CorruptFileError("the file is empty (0 bytes)", path=source, hint="the write that made it failed")
    head = source.head(132)
    name = Path(source.name or "unnamed")
    try:
        spec = _forced(name, format, head) if format is not None else registry.for_reading(name, head)
    except ImarrayError as err:
        raise type(err)(err.message, path=source, hint=err.hint) from None
    if spec.magic and not spec.matches(head):
        raise CorruptFileError(f"the name says {spec.name} but the content is not (it starts with {head[:8]!r})",
                               path=source, hint="pass format= if you know better")
    if not spec.can(capability):
        readable = ", ".join(row.name for row in registry.formats() if row.can(capability))
        what = "URLs" if source.is_remote else "bytes or file objects"
        raise UnsupportedSourceError(f"imarray reads {spec.name} from local files only, not from {what}",
                                     path=source, hint=f"download it to a file first; from {what} imarray reads "
                                     f"{readable}")
    return spec


def _pixels(path: SourceLike, *, format: str | None, dtype: Any, mmap: bool, verify: bool, progress: bool,
            lazy: bool, dims: dict, caller: str, series: int | str | None = None, level: int | None = None,
            storage_options: dict | None = None, timeout: float | None = None) -> tuple[Any, FileInfo]:
    """The pixels (a dask array if ``lazy``) and what the file says about them: ``load`` and ``read``."""
    _check_dims(dims, caller)
    if lazy and (mmap or verify or series is not None):
        raise TypeError("lazy=True reads chunks on demand; it takes no mmap=, verify= or series=")
    path, spec = resolve(path, format, storage_options=storage_options, timeout=timeout)
    if mmap and not isinstance(path, Path):
        raise UnsupportedSourceError("mmap=True maps local files; this is not one", path=path,
                                     hint="load it without mmap=True (lazy=True reads it in pieces)")
    _chosen(spec, path, series=series, level=level)
    if not spec.can("read"):
        raise FormatNotFoundError(f"imarray writes {spec.name} but does not read it", path=path)
    if (dims or verify) and not spec.can("sidecar"):
        raise TypeError(f"{spec.name} files take no sidecar dimensions or verify=; those are for raw binaries")
    if not lazy:
        if not isinstance(path, Path):  # a URL, bytes or a file object: no local files to watch
            return _read(path, spec, dtype=dtype, mmap=mmap, verify=verify, progress=progress, dims=dims,
                         series=series, level=level)
        from ._snapshot import Snapshot

        snapshot = Snapshot(path)  # another process may replace the files while they are read
        while True:
            snapshot.begin()
            try:
                result = _read(path, spec, dtype=dtype, mmap=mmap, verify=verify, progress=progress, dims=dims,
                               series=series, level=level)
            except (ImarrayError, ValueError, OSError):
                if snapshot.changed():  # half old, half new: read again
                    continue
                raise
            if not snapshot.changed():
                return result
    from .lazy import read_lazy

    return read_lazy(path, spec, dtype=dtype, dims=dims, level=level)


def _check_dims(dims: dict, caller: str = "load") -> None:
    unknown = set(dims) - set(_RAW_DIMS)
    if unknown:
        raise TypeError(f"{caller}() got unexpected keyword arguments {sorted(unknown)} (raw binaries take "
                        f"{', '.join(name + '=' for name in _RAW_DIMS)})")


_CHOICES = {"series": "series= chooses a series of a DICOM folder or a TIFF",
            "level": "level= picks a pyramid level of OME-Zarr and TIFF"}


def _chosen(spec: FormatSpec, path: Path | Source, **given: Any) -> dict[str, Any]:
    """The ``series=``/``level=`` given (0 is a choice too), refused for rows whose ``read`` takes none."""
    chosen = {key: value for key, value in given.items() if value is not None}
    for key in chosen:
        if key not in spec.read_options:
            raise TypeError(f"{path}: {_CHOICES[key]}; {spec.name} takes none")
    return chosen


def _read(path: Path | Source, spec: FormatSpec, *, dtype: Any, mmap: bool, verify: bool, progress: bool,
          dims: dict, series: int | str | None = None, level: int | None = None) -> tuple[np.ndarray, FileInfo]:
    """Read ``path`` with the row's ``read``, passing on the read options the row declares."""
    wanted = {"mmap": mmap, "verify": verify, "dtype": dtype, "dims": dims, "progress": progress}
    if mmap and "mmap" not in spec.read_options:
        what = "a folder is read into one array" if spec.can("directory") else f"{spec.name} files are decoded"
        raise UnsupportedDtypeError(
            f"mmap=True maps raw binaries and uncompressed TIFF; {what}", path=path,
            hint="load it without mmap=True (lazy=True reads large data in pieces), or save a copy as .bin or "
            "uncompressed .tif to map",
        )
    options = {key: value for key, value in wanted.items() if key in spec.read_options and value}
    options.update(_chosen(spec, path, series=series, level=level))
    array, file_info = spec.load().read(path, spec=spec, **options)
    if dtype is not None and "dtype" not in spec.read_options:
        array = exact_cast(array, dtype, path=path)
    return array, file_info


def info(path: SourceLike, *, format: str | None = None, series: int | str | None = None, level: int | None = None,
         storage_options: dict | None = None, timeout: float | None = None) -> FileInfo:
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
    path, spec = resolve(path, format, storage_options=storage_options, timeout=timeout)
    return spec.load().info(path, spec=spec, **_chosen(spec, path, series=series, level=level))


def iter_frames(path: SourceLike, *, format: str | None = None, storage_options: dict | None = None,
                timeout: float | None = None) -> Iterator[np.ndarray]:
    """Yield the frames of a video or GIF one at a time, for files too long to load at once.

    Memory stays at a few frames whatever the length; each frame is a new
    array of ``(y, x)`` or ``(y, x, 3)``, exactly what ``load`` would put at
    that index. Damage is reported when it is reached (``CorruptFileError``).

    Examples
    --------
    >>> import imarray as ia
    >>> means = [frame.mean() for frame in ia.iter_frames("recording.mkv")]   # doctest: +SKIP
    """
    path, spec = resolve(path, format, storage_options=storage_options, timeout=timeout)
    if not spec.can("frames"):
        raise FormatNotFoundError(
            f"frame iteration is for video and GIF files, not {'a folder' if spec.can('directory') else spec.name}",
            path=path,
            hint="use ia.load(path), or ia.load(path, mmap=True) for raw binaries and uncompressed TIFF",
        )
    return spec.load().iter_frames(path, spec=spec)


def _unsupported_message(array: np.ndarray, spec: FormatSpec, path: Path | Source | None, kind: str | None = None
                         ) -> UnsupportedDtypeError:
    held = "/".join(spec.dtypes)
    candidates = [d for d in spec.dtypes if d != "bool"] if array.dtype != bool else list(spec.dtypes)
    fit = None if is_lazy(array) else smallest_fitting(array, candidates)  # a lazy array is not read to say so
    alternatives = [name for name in registry.formats_holding(array.dtype.name) if name != spec.name]
    exts = ", ".join(
        registry.BY_NAME[name].extensions[0] for name in alternatives if registry.BY_NAME[name].extensions
    )
    ways = []
    if fit is not None:
        ways.append(f"pass dtype={fit!r} (every value fits)")
    if kind == "label":  # a mapping onto fewer levels merges labels: never suggested for them
        pass
    elif spec.scale_target and array.dtype.kind in "iuf":
        ways.append(f"pass scale='minmax' or scale=(lo, hi) to map the values onto {spec.scale_target}")
    elif fit is None and array.dtype.kind in "iuf":
        real = [d for d in spec.dtypes if np.dtype(d).kind in "iuf"]
        same = [d for d in real if np.dtype(d).kind == array.dtype.kind]
        target = (same or [d for d in real if np.dtype(d).kind == "f"] or real or list(spec.dtypes))[-1]
        ways.append(f"pass dtype={target!r} with scale='minmax' or scale=(lo, hi) to map the values")
    if exts:
        ways.append(f"save as {exts} to keep {array.dtype} exactly")
    lossless = registry.BY_NAME.get(spec.lossless_alternative or "")
    if lossless is not None and lossless.name not in alternatives and array.dtype == bool:
        ways.append(f"for lossless video use {lossless.extensions[0]} with dtype='uint8' (False and True become "
                    "0 and 1 exactly)")
    elif lossless is not None and lossless.name not in alternatives:
        ways.append(
            f"for lossless video use {lossless.extensions[0]}, which holds {'/'.join(lossless.dtypes)} exactly"
            f" (scale onto it with dtype={lossless.dtypes[-1]!r})"
        )
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
    array: np.ndarray, spec: FormatSpec, *, dtype: Any = None, scale: ScaleSpec | None = None,
    path: Path | Source | None = None, kind: str | None = None,
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
        if is_lazy(array):
            from .blockwise import scale_blocks

            array, record = scale_blocks(array, target, scale, path=path)
        else:
            array, record = scale_to(array, target, scale, path=path)
        metadata["scale"] = record.as_dict()
    elif dtype is not None and is_lazy(array):
        from .blockwise import exact_cast_blocks

        array = exact_cast_blocks(array, dtype, path=path)
    elif dtype is not None:
        array = exact_cast(array, dtype, path=path)
    if array.dtype.name not in spec.dtypes:
        raise _unsupported_message(array, spec, path, kind)
    return array, metadata


def save(
    path: SourceLike,
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
    frame_rate: float | None = None,
    loop: int | None = None,
    quantize: bool | None = None,
    crf: int | None = None,
    chunks: tuple[int, ...] | None = None,
    pyramid: bool | int | None = None,
    compress_level: int | None = None,
    progress: bool = False,
    durable: bool = True,
    storage_options: dict | None = None,
    timeout: float | None = None,
    **format_options: Any,
) -> Path | Source:
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
        ``ome-zarr``, ``png``, ``jpeg``, ``bmp``, ``gif``, ``mkv``, ``mp4``).
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
        TIFF: split along the first axis into numbered files holding at most
        this many bytes of pixels each (``"3.9GB"``; each file adds its
        header, a few KB) in a folder named after ``path``.
    bigtiff
        TIFF: force (or forbid) BigTIFF; by default chosen when needed.
    photometric
        TIFF: ``"rgb"`` to write the last axis (3 or 4) as colour samples.
    quality
        JPEG quality, 1-95.
    checksum
        Raw: ``False`` skips the CRC-32 recorded in the sidecar.
    frame_rate
        Video and GIF: frames per second, recorded in the file (default 30).
    loop
        GIF: how often players repeat the animation; 0 (default) is forever.
    quantize
        GIF: ``True`` reduces frames of more than 256 colours to a 256-colour
        palette (lossy); without it such frames are refused.
    crf
        MP4: H.264 constant rate factor 0..51, lower is better (default 17).
    chunks
        Zarr: chunk shape, one size per dimension (default: the dask array's
        chunks, or Zarr's choice for a NumPy array).
    pyramid
        OME-Zarr: ``True`` adds levels downsampled by 2 in y, x (and z);
        a number gives that many levels in all.
    compress_level
        PNG: zlib level 0 (none, fastest) to 9 (smallest); Pillow's 6 by default.
    progress
        Show a progress bar for multi-file and video writes when stderr is a terminal.
    durable
        ``True`` (default) flushes the file and its folder to disk around the
        rename, so a power cut leaves the old or the new file whole. ``False``
        skips the flushes (faster when the disk is the bottleneck); the rename
        is still atomic if the process dies.

    Returns
    -------
    pathlib.Path
        The file (or series folder) written.

    Other keyword options go to formats that declare them (a plugin's own;
    ``imarray formats`` lists every format's options and their types).

    Examples
    --------
    >>> import numpy as np, imarray as ia
    >>> labels = np.array([[1, 36, 70000]], dtype=np.uint32)
    >>> ia.save("labels.png", labels)                   # doctest: +SKIP
    Traceback (most recent call last):
    imarray.errors.UnsupportedDtypeError: labels.png: png holds bool/uint8/uint16, not uint32. ...
    """
    from .image import Image

    if isinstance(array, Image):  # its pixels, lazy or not, without reading a lazy image whole
        array = array.array
    given = {
        "compression": compression,
        "axes": axes,
        "size_cap": size_cap,
        "bigtiff": bigtiff,
        "photometric": photometric,
        "quality": quality,
        "checksum": checksum,
        "frame_rate": frame_rate,
        "loop": loop,
        "quantize": quantize,
        "crf": crf,
        "chunks": chunks,
        "pyramid": pyramid,
        "compress_level": compress_level,
        **format_options,
    }
    return _save(path, array, format=format, dtype=dtype, scale=scale, progress=progress, durable=durable,
                 geometry=None, options={key: value for key, value in given.items() if value is not None},
                 storage_options=storage_options, timeout=timeout)


def _check_options(path: Path | Source, spec: FormatSpec, options: dict) -> None:
    """Every option is one the row declares (``size_cap`` for rows that split into series), of its type."""
    takes = (*spec.option_names, *(("size_cap",) if spec.can("series") else ()))
    refused = [key for key in options if key not in takes]
    if refused:
        raise TypeError(
            f"{path}: {spec.name} takes no {', '.join(k + '=' for k in refused)}"
            f" (it takes {', '.join(o + '=' for o in takes) or 'no options'})"
        )
    for option in spec.options:
        try:
            option.check(options.get(option.name), format_name=spec.name)
        except InvalidOptionError as err:
            raise InvalidOptionError(err.message, path=path, hint=err.hint) from None


def _save(path: SourceLike, array: Any, *, format: str | None, dtype: Any, scale: ScaleSpec | None, progress: bool,
          durable: bool, geometry: dict | None, options: dict, storage_options: dict | None = None,
          timeout: float | None = None) -> Path | Source:
    source = as_source(path, storage_options=storage_options, timeout=timeout)
    path = source.path if source.is_local else source
    try:
        spec = registry.for_writing(Path(source.name or "unnamed") if isinstance(path, Source) else path, format)
    except ImarrayError as err:
        raise type(err)(err.message, path=path, hint=err.hint) from None
    if isinstance(path, Source) and ((spec.multi_file and not (spec.can("remote") and path.is_remote))
                                     or "size_cap" in options):
        raise UnsupportedSourceError(f"{spec.name} writes several files, which imarray writes to local folders only"
                                     if spec.multi_file else "size_cap= writes a folder of files, a local one only",
                                     path=path, hint="save to a local path, then copy it; to an object store, "
                                     "save a single file (.tif, .png, ...) or a Zarr store")
    photometric = options.get("photometric")
    if "progress" in spec.option_names:
        options["progress"] = progress
    _check_options(path, spec, options)
    if not is_lazy(array):
        array = np.asarray(array)
    if array.dtype.kind in "biufc" and array.dtype.char != canonical(array.dtype).char:
        array = array.view(canonical(array.dtype))  # tifffile's longlong (q) is int64 to Zarr and tifffile's writer
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
    array, metadata = convert_for(array, spec, dtype=dtype, scale=scale, path=path, kind=(geometry or {}).get("kind"))
    if geometry is not None:
        metadata["geometry"] = geometry
    size_cap_bytes = options.pop("size_cap", None)
    module = spec.load()
    try:
        size_cap_bytes = None if size_cap_bytes is None else parse_size(size_cap_bytes)
        module.check_writable(array, spec=spec, metadata=metadata, **options)
        if options.get("axes") is not None:  # readers take axes in numpy order only
            check_order(check_axes(options["axes"], array.ndim))
    except ImarrayError as err:
        if err.path is not None:
            raise
        raise type(err)(err.message, path=path, hint=err.hint) from None
    if is_lazy(array) and spec.can("stream_write"):
        from .streaming import Streamed

        array = Streamed(array)  # the writer pulls the pixels block by block
    elif is_lazy(array):
        array = np.asarray(array)  # formats of single images and movies are written from memory
    if isinstance(path, Path):
        make_parent(path)
    with durability(durable), streamed_progress(progress), expecting(array.nbytes):
        return _write(path, array, spec, module, metadata, size_cap_bytes, options, progress)


def _write(path: Path | Source, array: np.ndarray, spec: FormatSpec, module: Any, metadata: dict,
           size_cap_bytes: Any, options: dict, progress: bool) -> Path | Source:
    if size_cap_bytes is not None:
        return registry.by_name("folder").load().write_series(
            path, array, spec=spec, size_cap=size_cap_bytes, metadata=metadata,
            show_progress=progress, **options,
        )
    temporary = None
    try:
        if spec.multi_file:
            return module.write(path, array, spec=spec, metadata=metadata, **options)
        # a local file is renamed into place when complete; any other target is written whole, then put once
        with atomic_file(path) if isinstance(path, Path) else path.writing() as temporary:
            module.write(temporary, array, spec=spec, metadata=metadata, **options)
        return path
    except ImarrayError as err:  # a writer's refusal names the file asked for, not nothing or its temporary
        if err.path is not None and err.path != os.fspath(temporary or ""):
            raise
        raise type(err)(err.message, path=path, hint=err.hint) from None


def read(
    path: SourceLike,
    *,
    format: str | None = None,
    mmap: bool = False,
    verify: bool = False,
    dtype: Any = None,
    progress: bool = False,
    lazy: bool = False,
    series: int | str | None = None,
    level: int | None = None,
    storage_options: dict | None = None,
    timeout: float | None = None,
    **dims: int,
) -> Image:
    """Read an image file or folder as an :class:`~imarray.image.Image`: pixels plus what the file says.

    Axes, spacing, origin and units (numpy order), the pixel kind and the
    direction come from the file where it records them; axes it does not
    name are ``q``, spacing it does not record is 1. Options are those of
    :func:`load`; with ``lazy=True`` the image holds a dask array (nothing
    is read until computed) and ``ia.write`` streams it like ``ia.save``.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib, imarray as ia
    >>> img = ia.Image.from_label_array(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), spacing=(2.0, 0.5, 0.5))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     back = ia.read(ia.write(pathlib.Path(folder) / "labels.tif", img))
    >>> back.kind, back.axes, back.spacing
    ('label', 'zyx', (2.0, 0.5, 0.5))
    """
    array, file_info = _pixels(path, format=format, dtype=dtype, mmap=mmap, verify=verify, progress=progress,
                               lazy=lazy, dims=dims, caller="read", series=series, level=level,
                               storage_options=storage_options, timeout=timeout)
    return image_from_file(array, file_info)


def image_from_file(array: np.ndarray, file_info: FileInfo) -> Image:
    """The Image that ``array`` and what a reader reported about it (``file_info``) describe."""
    from .image import Image, valid_kind

    axes = file_info.axes if len(file_info.axes) == array.ndim else "q" * array.ndim
    named = [letter if letter != "q" else None for letter in axes]
    spacing = [file_info.spacing.get(letter, 1.0) if letter else 1.0 for letter in named]
    origin = [file_info.origin.get(letter, 0.0) if letter else 0.0 for letter in named]
    units = [file_info.units.get(letter) if letter else None for letter in named]
    direction = file_info.metadata.get("direction")
    spatial = sum(letter in "zyx" for letter in axes)
    if direction is not None:  # files give it in (x, y, z) order, as ITK does; the Image keeps numpy order
        matrix = np.asarray(direction, dtype=np.float64)
        direction = matrix[::-1, ::-1] if matrix.shape == (spatial, spatial) else None
    kind = file_info.metadata.get("kind", "intensity")
    kind = kind if valid_kind(kind, array, axes) else "intensity"
    channels = _recorded_channels(file_info.metadata.get("channels"), array, axes)
    return Image(array, axes=axes, spacing=spacing, origin=origin, units=units, direction=direction,
                 kind=cast("Kind", kind), channels=channels)


def _recorded_channels(recorded: Any, array: Any, axes: str) -> list | None:
    """A file's channel names and colours, if they fit its c axis (a file may be wrong: then none)."""
    from .image import Channel

    if not isinstance(recorded, list) or "c" not in axes or len(recorded) != array.shape[axes.index("c")]:
        return None
    try:
        return [Channel.parse(entry) for entry in recorded]
    except (TypeError, ValueError):  # a colour that is not RRGGBB (AxesError is a ValueError)
        return None


def geometry_record(image: Image) -> dict:
    """What writers receive as ``metadata["geometry"]``: per-axis values keyed by letter, direction in xyz order.

    Only t, z, y and x carry spacing, origin and units (not c or q); unknown units are left out.

    Examples
    --------
    >>> import numpy as np, imarray as ia
    >>> geometry_record(ia.Image.from_array(np.zeros((2, 3, 4)), spacing=(2, 1, 1), units="um"))["spacing"]
    {'z': 2.0, 'y': 1.0, 'x': 1.0}
    """
    named = [(i, letter) for i, letter in enumerate(image.axes) if letter in "tzyx"]
    record: dict[str, Any] = {
        "axes": image.axes,
        "spacing": {letter: image.spacing[i] for i, letter in named},
        "units": {letter: image.units[i] for i, letter in named if image.units[i]},
        "origin": {letter: image.origin[i] for i, letter in named},
        "kind": image.kind,
    }
    if image.channels is not None:
        record["channels"] = [list(channel) for channel in image.channels]
    if image.direction is not None:
        record["direction"] = image.direction[::-1, ::-1].tolist()
    return record


def write(path: SourceLike, image: Image, **options: Any) -> Path | Source:
    """Write an :class:`~imarray.image.Image` with its geometry and pixel kind, atomically.

    Takes the keyword options of :func:`save` (``format=``, ``dtype=``,
    ``compression=``, ...). The image's axes are written unless ``axes=`` is
    given, and an ``rgb`` image with its colour axis last is written as colour
    TIFF. What each format keeps, and what it drops:

    - TIFF: axes, spacing, origin, units, kind and direction in its JSON
      description; x/y spacing also as resolution tags (in cm for metric
      units). Drops nothing.
    - OME-TIFF: PhysicalSizeX/Y/Z and TimeIncrement with their units; axes,
      kind, origin and direction (OME has no field for it) in an ``imarray``
      map annotation, which other OME readers ignore. Drops nothing.
    - ImageJ: axes, x/y/z spacing, t spacing (frame interval) and its unit,
      origin of x/y/z, kind. Drops the direction, the origin of t, and all
      but one spatial unit (ImageJ has one unit for x, y and z: the first
      given is written for all three).
    - raw: axes, spacing, origin, units, kind and direction in the sidecar.
      Drops nothing.
    - Zarr: axes as dimension names; spacing, origin, units, kind and
      direction in the ``imarray`` attribute. Drops nothing.
    - OME-Zarr (NGFF 0.5): axes, spacing, origin and units as NGFF
      coordinate transformations; kind and direction in the ``imarray``
      attribute. A folder's unnamed stack axis is named z.
    - medical formats (.mha, .mhd, .nrrd, .nii, .nii.gz): spacing, origin and
      direction in the header, kind as a metadata key; .mha/.mhd/.nrrd keep
      units in an ``imarray_units`` key (other readers see the numbers
      only), NIfTI converts them to the mm and s its xyzt_units code states.
      A folder's unnamed stack axis is named z.
    - PNG, BMP, JPEG: pixels only; drop axes, spacing, origin, units,
      direction and kind (colour and bool images read back as ``rgb`` and
      ``binary`` from their mode).
    - video (.mkv, .mp4) and GIF: the t spacing as the frame rate (unless
      ``frame_rate=`` is given), y/x spacing, units, origin and kind in a tag.
      Drop the direction; the first axis reads back as t.

    A lazy Image (``ia.read(path, lazy=True)``) is streamed to TIFF, raw and
    Zarr; other formats get it computed whole, after every check that needs
    no pixels has passed.

    Examples
    --------
    >>> import numpy as np, imarray as ia
    >>> img = ia.Image.from_array(np.zeros((5, 64, 64), np.float32), spacing=(2.0, 0.5, 0.5), units="um")
    >>> ia.write("cells.ome.tif", img)                       # doctest: +SKIP
    """
    from .image import Image

    if not isinstance(image, Image):
        raise TypeError(f"write() takes an imarray.Image, not a {type(image).__name__}; use save() for arrays")
    source = as_source(path, storage_options=options.get("storage_options"), timeout=options.get("timeout"))
    where = source.path if source.is_local else source
    spec = registry.for_writing(where if isinstance(where, Path) else Path(source.name or "unnamed"),
                                options.get("format"))
    given = {key: value for key, value in options.items() if value is not None}
    if "axes" in given and not agrees(check_axes(given["axes"], image.ndim), image.axes):
        raise AxesError(f"axes={given['axes']!r} contradicts the image's axes {image.axes!r}", path=where,
                        hint="name only the image's unnamed (q) axes, or change them with image.replace(axes=...)")
    if "axes" in spec.option_names and "axes" not in given and "q" not in image.axes:
        given["axes"] = image.axes  # unnamed axes are left to the writer's default
    if "photometric" in spec.option_names and image.kind == "rgb" and image.axes.endswith("c"):
        given.setdefault("photometric", "rgb")
    named = {key: given.pop(key, default) for key, default in
             (("format", None), ("dtype", None), ("scale", None), ("progress", False), ("durable", True),
              ("storage_options", None), ("timeout", None))}
    return _save(source, image.array, geometry=geometry_record(image), options=given, **named)
