"""Page-aligned arrays for the readers to fill.

Copying file data into an array whose first byte sits 16 bytes past a page
boundary (where ``np.empty`` puts a large array) ran at about 40% of the speed
of the same copy into page-aligned memory on the AMD EPYC machines this project
is measured on (see ``benchmarks/RESULTS.md``). Readers therefore allocate
their output with :func:`aligned_empty`; the cost is at most one extra page.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import CorruptFileError

if TYPE_CHECKING:  # pragma: no cover
    from .sources import Source

PAGE = 4096


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype | str, align: int = PAGE) -> np.ndarray:
    """Return an uninitialised C-contiguous array whose data starts on an ``align`` boundary.

    Examples
    --------
    >>> a = aligned_empty((3, 5), "uint16")
    >>> a.shape, a.dtype, a.ctypes.data % PAGE, a.flags.c_contiguous
    ((3, 5), dtype('uint16'), 0, True)
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buffer = np.empty(nbytes + align, dtype=np.uint8)
    offset = -buffer.ctypes.data % align
    return buffer[offset : offset + nbytes].view(dtype).reshape(shape)


def byte_view(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous ``array`` as a writable memoryview (for ``readinto``, ``preadv``, CRCs).

    >>> byte_view(np.zeros((2, 3), np.uint16)).nbytes
    12
    """
    return memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]  # numpy's stubs omit __buffer__


def output_array(shape: tuple[int, ...], dtype: np.dtype | str, path: Path | Source,
                 out: np.ndarray | None = None) -> np.ndarray:
    """Where a reader puts ``shape`` pixels of ``dtype`` from ``path``: ``out`` if it is that, else a new array.

    A new array is page-aligned and allocated only after :func:`check_fits`;
    an ``out`` of another shape or dtype is a :class:`CorruptFileError` (the
    file is not what its folder's plan expected).

    Examples
    --------
    >>> output_array((2, 3), "uint8", Path("a.gif")).shape
    (2, 3)
    """
    if out is None:
        check_fits(shape, dtype, path)
        return aligned_empty(shape, dtype)
    if out.shape != tuple(shape) or out.dtype != np.dtype(dtype):
        raise CorruptFileError(f"holds {np.dtype(dtype)} {tuple(shape)}, not the {out.dtype} {out.shape} expected",
                               path=path)
    return out


def available_memory() -> int:
    """Bytes of physical memory of this machine (a bound for sizes promised by compressed headers)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 2**63


def check_fits(shape: tuple[int, ...], dtype: np.dtype | str, path: Path | Source) -> None:
    """Raise :class:`CorruptFileError` if a header's ``shape`` needs more than half this machine's memory.

    Readers call it before allocating, so a damaged header that claims 10^12
    pixels is an error that names the file, not a ``MemoryError``.
    """
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > available_memory() // 2:
        raise CorruptFileError(
            f"the header claims shape {shape} of {np.dtype(dtype)} ({nbytes} bytes), "
            "more than half this machine's memory",
            path=path,
            hint="the header is damaged, or the image needs a machine with more memory",
        )
