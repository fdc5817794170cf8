"""Time CalSciPy's io_tools in CalSciPy's own environment; called by bench_io.py.

CalSciPy cannot be installed beside imarray (``pip install calscipy`` fails on
a pinned dependency), so bench_io.py runs this file with the interpreter of
``benchmarks/.venv-calscipy`` and reads one JSON object from its stdout.

Usage: ``python calscipy_worker.py '{"op": ..., "data": "x.npy", "target": ..., "repeats": 5}'``
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from CalSciPy.io_tools import load_binary, load_images, save_binary, save_images


def _clear(target: Path) -> None:
    for path in (target, target.with_suffix(".json")):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _timed(action, before=None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def run(job: dict) -> dict:
    # CalSciPy's filename check splits paths on backslashes only, so on Linux any "/" is refused:
    # work from the target's folder and hand it the bare name.
    os.chdir(Path(job["target"]).parent)
    target = Path(Path(job["target"]).name)
    op = job["op"]
    if op == "save_images":
        images = np.load(job["data"])
        return {"seconds": _timed(lambda: save_images(target, images), lambda: _clear(target))}
    if op == "save_binary":
        images = np.load(job["data"])
        return {"seconds": _timed(lambda: save_binary(target, images), lambda: _clear(target.with_suffix(".bin")))}
    loaders = {"load_images": load_images, "load_binary": load_binary}
    if op in loaders:
        before = _drop_caches if job.get("cold") else None
        result = {}
        seconds = _timed(lambda: result.setdefault("array", loaders[op](target)), before)
        reference = np.load(job["data"], mmap_mode="r") if job.get("data") else None  # absolute path
        array = result["array"]
        exact = (reference is not None and array.dtype == reference.dtype and array.shape == reference.shape
                 and np.array_equal(array, reference))
        return {"seconds": seconds, "dtype": str(array.dtype), "shape": list(array.shape), "exact": bool(exact)}
    if op == "damage":
        images = np.load(job["data"])
        _clear(target)
        try:
            save_images(target, images)
            back = load_images(target)
        except Exception as exc:  # report what CalSciPy does, whatever it raises
            return {"error": f"{type(exc).__name__}: {str(exc)[:120]}"}
        same = back.dtype == images.dtype and back.shape == images.shape and np.array_equal(back, images)
        return {"dtype": str(back.dtype), "shape": list(back.shape), "exact": bool(same),
                "first_values": back.reshape(-1)[:4].tolist()}
    raise SystemExit(f"unknown op {op!r}")


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))))
