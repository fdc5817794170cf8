"""Readers during a replace, and two saves of one target at once: the old or the new version, whole."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray import errors

from helpers import leftovers

A = np.arange(8 * 32 * 32, dtype=np.uint16).reshape(8, 32, 32)
B = (np.arange(4 * 32 * 32, dtype=np.float32) * 0.5).reshape(4, 32, 32)  # the same byte count as A
CASES = {"f.bin": {}, "m.mhd": {}, "a.nii": {}, "s.tif": {"size_cap": 2 * 32 * 32 * 4}, "z.zarr": {}}
WRITER = """
import sys, time, numpy as np, imarray as ia
from pathlib import Path
target, stop, cap = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
a = np.arange(8 * 32 * 32, dtype=np.uint16).reshape(8, 32, 32)
b = (np.arange(4 * 32 * 32, dtype=np.float32) * 0.5).reshape(4, 32, 32)
options = {"size_cap": cap} if cap else {}
i = 0
while not stop.exists():
    ia.save(target, (a, b)[i % 2], durable=False, **options)
    i += 1
    time.sleep(0.02)  # a writer saving 50 times a second (one that never pauses starves any reader)
    if i == 1:
        print("saving", flush=True)
print(i)
"""


def _loadable(folder: Path, name: str) -> Path:
    return folder / name.removesuffix(".tif") if CASES[name] else folder / name


def _same(got: np.ndarray, want: np.ndarray) -> bool:
    return got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)


@pytest.mark.parametrize("name", list(CASES))
def test_a_reader_during_replaces_gets_one_version_whole(tmp_path, name):
    if name.endswith((".mhd", ".nii")):
        pytest.importorskip("SimpleITK")
    if name.endswith(".zarr"):
        pytest.importorskip("zarr")
    ia.save(tmp_path / name, A, **CASES[name])
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / name), str(stop),
                               str(CASES[name].get("size_cap", 0))], stdout=subprocess.PIPE, text=True)
    outcomes = {"a": 0, "b": 0, "changed": 0}
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "saving"
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                got = ia.load(_loadable(tmp_path, name))
            except errors.ChangedWhileReadingError:
                outcomes["changed"] += 1
                continue
            assert _same(got, A) or _same(got, B), (name, got.dtype, got.shape)
            outcomes["a" if got.dtype == A.dtype else "b"] += 1
    finally:
        stop.touch()
        saves = int(writer.communicate(timeout=60)[0])
    assert writer.returncode == 0 and saves >= 2
    assert outcomes["a"] + outcomes["b"] >= 3, outcomes  # the reader read, and saw whole versions


@pytest.mark.parametrize("name", ["f.bin", "s.tif"])
def test_two_saves_at_once_leave_one_complete_set(tmp_path, name):
    ia.save(tmp_path / name, A, **CASES[name])
    code = ("import sys, numpy as np, imarray as ia\n"
            "a = np.arange(8 * 32 * 32, dtype=np.uint16).reshape(8, 32, 32)\n"
            "b = (np.arange(4 * 32 * 32, dtype=np.float32) * 0.5).reshape(4, 32, 32)\n"
            "options = {'size_cap': int(sys.argv[3])} if int(sys.argv[3]) else {}\n"
            "for _ in range(15):\n"
            "    ia.save(sys.argv[1], a if sys.argv[2] == 'a' else b, durable=False, **options)\n")
    cap = str(CASES[name].get("size_cap", 0))
    savers = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / name), which, cap]) for which in "ab"]
    for saver in savers:
        assert saver.wait(timeout=120) == 0
    got = ia.load(_loadable(tmp_path, name))
    assert _same(got, A) or _same(got, B)
    assert leftovers(tmp_path) == [] and not list(tmp_path.rglob("*.imarray-commit"))
