"""The streaming engine: saving dask arrays chunk by chunk (TIFF pages, raw bytes, Zarr chunks).

``ia.save(path, dask_array)`` never holds the whole array: a row with the
``stream_write`` capability is handed a :class:`Streamed` (the
:class:`~imarray.protocol.BlockStream` protocol) instead of an ndarray, and its
writer pulls the pixels from it. TIFF and raw writers receive the pixels as a
stream of blocks computed one ahead of the write (peak memory: a few blocks; a raw file is preallocated and written in
order, not through an ``np.memmap``, whose mapped pages count in the RSS),
and Zarr stores are written slab by slab from reused buffers in this process
or chunk-parallel by the tasks of any other scheduler, a
``dask.distributed.Client`` included. imarray starts no pool of workers.

``dtype=`` and ``scale=`` are applied block by block before the stream
(:mod:`imarray.blockwise`): a ``LossyCastError`` is raised when the offending
block is computed, before the target is replaced, since writes are atomic.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> import dask.array as da
>>> lazy = da.arange(24, dtype=np.uint16, chunks=6).reshape(4, 6)
>>> with tempfile.TemporaryDirectory() as name:
...     written = ia.save(pathlib.Path(name) / "a.tif", lazy)   # written page by page
...     ia.load(written)[3, 5]
np.uint16(23)
"""

from __future__ import annotations

import itertools
import math
import os
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from ._memory import aligned_empty
from ._progress import progress, streamed_progress_wanted

BLOCK_BYTES = 8 * 2**20  # blocks handed to sequential writers are about this size (at least one row)
SLAB_BYTES = 16 * 2**20  # Zarr stores are written in slabs of about this much source (at least a chunk row)
CHUNKS_PER_CALL = max(4, os.cpu_count() or 1)  # Zarr chunks in flight at a time in a streamed save

__all__ = ["Streamed", "blocks_in_order", "pages", "store_chunks"]


class Streamed:
    """A dask array as a format's writer sees it: shape, dtype, and the pixels block by block.

    Implements :class:`imarray.protocol.BlockStream`, so writers never import
    this engine.

    Examples
    --------
    >>> import dask.array as da
    >>> stream = Streamed(da.ones((4, 2, 3), dtype="uint8", chunks=(1, 2, 3)))
    >>> [page.shape for page in stream[::2].pages(2)]
    [(2, 3), (2, 3)]
    """

    def __init__(self, array: Any) -> None:
        self.array = array
        self.shape: tuple[int, ...] = tuple(array.shape)
        self.dtype: np.dtype = array.dtype
        self.ndim: int = array.ndim
        self.nbytes: int = int(array.nbytes)
        self.chunksize: tuple[int, ...] = tuple(int(c) for c in array.chunksize)

    def __repr__(self) -> str:
        return f"Streamed({self.array!r})"

    def blocks(self) -> Iterator[np.ndarray]:
        """C-ordered, contiguous NumPy blocks along the first axis (:func:`blocks_in_order`)."""
        return blocks_in_order(self.array)

    def pages(self, page_ndim: int) -> Iterator[np.ndarray]:
        """One dense page (the last ``page_ndim`` dimensions) at a time (:func:`pages`)."""
        return pages(self.array, page_ndim)

    def store(self, target: Any) -> None:
        """Write into the ``zarr.Array`` ``target`` chunk-parallel (:func:`store_chunks`)."""
        store_chunks(self.array, target)

    def __getitem__(self, key: Any) -> Streamed:
        return Streamed(self.array[key])

    def reread(self, array: Any) -> Streamed:
        """A stream of another lazy array (a level just written, read back)."""
        return Streamed(array)


def _row_blocks(array: Any) -> list[list[Any]]:
    """Batches of consecutive blocks along the first axis, whole in every other dimension.

    Blocks keep the source's own first-axis chunks (a file, a group of pages),
    so nothing is concatenated; a batch holds about BLOCK_BYTES and is
    computed in one call, so the scheduler reads its chunks in parallel.
    """
    if any(len(sizes) > 1 for sizes in array.chunks[1:]):
        array = array.rechunk({axis: -1 for axis in range(1, array.ndim)})
    row_bytes = max(1, array[:1].nbytes)
    batches: list[list[Any]] = [[]]
    held = 0
    for index, rows in enumerate(array.chunks[0]):
        if batches[-1] and held + rows * row_bytes > BLOCK_BYTES:
            batches.append([])
            held = 0
        batches[-1].append(array.blocks[index])
        held += rows * row_bytes
    return batches


def blocks_in_order(array: Any, *, desc: str = "writing") -> Iterator[np.ndarray]:
    """C-ordered, contiguous NumPy blocks of a dask array along its first axis.

    The next batch of blocks is computed (by the active dask scheduler) while
    the caller writes the current one, so at most two batches of about
    BLOCK_BYTES are held at a time.
    """
    batches = _row_blocks(array)
    enabled = streamed_progress_wanted()
    with ThreadPoolExecutor(1, thread_name_prefix="imarray-prefetch") as ahead:
        pending: Future[list[np.ndarray]] | None = ahead.submit(_compute, batches[0])
        for index in progress(range(len(batches)), total=len(batches), desc=desc, enabled=enabled):
            assert pending is not None  # one batch is always in flight inside the loop
            current = pending.result()
            pending = ahead.submit(_compute, batches[index + 1]) if index + 1 < len(batches) else None
            while current:
                yield np.ascontiguousarray(current.pop(0))


def _compute(batch: list[Any]) -> list[np.ndarray]:
    import dask

    return list(dask.compute(*batch))


def pages(array: Any, page_ndim: int) -> Iterator[np.ndarray]:
    """One dense page (the last ``page_ndim`` dimensions) at a time, in C order."""
    page_shape = array.shape[-page_ndim:] if array.ndim > page_ndim else array.shape
    planes = array.reshape((-1, *page_shape))
    for block in blocks_in_order(planes):
        yield from block


def store_chunks(source: Any, target: Any) -> None:
    """Write a dask array into a ``zarr.Array`` chunk-parallel, each task its own chunks.

    With an in-process scheduler (threads, the default, or sync) the store
    is written a slab at a time along the first axis (about SLAB_BYTES of
    source, whole rows of Zarr chunks): the next slab is read into one of two
    reused buffers while a thread hands the other to Zarr, which encodes its
    chunks with its own threads. A lazy array straight from ``ia.load`` is
    read file by file into the buffer (:func:`imarray.lazy.read_into`); any
    other is computed into it by the scheduler. Fresh memory is never
    touched per chunk (first touches of fresh pages cost as much as reading
    them from the page cache here). Any other scheduler (processes, a
    ``dask.distributed`` cluster) gets a graph whose tasks write whole Zarr
    chunks themselves, a slab at a time for processes and all at once for a
    cluster, which manages its workers' memory itself.

    The call returns (or raises) only once no task is still writing, so a
    failed save deletes its temporary store with no straggler recreating it:
    writing tasks return their errors instead of raising them, in-process
    writers are counted, and on a cluster every block's future is awaited.
    The first error is raised as the class it was on the worker.
    """
    import dask

    if _in_process(source):
        _store_in_slabs(source, target)
        return
    tag = secrets.token_hex(8)
    client = _distributed_client(source)
    try:
        if client is not None:
            errors = _run_on_cluster(client, _writes(source, target, tag, 0))
        else:
            errors = []
            slabs = _slabs(source, _unit(target)[0])
            for start, stop in progress(slabs, total=len(slabs), desc="writing", enabled=streamed_progress_wanted()):
                (done,) = dask.compute(_writes(source[start:stop], target, tag, start))
                errors.extend(done.reshape(-1))
    except BaseException:
        with _WRITING:
            _FAILED.add(tag)
            _WRITING.wait_for(lambda: _ACTIVE.get(tag, 0) == 0)
        raise
    finally:
        with _WRITING:
            _ACTIVE.pop(tag, None)
    for error in errors:
        if error is not None:
            raise error


def _store_in_slabs(source: Any, target: Any) -> None:
    """Slab after slab: one buffer is filled while a thread hands the other to Zarr."""
    import dask.array as da

    from .lazy import read_into

    slabs = _slabs(source, _unit(target)[0])
    if not slabs:
        return
    rows = max(stop - start for start, stop in slabs)
    buffers = [aligned_empty((rows, *source.shape[1:]), source.dtype) for _ in range(min(2, len(slabs)))]
    with ThreadPoolExecutor(1, thread_name_prefix="imarray-zarr-writer") as writer:  # exits after the last write
        writing = None
        steps = progress(enumerate(slabs), total=len(slabs), desc="writing", enabled=streamed_progress_wanted())
        for index, (start, stop) in steps:
            buffer = buffers[index % 2][: stop - start]  # the other buffer's write may still run
            if not read_into(source, start, buffer):
                da.store(source[start:stop], buffer, lock=False)
            if writing is not None:
                writing.result()
            writing = writer.submit(_write_slab, target, start, buffer)
        assert writing is not None  # there was at least one slab
        writing.result()


def _write_slab(target: Any, start: int, buffer: np.ndarray) -> None:
    """``target[start:start + len(buffer)] = buffer``, a few chunks per call: Zarr holds every chunk of a
    call in flight (a copy and its encoding each), and encodes them in parallel."""
    for piece in _pieces(buffer.shape, _unit(target), CHUNKS_PER_CALL):
        target[(slice(piece[0].start + start, piece[0].stop + start), *piece[1:])] = buffer[piece]


def _pieces(shape: tuple[int, ...], chunks: tuple[int, ...], limit: int) -> list[tuple[slice, ...]]:
    """Blocks of at most ``limit`` whole chunks covering ``shape``, in C order.

    The last axes are taken whole while they hold no more than ``limit``
    chunks; the axis before them is grouped to fill ``limit``, and every axis
    before that goes one chunk at a time.

    >>> [tuple((part.start, part.stop) for part in piece) for piece in _pieces((16, 20, 8), (16, 5, 4), 4)]
    [((0, 16), (0, 10), (0, 8)), ((0, 16), (10, 20), (0, 8))]
    """
    counts = [-(-size // step) for size, step in zip(shape, chunks, strict=True)]
    split = next((axis for axis in range(len(shape)) if math.prod(counts[axis + 1:]) <= limit), len(shape) - 1)
    group = max(1, limit // math.prod(counts[split + 1:]))
    ranges = []
    for axis, (size, step) in enumerate(zip(shape, chunks, strict=True)):
        width = step if axis < split else step * group if axis == split else size
        ranges.append([slice(edge, min(edge + width, size)) for edge in range(0, size, width)])
    return list(itertools.product(*ranges))


def _unit(target: Any) -> tuple[int, ...]:
    """What one write to ``target`` covers whole: its shards if it is sharded (two writers must never share
    one, nor write part of one twice), else its chunks."""
    shards = getattr(target, "shards", None)
    return tuple(int(c) for c in (shards or target.chunks))


def _in_process(collection: Any) -> bool:
    """Whether ``collection`` would be computed by threads of this process (or synchronously)."""
    import dask.base
    import dask.local
    import dask.threaded

    return dask.base.get_scheduler(collections=[collection]) in (dask.threaded.get, dask.local.get_sync)


def _slabs(source: Any, depth: int) -> list[tuple[int, int]]:
    """(start, stop) along the first axis: whole rows of ``depth``, about SLAB_BYTES of source each,
    and no smaller than the source's own first-axis chunks.

    When the source's chunks are even, slabs also end on their edges if that
    costs at most four times the memory: each source chunk is then read once,
    straight into its slab (:func:`imarray.lazy.read_into`).

    >>> import dask.array as da
    >>> _slabs(da.zeros((12, 2**21), chunks=(3, -1)), 2)   # rows of 16 MiB, chunks of 3 rows, Zarr depth 2
    [(0, 6), (6, 12)]
    """
    row_bytes = max(1, source.nbytes // max(1, source.shape[0]))
    sizes = source.chunks[0]
    unit = depth
    if len(set(sizes[:-1])) <= 1:
        both = math.lcm(depth, sizes[0])
        unit = both if both * row_bytes <= 4 * max(SLAB_BYTES, sizes[0] * row_bytes, depth * row_bytes) else depth
    rows = max(SLAB_BYTES // row_bytes, max(sizes), 1)
    step = unit * -(-rows // unit)  # rounded up to whole units
    return [(start, min(start + step, source.shape[0])) for start in range(0, source.shape[0], step)]


def _writes(part: Any, target: Any, tag: str, offset: int) -> Any:
    """Tasks writing ``part`` (rows ``offset`` onwards of the store) into ``target``; their outcomes."""
    chunks = _unit(target)
    unaligned = {axis: step for axis, (sizes, step) in enumerate(zip(part.chunks, chunks, strict=True))
                 if not _on_grid(sizes, step)}
    if unaligned:  # two tasks must never write parts of one Zarr chunk; aligned axes keep their blocks
        part = part.rechunk(unaligned)
    return part.map_blocks(_write_block, target=target, tag=tag, offset=offset, dtype=object,
                           meta=np.empty((0,) * part.ndim, dtype=object),
                           chunks=tuple((1,) * count for count in part.numblocks))


def _distributed_client(collection: Any) -> Any:
    """The ``dask.distributed`` client that would compute ``collection``, if one is active."""
    import dask.base

    scheduler = dask.base.get_scheduler(collections=[collection])
    client = getattr(scheduler, "__self__", None)
    return client if type(client).__module__.startswith("distributed") else None


def _run_on_cluster(client: Any, outcomes: Any) -> list:
    from distributed import futures_of, wait

    futures = futures_of(client.persist(outcomes))
    wait(futures)  # every block, failed or not, before anything is raised or cleaned up
    for future in futures:
        if future.status == "error":
            raise future.exception()
    return [error for block in client.gather(futures) for error in block.reshape(-1)]


_WRITING = threading.Condition()
_ACTIVE: dict[str, int] = {}  # writing tasks running in this process, per store
_FAILED: set[str] = set()  # stores where something failed: their late tasks skip their work (kept: tasks may
# still be queued in the scheduler's pool when store_chunks returns)


def _write_block(block: np.ndarray, target: Any, tag: str, offset: int, block_info: dict | None = None) -> np.ndarray:
    assert block_info is not None  # map_blocks gives it to functions that take it
    outcome = np.empty((1,) * block.ndim, dtype=object)
    region = tuple(slice(start + offset, stop + offset) if axis == 0 else slice(start, stop)
                   for axis, (start, stop) in enumerate(block_info[0]["array-location"]))
    with _WRITING:
        if tag in _FAILED:
            return outcome
        _ACTIVE[tag] = _ACTIVE.get(tag, 0) + 1
    try:
        target[region] = block
    except Exception as error:  # returned, not raised: see store_chunks
        outcome.reshape(-1)[0] = error
        with _WRITING:
            _FAILED.add(tag)
    finally:
        with _WRITING:
            _ACTIVE[tag] -= 1
            _WRITING.notify_all()
    return outcome


def _on_grid(sizes: tuple[int, ...], step: int) -> bool:
    """Whether every boundary between dask chunks ``sizes`` falls on a multiple of ``step``."""
    edge = 0
    for size in sizes[:-1]:
        edge += size
        if edge % step:
            return False
    return True
