"""Temporary names that say who owns them, and the sweep that removes those of dead owners.

A temporary beside ``labels.ome.tif`` is named
``.labels.imarray-tmp-<host>-<pid>-<start>-<random>.ome.tif``: the host (6 hex
digits of a hash of its name), the writing process's id and its start time
(clock ticks since boot, so a reused process id is not mistaken for the
owner), then 8 random hex digits. The name starts with a dot (folder readers
skip it) and keeps the target's suffixes (libraries that look at extensions
behave as for the real name). A long target name is shortened to a prefix
and a hash of the rest, so the temporary stays within the 255 bytes a file
name may have.

:func:`sweep` removes the temporaries of owners that are gone (this host, a
process id that no longer runs with that start time); a live writer's, or one
of another host, is never touched.

Examples
--------
>>> from pathlib import Path
>>> name = temporary_name(Path("labels.ome.tif")).name
>>> name.startswith(".labels.imarray-tmp-") and name.endswith(".ome.tif")
True
>>> parse(name).alive
True
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TEMP_MARKER = ".imarray-tmp-"
NAME_MAX = 255  # bytes of one file name on Linux, macOS and Windows file systems
_OWNER_CHARS = 40  # "<6 hex>-<pid>-<start>-<8 hex>" with room to spare
_SUFFIX_CHARS = 24  # suffixes longer than this are hashed with the stem
_NAME = re.compile(
    r"^\.(?P<tag>.*)" + re.escape(TEMP_MARKER)
    + r"(?:(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-(?P<start>[0-9a-z]+)-)?[0-9a-f]{8}(?P<rest>.*)$", re.DOTALL)


@cache
def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "surrogateescape")).hexdigest()[:6]


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rindex(b")") + 2 :].split()
    return None if fields[0] in (b"Z", b"X") else int(fields[19])  # a zombie has stopped: it owns nothing


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


_OWNER: tuple[int, str] | None = None


def owner() -> str:
    """This process as an owner: ``<host>-<pid>-<start>``."""
    global _OWNER
    pid = os.getpid()
    if _OWNER is None or _OWNER[0] != pid:  # a forked child is another owner
        _OWNER = (pid, f"{_host()}-{pid}-{_base36(_start_ticks(pid) or 0)}")
    return _OWNER[1]


def owner_alive(text: str | None) -> bool | None:
    """Whether the owner ``<host>-<pid>-<start>`` still runs; None where it cannot be known (another host)."""
    if not text:
        return None
    host, pid, start = text.split("-")
    if host != _host():
        return None
    ticks = _start_ticks(int(pid))
    if ticks is None:
        if not Path("/proc/self/stat").exists():  # pragma: no cover - no /proc: ask the kernel instead
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return False
    return _base36(ticks) == start or start == "0"


def _fits(text: str, room: int) -> str:
    """``text`` itself if its bytes fit in ``room``, else a prefix of it and a hash of the whole."""
    if len(os.fsencode(text)) <= room:
        return text
    digest = "~" + hashlib.sha1(os.fsencode(text)).hexdigest()[:10]
    cut = len(text)
    while len(os.fsencode(text[:cut])) > room - len(digest):
        cut -= 1
    return text[:cut] + digest


def split_name(name: str) -> tuple[str, str]:
    """(tag, suffixes) of a target name: the part temporaries name it by, and the suffixes they keep."""
    suffixes = "".join(Path(name).suffixes) if not name.startswith(".") else ""
    if len(suffixes) > _SUFFIX_CHARS or "\n" in suffixes:
        suffixes = Path(name).suffix if len(Path(name).suffix) <= _SUFFIX_CHARS else ""
    stem = name[: len(name) - len(suffixes)] if suffixes else name
    room = NAME_MAX - 1 - len(TEMP_MARKER) - _OWNER_CHARS - len(os.fsencode(suffixes))
    return _fits(stem, room), suffixes


def temporary_name(target: Path) -> Path:
    """An unused hidden path beside ``target``, owned by this process, that keeps its suffixes."""
    tag, suffixes = split_name(target.name)
    return target.with_name(f".{tag}{TEMP_MARKER}{owner()}-{secrets.token_hex(4)}{suffixes}")


def side_name(target: Path, kind: str) -> Path:
    """A fixed hidden name beside ``target`` for its ``kind`` (``imarray-commit``), within NAME_MAX.

    ``target`` is made absolute first, so "." and ".." name their folders; abspath, not resolve(): the
    side file stays beside a link, not beside its target.
    """
    target = Path(os.path.abspath(target))  # noqa: PTH100
    return target.with_name(f".{_fits(target.name, NAME_MAX - 2 - len(kind))}.{kind}")


@dataclass(frozen=True)
class Temporary:
    """A temporary found in a folder: its path, the tag of its target and its owner."""

    path: Path
    tag: str
    owner: str | None
    alive: bool | None  # None: the owner cannot be known (another host, or a name without owner)


def parse(name: str | Path) -> Temporary | None:
    """The :class:`Temporary` a file name is, or None for any other name."""
    path = Path(name)
    match = _NAME.match(path.name)
    if match is None:
        return None
    who = f"{match['host']}-{match['pid']}-{match['start']}" if match["host"] else None
    return Temporary(path, match["tag"], who, owner_alive(who))


def found(folder: Path, targets: list[Path] | None = None) -> list[Temporary]:
    """The temporaries in ``folder`` (of ``targets`` only, where given), without touching them."""
    tags = None if targets is None else {split_name(t.name)[0] for t in targets}
    try:
        with os.scandir(folder) as entries:  # no Path per name: a folder may hold 100,000 slices
            names = [entry.name for entry in entries]
    except OSError:
        return []
    result = []
    for name in names:
        if TEMP_MARKER in name:
            item = parse(folder / name)
            if item is not None and (tags is None or item.tag in tags):
                result.append(item)
    return sorted(result, key=lambda item: item.path.name)


def remove(path: Path) -> None:
    """Delete a temporary file or folder; one already gone is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
