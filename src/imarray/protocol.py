"""The format protocol, as types: what a format module implements and what the engines hand it.

A format is one module plus one row of :mod:`imarray.registry`. The row's
``capabilities`` say which of these functions the module has (the conformance
test, ``tests/test_protocol.py``, holds every row to them):

``info(path, *, spec) -> FileInfo``  (``read``)
    Shape, dtype, axes, spacing, files, bytes on disk, from headers alone.
``read(path, *, spec, out=None) -> tuple[np.ndarray, FileInfo]``  (``read``)
    The pixels (into ``out`` when given) and what the file says about them.
    Sizes are checked against the file before anything is allocated.
    ``mmap=True`` with ``mmap``; ``verify=``, ``dtype=``, ``dims=`` with ``sidecar``.
``chunk_plan(path, *, spec, dtype=None, dims=None) -> ChunkPlan``  (``chunks``)
    How to read the image in pieces: the chunk grid and, per chunk, a task
    that reads it into a given buffer. :mod:`imarray.lazy` turns a plan into a
    dask array; the streaming engine reads slabs straight from the tasks.
``iter_frames(path, *, spec) -> Iterator[np.ndarray]``  (``frames``)
``claims(path, *, spec) -> bool``  (``directory``)
    Whether a folder is an image of this row (a Zarr store).
``check_writable(array, *, spec, metadata=None, **options) -> None``  (``write``)
    Raise before any byte is written if the row cannot hold the array as asked.
``write(path, array, *, spec, metadata, **options)``  (``write``)
    Write one file at ``path`` (a temporary sibling inside
    :func:`imarray._atomic.atomic_file`; rows flagged ``multi_file`` get the
    real path and commit their files themselves). With ``stream_write`` the
    array may be a :class:`BlockStream` instead of an ndarray.

Options are keyword-only and exactly those the row declares. Formats import
core modules and :mod:`imarray.image`, never :mod:`imarray.api` or an engine.

Examples
--------
>>> import numpy as np
>>> plan = ChunkPlan(chunks=((2, 1), (3,)), dtype=np.dtype("<u2"),
...                  tasks={(0, 0): (np.zeros, (2, 3)), (1, 0): (np.zeros, (1, 3))}, info=None)
>>> plan.shape, plan.first_axis_only
((3, 3), True)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class ChunkPlan:
    """How to read an image in pieces.

    Attributes
    ----------
    chunks
        Sizes of the chunks along each axis, dask style: ``((64, 64, 8), (512,), (512,))``.
    dtype
        The dtype the tasks produce (may be non-native: the engine swaps it).
    tasks
        For each block index ``(i, j, ...)``, a tuple ``(function, *args)``:
        ``function(*args, out=buffer)`` reads that chunk into ``buffer`` (a
        C-contiguous array of the chunk's shape and ``dtype``) and returns it;
        with ``out`` left out it allocates its own. Functions are module-level,
        so tasks pickle to distributed workers, and reopen their files.
    info
        What the headers say (:class:`~imarray.fileinfo.FileInfo`).
    """

    chunks: tuple[tuple[int, ...], ...]
    dtype: np.dtype
    tasks: dict[tuple[int, ...], tuple]
    info: Any

    @property
    def shape(self) -> tuple[int, ...]:
        """The whole image's shape."""
        return tuple(sum(sizes) for sizes in self.chunks)

    @property
    def first_axis_only(self) -> bool:
        """Whether chunks split the first axis only (each chunk holds whole trailing dimensions)."""
        return all(len(sizes) == 1 for sizes in self.chunks[1:])


@runtime_checkable
class BlockStream(Protocol):
    """A lazy array handed to a ``stream_write`` writer: its shape and dtype, its pixels block by block.

    Built by :mod:`imarray.streaming` from a dask array; writers use only
    these members, so they never import the engine.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    ndim: int
    nbytes: int
    chunksize: tuple[int, ...]

    def blocks(self) -> Iterator[np.ndarray]:
        """C-contiguous NumPy blocks along the first axis, in order (the next one computed while one is written)."""
        ...

    def pages(self, page_ndim: int) -> Iterator[np.ndarray]:
        """One dense page (the last ``page_ndim`` dimensions) at a time, in C order."""
        ...

    def store(self, target: Any) -> None:
        """Write the pixels into ``target`` (a ``zarr.Array`` of the same shape), chunk-parallel."""
        ...

    def __getitem__(self, key: Any) -> BlockStream:
        """A part of the stream (e.g. every second sample, for a pyramid level), still lazy."""
        ...

    def reread(self, array: Any) -> BlockStream:
        """A stream of another lazy array (``dask.array.from_zarr`` of a level just written)."""
        ...
