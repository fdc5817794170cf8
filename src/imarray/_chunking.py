"""Pieces for chunk plans: chunk sizes and the task that reads bytes at an offset into a buffer.

Format modules build their :class:`~imarray.protocol.ChunkPlan` from these;
the tasks are module-level functions, so plans pickle to distributed workers.

Examples
--------
>>> groups(10, 30 * 2**20)      # three frames of 30 MiB: two per chunk of about CHUNK_BYTES
[(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
>>> page_grid((4, 100), 2**20)  # 400 pages of 1 MiB: whole inner axis, outer axis one at a time
((1, 1, 1, 1), (64, 36))
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._memory import aligned_empty, byte_view
from .errors import CorruptFileError, ImageFileNotFoundError, ImarrayError
from .sources import Source

CHUNK_BYTES = 64 * 2**20  # pages or frames grouped into chunks of about this size
REMOTE_CHUNK_BYTES = 4 * 2**20  # ... and for a remote source, where a chunk is one request: reading one plane
# of a lazy remote stack then fetches at most two planes


def groups(count: int, unit_bytes: int, budget: int | None = None) -> list[tuple[int, int]]:
    """(start, stop) ranges of about ``budget`` bytes (CHUNK_BYTES) each, at least one unit."""
    step = max(1, (budget or CHUNK_BYTES) // max(1, unit_bytes))
    return [(start, min(count, start + step)) for start in range(0, count, step)]


def page_grid(leading: tuple[int, ...], page_bytes: int, budget: int | None = None) -> tuple[tuple[int, ...], ...]:
    """Chunks over the page-index axes whose blocks are runs of consecutive pages, about ``budget`` bytes each.

    Inner axes are taken whole while the budget allows; the first axis that
    does not fit whole is split, and every axis outside it has chunks of 1.
    """
    budget = max(1, (budget or CHUNK_BYTES) // max(1, page_bytes))
    steps = []
    for size in reversed(leading):
        step = min(size, budget)
        steps.append(step)
        budget = budget // size if step == size else 1
    steps.reverse()
    return tuple(tuple(min(step, size - start) for start in range(0, size, step))
                 for size, step in zip(leading, steps, strict=True))


def along_first(tasks: list[tuple], sizes: tuple[int, ...], rest: tuple[int, ...]) -> tuple[dict, tuple]:
    """Block keys and chunks for tasks that each read ``sizes[i]`` rows of whole trailing dimensions ``rest``."""
    corner = (0,) * len(rest)
    return {(index, *corner): task for index, task in enumerate(tasks)}, (tuple(sizes), *((s,) for s in rest))


READ_THREADS = min(2, os.cpu_count() or 1)  # threads copying one large read out of the page cache
PARALLEL_ABOVE = 32 * 2**20  # reads smaller than this are one call: threads would cost more than they give
PIECE_BYTES = 16 * 2**20


def read_file_into(path: str | os.PathLike[str], offset: int, view: memoryview, *,
                   threads: int = READ_THREADS) -> None:
    """Fill ``view`` with the file's bytes from ``offset``: positioned reads on ``threads`` threads at once.

    The copy out of the page cache is work for a core, and so is the first
    touch of each page of a fresh array; two threads share both. A file that
    ends early is a ``CorruptFileError``.
    """
    size = len(view)
    fd = os.open(path, os.O_RDONLY)
    try:
        # from the page cache: pieces of 16 MiB taken in file order by the threads in turn (the copy is work for
        # a core); from the disk: one sequential read, which the kernel reads ahead on furthest (two threads'
        # pieces made cold loads 0.7-0.85x np.fromfile)
        parallel = size >= PARALLEL_ABOVE and threads > 1 and _cached(fd, offset, size)
        step = PIECE_BYTES if parallel else max(size, 1)
        pieces = [(start, min(start + step, size)) for start in range(0, size, step)] or [(0, 0)]

        def fill(piece: tuple[int, int]) -> None:
            start, stop = piece
            while start < stop:
                count = os.preadv(fd, [view[start:stop]], offset + start)
                if not count:
                    raise CorruptFileError(f"the file ended early: {stop - start} bytes missing at offset "
                                           f"{offset + start}", path=os.fspath(path),
                                           hint="the file was cut short")
                start += count

        if len(pieces) == 1:
            fill(pieces[0])
        else:
            with ThreadPoolExecutor(threads, thread_name_prefix="imarray-read") as pool:
                list(pool.map(fill, pieces))
    finally:
        os.close(fd)


def _cached(fd: int, offset: int, size: int) -> bool:
    """Whether the first, middle and last pages of ``size`` bytes from ``offset`` are in the page cache.

    Asked with ``RWF_NOWAIT`` reads of one byte, which fail rather than wait
    for the disk; where the kernel or file system cannot say, the answer is yes.
    """
    probe = bytearray(1)
    for where in (offset, offset + size // 2, offset + size - 1):
        try:
            os.preadv(fd, [probe], where, os.RWF_NOWAIT)
        except BlockingIOError:
            return False
        except (OSError, AttributeError):  # EOPNOTSUPP, or no RWF_NOWAIT on this system
            return True
    return True


@contextlib.contextmanager
def still_there(path: Any) -> Iterator[None]:
    """A file gone since the plan was made is an ImageFileNotFoundError naming it."""
    try:
        yield
    except FileNotFoundError as exc:
        if isinstance(exc, ImarrayError):
            raise
        raise ImageFileNotFoundError("no such file", path=path,
                                     hint="it was moved or deleted after the lazy array was made") from exc


def read_bytes(path: str | Source, dtype: str, offset: int, shape: tuple[int, ...],
               out: np.ndarray | None = None) -> np.ndarray:
    """Read ``shape`` items of ``dtype`` starting ``offset`` bytes into the file (into ``out`` if given).

    ``path`` is a local file's name, or a :class:`~imarray.sources.Source` (one range request).
    """
    out = aligned_empty(shape, np.dtype(dtype)) if out is None else out
    view = byte_view(out)
    if isinstance(path, Source):
        path.read_into(offset, view)
        return out
    with still_there(path), open(path, "rb", buffering=0) as handle:
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
