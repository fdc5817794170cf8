"""A full disk, a file-size limit and a read-only file system: the old file stays, the error names the target."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NAMES = ["a.tif", "a.bin", "a.mhd", "a.nii", "a.nii.gz", "a.nrrd", "a.mha", "a.gif", "a.mkv", "s.tif@series"]


def _records(output: str) -> dict[str, dict]:
    return {record["name"]: record for record in map(json.loads, output.splitlines())}


def _check(records: dict[str, dict], folder: str, hint_words: tuple[str, ...], errors=("TargetError",)) -> None:
    assert records, "no format was tried"
    for name, record in records.items():
        target = f"{folder}/{name.split('@')[0]}"
        assert record["error"] in errors, record
        assert record["path"] is not None and record["path"].startswith(target.removesuffix(".tif")), record
        assert not record["temporary_named"], record
        assert any(word in record["hint"] for word in hint_words), record
        assert record["reload"] == "old", record
        assert record["left"] == [], record


def test_a_file_size_limit_fails_every_writer_cleanly(tmp_path):
    pytest.importorskip("SimpleITK")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))

    result = subprocess.run([sys.executable, str(HERE / "disk_cases.py"), str(tmp_path), *NAMES],
                            capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert result.returncode == 0, result.stderr[-3000:]
    records = _records(result.stdout)
    # NIfTI: SimpleITK reports success after a short write; the size check catches it before the rename
    assert "short" in records["a.nii"]["message"] and "short" in records["a.nii.gz"]["message"]
    _check(records, str(tmp_path), ("limit", "disk"))


def _namespace_works() -> str | None:
    if shutil.which("unshare") is None:
        return "no unshare command"
    probe = subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=1m none /mnt"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        said = probe.stdout.strip() or probe.stderr.strip()
        return f"this machine refuses a user+mount namespace with a tmpfs ({said})"
    return None


def test_a_full_disk_and_a_read_only_file_system_fail_every_writer_cleanly(tmp_path):
    pytest.importorskip("SimpleITK")
    reason = _namespace_works()
    if reason:
        pytest.skip(reason)
    mount = tmp_path / "disk"
    mount.mkdir()
    names = [*NAMES, "a.zarr", "a.ome.zarr"]
    script = HERE / "disk_cases.py"
    listed = " ".join(names)
    shell = (f"mount -t tmpfs -o size=3m none {mount} && "
             f"{sys.executable} {script} {mount} {listed} > {tmp_path}/full.json && "  # leaves the old versions
             f"mount -o remount,ro {mount} && "
             f"{sys.executable} {script} --read-only {mount} {listed} > {tmp_path}/ro.json")
    result = subprocess.run(["unshare", "-Urm", "sh", "-c", shell], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Task was destroyed" not in result.stderr  # zarr's chunk writes were waited for
    full = _records((tmp_path / "full.json").read_text())
    _check(full, str(mount), ("free",))
    read_only = _records((tmp_path / "ro.json").read_text())
    _check(read_only, str(mount), ("read-only",), errors=("TargetPermissionError",))
