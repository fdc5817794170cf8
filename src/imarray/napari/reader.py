"""napari's reader contribution: a path is imarray's when the registry resolves it, and only then.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> with tempfile.TemporaryDirectory() as folder:
...     path = ia.save(pathlib.Path(folder) / "labels.tif", np.arange(6, dtype=np.uint32).reshape(2, 3))
...     [(data.dtype, meta["name"], kind) for data, meta, kind in get_reader(str(path))(str(path))]
...     get_reader(str(pathlib.Path(folder) / "notes.txt")) is None
[(dtype('uint32'), 'labels.tif', 'image')]
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from .. import api
from ..errors import FormatNotFoundError, ImageFileNotFoundError, ImarrayError
from .budget import memory_budget
from .layers import LayerData, layer_data
from .pyramid import pyramid_levels

PathOrPaths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def get_reader(path: PathOrPaths) -> Callable[[PathOrPaths], list[LayerData]] | None:
    """The reader napari calls for ``path`` (one path or several), or ``None`` if imarray does not read it.

    A path is imarray's when :func:`imarray.api.resolve` finds its registry
    row (magic bytes, then extension, then a folder's contents), and for a
    plain folder when it holds images imarray reads. A path imarray
    recognises but cannot read (a damaged file, a missing extra) still gets
    a reader, which raises imarray's error with its hint when napari calls it.
    """
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not paths:
        return None
    try:
        for one in paths:
            found, spec = api.resolve(one)
            if spec.can("directory"):
                api.info(found)  # a folder is an image only if it holds images of one format
    except (FormatNotFoundError, ImageFileNotFoundError):
        return None
    except ImarrayError as err:
        return partial(_raise, err)
    return read


def _raise(error: ImarrayError, path: PathOrPaths) -> list[LayerData]:
    raise error


def read(path: PathOrPaths) -> list[LayerData]:
    """Layer data for each path: the pixels with their placement, lazily when larger than the memory budget."""
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    return [layer for one in paths for layer in read_one(one)]


def read_one(path: str | os.PathLike[str], *, budget: int | None = None) -> list[LayerData]:
    """Layer data for one file, folder, store or URL (see :func:`imarray.napari.layers.layer_data`).

    Images of more than ``budget`` bytes (default :func:`memory_budget`) are
    read with ``lazy=True`` where their format reads in chunks; napari then
    reads only what it shows. OME-Zarr pyramids become multiscale layers. A
    URL (``https://``, ``s3://``, ... with the remote extra) is read as
    :func:`imarray.load` reads it: by range requests, lazily when large.
    """
    found, spec = api.resolve(path)
    described = api.info(found)
    lazy = described.nbytes > (memory_budget() if budget is None else budget) and spec.can("chunks")
    image = api.read(found, lazy=lazy)
    pyramid = isinstance(found, Path) and described.metadata.get("levels", 1) > 1
    levels = pyramid_levels(found, image, described) if isinstance(found, Path) and pyramid else None
    source: dict[str, Any] = {"path": str(found), "format": described.format, "lazy": lazy}
    return layer_data(image, name=found.name, levels=levels, source=source)
