"""Progress bars on a terminal, silence in pipes."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
_STREAMED: ContextVar[bool] = ContextVar("imarray_streamed_progress", default=False)


def progress(items: Iterable[T], *, total: int, desc: str, enabled: bool, unit: str = "file") -> Iterator[T]:
    """Wrap ``items`` in a tqdm bar when ``enabled`` and stderr is a terminal.

    Without the ``progress`` extra (tqdm) the items pass through unchanged.
    """
    if not enabled or total < 2 or not sys.stderr.isatty():
        yield from items
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield from items
        return
    yield from tqdm(items, total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)


@contextlib.contextmanager
def streamed_progress(enabled: bool) -> Iterator[None]:
    """Within the block, streamed saves of dask arrays show progress (``ia.save(progress=True)``)."""
    token = _STREAMED.set(enabled)
    try:
        yield
    finally:
        _STREAMED.reset(token)


def streamed_progress_wanted() -> bool:
    """Whether the save in progress asked for a progress bar."""
    return _STREAMED.get()

