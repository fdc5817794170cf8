"""Atomic writes: temporary files in the target's folder, fsync, then rename.

A failed or interrupted save leaves any previous file whole and no temporary
file behind. Temporary names start with a dot, name their owner and keep the
target's suffixes (``.labels.imarray-tmp-<host>-<pid>-<start>-1a2b3c4d.ome.tif``,
see :mod:`imarray._temporaries`), so libraries that look at extensions behave
as they would for the real name, folder readers skip them, and the next save
of the target removes those a killed process left. Sets of files are
committed through a journal (:mod:`imarray._commit`), so a crash between two
renames is finished, not left as a mix.

Durability (fsync of each file and of its folder before and after the rename)
is on by default: it is what keeps the old file whole through a power cut,
and it costs the time the disk needs to take the data (about 1.4 s per GB on
the machine in ``benchmarks/RESULTS.md``). ``ia.save(..., durable=False)``
skips the flushes; the rename stays atomic for crashes of the process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import sys
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path

from . import _commit
from ._commit import sweep
from ._temporaries import NAME_MAX, TEMP_MARKER, temporary_name
from .errors import ImarrayError, TargetError, TargetPermissionError

__all__ = ["TEMP_MARKER", "atomic_file", "atomic_files", "atomic_folder", "durability", "temporary_sibling"]
_DURABLE: ContextVar[bool] = ContextVar("imarray_durable_writes", default=True)


_EXPECTED: ContextVar[int | None] = ContextVar("imarray_expected_bytes", default=None)


@contextlib.contextmanager
def expecting(nbytes: int) -> Iterator[None]:
    """Within the block, errors of a full disk say that the save needs about ``nbytes``."""
    token = _EXPECTED.set(int(nbytes))
    try:
        yield
    finally:
        _EXPECTED.reset(token)


def writes_are_durable() -> bool:
    """Whether atomic writes in this context flush to disk (see :func:`durability`)."""
    return _DURABLE.get()


@contextlib.contextmanager
def durability(durable: bool) -> Iterator[None]:
    """Within the block, atomic writes flush to disk (``True``) or only rename (``False``)."""
    token = _DURABLE.set(durable)
    try:
        yield
    finally:
        _DURABLE.reset(token)


def temporary_sibling(target: Path) -> Path:
    """Return an unused hidden path beside ``target``, owned by this process, that keeps its suffixes."""
    return temporary_name(target)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - filesystems that refuse directory fsync
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_files(targets: Sequence[Path], *, remove: Sequence[Path] = (),
                 primary: Path | None = None) -> Iterator[list[Path]]:
    """Yield temporary paths for ``targets``; rename them all into place on success.

    Before the body runs, each target is checked (:func:`prepare_target`): a
    folder in its place or in place of its folder is refused before any data
    is written, and temporaries that killed processes left beside the targets
    are removed. If the body raises (or is interrupted), every temporary file
    is removed and the targets are untouched; an operating-system error about
    a temporary is raised as a :class:`~imarray.errors.TargetError` naming the
    target. The renames happen only after every file has been written and
    flushed to disk. One file is renamed over its target; several (and the
    ``remove`` list of files the new set no longer has) are committed through
    a journal beside ``primary`` (default: the first target), so that after a
    crash at any instant readers get the old set or the new one
    (:mod:`imarray._commit`). A replaced file keeps its permission bits; a
    symbolic link stays a link, and the file it points to is replaced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as name:
    ...     folder = pathlib.Path(name)
    ...     with atomic_files([folder / "a.txt"]) as (tmp,):
    ...         _ = tmp.write_text("hello")
    ...     (folder / "a.txt").read_text()
    'hello'
    """
    targets = [prepare_target(Path(t)) for t in targets]
    for folder in {t.parent for t in targets}:
        with contextlib.suppress(OSError):
            sweep(folder, [t for t in targets if t.parent == folder])
    temporaries = [temporary_sibling(t) for t in targets]
    try:
        for tmp in temporaries:  # a folder that refuses files (read-only, no permission) fails here, not in a library
            tmp.touch(exist_ok=False)
            tmp.unlink()  # the writer creates it anew: a library opening an existing file with O_TRUNC makes ext4
            # flush it on close (auto_da_alloc), 0.3 s per GB of a save that asked for durable=False
        yield temporaries
        durable = writes_are_durable()
        for tmp, target in zip(temporaries, targets, strict=True):
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise FileNotFoundError(f"the writer did not write {target}")
            _keep_mode(tmp, target)
            if durable:
                _fsync_file(tmp)
        if len(targets) == 1 and not remove:
            temporaries[0].replace(targets[0])
            if durable:
                _fsync_folder(targets[0].parent)
        else:
            _commit.commit(list(zip(temporaries, targets, strict=True)), primary=primary or targets[0],
                           remove=remove, durable=durable)
    except BaseException as exc:
        for tmp in temporaries:
            with contextlib.suppress(OSError):  # a read-only file system must not hide the real error
                tmp.unlink(missing_ok=True)
        about = _write_failure(exc, dict(zip(temporaries, targets, strict=True)))
        if about is not None:
            error = _target_error(exc, about, _EXPECTED.get())
            for tmp, target in zip(temporaries, targets, strict=True):  # a library's message names the temporary
                error.message = error.message.replace(str(tmp), str(target))
            raise type(error)(error.message, path=error.path, hint=error.hint) from exc
        raise


def prepare_target(target: Path) -> Path:
    """The file a write to ``target`` replaces, its folder made; obstacles refused before any data is written.

    A symbolic link resolves to the file it points to (the link itself stays).
    A folder in the place of the file, or a file in the place of one of its
    folders, raises :class:`~imarray.errors.TargetError`.
    """
    if len(os.fsencode(target.name)) > NAME_MAX:
        raise TargetError(f"the name {target.name[:40]}... is {len(os.fsencode(target.name))} bytes long, more "
                          f"than the {NAME_MAX} a file name may have", path=target,
                          hint="choose a shorter name (a raw binary's sidecar adds one character: .json)")
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if target.is_dir():
        raise TargetError("it is a folder, not a file", path=target,
                          hint="choose another file name, or move the folder away")
    if target.exists() and not target.is_file():
        raise TargetError("it is a named pipe, socket or device, not a regular file; saving would replace it",
                          path=target, hint="choose another file name, or remove it first")
    make_parent(target)
    return target


def make_parent(target: Path) -> None:
    """Create ``target``'s folder (and its parents); refuse, naming it, a file standing in for one of them."""
    for folder in target.parents:
        if folder.is_dir():
            break
        if folder.exists():
            raise TargetError(f"{folder} is a file, not a folder", path=target,
                              hint="choose a path whose folders are folders")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _target_error(exc, target) from exc


def _keep_mode(tmp: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        tmp.chmod(stat.S_IMODE(target.stat().st_mode))


def _temporary_named(exc: BaseException, targets: dict[Path, Path]) -> Path | None:
    """The target whose temporary an error names (a file or a staging folder of imarray), else None."""
    if isinstance(exc, ImarrayError):
        names = [exc.path]
    elif isinstance(exc, OSError):
        names = [exc.filename, exc.filename2]
    else:
        return None
    for name in names:
        if name is not None and TEMP_MARKER in os.fspath(name):
            return targets.get(Path(os.fspath(name)), next(iter(targets.values())))
    return None


def _free_bytes(folder: Path) -> int | None:
    with contextlib.suppress(OSError):
        return shutil.disk_usage(folder).free
    return None


def room_left(folder: Path) -> str:
    """``"the save needs about N bytes, M bytes are free there"``, as far as both are known."""
    free, needed = _free_bytes(folder), _EXPECTED.get()
    parts = ([f"the save needs about {needed} bytes"] if needed else []) + (
        [f"{free} bytes are free there"] if free is not None else [])
    return ", ".join(parts) or "the free space is unknown"


def short_write_error(target: Path, needed: int, writer: str) -> TargetError:
    """The error for a file a library (``writer``) wrote shorter than asked while saying it succeeded."""
    free = _free_bytes(target.parent)
    left = f"{free} bytes are free there" if free is not None else "the free space is unknown"
    return TargetError(f"{writer} wrote it short (fewer than the {needed} bytes of pixels): the disk is full or a "
                       "file-size limit was reached", path=target,
                       hint=f"free space on that disk (the save needs about {needed} bytes, {left}), raise the "
                            "file-size limit (`ulimit -f`), or write elsewhere")


_SHORT = re.compile(r"\d+ requested and \d+ written")  # tifffile's own check of a short write
_WRITE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM)


def _write_failure(exc: BaseException, targets: dict[Path, Path]) -> Path | None:
    """The target a failure of the disk (full, size limit, read-only, refused) met while writing is about."""
    about = _temporary_named(exc, targets)
    if about is not None or not isinstance(exc, OSError) or isinstance(exc, ImarrayError):
        return about
    unnamed = exc.filename is None and exc.filename2 is None
    short = exc.errno is None and _SHORT.search(str(exc)) is not None
    return next(iter(targets.values())) if unnamed and (exc.errno in _WRITE_ERRNOS or short) else None


def _target_error(exc: BaseException, target: Path, needed: int | None = None) -> ImarrayError:
    """The error to raise for ``exc`` met while writing ``target``: it names the target, with a hint."""
    if isinstance(exc, ImarrayError):
        return type(exc)(exc.message, path=target, hint=exc.hint)
    reason = getattr(exc, "strerror", None) or str(exc)
    code = getattr(exc, "errno", None)
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        return TargetPermissionError(f"cannot write it ({reason})", path=target,
                                     hint="write to a folder you may write to, or change its permissions")
    if code == errno.EROFS:
        return TargetPermissionError(f"cannot write it ({reason})", path=target,
                                     hint="the file system is mounted read-only; write to another disk")
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = _free_bytes(target.parent)
        need = f"the save needs about {needed} bytes" if needed else "the save needs more room"
        left = f", {free} bytes are free there" if free is not None else ""
        return TargetError(f"cannot write it ({reason})", path=target,
                           hint=f"free space on that disk ({need}{left}), or write elsewhere")
    if code is None and _SHORT.search(reason):  # a library's own check of a short write
        return short_write_error(target, needed or 0, "the writer") if needed else TargetError(
            f"cannot write it ({reason})", path=target, hint="free space on that disk, or write elsewhere")
    if code == errno.EFBIG:
        return TargetError(f"cannot write it ({reason})", path=target,
                           hint="a file-size limit stops the write (`ulimit -f`, or the file system's largest "
                                "file); raise the limit, or save with size_cap= to split it into smaller files")
    return TargetError(f"cannot write it ({reason})", path=target, hint="check the path and the disk")


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield one temporary path that replaces ``target`` when the block succeeds."""
    with atomic_files([target]) as (tmp,):
        yield tmp


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # pragma: no cover - glibc before 2.28
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            _fsync_file(Path(root, name))
        _fsync_folder(Path(root))


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a hidden temporary folder that replaces the folder ``target`` when the block succeeds.

    An existing ``target`` is swapped out in one atomic exchange where the
    system has one (Linux), else moved aside and the new folder moved in as
    one journaled commit (:func:`imarray._commit.swap_folder`); only then is
    the old one deleted. If the block raises, the temporary folder is deleted
    and ``target`` is untouched. Temporary folders that killed processes left
    beside ``target`` are removed first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as name:
    ...     folder = pathlib.Path(name) / "store.zarr"
    ...     with atomic_folder(folder) as tmp:
    ...         _ = (tmp / "zarr.json").write_text("{}")
    ...     sorted(p.name for p in folder.iterdir())
    ['zarr.json']
    """
    target = Path(target)
    if target.is_symlink():  # replaced through the link: the link stays
        target = Path(os.path.realpath(target))
    if target.exists() and not target.is_dir():
        raise TargetError("a file stands where the folder (store) goes; saving would replace it", path=target,
                          hint="choose another name, or move the file away first")
    make_parent(target)
    with contextlib.suppress(OSError):
        _commit.settle(target)
        sweep(target.parent, [target])
    temporary = temporary_sibling(target)
    try:
        temporary.mkdir()
    except OSError as exc:
        raise _target_error(exc, target) from exc
    try:
        yield temporary
        if writes_are_durable():
            _fsync_tree(temporary)
        if target.exists():
            if _exchange(temporary, target):
                _commit._step(f"exchange {target.name}")
                shutil.rmtree(temporary, ignore_errors=True)
                _commit._step(f"unlink old {target.name}")
            else:
                _commit.swap_folder(temporary, target, durable=writes_are_durable())
        else:
            temporary.rename(target)
            _commit._step(f"rename {target.name}")
        if writes_are_durable():
            _fsync_folder(target.parent)
    except BaseException as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, ImarrayError):
            raise _target_error(exc, target, _EXPECTED.get()) from exc
        raise
