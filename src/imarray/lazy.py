"""The lazy engine: dask arrays from the formats' chunk plans; nothing is read until computed.

``ia.load(path, lazy=True)`` asks the format's registry row how to read it:

- a row with the ``chunks`` capability gives a :class:`~imarray.protocol.ChunkPlan`
  (``chunk_plan``): a folder one chunk per file (small slices about 1 MiB of them), a multi-page TIFF groups of
  pages of about 64 MB, a raw binary groups of frames read from their byte
  offsets (never ``dask.array.from_array(np.memmap(...))``, which copies the
  whole map when the graph is built), a Zarr store its own chunks;
- any other readable row is one chunk, read whole by the format's ``read``.

The engine never imports a format module by name. Each task opens its file,
reads its own bytes into its buffer and closes it, so the graph pickles and
runs on ``dask.distributed`` workers; errors raised there are the same
:mod:`imarray.errors` classes. The streaming engine reads slabs straight from
the same tasks (:func:`read_into`).

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> with tempfile.TemporaryDirectory() as name:
...     folder = pathlib.Path(name)
...     for index in range(3):
...         _ = ia.save(folder / f"slice_{index}.tif", np.full((4, 5), index, np.uint16))
...     stack = ia.load(folder, lazy=True)
...     print(stack.shape, stack.chunks[0], int(stack[2].max().compute()))
(3, 4, 5) (3,) 2
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._chunking import along_first, still_there
from ._memory import output_array
from ._optional import import_optional
from .fileinfo import FileInfo
from .protocol import ChunkPlan
from .registry import FormatSpec, by_name
from .sources import Source

_PREFIX = "imarray-"


def _dask_array() -> Any:
    return import_optional("dask.array", extra="dask", purpose="lazy loading")


def plan_for(path: Path | Source, spec: FormatSpec, *, dtype: Any = None, dims: dict | None = None,
             level: int | None = None) -> ChunkPlan:
    """The chunk plan of ``path`` as ``spec`` reads it (at pyramid ``level``): the row's own, or one chunk."""
    module = spec.load()
    if spec.can("chunks"):
        options: dict[str, Any] = {"dtype": dtype, "dims": dims or {}} if spec.can("sidecar") else {}
        if level is not None:
            options["level"] = level
        return module.chunk_plan(path, spec=spec, **options)
    described = module.info(path, spec=spec)
    task = (read_whole, str(path) if isinstance(path, Path) else path, spec.name, described.shape, described.dtype)
    tasks, chunks = along_first([task], described.shape[:1], described.shape[1:])
    return ChunkPlan(chunks=chunks, dtype=np.dtype(described.dtype), tasks=tasks, info=described)


def read_lazy(path: Path | Source, spec: FormatSpec, *, dtype: Any = None,
              dims: dict | None = None, level: int | None = None) -> tuple[Any, FileInfo]:
    """A dask array over the file or folder at ``path`` read as ``spec``, and what its headers say.

    ``dtype`` is the stored dtype for rows with a ``sidecar`` (a raw binary
    without one), and an exact cast, checked block by block, for every other.
    """
    _dask_array()
    plan = plan_for(path, spec, dtype=dtype, dims=dims, level=level)
    array = assemble(spec.name, plan)
    if plan.dtype != plan.dtype.newbyteorder("="):
        array = array.map_blocks(_native, dtype=plan.dtype.newbyteorder("="))
    if dtype is not None and not spec.can("sidecar"):
        from .blockwise import exact_cast_blocks

        array = exact_cast_blocks(array, dtype, path=path)
    return array, plan.info


def assemble(kind: str, plan: ChunkPlan) -> Any:
    """A dask array whose chunk at block index ``key`` is computed by ``plan.tasks[key]``."""
    da = _dask_array()
    from dask.highlevelgraph import HighLevelGraph

    name = f"{_PREFIX}{kind}-{_token(plan)}"
    graph: dict[Any, Any] = {(name, *key): task for key, task in plan.tasks.items()}
    meta = np.empty((0,) * len(plan.chunks), dtype=plan.dtype)
    return da.Array(HighLevelGraph.from_collections(name, graph, dependencies=()), name, plan.chunks, meta=meta)


def _token(plan: ChunkPlan) -> str:
    """A name for the plan's array: its source (path and modification time), grid, dtype and end tasks.

    Hashing every task of a 100,000-file folder would cost more than planning it.
    """
    from dask.base import tokenize

    path = getattr(plan.info, "path", None)
    try:
        stamp = path.stat().st_mtime_ns if isinstance(path, Path) else None
    except OSError:
        stamp = None
    keys = sorted(plan.tasks)
    ends = [plan.tasks[keys[0]], plan.tasks[keys[-1]]] if keys else []
    return tokenize(str(path), stamp, plan.chunks, plan.dtype.str, len(keys), ends)


def read_whole(path: str | Source, spec_name: str, shape: tuple[int, ...], dtype: str,
               out: np.ndarray | None = None) -> np.ndarray:
    """Task: read one whole file (a local file's name, or a source) with its format's ``read``, into ``out``."""
    spec = by_name(spec_name)
    where = Path(path) if isinstance(path, str) else path
    out = output_array(shape, dtype, where) if out is None else out  # a header's size, checked before allocating
    with still_there(path):
        spec.load().read(where, spec=spec, out=out)
    return out


def read_into(array: Any, start: int, out: np.ndarray) -> bool:
    """Read rows ``start:start + len(out)`` of ``array`` straight from its files into ``out``, if it can.

    It can when ``array`` is a lazy array exactly as :func:`read_lazy` made it
    (no operation since), whole in every dimension but the first, with chunk
    edges at both ends of the rows: each plan task then reads its chunk into
    its place in ``out``, with no chunk of fresh memory and no copy.
    Otherwise nothing is read and the caller computes the rows with dask.
    """
    layers = getattr(array.dask, "layers", {})
    if not array.name.startswith(_PREFIX) or len(layers) != 1 or any(len(c) > 1 for c in array.chunks[1:]):
        return False
    edges = np.cumsum((0, *array.chunks[0]))
    first, last = np.searchsorted(edges, [start, start + len(out)])
    if first == last or edges[first] != start or edges[last] != start + len(out):
        return False
    corner = (0,) * (array.ndim - 1)
    tasks = [layers[array.name][(array.name, index, *corner)] for index in range(first, last)]
    if not all(isinstance(task, tuple) and callable(task[0]) for task in tasks):
        return False
    for index, task in zip(range(first, last), tasks, strict=True):
        task[0](*task[1:], out=out[edges[index] - start : edges[index + 1] - start])
    return True


def _native(block: np.ndarray) -> np.ndarray:
    return block.astype(block.dtype.newbyteorder("="), copy=False)
