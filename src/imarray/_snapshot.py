"""Reads that see one version: the files of an image are checked unchanged across the read, else read again.

A reader that opens a set of files (a raw pair, ``.mhd`` + ``.raw``, the
parts of a series), a store, or one file twice (NIfTI: header, then pixels)
could see part of the old version and part of the new one while another
process replaces them. A :class:`Snapshot` notes each file's identity
(device, inode, size, change times) before the read and compares after it;
a save that replaced any of them in between (a new inode behind the name) or
is still committing (its journal is there) makes the read start again. After
a few tries the read gives up with
:class:`~imarray.errors.ChangedWhileReadingError`.

Examples
--------
>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as name:
...     path = pathlib.Path(name) / "a.txt"
...     _ = path.write_text("v1")
...     snapshot = Snapshot(path)
...     snapshot.begin()
...     text = path.read_text()
...     snapshot.changed()
False
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from ._commit import journal_path, settle
from .errors import ChangedWhileReadingError

TRIES = 12


def _identity(path: Path | os.DirEntry) -> tuple | None:
    """Device, inode, size and change times: a new file behind the name differs even if it reuses the inode."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _folder_identity(folder: Path) -> tuple:
    """Name and identity of each visible file of ``folder``, in name order: one stat per file, no Path made
    (a folder may hold 100,000 slices)."""
    from ._paths import visible_entries

    return tuple(sorted((entry.name, _identity(entry)) for entry in visible_entries(folder)))


def _members(path: Path) -> list[Path]:
    """The files that make up the image at ``path`` (the file itself and its companions)."""
    if not path.exists() and path.with_name(path.name + ".bin").exists():  # CalSciPy names a binary by its stem
        path = path.with_name(path.name + ".bin")
    lowered = path.name.lower()
    if lowered.endswith((".bin", ".raw")):
        return [path, path.with_suffix(".json")]
    if lowered.endswith(".mhd"):
        return [path, path.with_suffix(".raw"), path.with_suffix(".zraw")]
    return [path]


def fingerprint(path: Path) -> tuple:
    """What identifies the version of the image at ``path`` now (files, a folder's files, a store)."""
    path = Path(path)
    journal = os.path.lexists(journal_path(path))
    if path.is_dir():
        if any((path / name).is_file() for name in ("zarr.json", ".zarray", ".zgroup")):
            return (journal, _identity(path))  # a store is swapped whole: its folder
        return (journal, _folder_identity(path))
    return (journal, tuple(_identity(p) for p in _members(path)))


class Snapshot:
    """Tries of one read of the image at ``path``: :meth:`begin` before each, :meth:`changed` after it."""

    def __init__(self, path: Path, tries: int = TRIES) -> None:
        self.path, self.tries, self.attempt = Path(path), tries, 0
        self.before: tuple = (False,)

    def begin(self) -> None:
        """Wait for a commit of the image to end, note its files; give up after ``tries`` tries."""
        if self.attempt >= self.tries:
            raise ChangedWhileReadingError(
                f"it was replaced again and again while being read ({self.tries} tries)", path=self.path,
                hint="read it when the process saving it has finished, or have that process save under a new name")
        if self.attempt:  # back off, with jitter, to find a moment between two saves
            time.sleep(min(0.001 * 2**self.attempt, 0.1) * random.uniform(0.5, 1.5))
        self.attempt += 1
        settle(self.path)
        self.before = fingerprint(self.path)

    def changed(self) -> bool:
        """Whether a save replaced any file of the image since :meth:`begin` (or was committing then)."""
        return self.before[0] or fingerprint(self.path) != self.before
