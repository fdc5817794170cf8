"""SIGKILL at a random instant of a large save: what a reader then gets, and what is left behind.

Used by test_kill.py (a few trials per writer) and benchmarks/bench_crash.py (many). Run as a script
(``python kill_cases.py WRITER FOLDER``), it imports imarray, prints "ready", and saves the new version.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

WRITERS = {  # writer -> (target name, save options)
    "tiff": ("k.tif", {}),
    "raw": ("k.bin", {}),
    "mhd": ("k.mhd", {}),
    "nifti": ("k.nii.gz", {}),
    "series": ("k.tif", {"size_cap": 4 * 512 * 512 * 2}),
    "zarr": ("k.zarr", {"chunks": (4, 256, 256)}),
}
OLD = np.arange(2 * 16 * 16, dtype=np.uint16).reshape(2, 16, 16)
NEW = (np.arange(24 * 512 * 512, dtype=np.uint32) * 2654435761 % 65521).astype(np.uint16).reshape(24, 512, 512)


def _loadable(folder: Path, writer: str) -> Path:
    name, options = WRITERS[writer]
    return folder / name.removesuffix(".tif") if "size_cap" in options else folder / name


def _outcome(folder: Path, writer: str) -> str:
    import imarray as ia
    from imarray.errors import ImarrayError

    try:
        got = ia.load(_loadable(folder, writer))
    except ImarrayError as exc:
        return type(exc).__name__
    for label, want in (("old", OLD), ("new", NEW)):
        if got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want):
            return label
    return "mix"


def _left(folder: Path) -> int:
    return sum(".imarray-" in p.name for p in folder.rglob("*"))


def save_duration(writer: str, folder: Path) -> float:
    """Seconds one save of the new version takes here (in this process)."""
    import imarray as ia

    name, options = WRITERS[writer]
    started = time.perf_counter()
    ia.save(folder / name, NEW, **options)
    return time.perf_counter() - started


def trial(writer: str, folder: Path, within: float, rng: random.Random) -> dict:
    """Save the old version, kill a process saving the new one after a random part of ``within`` seconds."""
    import imarray as ia

    name, options = WRITERS[writer]
    folder.mkdir(parents=True, exist_ok=True)
    ia.save(folder / name, OLD, **options)
    child = subprocess.Popen([sys.executable, __file__, writer, str(folder)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0, within))
    child.send_signal(signal.SIGKILL)
    child.wait()
    left_before = _left(folder)
    outcome = _outcome(folder, writer)
    ia.save(folder / name, OLD, **options)  # the next save sweeps what the killed one left
    return {"outcome": outcome, "left_after_kill": left_before, "left_after_next_save": _left(folder),
            "finished": child.returncode == 0}


if __name__ == "__main__":
    import imarray as ia

    target_writer, target_folder = sys.argv[1], Path(sys.argv[2])
    target_name, target_options = WRITERS[target_writer]
    ia.save(target_folder / ".warm.tif", OLD)  # imports done before "ready"
    (target_folder / ".warm.tif").unlink()
    print("ready", flush=True)
    ia.save(target_folder / target_name, NEW, **target_options)
