"""The dtype promise for dask arrays: exact casts and scaling block by block, checked when computed.

The same functions as :mod:`imarray.dtypes` (same values, same errors, same
scale record), applied with ``map_blocks``; ``scale="minmax"`` first computes
the global finite range in one lazy pass.

Examples
--------
>>> import numpy as np, dask.array as da
>>> cast = exact_cast_blocks(da.from_array(np.array([1, 300]), chunks=1), "uint8")
>>> cast[:1].compute()
array([1], dtype=uint8)
>>> cast.compute()
Traceback (most recent call last):
...
imarray.errors.LossyCastError: cannot cast int64 to uint8 exactly: value 300 at index (1,) ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import ScaleSpec, exact_cast, finite_range, scale_to
from .errors import LossyCastError

__all__ = ["exact_cast_blocks", "scale_blocks"]


def exact_cast_blocks(array: Any, dtype: Any, *, path: Any = None) -> Any:
    """``exact_cast`` of every block of a dask array, checked when computed."""
    target = np.dtype(dtype)
    if array.dtype == target:
        return array
    return array.map_blocks(_cast_block, dtype=target, target=target.str, path=None if path is None else str(path))


def _cast_block(block: np.ndarray, target: str, path: str | None, block_info: dict | None = None) -> np.ndarray:
    try:
        return exact_cast(block, target, path=path)
    except LossyCastError as err:
        local = getattr(err, "index", None)
        if block_info is None or local is None:
            raise
        start = [int(lo) for lo, _ in block_info[0]["array-location"]]
        where = tuple(s + i for s, i in zip(start, local, strict=True))  # in the whole array
        message = err.message.replace(f"at index {local}", f"at index {where}", 1)
        raise LossyCastError(message, path=err.path, hint=err.hint) from None


def _scale_block(block: np.ndarray, target: str, scale: Any, path: str | None) -> np.ndarray:
    return scale_to(block, target, scale, path=path)[0]


def scale_blocks(array: Any, dtype: Any, scale: ScaleSpec, *, path: Any = None) -> tuple[Any, Any]:
    """``scale_to`` of a dask array: the same values and record, block by block.

    ``"minmax"`` first computes the global finite range (one pass over the
    data); every block is then mapped with that range.
    """
    import dask.array as da

    target = np.dtype(dtype)
    if scale == "minmax":
        import dask

        data = array.astype(np.uint8) if array.dtype.kind == "b" else array
        finite = da.isfinite(data) if data.dtype.kind == "f" else None
        low = (data if finite is None else da.where(finite, data, np.inf)).min()
        high = (data if finite is None else da.where(finite, data, -np.inf)).max()
        lo, hi = (float(value) for value in dask.compute(low, high))  # one pass over the data
        if lo > hi:
            finite_range(np.empty(0, array.dtype))  # raises the eager path's error
        sample = np.array([lo, hi], dtype=array.dtype) if array.dtype.kind != "c" else np.array([lo, hi])
        record = scale_to(sample, target, "minmax", path=path)[1]
        per_block: Any = (lo, hi) if lo < hi else (lo, np.nextafter(lo, np.inf))
    else:
        record = scale_to(np.zeros(1, array.dtype), target, scale, path=path)[1]
        per_block = scale
    scaled = array.map_blocks(_scale_block, dtype=target, target=target.str, scale=per_block,
                              path=None if path is None else str(path))
    return scaled, record
