"""Dask arrays over files, pages and folders: nothing is read until computed.

``ia.load(path, lazy=True)`` returns a ``dask.array.Array`` chunked along the
natural unit of the data, built from headers alone:

- a folder of slices or stacks (and a size-capped series): one chunk per file,
  planned from every file's header as ``ia.load`` plans it, so a file of
  another shape or dtype is the same :class:`~imarray.errors.CorruptFileError`
  before anything is computed;
- a multi-page TIFF: groups of pages of about 64 MB (at least one page); an
  uncompressed, contiguous TIFF is read from file offsets, any other TIFF
  decodes its pages from the strip offsets found in the header;
- a raw binary: groups of frames read from their byte offsets (never
  ``dask.array.from_array(np.memmap(...))``, which copies the whole map when
  the graph is built);
- a Zarr or OME-Zarr store: its own chunks (level 0 of a pyramid).

Each task opens its file, reads its own bytes and closes it, so the graph
pickles and runs on ``dask.distributed`` workers; errors raised there are the
same :mod:`imarray.errors` classes.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> with tempfile.TemporaryDirectory() as name:
...     folder = pathlib.Path(name)
...     for index in range(3):
...         _ = ia.save(folder / f"slice_{index}.tif", np.full((4, 5), index, np.uint16))
...     stack = ia.load(folder, lazy=True)
...     print(stack.shape, stack.chunks[0], int(stack[2].max().compute()))
(3, 4, 5) (1, 1, 1) 2
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._memory import aligned_empty
from ._optional import import_optional
from .dtypes import canonical, exact_cast
from .errors import CorruptFileError, ImageFileNotFoundError, ImarrayError
from .fileinfo import FileInfo
from .registry import BY_NAME, FormatSpec

CHUNK_BYTES = 64 * 2**20  # pages or frames grouped into chunks of about this size


def _dask_array() -> Any:
    return import_optional("dask.array", extra="dask", purpose="lazy loading")


def read_lazy(path: Any, *, format: str | None = None, dtype: Any = None,
              dims: dict | None = None) -> tuple[Any, FileInfo]:
    """A dask array over the file or folder at ``path``, and what its headers say (axes, spacing, ...)."""
    from . import api

    _dask_array()
    path, spec = api.resolve(path, format)
    if spec is None:
        array, described = _folder(path)
    elif spec.name == "raw":
        return _raw(path, spec, dtype, dims or {})
    elif dims:
        raise TypeError(f"{spec.name} files take no sidecar dimensions; those are for raw binaries")
    elif spec.module.endswith("zarr_"):
        array, described = _zarr(path, spec)
    elif spec.module.endswith("tiff"):
        array, described = _tiff(path, spec)
    else:  # single images of display formats: one chunk
        described = spec.load().info(path, spec=spec)
        task = (_read_file, str(path), spec.name, described.shape, described.dtype, False)
        array = _assemble("file", *_along_first([task], described.shape[:1], described.shape[1:]), described.dtype)
    if dtype is not None:
        array = exact_cast(array, dtype, path=path)  # block by block, checked when computed
    return array, described


def _assemble(kind: str, tasks: dict[tuple[int, ...], tuple], chunks: tuple[tuple[int, ...], ...], dtype: Any) -> Any:
    """A dask array whose chunk at block index ``key`` is computed by ``tasks[key]``."""
    da = _dask_array()
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    dtype = np.dtype(dtype)
    name = f"imarray-{kind}-{tokenize(tasks, dtype.str)}"
    graph = {(name, *key): task for key, task in tasks.items()}
    meta = np.empty((0,) * len(chunks), dtype=dtype)
    return da.Array(HighLevelGraph.from_collections(name, graph, dependencies=()), name, chunks, meta=meta)


def _along_first(tasks: list[tuple], sizes: tuple[int, ...], rest: tuple[int, ...]) -> dict:
    """Chunks of whole trailing dimensions, ``sizes`` along the first axis: keys and chunks for _assemble."""
    corner = (0,) * len(rest)
    return {(index, *corner): task for index, task in enumerate(tasks)}, (sizes, *((s,) for s in rest))


def _groups(count: int, unit_bytes: int) -> list[tuple[int, int]]:
    """(start, stop) ranges of about CHUNK_BYTES each, at least one unit."""
    step = max(1, CHUNK_BYTES // max(1, unit_bytes))
    return [(start, min(count, start + step)) for start in range(0, count, step)]


def _page_grid(leading: tuple[int, ...], page_bytes: int) -> tuple[tuple[int, ...], ...]:
    """Chunks over the page-index axes whose blocks are runs of consecutive pages, about CHUNK_BYTES each.

    Inner axes are taken whole while the budget allows; the first axis that
    does not fit whole is split, and every axis outside it has chunks of 1.
    """
    budget = max(1, CHUNK_BYTES // max(1, page_bytes))
    steps = []
    for size in reversed(leading):
        step = min(size, budget)
        steps.append(step)
        budget = budget // size if step == size else 1
    steps.reverse()
    return tuple(tuple(min(step, size - start) for start in range(0, size, step))
                 for size, step in zip(leading, steps, strict=True))


# ---- tasks (module-level functions: they pickle to distributed workers) ----------------------------

def _read_file(path: str, spec_name: str, shape: tuple[int, ...], dtype: str, is_plane: bool,
               out: np.ndarray | None = None) -> np.ndarray:
    """Read one whole file of a folder into a chunk of ``shape`` (into ``out`` if given)."""
    spec = BY_NAME[spec_name]
    out = aligned_empty(shape, dtype) if out is None else out
    with _still_there(path):
        spec.load().read(Path(path), spec=spec, out=out[0] if is_plane else out)
    return out


@contextlib.contextmanager
def _still_there(path: str) -> Iterator[None]:
    """A file gone since the lazy array was made is an ImageFileNotFoundError naming it."""
    try:
        yield
    except FileNotFoundError as exc:
        if isinstance(exc, ImarrayError):
            raise
        raise ImageFileNotFoundError("no such file", path=path,
                                     hint="it was moved or deleted after the lazy array was made") from exc


def _read_bytes(path: str, dtype: str, offset: int, shape: tuple[int, ...],
                out: np.ndarray | None = None) -> np.ndarray:
    """Read ``shape`` items of ``dtype`` starting ``offset`` bytes into the file (into ``out`` if given)."""
    out = aligned_empty(shape, np.dtype(dtype)) if out is None else out
    view = memoryview(out.reshape(-1).view(np.uint8))
    with _still_there(path), open(path, "rb", buffering=0) as handle:
        handle.seek(offset)
        done = 0
        while done < len(view):
            count = handle.readinto(view[done:])
            if not count:
                raise CorruptFileError(f"the file ended early: {len(view) - done} bytes missing at offset "
                                       f"{offset + done}", path=path, hint="the file was cut short after the "
                                       "lazy array was made")
            done += count
    return out


def _read_pages(path: str, pages: list[tuple[int, tuple, tuple]], shape: tuple[int, ...], dtype: str,
                out: np.ndarray | None = None) -> np.ndarray:
    """Decode TIFF pages from their strip offsets (no walk through the file's IFD chain), into ``out`` if given."""
    import tifffile

    from .formats.tiff import _DAMAGE, _opened

    out = aligned_empty(shape, dtype) if out is None else out
    with _opened(Path(path)) as tif:
        keyframe = tif.pages.first
        planes = out.reshape(len(pages), *keyframe.shape)
        for slot, (index, offsets, counts) in enumerate(pages):
            frame = tifffile.TiffFrame(tif, index=index, dataoffsets=offsets, databytecounts=counts,
                                       keyframe=keyframe)
            try:
                planes[slot] = frame.asarray()
            except _DAMAGE as exc:
                raise CorruptFileError(f"cannot decode page {index} ({exc})", path=path) from exc
    return out


_READERS = (_read_file, _read_bytes, _read_pages)


def read_into(array: Any, start: int, out: np.ndarray) -> bool:
    """Read rows ``start:start + len(out)`` of ``array`` straight from its files into ``out``, if it can.

    It can when ``array`` is a lazy array exactly as :func:`read_lazy` made it
    (no operation since), whole in every dimension but the first, with chunk
    edges at both ends of the rows: each file or group of frames is then read
    into its place in ``out``, with no chunk of fresh memory and no copy.
    Otherwise nothing is read and the caller computes the rows with dask.
    """
    layers = getattr(array.dask, "layers", {})
    if not array.name.startswith("imarray-") or len(layers) != 1 or any(len(c) > 1 for c in array.chunks[1:]):
        return False
    edges = np.cumsum((0, *array.chunks[0]))
    first, last = np.searchsorted(edges, [start, start + len(out)])
    if first == last or edges[first] != start or edges[last] != start + len(out):
        return False
    corner = (0,) * (array.ndim - 1)
    tasks = [layers[array.name][(array.name, index, *corner)] for index in range(first, last)]
    if not all(isinstance(task, tuple) and task[0] in _READERS for task in tasks):
        return False
    for index, task in zip(range(first, last), tasks, strict=True):
        task[0](*task[1:], out=out[edges[index] - start : edges[index + 1] - start])
    return True


def _native(block: np.ndarray) -> np.ndarray:
    return block.astype(block.dtype.newbyteorder("="), copy=False)


# ---- graph builders ---------------------------------------------------------------------------

def _folder(folder: Path) -> tuple[Any, FileInfo]:
    from .formats import folder as folder_format

    spec, infos, shape, dtype = folder_format._plan(folder)
    if spec.multi_file:  # a folder holding one raw binary
        return _raw(infos[0].path, spec, None, {})
    tasks, counts = [], []
    for file_info in infos:
        count, frame_shape = folder_format._frames(file_info)
        tasks.append((_read_file, str(file_info.path), spec.name, (count, *frame_shape), dtype,
                      frame_shape == file_info.shape))
        counts.append(count)
    array = _assemble("folder", *_along_first(tasks, tuple(counts), shape[1:]), dtype)
    return array, folder_format._combined_info(folder, spec, infos, shape, dtype)


def _tiff(path: Path, spec: FormatSpec) -> tuple[Any, FileInfo]:
    from .formats import tiff

    with tiff._opened(path) as tif:
        series, described = tiff._describe(tif, path, spec)  # checks the sizes against the file
        tiff.warn_other_series(tif, path, stacklevel=6)
        shape = tuple(int(s) for s in described.shape)
        page_ndim = len(series.keyframe.shape)
        leading, page_shape = shape[:-page_ndim], shape[-page_ndim:]
        stored = canonical(series.dtype.newbyteorder(tif.byteorder))  # tifffile reports the decoded, native dtype
        page_bytes = math.prod(page_shape) * stored.itemsize
        contiguous = series.dataoffset is not None and stored != np.bool_
        pages = None if contiguous else [(int(page.index), tuple(page.dataoffsets), tuple(page.databytecounts))
                                         for page in series.pages]
    if pages is not None and len(pages) != math.prod(leading):
        raise CorruptFileError(f"the series has {len(pages)} pages, its shape needs {math.prod(leading)}", path=path)
    grid = _page_grid(leading, page_bytes)
    tasks = {}
    for key in itertools.product(*(range(len(sizes)) for sizes in grid)):
        block = tuple(sizes[i] for sizes, i in zip(grid, key, strict=True))
        corner = [sum(sizes[:i]) for sizes, i in zip(grid, key, strict=True)]
        first = int(np.ravel_multi_index(corner, leading)) if leading else 0
        count = math.prod(block)
        if contiguous:
            task = (_read_bytes, str(path), stored.str, series.dataoffset + first * page_bytes, (*block, *page_shape))
        else:
            task = (_read_pages, str(path), pages[first : first + count], (*block, *page_shape),
                    stored.newbyteorder("=").str)
        tasks[(*key, *(0,) * page_ndim)] = task
    array = _assemble("tiff", tasks, (*grid, *((s,) for s in page_shape)), stored if contiguous else
                      stored.newbyteorder("="))
    if array.dtype != array.dtype.newbyteorder("="):
        array = array.map_blocks(_native, dtype=array.dtype.newbyteorder("="))
    return array, described


def _raw(path: Path, spec: FormatSpec, dtype: Any, dims: dict) -> tuple[Any, FileInfo]:
    from .formats import raw

    described, stored = raw._describe(path, dtype, dims)
    shape = described.shape
    frame = shape[1:]
    frame_bytes = math.prod(frame) * stored.itemsize
    groups = _groups(shape[0], frame_bytes)
    tasks = [(_read_bytes, str(described.path), stored.str, start * frame_bytes, (stop - start, *frame))
             for start, stop in groups]
    sizes = tuple(stop - start for start, stop in groups)
    return _assemble("raw", *_along_first(tasks, sizes, frame), stored), described


def _zarr(path: Path, spec: FormatSpec) -> tuple[Any, FileInfo]:
    from .formats import zarr_

    array, described = zarr_.open_array(path, spec=spec)
    grid = tuple(tuple(range(0, size, step)) for size, step in zip(array.shape, array.chunks, strict=True))
    chunks = tuple(tuple(min(step, size - start) for start in starts)
                   for starts, size, step in zip(grid, array.shape, array.chunks, strict=True))
    stored = np.dtype(array.dtype)
    tasks = {}
    for key in itertools.product(*(range(len(starts)) for starts in grid)):
        region = tuple((starts[i], starts[i] + sizes[i]) for starts, sizes, i in zip(grid, chunks, key, strict=True))
        tasks[key] = (_read_zarr, str(path), array.path, region)
    return _assemble("zarr", tasks, chunks, stored.newbyteorder("=")), described


def _read_zarr(store: str, inner: str, region: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Read ``region`` of the array at ``inner`` in the Zarr store ``store``.

    A store gone since the lazy array was made is an error, not the fill
    value Zarr gives for chunks it cannot find.
    """
    with _still_there(store):
        metadata = [Path(store, inner, name) for name in ("zarr.json", ".zarray")]
        found = next((entry.stat() for entry in metadata if entry.exists()), None)
        if found is None:
            raise FileNotFoundError(store)
        array = _zarr_array(store, inner, (found.st_mtime_ns, found.st_size, found.st_ino))
        try:
            block = np.asarray(array[tuple(slice(start, stop) for start, stop in region)])
        except (RuntimeError, ValueError, OSError) as exc:  # numcodecs' decoding errors are RuntimeErrors
            raise CorruptFileError(f"cannot decode the chunk at {[start for start, _ in region]} ({exc})",
                                   path=store, hint="the store is damaged") from exc
    return _native(block)


@functools.lru_cache(maxsize=8)
def _zarr_array(store: str, inner: str, stamp: tuple[int, int, int]) -> Any:
    """The opened array, kept while its metadata file (``stamp``) is unchanged: a store replaced is reopened."""
    import zarr

    return zarr.open_array(store=store, path=inner, mode="r")
