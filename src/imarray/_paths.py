"""Path helpers: natural sort, hidden and temporary files, sizes on disk."""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import overload

from ._temporaries import TEMP_MARKER
from .sources import Source

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: Path | str) -> tuple:
    """Sort key so that ``slice_2`` comes before ``slice_10``.

    Examples
    --------
    >>> sorted(["s10.tif", "s2.tif", "s1.tif"], key=lambda p: natural_key(Path(p)))
    ['s1.tif', 's2.tif', 's10.tif']
    """
    parts: list = _DIGITS.split((path if isinstance(path, str) else path.name).lower())
    parts[1::2] = map(int, parts[1::2])  # text at even places, numbers at odd ones: always the same kinds meet
    return tuple(parts)


def visible_files(folder: Path) -> list[Path]:
    """Regular, non-hidden files of ``folder`` (no temporaries), naturally sorted."""
    return [folder / name for name in visible_names(folder)]


def visible_names(folder: Path, *, ordered: bool = True) -> list[str]:
    """The names of :func:`visible_files` (no Path made per file: a folder may hold 100,000).

    ``ordered=False``: in the directory's own order, for a question any name may answer.
    """
    names = [entry.name for entry in visible_entries(folder)]
    return sorted(names, key=natural_key) if ordered else names


def visible_entries(folder: Path) -> list[os.DirEntry]:
    """The directory entries of :func:`visible_files`, in the directory's order (its own file types: no stat)."""
    with os.scandir(folder) as entries:
        return [entry for entry in entries
                if entry.is_file() and not entry.name.startswith(".") and TEMP_MARKER not in entry.name]


class FolderFiles(Sequence[Path]):
    """Files of one folder as paths, each made when asked for: a lazy plan of 100,000 slices makes none.

    Examples
    --------
    >>> files = FolderFiles(Path("slices"), ["s_1.tif", "s_2.tif"])
    >>> len(files), files[-1].name, files == (Path("slices/s_1.tif"), Path("slices/s_2.tif"))
    (2, 's_2.tif', True)
    """

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.folder, self.names = folder, tuple(names)

    def __len__(self) -> int:
        return len(self.names)

    @overload
    def __getitem__(self, index: int) -> Path: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Path]: ...

    def __getitem__(self, index: int | slice) -> Path | Sequence[Path]:
        if isinstance(index, slice):
            return FolderFiles(self.folder, self.names[index])
        return self.folder / self.names[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:  # equal to a tuple of the same paths, so hashed as one (rarely asked: it makes them)
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"FolderFiles({str(self.folder)!r}, {len(self.names)} files)"


def file_size(path: Path | Source) -> int:
    """Bytes in the file at ``path``, a local path or a :class:`~imarray.sources.Source`."""
    return path.stat().st_size if isinstance(path, Path) else path.size()


def local(path: Path | Source) -> Path:
    """``path`` as the local path it is: formats read by name only (their rows declare no remote or
    file-object capability) are handed nothing else."""
    if not isinstance(path, Path):
        raise TypeError(f"{path} is not a local path")
    return path


def whole_file(path: Path | Source) -> Path | io.BytesIO:
    """A local path as it is; any other source's bytes in memory (one request), for formats decoded whole.

    PNG, JPEG, BMP and GIF are decoded from their first byte to their last:
    a range request per read would cost more than fetching the file once.
    """
    if isinstance(path, Path):
        return path
    return io.BytesIO(path.read_range(0, path.size()))


def disk_bytes(paths: Iterable[Path]) -> int:
    """Total size on disk of ``paths`` that exist."""
    total = 0
    for path in paths:
        with contextlib.suppress(FileNotFoundError):  # one stat per file: a folder may hold 100,000
            total += path.stat().st_size
    return total
