"""The levels of an OME-Zarr pyramid as dask arrays, for napari's multiscale layers.

imarray reads the full-resolution level (``ia.read``); the lower levels are
opened here from the store's ``multiscales`` metadata with zarr and dask, read
only where napari shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._optional import import_optional
from ..errors import CorruptFileError
from ..fileinfo import FileInfo
from ..image import Image


def pyramid_levels(path: Path, image: Image, described: FileInfo) -> list[Any]:
    """``[image.array, level 1, level 2, ...]``: every level of the store at ``path``, full resolution first.

    Each lower level must have the image's dtype and number of dimensions and
    be no larger than the one before, else ``CorruptFileError``.
    """
    zarr = import_optional("zarr", extra="zarr", purpose="reading OME-Zarr pyramid levels")
    da = import_optional("dask.array", extra="dask", purpose="reading OME-Zarr pyramid levels")
    group = zarr.open_group(path, mode="r")
    attributes = group.attrs.asdict()
    ome = attributes.get("ome") or attributes
    try:
        datasets = ome["multiscales"][0]["datasets"]
        arrays = [group[dataset["path"]] for dataset in datasets[1:]]
    except (KeyError, IndexError, TypeError) as exc:
        raise CorruptFileError(f"OME-Zarr multiscales metadata is incomplete ({exc})", path=path) from exc
    levels = [image.array]
    for index, array in enumerate(arrays, start=1):
        previous = levels[-1].shape
        if array.ndim != image.ndim or array.dtype != image.dtype or \
                any(size > before for size, before in zip(array.shape, previous, strict=True)):
            raise CorruptFileError(
                f"pyramid level {index} is {array.dtype} {tuple(array.shape)}, not {image.dtype} and no larger "
                f"than level {index - 1} {tuple(previous)}", path=path,
                hint="read level 0 alone with ia.read(path)")
        levels.append(da.from_zarr(array))
    return levels
