"""Atomic writes at the edges: folders in the way, refused permissions, links, modes, partial commits."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray import _atomic, errors
from imarray.formats import raw as raw_format
from imarray.formats import tiff as tiff_format

from helpers import as_nobody, assert_identical, leftovers

DATA = np.arange(12, dtype=np.uint16).reshape(3, 4)


@pytest.mark.parametrize("name", ["d.tif", "d.bin", "d.mha", "d.mhd"])
def test_saving_over_a_folder_is_refused_before_writing(tmp_path, name, monkeypatch):
    (tmp_path / name).mkdir()
    written = []
    monkeypatch.setattr(raw_format, "_OverlappedCrc", lambda *a, **k: written.append(1))  # must not be reached
    with pytest.raises(errors.TargetError, match="is a folder") as caught:
        ia.save(tmp_path / name, DATA)
    assert isinstance(caught.value, OSError) and caught.value.path == str(tmp_path / name) and caught.value.hint
    assert written == [] and leftovers(tmp_path) == []


def test_parent_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "plain").write_text("x")
    for name in ("a.tif", "a.bin"):
        with pytest.raises(errors.TargetError, match="not a folder") as caught:
            ia.save(tmp_path / "plain" / "sub" / name, DATA)
        assert "plain" in caught.value.path and caught.value.hint


def test_refused_permission_names_the_target_not_the_temporary(tmp_path, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(tiff_format, "write", refuse)
    with pytest.raises(errors.TargetError, match="Permission denied") as caught:
        ia.save(tmp_path / "x.tif", DATA)
    assert isinstance(caught.value, PermissionError)
    assert caught.value.path == str(tmp_path / "x.tif") and _atomic.TEMP_MARKER not in str(caught.value)
    assert leftovers(tmp_path) == []


def test_sidecar_in_the_way_leaves_neither_file(tmp_path):
    (tmp_path / "f.json").mkdir()
    with pytest.raises(errors.TargetError, match="is a folder"):
        ia.save(tmp_path / "f.bin", DATA)
    assert not (tmp_path / "f.bin").exists() and leftovers(tmp_path) == []


def test_failed_rename_rolls_back_the_files_renamed_before(tmp_path, monkeypatch):
    ia.save(tmp_path / "f.bin", DATA)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_replace = Path.replace

    def flaky(src, dst):
        if str(dst).endswith(".json") and _atomic.TEMP_MARKER in str(src):
            raise OSError(28, "No space left on device", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(Path, "replace", flaky)
    with pytest.raises(errors.TargetError, match="No space left"):
        ia.save(tmp_path / "f.bin", DATA * 2)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert_identical(DATA, ia.load(tmp_path / "f.bin"))


def test_failed_rename_of_new_files_leaves_none(tmp_path, monkeypatch):
    real_replace = Path.replace

    def flaky(src, dst):
        if str(dst).endswith(".json") and _atomic.TEMP_MARKER in str(src):
            raise OSError(28, "No space left on device", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(Path, "replace", flaky)
    with pytest.raises(errors.TargetError):
        ia.save(tmp_path / "new.bin", DATA)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["m.tif", "m.bin", "m.mhd"])
def test_replacing_keeps_the_old_files_permission_bits(tmp_path, name):
    first = ia.save(tmp_path / name, DATA)
    first.chmod(0o640)
    ia.save(tmp_path / name, DATA + 1)
    assert stat.S_IMODE(first.stat().st_mode) == 0o640
    first.chmod(0o444)  # read-only: replaced (the folder is writable), and still read-only
    ia.save(tmp_path / name, DATA + 2)
    assert stat.S_IMODE(first.stat().st_mode) == 0o444
    assert_identical(DATA + 2, ia.load(first))


@pytest.mark.parametrize("name", ["l.tif", "l.bin", "l.nii.gz"])
def test_saving_through_a_symlink_replaces_the_file_it_points_to(tmp_path, name):
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    real = ia.save(real_folder / name, DATA)
    link = tmp_path / name
    link.symlink_to(real)
    ia.save(link, DATA + 5)
    assert link.is_symlink() and link.readlink() == real
    assert_identical(DATA + 5, ia.load(real))
    assert_identical(DATA + 5, ia.load(link))
    if name.endswith(".bin"):  # the sidecar goes beside the data file, not beside the link
        assert (real_folder / "l.json").exists() and not (tmp_path / "l.json").exists()
        ia.save(link, (DATA + 6).astype(np.float32))
        assert_identical((DATA + 6).astype(np.float32), ia.load(real))
    assert leftovers(tmp_path) == []


def test_read_only_folder_as_an_unprivileged_user(tmp_path):
    import shutil
    import subprocess
    import sys
    import tempfile

    nobody = as_nobody()
    base = Path(tempfile.mkdtemp(prefix="imarray-ro-"))
    try:
        base.chmod(0o755)
        (base / "ro").mkdir(mode=0o555)
        code = ("import sys, numpy as np, imarray as ia\n"
                "for name in sys.argv[1:]:\n"
                "    try:\n        ia.save(name, np.zeros((4, 4), np.uint8))\n"
                "    except Exception as e:\n        print(type(e).__name__, '|', e)\n")
        names = [str(base / "ro" / n) for n in ("a.tif", "a.bin", "a.mhd", "sub/a.tif")]
        result = subprocess.run([*nobody, sys.executable, "-c",
                                 code, *names], capture_output=True, text=True, timeout=120)
        lines = result.stdout.splitlines()
        assert len(lines) == 4, result.stdout + result.stderr
        for name, line in zip(names, lines, strict=True):
            assert line.startswith("TargetPermissionError |") and name in line and _atomic.TEMP_MARKER not in line
        assert list((base / "ro").iterdir()) == []
    finally:
        shutil.rmtree(base)
