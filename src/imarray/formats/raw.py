"""Raw binary pixels in ``name.bin`` with a JSON sidecar ``name.json``.

The sidecar records the data file's name (``data_file``: ``scan.raw`` and
``scan.bin`` would share ``scan.json``, so each sidecar says whose it is,
loading checks it, and saving refuses to take over another file's sidecar,
or the ``.raw`` of a MetaImage ``.mhd``), shape, dtype, byte order, axes and a CRC-32 of the bytes
(checked on request with ``verify=True``), and for an Image written with
``ia.write`` its spacing, units, origin, pixel kind and direction. Reading checks the file size against
the sidecar before allocating; ``mmap=True`` returns a ``np.memmap`` without
reading. When the sidecar is lost, the dtype and all but one size suffice; the
missing size is inferred from the file size.

CalSciPy's sidecars (``{"frames", "y", "x", "dtype"}``) load as they are, and
``sidecar="calscipy"`` writes one CalSciPy itself reads (it rejects any other key).
Big-endian data is stored as it is and read back with its big-endian dtype,
values unchanged.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, overload

import numpy as np

from .._atomic import atomic_files, prepare_target, writes_are_durable
from .._chunking import REMOTE_CHUNK_BYTES, along_first, groups, read_bytes, read_file_into
from .._disk import preallocate, start_writeback
from .._memory import aligned_empty, byte_view
from .._paths import local
from ..errors import (
    AxesError,
    CorruptFileError,
    InvalidOptionError,
    SidecarError,
    TargetError,
    UnsupportedDtypeError,
)
from ..fileinfo import FileInfo
from ..geometry import check_axes
from ..layout import dense_planes
from ..protocol import ChunkPlan
from ..registry import ALL_DTYPES, FormatSpec
from ..sources import Source, writing_all

_CHUNK = 16 * 2**20  # small enough for the CRC thread to keep pace, large enough for few syscalls
_CALSCIPY_KEYS = ("frames", "y", "x")
_DIM_NAMES = ("frames", "t", "z", "c", "y", "x")
_MAP_MODES = ("r", "r+", "c", "readonly", "readwrite", "copyonwrite")  # not w+: it would zero the file
# what ia.write records beside the shape
_GEOMETRY_KEYS = ("spacing", "units", "origin", "kind", "direction", "channels")

_MAX_SIDECAR_BYTES = 2**20  # a sidecar is a few hundred bytes; /dev/zero or a huge file is not one
_MAX_DIMS = 32  # NumPy's limit

def bin_path(path: Path) -> Path:
    """The data file of ``path``: itself if it ends in .bin/.raw, else ``path`` + ``.bin`` (CalSciPy's stems);
    through a symbolic link, the file it points to (its sidecar lives beside that file)."""
    path = path if path.suffix.lower() in (".bin", ".raw") else path.with_name(path.name + ".bin")
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _dtype(value: Any, source: Path | Source) -> np.dtype:
    """The dtype a sidecar (or ``dtype=``) names, if it is one of the image dtypes imarray holds.

    Sidecars are untrusted input: an object, void, string or datetime dtype
    over a file's bytes is refused (an object memmap over raw bytes crashes Python).
    """
    try:
        dtype = np.dtype(value) if isinstance(value, (str, np.dtype, type)) else None
    except (TypeError, ValueError, SyntaxError) as exc:
        raise SidecarError(f"dtype {value!r} is not a numpy dtype", path=source,
                           hint="name a NumPy dtype, e.g. 'uint16' or 'float32'") from exc
    if dtype is None or dtype.newbyteorder("=").name not in ALL_DTYPES or dtype.newbyteorder("=") != np.dtype(
            dtype.newbyteorder("=").name):
        raise SidecarError(f"dtype {value!r} is not an image dtype", path=source,
                           hint=f"name one of {', '.join(ALL_DTYPES)}")
    return dtype


def _shape(value: Any, source: Path | Source) -> tuple[int, ...]:
    if (not isinstance(value, list) or len(value) > _MAX_DIMS
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**62 for s in value)):
        raise SidecarError(f"the shape {value!r} is not a list of sizes", path=source,
                           hint="write it as e.g. [100, 512, 512]")
    return tuple(value)


@overload
def _sidecar_of(path: Path) -> Path: ...


@overload
def _sidecar_of(path: Source) -> Source: ...


def _sidecar_of(path: Path | Source) -> Path | Source:
    """Where the sidecar of the data file ``path`` is: ``name.json`` beside it."""
    return _beside(path, Path(path.name).stem + ".json")


def _sidecar(path: Path | Source) -> dict | None:
    sidecar = _sidecar_of(path)
    if not sidecar.exists():
        return None
    if isinstance(sidecar, Path):
        if not sidecar.is_file() or sidecar.stat().st_size > _MAX_SIDECAR_BYTES:
            raise SidecarError(f"the sidecar is not a regular file of at most {_MAX_SIDECAR_BYTES} bytes",
                               path=sidecar, hint="a sidecar is a small JSON file; delete it and pass dtype= and sizes")
        with open(sidecar, "rb") as handle:
            text = handle.read(_MAX_SIDECAR_BYTES + 1)
    else:
        if sidecar.size() > _MAX_SIDECAR_BYTES:
            raise SidecarError(f"the sidecar holds more than {_MAX_SIDECAR_BYTES} bytes", path=sidecar,
                               hint="a sidecar is a small JSON file; delete it and pass dtype= and sizes")
        text = sidecar.read_range(0, sidecar.size())
    try:
        data = json.loads(text.decode())
    except RecursionError:
        raise SidecarError("the sidecar's JSON is nested too deeply", path=sidecar,
                           hint="fix it, or delete it and pass dtype= and sizes") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SidecarError(
            f"the sidecar is not JSON ({exc})", path=sidecar, hint="fix it, or delete it and pass dtype= and sizes"
        ) from exc
    if not isinstance(data, dict):
        raise SidecarError("the sidecar is not a JSON object", path=sidecar)
    return data


def _is_sidecar(data: dict | None) -> bool:
    """Whether ``data`` is a sidecar imarray or CalSciPy wrote (and not some other JSON file)."""
    return data is not None and "dtype" in data and (
        "shape" in data or sum(k in data for k in _CALSCIPY_KEYS) >= 2)


def _claim(path: Path | Source) -> None:
    """Refuse, before writing, to overwrite a sidecar or data file that belongs to another file.

    ``scan.raw`` and ``scan.bin`` would share ``scan.json``, and ``scan.raw``
    may be the pixels of ``scan.mhd``: each data file owns its sidecar (named
    in it as ``data_file``), and a CalSciPy sidecar, which names none, is
    taken over only when no twin data file beside it could own it. At a URL
    the same questions are asked of the objects beside it.
    """
    stem = Path(path.name).stem
    sidecar = _sidecar_of(path)
    if sidecar.is_file() if isinstance(sidecar, Path) else sidecar.exists():
        try:
            data = _sidecar(path)
        except SidecarError:
            data = None
        if data is None or not _is_sidecar(data):
            raise TargetError(f"{sidecar.name} is not a sidecar imarray or CalSciPy wrote, and saving would "
                              "overwrite it", path=path, hint="choose another name, or move that JSON file away")
        owner = data.get("data_file")
        twins = [name for name in (stem + ".bin", stem + ".raw") if name != path.name and _beside(path, name).exists()]
        if (owner not in (None, path.name) and _beside(path, owner).exists()) or (owner is None and twins):
            other = owner or twins[0]
            raise TargetError(f"the sidecar {sidecar.name} belongs to {other}, and saving would take it over",
                              path=path, hint=f"choose another name, or delete {other} and {sidecar.name} first")
    if isinstance(path, Source):  # a MetaImage at a URL is not parsed: a .raw beside one is left alone
        header_url = _beside(path, stem + ".mhd")
        if path.name.lower().endswith(".raw") and header_url.exists() and path.exists():
            raise TargetError(f"{path.name} may hold the pixels of the MetaImage {header_url.name} beside it, and "
                              "saving would overwrite them", path=path, hint="choose another name")
        return
    header = path.with_suffix(".mhd")
    if header.is_file() and path.exists():
        from .medical import _metaimage_data_file

        data_file = _metaimage_data_file(header)
        if data_file is not None and data_file.exists() and data_file.samefile(path):
            raise TargetError(f"{path.name} holds the pixels of the MetaImage {header.name}, and saving would "
                              "overwrite them", path=path, hint=f"choose another name, or delete {header.name} first")


@overload
def _beside(path: Path, name: str) -> Path: ...


@overload
def _beside(path: Source, name: str) -> Source: ...


def _beside(path: Path | Source, name: str) -> Path | Source:
    """The file or object ``name`` in the folder of ``path``."""
    return path.with_name(name) if isinstance(path, Path) else path.sibling(name)


def _layout_from_sidecar(data: dict, sidecar: Path | Source,
                         file_size: int) -> tuple[tuple[int, ...], np.dtype, str, dict]:
    if "shape" in data and "dtype" in data:
        dtype = _dtype(data["dtype"], sidecar)
        order = data.get("byte_order")
        if order not in (None, "big", "little"):
            raise SidecarError(f"byte_order {order!r} is neither 'little' nor 'big'", path=sidecar,
                               hint="fix the sidecar's byte_order")
        if order is not None:
            dtype = dtype.newbyteorder(">" if order == "big" else "<")
        shape = _shape(data["shape"], sidecar)
        for key, kinds in (("axes", str), ("checksum", dict), ("metadata", dict), ("kind", str)):
            if data.get(key) is not None and not isinstance(data[key], kinds):
                raise SidecarError(f"the sidecar's {key} {data[key]!r} is not a {kinds.__name__}", path=sidecar,
                                   hint=f"fix the sidecar's {key}, or delete the key")
        try:
            axes = check_axes(data.get("axes") or "q" * len(shape), len(shape))
        except AxesError as exc:
            raise SidecarError(f"the sidecar's axes: {exc.message}", path=sidecar,
                               hint="fix the sidecar's axes (one letter of 'tzcyxq' per dimension), or delete "
                                    "the key") from None
        recorded = {key: data[key] for key in ("kind", "direction", "channels") if data.get(key) is not None}
        return shape, dtype, axes, {"sidecar": "imarray", "checksum": data.get("checksum"),
                                    **(data.get("metadata") or {}), **recorded}
    if "dtype" in data and sum(k in data for k in _CALSCIPY_KEYS) >= 2:
        dtype = _dtype(data["dtype"], sidecar)
        sizes = {k: data.get(k) for k in _CALSCIPY_KEYS}
        shape = _infer({k: v for k, v in sizes.items() if v not in (None, -1)}, ("frames", "y", "x"), dtype,
                       file_size, sidecar)
        return shape, dtype, "tyx", {"sidecar": "calscipy"}
    missing = [k for k in ("shape", "dtype") if k not in data]
    raise SidecarError(
        f"the sidecar lacks {', '.join(missing)} (and is not a CalSciPy frames/y/x/dtype sidecar)",
        path=sidecar,
        hint="add the keys, or delete the sidecar and pass dtype= with all but one size (y=, x=, ...)",
    )


def _infer(sizes: dict, order: tuple[str, ...], dtype: np.dtype, file_size: int,
           path: Path | Source) -> tuple[int, ...]:
    unknown = [k for k in order if k not in sizes]
    known = math.prod(int(sizes[k]) for k in order if k in sizes) * dtype.itemsize
    if len(unknown) > 1:
        raise SidecarError(f"sizes of {', '.join(unknown)} are unknown; all but one are needed", path=path)
    if unknown:
        if known == 0 or file_size % known:
            raise CorruptFileError(
                f"{file_size} bytes do not divide into whole {dtype} frames of {known} bytes",
                path=path, hint="check dtype= and the sizes",
            )
        sizes = {**sizes, unknown[0]: file_size // known}
    return tuple(int(sizes[k]) for k in order)


def _layout_from_caller(dtype: Any, dims: dict, path: Path | Source,
                        file_size: int) -> tuple[tuple[int, ...], np.dtype]:
    if dtype is None:
        raise SidecarError(
            f"no sidecar {_sidecar_of(path).name} beside it, and no dtype= given",
            path=path,
            hint="pass dtype= and all but one size, e.g. ia.load(path, dtype='uint16', y=512, x=512)",
        )
    dtype = _dtype(dtype, path)
    if "shape" in dims:
        shape = tuple(int(s) for s in dims["shape"])
        if -1 in shape:
            sizes = {str(i): s for i, s in enumerate(shape) if s != -1}
            return _infer(sizes, tuple(str(i) for i in range(len(shape))), dtype, file_size, path), dtype
        return shape, dtype
    if not dims:
        raise SidecarError("no sidecar and no sizes given", path=path, hint="pass e.g. y=512, x=512")
    names = set(dims) | {"y", "x"}
    if not names & {"frames", "t", "z"}:
        names.add("frames")
    order = tuple(k for k in _DIM_NAMES if k in names)
    return _infer(dict(dims), order, dtype, file_size, path), dtype


def _describe(path: Path | Source, dtype: Any = None, dims: dict | None = None) -> tuple[FileInfo, np.dtype]:
    if isinstance(path, Source):  # a URL: the data file's size and its sidecar, two small requests
        if Path(path.name).suffix.lower() not in (".bin", ".raw"):
            path = _beside(path, path.name + ".bin")
        file_size = path.size()
    else:
        path = bin_path(path)
        if not path.exists():
            raise CorruptFileError("the sidecar is here but the .bin it describes is not", path=path)
        if not path.is_file():  # a FIFO would block, /dev/zero never end
            raise CorruptFileError("the data file is not a regular file", path=path,
                                   hint="raw pixels are read from a regular file")
        file_size = path.stat().st_size
    data = _sidecar(path)
    dims = dims or {}
    if data is not None:
        owner = data.get("data_file")
        if owner not in (None, path.name):
            raise SidecarError(f"the sidecar {_sidecar_of(path).name} describes {owner}, not {path.name}",
                               path=path, hint=f"load {owner}; for this file pass dtype= and sizes after moving "
                               "it to a folder of its own")
        sidecar = _sidecar_of(path)
        shape, stored, axes, metadata = _layout_from_sidecar(data, sidecar, file_size)
        if dtype is not None and _dtype(dtype, path).newbyteorder("=") != stored.newbyteorder("="):
            raise SidecarError(f"dtype={dtype!r} contradicts the sidecar's {stored}", path=path,
                               hint="drop dtype=, or fix the sidecar")
        files = (path,)
        disk = file_size + (sidecar.stat().st_size if isinstance(sidecar, Path) else sidecar.size())
    else:
        shape, stored = _layout_from_caller(dtype, dims, path, file_size)
        axes, metadata, files, disk = "q" * len(shape), {"sidecar": None}, (path,), file_size
    expected = math.prod(shape) * stored.itemsize  # Python integers: a shape of [2**62 + 1, 4, 4] cannot wrap
    if expected != file_size:
        raise CorruptFileError(
            f"the sidecar describes {expected} bytes ({'x'.join(map(str, shape))} {stored}) but the file has "
            f"{file_size}",
            path=path,
            hint="the file was cut short or the sidecar belongs to another file",
        )
    geometry = {key: _per_axis(data, key, path) for key in ("spacing", "units", "origin")} if data else {}
    info = FileInfo(path=path, format="raw", shape=shape, dtype=stored.newbyteorder("=").name, axes=axes,
                    files=files, disk_bytes=disk, metadata=metadata, **geometry)
    return info, stored


def _per_axis(data: dict, key: str, path: Path | Source) -> dict:
    """A sidecar's ``spacing``/``units``/``origin``: axis letter -> number (unit: text); empty if absent."""
    values = data.get(key) or {}
    wanted = str if key == "units" else (int, float)
    if not isinstance(values, dict) or not all(isinstance(v, wanted) and not isinstance(v, bool)
                                               for v in values.values()):
        raise SidecarError(f"the sidecar's {key!r} is not a mapping of axis letters to "
                           f"{'text' if key == 'units' else 'numbers'}", path=_sidecar_of(path))
    return values


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Describe a raw binary from its sidecar and file size alone."""
    return _describe(path)[0]


class _OverlappedCrc:
    """CRC-32 of a stream of chunks, computed on a second thread.

    ``zlib.crc32`` releases the GIL for large buffers, so hashing one chunk
    overlaps the write of the same chunk (or the read of the next one); the
    checksum then costs little beyond the I/O on a machine with two cores.
    """

    def __init__(self, enabled: bool = True) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="imarray-crc") if enabled else None
        self._pending: Future[int] | None = None

    def __enter__(self) -> _OverlappedCrc:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def add(self, chunk: memoryview) -> None:
        """Hash ``chunk`` after the chunks added before it; returns at once."""
        if self._pool is not None:
            self._pending = self._pool.submit(zlib.crc32, chunk, self.wait())

    def wait(self) -> int:
        """Return the CRC-32 so far, once every chunk added is hashed (before its memory is reused)."""
        return self._pending.result() if self._pending is not None else 0

    def hexdigest(self) -> str:
        """Wait for the last chunk and return the CRC-32 as 8 hex digits."""
        return f"{self.wait():08x}"


def _crc32(path: Path) -> str:
    crc = 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        while count := handle.readinto(buffer):
            crc = zlib.crc32(view[:count], crc)
    return f"{crc:08x}"


def read(
    path: Path,
    *,
    spec: FormatSpec,
    mmap: bool = False,
    verify: bool = False,
    dtype: Any = None,
    dims: dict | None = None,
    out: np.ndarray | None = None,
    mode: str = "r",
) -> tuple[np.ndarray, FileInfo]:
    """Read (or map) a raw binary after checking its size against the sidecar."""
    if mmap and mode not in _MAP_MODES:
        raise InvalidOptionError(f"mode={mode!r} is not a mode to map an existing file", path=path,
                                 hint="pass 'r' (read-only), 'r+' (writes go to the file) or 'c' (copy on write)")
    file_info, stored = _describe(path, dtype, dims)
    recorded: dict = (file_info.metadata.get("checksum") or {}) if verify else {}
    if verify and not recorded:
        raise SidecarError("verify=True, but the sidecar records no checksum", path=file_info.path)
    if isinstance(file_info.path, Source):  # one ranged read of the whole file (api refuses mmap=True)
        array = aligned_empty(file_info.shape, stored) if out is None else out
        file_info.path.read_into(0, byte_view(array))
        if verify:
            _compare_checksum(recorded, f"{zlib.crc32(byte_view(array)):08x}", file_info.path)
        return array, file_info
    path = local(file_info.path)
    if mmap:
        if verify:
            _compare_checksum(recorded, _crc32(path), path)
        return np.memmap(path, dtype=stored, mode=mode, shape=file_info.shape), file_info  # type: ignore[call-overload]
    array = aligned_empty(file_info.shape, stored) if out is None else out
    view = byte_view(array)
    if not verify:  # positioned reads on both cores
        read_file_into(path, 0, view)
        return array, file_info
    with open(path, "rb", buffering=0) as handle, _OverlappedCrc() as crc:  # pieces the CRC thread hashes
        done = 0
        while done < len(view):
            count = handle.readinto(view[done : done + _CHUNK])
            if not count:
                raise CorruptFileError("the file ended early while reading", path=path)
            crc.add(view[done : done + count])
            done += count
        _compare_checksum(recorded, crc.hexdigest(), path)
    return array, file_info


def chunk_plan(path: Path, *, spec: FormatSpec, dtype: Any = None, dims: dict | None = None) -> ChunkPlan:
    """Groups of whole frames of about 64 MB (4 MB from a URL: one request), each read from its own byte offset
    (``dtype``/``dims`` as ``read``)."""
    described, stored = _describe(path, dtype, dims)
    shape = described.shape
    frame = shape[1:]
    frame_bytes = math.prod(frame) * stored.itemsize
    ranges = groups(shape[0], frame_bytes, REMOTE_CHUNK_BYTES if isinstance(described.path, Source) else None)
    where = described.path if isinstance(described.path, Source) else str(described.path)  # a source pickles
    tasks = [(read_bytes, where, stored.str, start * frame_bytes, (stop - start, *frame)) for start, stop in ranges]
    keyed, chunks = along_first(tasks, tuple(stop - start for start, stop in ranges), frame)
    return ChunkPlan(chunks=chunks, dtype=stored, tasks=keyed, info=described)


def _compare_checksum(recorded: dict, actual: str, path: Path | Source) -> None:
    if actual != recorded.get("value"):
        raise CorruptFileError(
            f"checksum mismatch: the sidecar records {recorded.get('value')}, the file gives {actual}",
            path=path, hint="the data changed after it was written",
        )


def check_writable(array: np.ndarray, *, spec: FormatSpec, axes: str | None = None,
                   checksum: bool | None = None, metadata: dict | None = None) -> None:
    """Raw holds every dtype and shape; only ``axes`` is checked."""
    check_axes(axes, array.ndim)


def _write_all(handle: Any, data: memoryview) -> None:
    """Write every byte of ``data``: an unbuffered write may take fewer (Linux stops at about 2 GiB a call)."""
    while data:
        data = data[handle.write(data):]


def write(
    path: Path | Source,
    array: np.ndarray,
    *,
    spec: FormatSpec,
    metadata: dict,
    axes: str | None = None,
    checksum: bool | None = None,
    sidecar: str = "imarray",
) -> Path | Source:
    """Write ``path`` (.bin) and its sidecar atomically (to a URL: the data file, then the sidecar, each put whole
    once both are complete); return the .bin path."""
    if isinstance(path, Source):
        _claim(path)
        files = writing_all([path, _sidecar_of(path)])
    else:
        path = bin_path(path)  # through a link: the sidecar goes beside the data file it points to
        prepare_target(path.with_suffix(".json"))  # a name too long for its sidecar is refused before any check
        _claim(path)
        files = atomic_files([path, path.with_suffix(".json")])
    byte_order = "big" if array.dtype.byteorder == ">" else "little"
    if sidecar == "calscipy":
        if array.ndim != 3 or byte_order == "big":
            raise UnsupportedDtypeError(
                f"CalSciPy's sidecar describes native-order (frames, y, x) stacks, not a {array.ndim}D "
                f"{byte_order}-endian array",
                path=path, hint="use ia.save(path, array), whose sidecar holds any shape",
            )
        meta: dict = dict(zip(_CALSCIPY_KEYS, (int(s) for s in array.shape), strict=True))
        meta["dtype"] = array.dtype.name
    with files as (tmp_bin, tmp_json):
        with open(tmp_bin, "wb", buffering=0) as handle, _OverlappedCrc(enabled=checksum is not False) as crc:
            preallocate(handle.fileno(), array.nbytes)
            durable, offset = writes_are_durable(), 0
            if not isinstance(array, np.ndarray):  # a BlockStream: computed and written block by block
                planes = array.blocks()
            else:
                planes = [array] if array.flags.c_contiguous else dense_planes(array, reuse=True)
            for plane in planes:
                data = byte_view(plane)
                piece = _CHUNK if checksum is not False or durable else len(data)  # pieces only for the CRC
                for start in range(0, len(data), piece):  # thread and the writeback to keep pace with
                    chunk = data[start : start + piece]
                    crc.add(chunk)
                    _write_all(handle, chunk)
                    if durable:  # the final fsync then waits for the last chunks only
                        start_writeback(handle.fileno(), offset, len(chunk))
                    offset += len(chunk)
                crc.wait()  # the next plane may be copied into this plane's buffer
            digest = crc.hexdigest()
        if sidecar != "calscipy":
            rest = dict(metadata)
            geometry = rest.pop("geometry", None) or {}
            meta = {
                "format": "imarray-raw", "version": 1, "data_file": path.name, "shape": list(array.shape),
                "dtype": array.dtype.newbyteorder("=").name, "byte_order": byte_order,
                "axes": (axes or geometry.get("axes") or "q" * array.ndim), "checksum": None if checksum is False else
                {"algorithm": "crc32", "value": digest},
                **{key: geometry[key] for key in _GEOMETRY_KEYS if geometry.get(key)},
                "metadata": rest,
            }
        tmp_json.write_text(json.dumps(meta, indent=1))
    return path
