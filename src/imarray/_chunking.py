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
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._memory import aligned_empty
from .errors import CorruptFileError, ImageFileNotFoundError, ImarrayError

CHUNK_BYTES = 64 * 2**20  # pages or frames grouped into chunks of about this size


def groups(count: int, unit_bytes: int) -> list[tuple[int, int]]:
    """(start, stop) ranges of about CHUNK_BYTES each, at least one unit."""
    step = max(1, CHUNK_BYTES // max(1, unit_bytes))
    return [(start, min(count, start + step)) for start in range(0, count, step)]


def page_grid(leading: tuple[int, ...], page_bytes: int) -> tuple[tuple[int, ...], ...]:
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


def along_first(tasks: list[tuple], sizes: tuple[int, ...], rest: tuple[int, ...]) -> tuple[dict, tuple]:
    """Block keys and chunks for tasks that each read ``sizes[i]`` rows of whole trailing dimensions ``rest``."""
    corner = (0,) * len(rest)
    return {(index, *corner): task for index, task in enumerate(tasks)}, (tuple(sizes), *((s,) for s in rest))


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


def read_bytes(path: str, dtype: str, offset: int, shape: tuple[int, ...],
               out: np.ndarray | None = None) -> np.ndarray:
    """Read ``shape`` items of ``dtype`` starting ``offset`` bytes into the file (into ``out`` if given)."""
    out = aligned_empty(shape, np.dtype(dtype)) if out is None else out
    view = memoryview(out.reshape(-1).view(np.uint8))  # type: ignore[arg-type]  # ndarrays are buffers
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
