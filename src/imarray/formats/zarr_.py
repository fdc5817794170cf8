"""Zarr stores (v3 written, v2 and v3 read) and OME-Zarr (NGFF 0.5 written, 0.4 and 0.5 read).

A store is a folder (``volume.zarr``), so it is found by its content, not by
magic bytes: a folder holding ``zarr.json``, ``.zarray`` or ``.zgroup`` is a
Zarr store, never a folder of slices. Every numpy dtype round-trips exactly
(Zarr's default zstd compression is lossless).

- Plain Zarr (``.zarr``): one array at the root; the axis letters are its
  ``dimension_names``, and imarray's own metadata (a recorded ``scale=``,
  the geometry of an ``ia.write``) sits in the attribute ``"imarray"``.
- OME-Zarr (``.ome.zarr``): a group whose ``"ome"`` attribute holds NGFF 0.5
  ``multiscales`` (the version ome-zarr-py >= 0.10 and napari read for Zarr
  v3): axes with their type (``time``, ``channel``, ``space``) and unit,
  and per level a ``scale`` (the spacing) and ``translation`` (the origin).
  NGFF wants the axes ordered t, c, then z, y, x. ``pyramid=True`` adds levels
  downsampled by 2 in y, x (and z) until the larger of y, x is at most 256
  pixels (``pyramid=N``: N levels in all); downsampling takes every second
  sample (nearest neighbour), so every level holds values of the original, any
  dtype and label images included, and level origins stay where they were.

Writes go to a hidden temporary folder beside the target, which replaces an
existing store in one rename only when every chunk is written.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> with tempfile.TemporaryDirectory() as name:
...     store = ia.save(pathlib.Path(name) / "cells.ome.zarr", np.zeros((4, 64, 64), np.uint16), pyramid=2)
...     info = ia.info(store)
>>> info.format, info.shape, info.axes, info.metadata["levels"]
('ome-zarr', (4, 64, 64), 'zyx', 2)
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import math
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_folder
from .._chunking import still_there
from .._memory import output_array
from .._optional import import_optional
from ..errors import (
    AxesError,
    CorruptFileError,
    FormatNotFoundError,
    ImarrayError,
    InvalidOptionError,
    UnsupportedDtypeError,
)
from ..fileinfo import FileInfo
from ..geometry import agrees, check_axes, named_as, pyramid_levels
from ..protocol import ChunkPlan
from ..registry import FormatSpec
from ..sources import Source

NGFF_VERSION = "0.5"
_AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
_NGFF_ORDER = "tczyx"
_UNITS = {  # imarray's short units -> NGFF (UDUNITS-2) names
    "um": "micrometer", "µm": "micrometer", "\u03bcm": "micrometer", "micron": "micrometer",
    "nm": "nanometer", "mm": "millimeter", "cm": "centimeter", "m": "meter", "Å": "angstrom",
    "pm": "picometer", "s": "second", "ms": "millisecond", "us": "microsecond", "µs": "microsecond",
    "ns": "nanosecond", "min": "minute", "h": "hour",
}
_SHORT_UNITS = {"micrometer": "um", "nanometer": "nm", "millimeter": "mm", "centimeter": "cm", "meter": "m",
                "angstrom": "Å", "picometer": "pm", "second": "s", "millisecond": "ms", "microsecond": "us",
                "nanosecond": "ns", "minute": "min", "hour": "h"}

_METADATA_FILES = ("zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata")
_MAX_METADATA_BYTES = 16 * 2**20
_MAX_CHUNKS = 2**32  # more files than a file system holds
_MAX_CHUNKS_SEARCHED = 10**6
_SPARSE_ABOVE = 4096  # chunks in the grid: below it, zarr's own read of every chunk is fast enough

def _zarr() -> Any:
    return import_optional("zarr", extra="zarr", purpose="Zarr stores")


def _json(path: Path | Source) -> dict:
    try:
        data = json.loads(path.read_text() if isinstance(path, Path) else path.read_range(0, path.size()))
    except (ValueError, UnicodeDecodeError):
        return {}
    except OSError as exc:
        if isinstance(exc, ImarrayError) and not isinstance(exc, FileNotFoundError):
            raise  # a server's 403 or timeout is not an empty file
        return {}
    return data if isinstance(data, dict) else {}


def _member(folder: Path | Source, name: str) -> Path | Source:
    return folder / name if isinstance(folder, Path) else folder.child(name)


def _is_file(entry: Path | Source) -> bool:
    return entry.is_file() if isinstance(entry, Path) else entry.exists()


def store_format(folder: Path | Source) -> str | None:
    """``"ome-zarr"``, ``"zarr"`` or ``None`` for a folder, from its metadata files alone.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as name:
    ...     store_format(pathlib.Path(name)) is None
    True
    """
    if _is_file(_member(folder, "zarr.json")):
        attributes = _json(_member(folder, "zarr.json")).get("attributes") or {}
    elif _is_file(_member(folder, ".zgroup")) or _is_file(_member(folder, ".zarray")):
        attributes = _json(_member(folder, ".zattrs"))
    else:
        return None
    if "multiscales" in attributes or "multiscales" in (attributes.get("ome") or {}):
        return "ome-zarr"
    return "zarr"


def _check_metadata_files(path: Path) -> None:
    """Refuse metadata files zarr would read without bound (``/dev/zero``, a FIFO, a huge file), before it does."""
    for folder in (path, *(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())):
        for name in _METADATA_FILES:
            candidate = folder / name
            if candidate.exists() and (not candidate.is_file() or candidate.stat().st_size > _MAX_METADATA_BYTES):
                raise CorruptFileError(f"{candidate.relative_to(path)} is not a regular file of at most "
                                       f"{_MAX_METADATA_BYTES} bytes", path=path,
                                       hint="the store's metadata is damaged")


def _open(path: Path | Source) -> Any:
    zarr = _zarr()
    if isinstance(path, Path):  # a local store; remote stores are read through fsspec, in bounded requests
        _check_metadata_files(path)
    try:
        return zarr.open(store=str(path) if isinstance(path, Path) else path.zarr_store(mode="r"), mode="r")
    except (ValueError, KeyError, TypeError, OSError, ArithmeticError, AttributeError, RecursionError,
            zarr.errors.BaseZarrError) as exc:
        raise CorruptFileError(f"not a readable Zarr store ({exc})", path=path,
                               hint="the store's metadata is damaged or incomplete") from exc


def _letters(names: list[str]) -> str:
    letters = "".join(n.lower() if isinstance(n, str) and n.lower() in _NGFF_ORDER else "q" for n in names)
    repeated = {a for a in letters if a != "q" and letters.count(a) > 1}
    return "".join("q" if a in repeated else a for a in letters)


def _multiscale(attributes: dict) -> tuple[dict, str]:
    ome = attributes.get("ome") or {}
    if "multiscales" in ome:
        return ome["multiscales"][0], str(ome.get("version", NGFF_VERSION))
    multiscale = attributes["multiscales"][0]
    return multiscale, str(multiscale.get("version", "0.4"))


def _omero_channels(attributes: dict) -> list[list] | None:
    """``[[label, "#RRGGBB"], ...]`` from NGFF's ``omero`` metadata (inside ``ome`` since 0.5), if present."""
    omero = (attributes.get("ome") or {}).get("omero") or attributes.get("omero") or {}
    channels = omero.get("channels") if isinstance(omero, dict) else None
    if not isinstance(channels, list) or not all(isinstance(c, dict) for c in channels):
        return None
    found = []
    for channel in channels:
        color = channel.get("color")
        color = f"#{color.upper()}" if isinstance(color, str) and len(color) == 6 else None
        label = channel.get("label")
        found.append([label if isinstance(label, str) else None, color])
    return found


def _omero(channels: list | None, dtype: np.dtype) -> dict | None:
    """NGFF's ``omero`` block for the channels ``ia.write`` recorded (label, colour, the dtype's window)."""
    if not channels:
        return None
    kind = np.dtype(dtype).kind
    low, high = (0, int(np.iinfo(dtype).max)) if kind in "iu" else (0.0, 1.0)
    return {"channels": [{"label": name or f"c{index}", "color": (color or "#FFFFFF")[1:], "active": True,
                          "window": {"min": low, "max": high, "start": low, "end": high}}
                         for index, (name, color) in enumerate(channels)]}


def _transforms(items: list[dict] | None, ndim: int) -> tuple[list[float], list[float]]:
    scale, translation = [1.0] * ndim, [0.0] * ndim
    for item in items or []:
        if item.get("type") == "scale" and len(item.get("scale", ())) == ndim:
            scale = [a * float(b) for a, b in zip(scale, item["scale"], strict=True)]
        elif item.get("type") == "translation" and len(item.get("translation", ())) == ndim:
            translation = [a + float(b) for a, b in zip(translation, item["translation"], strict=True)]
    return scale, translation


def _describe(path: Path, spec: FormatSpec, level: int | None = None) -> tuple[Any, FileInfo]:
    node = _open(path)
    attributes = dict(node.attrs)
    own = attributes.get("imarray") or {}
    metadata: dict[str, Any] = {k: v for k, v in own.items() if k not in ("axes", "geometry")}
    spacing: dict[str, float] = {}
    units: dict[str, str] = {}
    origin: dict[str, float] = {}
    if hasattr(node, "shape"):  # an array at the root
        array, fmt = node, "zarr"
        names = list(getattr(array.metadata, "dimension_names", None) or [])
        axes = own.get("axes") or (_letters(names) if len(names) == array.ndim else "q" * array.ndim)
        geometry = own.get("geometry") or {}
        spacing, units, origin = (dict(geometry.get(k) or {}) for k in ("spacing", "units", "origin"))
    elif "multiscales" in attributes or "multiscales" in (attributes.get("ome") or {}):
        try:
            multiscale, version = _multiscale(attributes)
            datasets = multiscale["datasets"]
            step = 0 if level is None else level
            if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(datasets):
                raise InvalidOptionError(f"level={level!r}: the store holds {len(datasets)} pyramid level(s) (0 to "
                                         f"{len(datasets) - 1})", path=path)
            array = node[datasets[step]["path"]]
        except (KeyError, IndexError, TypeError) as exc:
            raise CorruptFileError(f"OME-Zarr multiscales metadata is incomplete ({exc})", path=path) from exc
        fmt = "ome-zarr"
        described = multiscale.get("axes") or []
        names = [a.get("name", "") if isinstance(a, dict) else str(a) for a in described]
        axes = _letters(names) if len(names) == array.ndim else "q" * array.ndim
        scale, translation = _transforms(datasets[step].get("coordinateTransformations"), array.ndim)
        global_scale, global_shift = _transforms(multiscale.get("coordinateTransformations"), array.ndim)
        for index, letter in enumerate(axes):
            if letter == "q" or letter == "c":
                continue
            spacing[letter] = scale[index] * global_scale[index]
            origin[letter] = translation[index] * global_scale[index] + global_shift[index]
            unit = described[index].get("unit") if isinstance(described[index], dict) else None
            if unit:
                units[letter] = _SHORT_UNITS.get(unit, unit)
        metadata.update(ngff=version, levels=len(datasets))
        if len(datasets) > 1:
            metadata["level_shapes"] = [[int(n) for n in node[entry["path"]].shape] for entry in datasets]
    else:
        arrays = sorted(name for name, _ in node.arrays())
        raise FormatNotFoundError(
            f"a Zarr group without OME-Zarr multiscales (arrays: {', '.join(arrays) or 'none'})",
            path=path, hint="pass the path of one array inside the group",
        )
    _check_grid(array, path)
    written = own.get("geometry") or {}  # what ia.write recorded beyond NGFF: the pixel kind and direction
    metadata.update({key: written[key] for key in ("kind", "direction", "channels") if written.get(key) is not None})
    if fmt == "ome-zarr" and "channels" not in metadata:  # another writer's channel names and colours
        channels = _omero_channels(attributes)
        if channels:
            metadata["channels"] = channels
    metadata["zarr_format"] = int(array.metadata.zarr_format)
    metadata["chunks"] = [int(c) for c in array.chunks]
    info = FileInfo(
        path=path, format=fmt, shape=tuple(int(s) for s in array.shape), dtype=np.dtype(array.dtype).name,
        axes=axes, spacing=spacing, units=units, origin=origin, files=(path,),
        disk_bytes=_disk_bytes(path) if isinstance(path, Path) else 0,  # a remote store is not listed
        metadata=metadata,
    )
    return array, info


def _check_grid(array: Any, path: Path) -> None:
    """Refuse chunk grids no store holds: a chunk of size 0, or more chunks than files a file system holds."""
    try:
        shape, chunks = tuple(int(s) for s in array.shape), tuple(int(c) for c in array.chunks)
    except (TypeError, ValueError, AttributeError, NotImplementedError) as exc:
        raise CorruptFileError(f"the store's chunk grid is unreadable ({exc})", path=path,
                               hint="the store's metadata is damaged") from exc
    if len(chunks) != len(shape) or any(c < 1 for c in chunks):
        raise CorruptFileError(f"chunk shape {list(chunks)} for an array of shape {list(shape)}", path=path,
                               hint="the store's metadata is damaged")
    count = math.prod(-(-s // c) for s, c in zip(shape, chunks, strict=True))
    if count > _MAX_CHUNKS:
        raise CorruptFileError(f"the chunk grid has {count} chunks, more than {_MAX_CHUNKS} files a store holds",
                               path=path, hint="the store's shape or chunk shape is damaged")


def _check_chunk_files(path: Path, array: Any) -> None:
    """Refuse chunk files that are not regular files (a FIFO blocks, ``/dev/zero`` never ends) or far larger
    than a chunk could be stored in, before zarr reads them."""
    stored = getattr(array, "shards", None) or array.chunks  # a shard is one file of many chunks
    limit = 2 * math.prod(int(c) for c in stored) * np.dtype(array.dtype).itemsize + _MAX_METADATA_BYTES
    pending = [path]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                elif entry.name not in _METADATA_FILES and (not entry.is_file() or entry.stat().st_size > limit):
                    raise CorruptFileError(f"{Path(entry.path).relative_to(path)} is not a chunk (not a regular "
                                           f"file of at most {limit} bytes)", path=path,
                                           hint="the store is damaged")


def _sparse_read(path: Path, array: Any) -> np.ndarray | None:
    """The array read from the chunk files that exist, the rest left at the fill value; None where most chunks
    exist (``array[...]`` is then as fast) or the chunk names cannot be parsed.

    Zarr asks the store for every chunk of the grid, present or not: a store of
    78,000 chunks of which 12 are written took more than 20 s to read.
    """
    grid = [-(-int(s) // int(c)) for s, c in zip(array.shape, array.chunks, strict=True)]
    separator = getattr(getattr(array.metadata, "chunk_key_encoding", None), "separator", None)
    if separator is None or getattr(array.metadata, "zarr_format", 3) != 3 or math.prod(grid) < _SPARSE_ABOVE:
        return None
    folder = path / array.path if array.path else path
    prefix = "c" + separator
    present: list[tuple[int, ...]] = []
    for chunk in (folder / "c").rglob("*") if (folder / "c").is_dir() else ():
        if chunk.is_file():
            key = chunk.relative_to(folder).as_posix().replace("/", separator)
            parts = key[len(prefix):].split(separator) if key.startswith(prefix) else []
            if len(parts) == len(grid) and all(p.isdigit() and int(p) < g for p, g in zip(parts, grid, strict=True)):
                present.append(tuple(int(p) for p in parts))
    if len(present) * 4 > math.prod(grid):
        return None
    out = np.full(tuple(int(s) for s in array.shape), array.fill_value, dtype=array.dtype)
    for coords in present:
        block = tuple(slice(i * int(c), (i + 1) * int(c)) for i, c in zip(coords, array.chunks, strict=True))
        out[block] = array[block]
    return out


def _bad_chunk(array: Any) -> str | None:
    """The key of the first chunk that does not decode, found by reading chunk by chunk (on the error path only)."""
    grid = [range(-(-int(s) // int(c))) for s, c in zip(array.shape, array.chunks, strict=True)]
    for number, coords in enumerate(itertools.product(*grid)):
        if number > _MAX_CHUNKS_SEARCHED:
            return None
        block = tuple(slice(i * int(c), (i + 1) * int(c)) for i, c in zip(coords, array.chunks, strict=True))
        try:
            array[block]
        except Exception:
            try:
                return array.metadata.encode_chunk_key(coords)
            except AttributeError:  # pragma: no cover - zarr v2 metadata
                return ".".join(map(str, coords))
    return None


def _disk_bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file())


def info(path: Path, *, spec: FormatSpec, level: int | None = None) -> FileInfo:
    """Describe a Zarr or OME-Zarr store (at pyramid ``level``) from its metadata alone."""
    return _describe(path, spec, level)[1]


def claims(path: Path, *, spec: FormatSpec) -> bool:
    """Whether the folder ``path`` is a store of this row (OME-Zarr for ``ome-zarr``, any other for ``zarr``)."""
    return store_format(path) == spec.name


def chunk_plan(path: Path, *, spec: FormatSpec, level: int | None = None) -> ChunkPlan:
    """The store's own chunks (of pyramid ``level`` of OME-Zarr, full resolution by default), one task each."""
    array, described = _describe(path, spec, level)
    grid = tuple(tuple(range(0, size, step)) for size, step in zip(array.shape, array.chunks, strict=True))
    chunks = tuple(tuple(min(step, size - start) for start in starts)
                   for starts, size, step in zip(grid, array.shape, array.chunks, strict=True))
    tasks = {}
    for key in itertools.product(*(range(len(starts)) for starts in grid)):
        region = tuple((starts[i], starts[i] + sizes[i]) for starts, sizes, i in zip(grid, chunks, key, strict=True))
        tasks[key] = (read_region, str(path) if isinstance(path, Path) else path, array.path, region)
    return ChunkPlan(chunks=chunks, dtype=np.dtype(array.dtype).newbyteorder("="), tasks=tasks, info=described)


def read_region(store: str | Source, inner: str, region: tuple[tuple[int, int], ...],
                out: np.ndarray | None = None) -> np.ndarray:
    """Task: read ``region`` of the array at ``inner`` in the Zarr store ``store`` (into ``out`` if given).

    ``store`` is a local store's folder, or a :class:`~imarray.sources.Source`
    (read with one request per chunk). A local store gone since the plan was
    made is an error, not the fill value Zarr gives for chunks it cannot find.
    """
    if isinstance(store, Source):
        array = _zarr().open_array(store=store.zarr_store(mode="r"), path=inner, mode="r")
        with store.translating("read a chunk"):
            block = _decoded(array, region, store)
        return _into(block, out)
    with still_there(store):
        metadata = [Path(store, inner, name) for name in ("zarr.json", ".zarray")]
        found = next((entry.stat() for entry in metadata if entry.exists()), None)
        if found is None:
            raise FileNotFoundError(store)
        array = _opened_array(store, inner, (found.st_mtime_ns, found.st_size, found.st_ino))
        block = _decoded(array, region, store)
    return _into(block, out)


def _decoded(array: Any, region: tuple[tuple[int, int], ...], store: str | Source) -> np.ndarray:
    try:
        return np.asarray(array[tuple(slice(start, stop) for start, stop in region)])
    except ImarrayError:
        raise
    except (RuntimeError, ValueError, OSError) as exc:  # numcodecs' decoding errors are RuntimeErrors
        raise CorruptFileError(f"cannot decode the chunk at {[start for start, _ in region]} ({exc})",
                               path=store, hint="the store is damaged") from exc


def _into(block: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return block.astype(block.dtype.newbyteorder("="), copy=False)
    out[...] = block
    return out


@functools.lru_cache(maxsize=8)
def _opened_array(store: str, inner: str, stamp: tuple[int, int, int]) -> Any:
    """The opened array, kept while its metadata file (``stamp``) is unchanged: a store replaced is reopened."""
    zarr = _zarr()
    return zarr.open_array(store=store, path=inner, mode="r")


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None,
         level: int | None = None) -> tuple[np.ndarray, FileInfo]:
    """Read the array of a Zarr store (OME-Zarr: full resolution, or pyramid ``level``), into ``out`` if given."""
    array, file_info = _describe(path, spec, level)
    target = output_array(file_info.shape, file_info.dtype, path, out)
    local = isinstance(path, Path)
    if local:
        _check_chunk_files(path, array)
    try:
        data = _sparse_read(path, array) if local else None
        target[...] = array[...] if data is None else data
    except ImarrayError:  # a remote store's 403 or timeout is not a damaged chunk
        raise
    except (ValueError, OSError, RuntimeError, TypeError, ArithmeticError, zlib.error, KeyError, IndexError) as exc:
        chunk = _bad_chunk(array)
        raise CorruptFileError(f"cannot decode {'chunk ' + chunk if chunk else 'the chunks'} ({exc})", path=path,
                               hint="the chunk is damaged (its checksum or compressed data does not match)") from exc
    return target, file_info


def _axes(axes: str | None, geometry: dict, ndim: int, spec: FormatSpec) -> str | None:
    axes = check_axes(axes, ndim)
    given = check_axes(geometry.get("axes"), ndim) if geometry.get("axes") else None
    if axes is not None and given is not None and not agrees(axes, given):
        raise AxesError(f"axes={axes!r} contradicts the image's axes {given!r}")
    if spec.name != "ome-zarr":
        return axes or given
    if axes is None:  # unnamed axes (q, a folder's stack axis) take NGFF's default names where they fit
        axes = named_as(given, _NGFF_ORDER[-ndim:])
        if axes is None:
            raise AxesError(f"OME-Zarr names every axis, and the image's axes {given!r} leave some unnamed",
                            hint="pass axes= with one letter of 'tczyx' per dimension")
    if "q" in axes or "y" not in axes or "x" not in axes or len(axes) > 5:
        raise AxesError(f"OME-Zarr needs named axes with y and x (letters of 'tczyx'); got {axes!r}",
                        hint="pass axes=, e.g. axes='zyx'")
    order = [_NGFF_ORDER.index(a) for a in axes]
    if order != sorted(order):
        raise AxesError(
            f"OME-Zarr (NGFF) orders axes t, c, z, y, x; got {axes!r}",
            hint=f"transpose the array to {''.join(sorted(axes, key=_NGFF_ORDER.index))!r} first "
            "(np.moveaxis or array.transpose)",
        )
    return axes


def _chunks(chunks: Any, array: Any) -> Any:
    if chunks is None:
        if not isinstance(array, np.ndarray):  # stream with the chunks the lazy array already has
            return tuple(int(c) for c in array.chunksize)
        return "auto"
    given = chunks
    chunks = (chunks,) * array.ndim if isinstance(chunks, int) else tuple(chunks) if not isinstance(chunks, str) else ()
    sizes_ok = all(isinstance(c, int | np.integer) and not isinstance(c, bool) and (c > 0 or c == -1) for c in chunks)
    if len(chunks) != array.ndim or not sizes_ok:
        raise InvalidOptionError(f"chunks={given!r}: give one positive size (or -1 for all) per dimension of the "
                                 f"{array.ndim}D array", hint=f"e.g. chunks={(64, 256, 256)[-array.ndim:]!r}")
    return tuple(int(s) if c == -1 else min(int(c), int(s)) for c, s in zip(chunks, array.shape, strict=True))


def check_writable(array: Any, *, spec: FormatSpec, axes: str | None = None, chunks: Any = None,
                   pyramid: bool | int | None = None, compression: str | None = None, shards: Any = None,
                   metadata: dict | None = None) -> None:
    """Raise before writing if the store cannot be written as asked (``metadata``: what the writer will get)."""
    named = _axes(axes, (metadata or {}).get("geometry") or {}, array.ndim, spec)
    _shards(shards, _chunks(chunks, array), array)
    _codec(compression)
    if array.dtype.byteorder not in "=|<>":  # pragma: no cover - numpy knows no other
        raise UnsupportedDtypeError(f"unknown byte order of {array.dtype}")
    if pyramid is not None and (isinstance(pyramid, bool) is False and (not isinstance(pyramid, int) or pyramid < 1)):
        raise InvalidOptionError(f"pyramid={pyramid!r}: pass True, False or a number of levels (1 or more)")
    if spec.name == "ome-zarr" and pyramid is not None and not isinstance(pyramid, bool):
        letters = named or ""  # OME-Zarr's are always named: _axes refuses otherwise
        side = max(array.shape[letters.index("y")], array.shape[letters.index("x")])
        most = 1 + math.ceil(math.log2(side)) if side > 1 else 1
        if pyramid > most:
            raise InvalidOptionError(f"pyramid={pyramid}: a {side}-pixel side halves to one pixel after {most - 1} "
                                     f"levels", hint=f"pass pyramid={most} or fewer (or True to stop near 256)")
    _zarr()


@contextlib.contextmanager
def _writes_settled() -> Iterator[None]:
    """On failure (a full disk, Ctrl-C), wait for zarr's chunk writes still running before the store is removed.

    zarr writes chunks concurrently on its own event loop; when one fails the
    others go on, so removing the temporary store at once would race with
    them (files left behind, "Task was destroyed but it is pending!").
    """
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            from zarr.core.sync import sync

            sync(_rest_of_the_writes())
        raise


async def _rest_of_the_writes() -> None:
    import asyncio

    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    if pending:
        await asyncio.wait(pending, timeout=120)


_CODECS = {"zstd": 22, "gzip": 9, "blosc-lz4": 9, "blosc-zstd": 9, "none": 0}  # name -> highest level


def _codec(compression: str | None) -> tuple[str, int | None]:
    """``compression=`` as (codec, level): ``"zstd"``, ``"zstd:5"``, ``"gzip:6"``, ``"blosc-lz4"``, ``"none"``.

    >>> _codec("GZIP:6"), _codec(None)
    (('gzip', 6), ('zstd', None))
    """
    name, _, level = (compression or "zstd").lower().partition(":")
    if name not in _CODECS or (level and not (level.isdigit() and int(level) <= _CODECS[name])):
        raise InvalidOptionError(f"compression={compression!r} is not a Zarr codec imarray writes",
                                 hint="choose zstd (default), gzip, blosc-lz4, blosc-zstd or none, with a level "
                                 "after a colon: 'zstd:5', 'gzip:6'")
    return name, int(level) if level else None


def _checksummed(zarr: Any, compression: str | None = None) -> tuple:
    """The chunks' compression (zstd by default) followed by a crc32c of each stored chunk: a flipped byte in a
    chunk is then an error when read, not a changed value."""
    name, level = _codec(compression)
    codecs = zarr.codecs
    checksum = codecs.Crc32cCodec()
    if name == "none":
        return (checksum,)
    if name == "gzip":
        return (codecs.GzipCodec(level=6 if level is None else level), checksum)
    if name.startswith("blosc-"):
        return (codecs.BloscCodec(cname=name[6:], clevel=5 if level is None else level, shuffle="shuffle"), checksum)
    return (codecs.ZstdCodec(level=level or 0, checksum=False), checksum)


def _level_shards(shards: tuple[int, ...] | None, chunks: Any, shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """A pyramid level's shards: no larger than the level needs, still whole chunks."""
    if shards is None:
        return None
    return tuple(min(s, c * -(-n // c)) for s, c, n in zip(shards, chunks, shape, strict=True))


def _shards(shards: Any, chunk_shape: Any, array: Any) -> tuple[int, ...] | None:
    """``shards=``: one size per dimension, each a whole number of chunks (``chunks=`` must be given)."""
    if shards is None:
        return None
    sizes = (shards,) * array.ndim if isinstance(shards, int) else tuple(shards) if isinstance(shards, list | tuple) \
        else ()
    if chunk_shape == "auto":
        raise InvalidOptionError("shards= needs chunks= as well: each shard holds whole chunks",
                                 hint="e.g. chunks=(16, 256, 256), shards=(64, 1024, 1024)")
    if len(sizes) != array.ndim or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 and s % c == 0
                                           for s, c in zip(sizes, chunk_shape, strict=True)):
        raise InvalidOptionError(f"shards={shards!r}: give one size per dimension, each a multiple of the chunk "
                                 f"shape {tuple(chunk_shape)}", hint="e.g. four chunks per shard along each axis")
    return tuple(int(s) for s in sizes)


def _store(source: Any, target: Any) -> None:
    if isinstance(source, np.ndarray):
        target[...] = source
    else:  # a BlockStream
        source.store(target)


def _ngff_axes(axes: str, units: dict) -> list[dict]:
    described = []
    for letter in axes:
        entry: dict[str, Any] = {"name": letter, "type": _AXIS_TYPES[letter]}
        unit = units.get(letter)
        if unit and letter != "c":
            entry["unit"] = _UNITS.get(unit, unit)
        described.append(entry)
    return described


def write(
    path: Path,
    array: Any,
    *,
    spec: FormatSpec,
    metadata: dict,
    axes: str | None = None,
    chunks: Any = None,
    pyramid: bool | int | None = None,
    compression: str | None = None,
    shards: Any = None,
) -> Path:
    """Write ``array`` (numpy or dask) as a Zarr v3 store, atomically; return ``path``.

    Chunks are compressed as ``compression`` says (zstd by default) and carry
    a crc32c; ``shards`` groups whole chunks into one stored object each.
    """
    zarr = _zarr()
    geometry = metadata.get("geometry") or {}
    axes = _axes(axes, geometry, array.ndim, spec)
    named = axes or ""  # OME-Zarr's are always named: _axes refuses otherwise
    chunk_shape = _chunks(chunks, array)
    shard_shape = _shards(shards, chunk_shape, array)
    own: dict[str, Any] = dict(metadata)
    if axes is not None:
        own["axes"] = axes
    if isinstance(path, Path) and path.is_dir() and store_format(path) is None and any(path.iterdir()):
        raise FormatNotFoundError(
            "the target is a folder that is not a Zarr store; imarray will not replace it",
            path=path, hint="choose another name, or move the folder away first",
        )
    # a local store is built beside the target and renamed into place; an object store is written chunk by chunk
    with (atomic_folder(path) if isinstance(path, Path) else contextlib.nullcontext(path.zarr_store(mode="w")) as to,
          _writes_settled()):
        store = str(to) if isinstance(to, Path) else to
        if spec.name != "ome-zarr":
            target = zarr.create_array(
                store=store, shape=array.shape, dtype=array.dtype, chunks=chunk_shape,
                dimension_names=tuple(axes) if axes else None, attributes={"imarray": own}, zarr_format=3,
                compressors=_checksummed(zarr, compression), shards=shard_shape,
            )
            _store(array, target)
            return path
        spacing, units, origin = (dict(geometry.get(k) or {}) for k in ("spacing", "units", "origin"))
        scale = [float(spacing.get(a, 1.0)) if a != "c" else 1.0 for a in named]
        shift = [float(origin.get(a, 0.0)) if a != "c" else 0.0 for a in named]
        group = zarr.open_group(store, mode="w", zarr_format=3)
        datasets, level = [], array
        down = tuple(slice(None, None, 2) if a in "zyx" else slice(None) for a in named)
        side = max(array.shape[named.index("y")], array.shape[named.index("x")])
        for index in range(pyramid_levels(side, pyramid)):
            if index:
                level = level[down]
            level_chunks = chunk_shape if chunk_shape == "auto" else tuple(
                min(c, s) for c, s in zip(chunk_shape, level.shape, strict=True))
            target = group.create_array(str(index), shape=level.shape, dtype=level.dtype, chunks=level_chunks,
                                        dimension_names=tuple(named), compressors=_checksummed(zarr, compression),
                                        shards=_level_shards(shard_shape, level_chunks, level.shape))
            _store(level, target)
            factor = [2.0**index if a in "zyx" else 1.0 for a in named]
            transforms: list[dict] = [{"type": "scale", "scale": [s * f for s, f in zip(scale, factor, strict=True)]}]
            if any(shift):
                transforms.append({"type": "translation", "translation": shift})
            datasets.append({"path": str(index), "coordinateTransformations": transforms})
            if not isinstance(array, np.ndarray):  # the next level reads this one back, not the source
                import dask.array as da

                level = level.reread(da.from_zarr(target))
        multiscale = {"name": path.name.removesuffix(".ome.zarr"), "axes": _ngff_axes(named, units),
                      "datasets": datasets,
                      "metadata": {"method": "every second sample (nearest)", "description": "imarray pyramid"}}
        ome: dict[str, Any] = {"version": NGFF_VERSION, "multiscales": [multiscale]}
        omero = _omero(geometry.get("channels"), array.dtype)
        if omero is not None:
            ome["omero"] = omero
        group.attrs.update({"ome": ome, "imarray": own})
    return path

