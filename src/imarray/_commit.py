"""Commits of sets of files (a raw pair, ``.mhd`` + ``.raw``, a size-capped series): all new or all old.

Renaming several files into place cannot be one step, so a crash between two
renames would leave a mix of old and new files. The set is therefore
committed as a database commits, with an intent record (the *journal*)
beside its main file, ``.<name>.imarray-commit``:

1. Every new file is written to an owned temporary and flushed to disk.
2. The journal is created exclusively (``os.link``: a second save of the same
   target waits for the first to finish, so two saves never interleave).
3. Hard links keep the old content of every file to be replaced (used only
   to undo the commit when a rename fails in a live process).
4. The journal is rewritten to say *forward* and lists every rename and
   removal; from here on the commit is decided.
5. The temporaries are renamed over their targets, stale files (old parts of
   a longer series) removed, the links dropped, the journal deleted.

Readers and the next save consult the journal first (:func:`settle`): while
its owner runs, they wait for it to finish; when its owner died, they finish
the commit (*roll forward*: every temporary left is renamed into place), or,
where they may not write, raise :class:`~imarray.errors.InterruptedSaveError`
naming ``imarray clean PATH``. A crash before step 4 leaves the old files
untouched (the new temporaries are swept as a dead owner's leftovers). A
rename that fails in a live process is undone (the journal says *back*
first, so a crash while undoing is undone by the next reader too).

Tests arm :func:`set_step_hook` to crash after any single rename, link or
unlink of a commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ._temporaries import found, owner, owner_alive, remove, side_name, temporary_name
from .errors import InterruptedSaveError, TargetError

JOURNAL = "imarray-commit"
WAIT_SECONDS = 30.0  # how long a reader or a save waits for a live commit of the same target
_STEP_HOOK: Callable[[str], None] | None = None


def set_step_hook(hook: Callable[[str], None] | None) -> None:
    """Call ``hook(description)`` after every rename, link and unlink of a commit (tests crash there)."""
    global _STEP_HOOK
    _STEP_HOOK = hook


def _step(what: str) -> None:
    if _STEP_HOOK is not None:
        _STEP_HOOK(what)


def journal_path(primary: Path) -> Path:
    """Where the journal of a set whose main file (or series folder, or store) is ``primary`` lives."""
    return side_name(Path(primary), JOURNAL)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_json(path: Path, record: dict, durable: bool) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
        handle.flush()
        if durable:
            os.fsync(handle.fileno())


def _read(journal: Path) -> dict | None:
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InterruptedSaveError(f"the commit record {journal.name} is not one imarray wrote", path=journal,
                                   hint="move it away if it is not imarray's") from exc
    if not isinstance(record, dict) or record.get("format") != JOURNAL:
        raise InterruptedSaveError(f"the commit record {journal.name} is not one imarray wrote", path=journal,
                                   hint="move it away if it is not imarray's")
    return record


def _relative(path: Path, folder: Path) -> str:
    return os.path.relpath(path, folder)


class _Commit:
    """One commit in progress: its journal, its renames and removals."""

    def __init__(self, primary: Path, pairs: Sequence[tuple[Path, Path]], remove: Sequence[Path], durable: bool):
        self.journal = journal_path(primary)
        self.primary = primary
        self.folder = self.journal.parent
        self.pairs = list(pairs)
        self.remove = list(remove)
        self.durable = durable
        self.backups: list[Path | None] = []

    def _record(self, state: str) -> dict:
        return {
            "format": JOURNAL, "version": 1, "owner": owner(), "state": state,
            "renames": [[_relative(tmp, self.folder), _relative(target, self.folder),
                         None if backup is None else _relative(backup, self.folder)]
                        for (tmp, target), backup in zip(self.pairs, self.backups, strict=False)],
            "remove": [_relative(path, self.folder) for path in self.remove],
        }

    def _publish(self, state: str, *, create: bool = False) -> None:
        """Write the journal in state ``state``: created exclusively, or replaced in one rename."""
        staged = self.staging()
        _write_json(staged, self._record(state), self.durable)
        try:
            if create:
                _link_exclusively(staged, self.journal)
                staged.unlink()
            else:
                staged.replace(self.journal)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        if self.durable:
            _fsync_folder(self.folder)
        _step(f"journal {state}")

    def staging(self) -> Path:
        """A temporary for the journal's next content, named after the set (a sweep of the set finds it)."""
        return temporary_name(self.primary.with_name(self.primary.name + ".journal"))

    def acquire(self) -> None:
        """Create the journal, waiting for a live commit of the same target and finishing a dead one."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                self._publish("prepare", create=True)
                return
            except FileExistsError:
                pass
            other = _read(self.journal)
            if other is None:
                continue
            if owner_alive(other.get("owner")) is False:
                _finish(self.journal, other)
                continue
            if time.monotonic() > deadline:
                raise TargetError(f"another save of it (process {other.get('owner')}) has been committing for "
                                  f"{WAIT_SECONDS:.0f} s", path=self.folder / other["renames"][0][1]
                                  if other.get("renames") else self.journal,
                                  hint="wait for it to finish, or stop it and run `imarray clean` on the target")
            time.sleep(0.005)

    def run(self) -> None:
        """Steps 3 to 5 of the protocol (the journal is held); a failure or Ctrl-C before the last rename undoes."""
        try:
            for _, target in self.pairs:
                backup = _backup(target)
                self.backups.append(backup)
                if backup is not None:
                    _step(f"link {target.name}")
            self._publish("forward")
            for tmp, target in self.pairs:
                tmp.replace(target)
                _step(f"rename {target.name}")
        except BaseException:
            self._publish("back")
            _finish(self.journal, self._record("back"), durable=self.durable)
            raise
        if self.durable:
            for folder in {target.parent for _, target in self.pairs}:
                _fsync_folder(folder)
        _finish(self.journal, self._record("forward"), durable=self.durable)


def _link_exclusively(source: Path, name: Path) -> None:
    """Give ``source`` the second name ``name``, failing with FileExistsError if ``name`` exists."""
    try:
        os.link(source, name)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: create exclusively, then copy
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(source.read_bytes())


def _backup(target: Path) -> Path | None:
    """A second name for ``target``'s current content (a hard link, a copy where links are refused)."""
    if not target.exists():
        return None
    backup = temporary_name(target)
    try:
        os.link(target, backup)
    except OSError:
        import shutil

        shutil.copy2(target, backup)
    return backup


def _finish(journal: Path, record: dict, *, durable: bool = True) -> None:
    """Complete the commit ``record`` describes (roll forward or back) and delete its journal."""
    folder = journal.parent
    state = record.get("state")
    renames = [(folder / tmp, folder / target, None if backup is None else folder / backup)
               for tmp, target, backup in record.get("renames", [])]
    folders = bool(record.get("folders"))
    if state == "forward":
        for tmp, target, backup in renames:
            if tmp.exists():
                if folders and backup is not None and target.exists() and not backup.exists():
                    target.rename(backup)  # a folder is moved aside (a file keeps a hard link instead)
                    _step(f"rename {target.name} aside")
                tmp.replace(target)
                _step(f"rename {target.name}")
        for name in record.get("remove", []):
            (folder / name).unlink(missing_ok=True)
            _step(f"unlink {name}")
    elif state == "back":
        for tmp, target, backup in reversed(renames):
            if tmp.exists():  # never renamed: the target holds its old content
                tmp.unlink()
                _step(f"unlink {tmp.name}")
            elif backup is not None and backup.exists():
                backup.replace(target)
                _step(f"restore {target.name}")
            elif backup is None:
                target.unlink(missing_ok=True)
                _step(f"unlink {target.name}")
    for tmp, _, backup in renames:
        if backup is not None and os.path.lexists(backup):
            remove(backup)
            _step(f"unlink {backup.name}")
        if state != "forward":
            tmp.unlink(missing_ok=True)
    journal.unlink(missing_ok=True)
    if durable:
        _fsync_folder(folder)
    _step("unlink journal")


def commit(pairs: Sequence[tuple[Path, Path]], *, primary: Path, remove: Sequence[Path] = (),
           durable: bool = True) -> None:
    """Rename every ``(temporary, target)`` of ``pairs`` into place and delete ``remove``, as one commit.

    ``primary`` names the set (its main file, or its series folder): the
    journal sits beside it. See the module's description for the protocol.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as name:
    ...     folder = pathlib.Path(name)
    ...     _ = (folder / "new.bin").write_text("pixels"), (folder / "new.json").write_text("{}")
    ...     commit([(folder / "new.bin", folder / "a.bin"), (folder / "new.json", folder / "a.json")],
    ...            primary=folder / "a.bin")
    ...     sorted(p.name for p in folder.iterdir())
    ['a.bin', 'a.json']
    """
    job = _Commit(Path(primary), pairs, remove, durable)
    try:
        job.acquire()
        job.run()
    except BaseException:
        own = _own_record(job.journal)
        if own is not None:  # interrupted outside the renames (or while undoing them): finish as recorded
            with contextlib.suppress(OSError):
                _finish(job.journal, own, durable=durable)
        raise


def _own_record(journal: Path) -> dict | None:
    """The journal's record if this process wrote it, else None."""
    with contextlib.suppress(InterruptedSaveError, OSError):
        record = _read(journal)
        if record is not None and record.get("owner") == owner():
            return record
    return None


def pending(primary: Path) -> dict | None:
    """The journal record of an unfinished commit of ``primary``, or None."""
    return _read(journal_path(primary))


def pending_names(folder: Path) -> set[str]:
    """Names in ``folder`` that unfinished commits still need (their temporaries and backups)."""
    names: set[str] = set()
    journals = [journal_path(folder)]  # a series' journal sits beside its folder
    with contextlib.suppress(OSError):
        journals += [path for path in folder.iterdir() if path.name.endswith("." + JOURNAL)]
    for journal in journals:
        with contextlib.suppress(InterruptedSaveError, OSError):
            record = _read(journal) or {}
            for tmp, _, backup in record.get("renames", []):
                for item in (tmp, backup):
                    if item is not None and (journal.parent / item).parent == folder:
                        names.add(Path(item).name)
    return names


def settle(path: Path, *, wait: float = WAIT_SECONDS) -> bool:
    """Make ``path`` safe to read: wait for a live commit of it, finish a dead one; True if one was found.

    Raises :class:`~imarray.errors.InterruptedSaveError` when a dead commit
    cannot be finished here (a read-only folder) or a live one takes longer
    than ``wait`` seconds.
    """
    journal = journal_path(path)
    if not os.path.lexists(journal):
        return False
    deadline = time.monotonic() + wait
    while (record := _read(journal)) is not None:
        alive = owner_alive(record.get("owner"))
        if alive is False:
            if record.get("state") == "prepare":
                with contextlib.suppress(FileNotFoundError):
                    journal.unlink()
                continue
            try:
                _finish(journal, record)
            except OSError as exc:
                raise InterruptedSaveError(
                    f"a save of it was interrupted while its files were renamed into place (process "
                    f"{record.get('owner')} stopped), and they are a mix of old and new files; finishing that "
                    f"save here failed ({exc.strerror or exc})", path=path,
                    hint=f"run `imarray clean {path}` where the folder is writable: it puts the new files in place",
                ) from exc
            continue
        if time.monotonic() > deadline:
            raise InterruptedSaveError(
                f"a save of it by process {record.get('owner')} is still renaming files into place", path=path,
                hint="try again when that save has finished (or, if that process hangs, stop it and run "
                     f"`imarray clean {path}`)")
        time.sleep(0.005)
    return True


def swap_folder(temporary: Path, target: Path, *, durable: bool = True) -> None:
    """Replace the folder ``target`` by ``temporary`` where no atomic exchange exists: moved aside, then in.

    The journal makes the two renames one commit: a crash between them is
    rolled forward by the next reader (the new folder moved in, the old one
    deleted).
    """
    job = _Commit(target, [(temporary, target)], [], durable)
    job.acquire()
    job.backups = [temporary_name(target)]
    record = {**job._record("forward"), "folders": True}
    staged = job.staging()
    _write_json(staged, record, durable)
    staged.replace(job.journal)
    _step("journal forward")
    _finish(job.journal, record, durable=durable)


def before_reading(path: Path, *, sweep_beside: bool) -> None:
    """Ready ``path`` for a reader: settle its commit (see :func:`settle`), then sweep dead owners' temporaries.

    The sweep (``sweep_beside``: beside a set's main file or a store, and
    inside a folder) costs a folder listing, so single-file formats skip it;
    their next save sweeps.
    """
    path = Path(path)
    settle(path)
    if not os.path.lexists(path):  # CalSciPy names a binary by its stem
        settle(path.with_name(path.name + ".bin"))
    if sweep_beside:
        with contextlib.suppress(OSError):
            sweep(path.parent, [path])
            if path.is_dir():
                sweep(path)


def leftovers(path: Path) -> list[Path]:
    """Temporaries of saves of ``path`` (beside it, and inside it if it is a folder) and its unfinished journal."""
    path = Path(path)
    items = [item.path for item in found(path.parent, [path])]
    if path.is_dir():
        items += [item.path for item in found(path)]
    journal = journal_path(path)
    return items + ([journal] if os.path.lexists(journal) else [])


def clean(path: Path, *, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Finish an interrupted commit of ``path`` and remove dead owners' temporaries: (removed, kept).

    ``force=True`` also removes temporaries whose owner cannot be known
    (another host, or names from before temporaries named their owner); a
    live process's are always kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as name:
    ...     clean(pathlib.Path(name) / "nothing.bin")
    ([], [])
    """
    path = Path(path)
    settle(path, wait=WAIT_SECONDS)
    removed = sweep(path.parent, [path], force=force)
    if path.is_dir():
        removed += sweep(path, force=force)
    return removed, leftovers(path)


def sweep(folder: Path, targets: list[Path] | None = None, *, force: bool = False) -> list[Path]:
    """Remove the temporaries of dead owners in ``folder`` (of ``targets`` only, where given); return them.

    ``force=True`` also removes those whose owner cannot be known (another
    host, or names written before temporaries named their owner). A live
    owner's are never removed. Errors (a read-only folder) leave them be.
    """
    removed: list[Path] = []
    items = found(folder, targets)
    if not items:
        return removed
    keep = pending_names(folder)  # a commit that a reader or the next save rolls forward still needs them
    for item in items:
        if item.alive is True or (item.alive is None and not force) or item.path.name in keep:
            continue
        try:
            remove(item.path)
        except OSError:
            continue
        removed.append(item.path)
    return removed
