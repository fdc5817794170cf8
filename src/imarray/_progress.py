"""Progress bars on a terminal, silence in pipes."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


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
