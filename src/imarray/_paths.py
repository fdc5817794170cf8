"""Path helpers: natural sort, hidden and temporary files, sizes on disk."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ._temporaries import TEMP_MARKER

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: Path) -> tuple:
    """Sort key so that ``slice_2`` comes before ``slice_10``.

    Examples
    --------
    >>> sorted(["s10.tif", "s2.tif", "s1.tif"], key=lambda p: natural_key(Path(p)))
    ['s1.tif', 's2.tif', 's10.tif']
    """
    parts = _DIGITS.split(path.name.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def visible_files(folder: Path) -> list[Path]:
    """Regular, non-hidden files of ``folder`` (no temporaries), naturally sorted."""
    files = [
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and TEMP_MARKER not in p.name
    ]
    return sorted(files, key=natural_key)


def disk_bytes(paths: Iterable[Path]) -> int:
    """Total size on disk of ``paths`` that exist."""
    return sum(p.stat().st_size for p in paths if p.exists())
