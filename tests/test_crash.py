"""Crash consistency: a crash after every single rename, link and unlink of a commit, reloaded in a fresh process."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray import _commit, _temporaries, errors

from helpers import assert_identical, leftovers

HERE = Path(__file__).parent
CASES = ["raw", "mhd", "series-shrink", "series-grow", "zarr", "zarr-no-exchange"]


def _run(*args: str) -> str:
    result = subprocess.run([sys.executable, str(HERE / "crash_cases.py"), *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("case", CASES)
def test_a_crash_after_any_commit_step_leaves_old_or_new_and_nothing_behind(tmp_path, case):
    if case.startswith(("mhd",)):
        pytest.importorskip("SimpleITK")
    if case.startswith("zarr"):
        pytest.importorskip("zarr")
    steps = json.loads(_run(case, str(tmp_path)))
    assert steps >= (2 if case == "zarr" else 6)  # a set commits in several steps, a store in an exchange
    results = json.loads(_run("--check", case, str(tmp_path)))
    assert sorted(results, key=int) == [str(k) for k in range(1, steps + 1)]
    assert all(value in ("old", "new") for value in results.values()), results
    # once the journal says forward, a crash is rolled forward: the outcome only ever goes old -> new
    outcomes = [results[str(k)] for k in range(1, steps + 1)]
    assert outcomes == sorted(outcomes, key=("old", "new").index) and outcomes[-1] == "new"


def _crash_raw_commit_after(folder: Path, step: str, old: np.ndarray, new: np.ndarray) -> None:
    ia.save(folder / "f.bin", old)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child dies in the hook
        _commit.set_step_hook(lambda what: os._exit(9) if what == step else None)
        ia.save(folder / "f.bin", new)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 9


def test_an_interrupted_commit_that_cannot_be_finished_is_an_error_naming_clean(tmp_path, monkeypatch):
    old, new = np.zeros((4, 8), np.uint16), np.ones((2, 8), np.float32)
    _crash_raw_commit_after(tmp_path, "rename f.bin", old, new)  # the new .bin is in, the old .json still there
    real_replace = Path.replace

    def read_only(source, target):
        raise OSError(errno.EROFS, "Read-only file system", str(source))

    monkeypatch.setattr(Path, "replace", read_only)
    with pytest.raises(errors.InterruptedSaveError, match="interrupted") as caught:
        ia.load(tmp_path / "f.bin")
    assert "imarray clean" in caught.value.hint and caught.value.path == str(tmp_path / "f.bin")
    assert isinstance(caught.value, errors.CorruptFileError)
    monkeypatch.setattr(Path, "replace", real_replace)
    from imarray.cli import main

    assert main(["clean", str(tmp_path / "f.bin")]) == 0
    assert_identical(new, ia.load(tmp_path / "f.bin"))
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["f.bin", "f.json"]


def test_a_save_waits_for_a_live_commit_of_the_same_target(tmp_path):
    """Two saves of one set never interleave: the second waits while the first's journal is held."""
    old, new = np.zeros((4, 8), np.uint16), np.ones((2, 8), np.float32)
    ia.save(tmp_path / "f.bin", old)
    read_end, write_end = os.pipe()
    go_read, go_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child stops inside its commit until told to go on
        def pause(what: str) -> None:
            if what == "rename f.bin":
                os.write(write_end, b"x")
                os.read(go_read, 1)

        _commit.set_step_hook(pause)
        ia.save(tmp_path / "f.bin", new)
        os._exit(0)
    os.read(read_end, 1)  # the child has renamed the .bin and not yet the .json
    reader = subprocess.Popen([sys.executable, "-c", "import sys, imarray as ia; a = ia.load(sys.argv[1]); "
                               "print(a.dtype, a.shape)", str(tmp_path / "f.bin")], stdout=subprocess.PIPE, text=True)
    import time

    time.sleep(0.5)
    assert reader.poll() is None  # it waits for the live commit instead of reading a mix
    os.write(go_write, b"x")
    os.waitpid(pid, 0)
    assert reader.communicate(timeout=60)[0].split() == ["float32", "(2,", "8)"]


def test_temporary_names_name_their_owner_and_fit_name_max(tmp_path):
    for name in ["a.tif", "x" * 255, "y" * 240 + ".ome.tif", "ü" * 127 + ".bin", "a." + "b" * 250, ".hidden"]:
        temporary = _temporaries.temporary_name(tmp_path / name)
        assert len(os.fsencode(temporary.name)) <= 255, (name, len(os.fsencode(temporary.name)))
        found = _temporaries.parse(temporary.name)
        assert found is not None and found.owner == _temporaries.owner() and found.alive is True
        assert found.tag == _temporaries.split_name(name)[0]
    assert _commit.journal_path(tmp_path / ("z" * 255)).name.endswith(".imarray-commit")
    assert len(_commit.journal_path(tmp_path / ("z" * 255)).name) <= 255


@pytest.mark.parametrize("name", ["n" * 255, "n" * 251 + ".tif", "n" * 250 + ".bin", "n" * 251 + ".mha"])
def test_names_of_any_legal_length_save_and_load(tmp_path, name):
    if name.endswith(".mha"):
        pytest.importorskip("SimpleITK")
    data = np.arange(6, dtype=np.uint16).reshape(2, 3)
    written = ia.save(tmp_path / name, data, **({"format": "tiff"} if "." not in name else {}))
    assert_identical(data, ia.load(written, **({"format": "tiff"} if "." not in name else {})))
    assert leftovers(tmp_path) == []


def test_a_raw_name_whose_sidecar_name_is_too_long_is_refused_before_writing(tmp_path):
    with pytest.raises(errors.TargetError, match="more than the 255") as caught:
        ia.save(tmp_path / ("n" * 251 + ".bin"), np.zeros((2, 3), np.uint8))
    assert caught.value.path.endswith(".json") and list(tmp_path.iterdir()) == []


def test_stale_temporaries_of_dead_owners_are_swept_and_a_live_ones_kept(tmp_path):
    data = np.arange(6, dtype=np.uint16).reshape(2, 3)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a writer killed after writing its temporaries
        ia.save(tmp_path / "old.tif", data)
        (tmp_path / _temporaries.temporary_name(tmp_path / "f.bin").name).write_bytes(b"x" * 1000)
        (tmp_path / _temporaries.temporary_name(tmp_path / "f.json").name).write_bytes(b"{}")
        os._exit(9)
    os.waitpid(pid, 0)
    mine = _temporaries.temporary_name(tmp_path / "f.bin")
    mine.write_bytes(b"live")  # a live writer's (this process)
    foreign = tmp_path / ".f.imarray-tmp-0123ab-1-1-89abcdef.bin"  # another host's: owner unknown
    foreign.write_bytes(b"?")
    assert len(leftovers(tmp_path)) == 4
    from imarray.cli import main

    assert main(["info", str(tmp_path / "old.tif")]) == 0  # mentions the leftovers (checked below via the API)
    assert len(_temporaries.found(tmp_path)) == 4
    ia.save(tmp_path / "f.bin", data)  # the next save of the target sweeps the dead owner's
    assert leftovers(tmp_path) == sorted([mine.name, foreign.name])
    assert main(["clean", str(tmp_path / "f.bin")]) == 0
    assert leftovers(tmp_path) == sorted([mine.name, foreign.name])  # never a live or unknown owner's
    assert main(["clean", "--force", str(tmp_path / "f.bin")]) == 0
    assert leftovers(tmp_path) == [mine.name]


def test_info_mentions_leftovers(tmp_path, capsys):
    data = np.arange(6, dtype=np.uint16).reshape(2, 3)
    ia.save(tmp_path / "f.bin", data)
    (tmp_path / ".f.imarray-tmp-0123ab-1-1-89abcdef.bin").write_bytes(b"?")
    from imarray.cli import main

    assert main(["info", str(tmp_path / "f.bin")]) == 0
    out = capsys.readouterr().out
    assert "leftovers" in out and ".f.imarray-tmp-0123ab-1-1-89abcdef.bin" in out and "imarray clean" in out


@pytest.mark.parametrize("name", ["ü.mhd", "a\\b.mhd", "line\nbreak.mhd"])
def test_a_metaimage_name_its_header_cannot_state_exactly_is_refused_before_writing(tmp_path, name):
    pytest.importorskip("SimpleITK")
    with pytest.raises(errors.TargetError, match="cannot be written exactly") as caught:
        ia.save(tmp_path / name, np.zeros((2, 3), np.uint8))
    assert ".mha" in caught.value.hint and list(tmp_path.iterdir()) == []


def test_a_fifo_target_is_refused(tmp_path):
    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)
    with pytest.raises(errors.TargetError, match="named pipe"):
        ia.save(fifo, np.zeros((2, 3), np.uint8))
    assert fifo.is_fifo() and leftovers(tmp_path) == []


def test_a_file_where_a_store_goes_is_refused_and_a_link_to_a_store_is_replaced_through(tmp_path):
    pytest.importorskip("zarr")
    (tmp_path / "x.zarr").write_bytes(b"not a store")
    with pytest.raises(errors.TargetError, match="a file stands where"):
        ia.save(tmp_path / "x.zarr", np.zeros((2, 3), np.uint8))
    assert (tmp_path / "x.zarr").read_bytes() == b"not a store"
    real = ia.save(tmp_path / "real.zarr", np.zeros((2, 3), np.uint8))
    (tmp_path / "link.zarr").symlink_to(real)
    ia.save(tmp_path / "link.zarr", np.ones((2, 3), np.uint16))
    assert (tmp_path / "link.zarr").is_symlink()
    assert_identical(np.ones((2, 3), np.uint16), ia.load(real))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("step", ["link f.bin", "journal forward", "rename f.bin", "rename f.json"])
def test_ctrl_c_during_a_commit_leaves_the_old_set_and_nothing_behind(tmp_path, step):
    old, new = np.zeros((4, 8), np.uint16), np.ones((2, 8), np.float32)
    ia.save(tmp_path / "f.bin", old)

    def interrupt(what: str) -> None:
        if what == step:
            raise KeyboardInterrupt

    _commit.set_step_hook(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            ia.save(tmp_path / "f.bin", new)
    finally:
        _commit.set_step_hook(None)
    assert_identical(old, ia.load(tmp_path / "f.bin"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin", "f.json"]
