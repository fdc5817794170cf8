"""Crash injection for the commit tests: run as a script, it saves the old version of a case, then, in one
forked child per step of the new version's commit, dies (``os._exit``) right after that step.

``python crash_cases.py CASE FOLDER`` prints the number of steps as JSON; FOLDER/<k>/ then holds the files
a crash after step k left. ``python crash_cases.py --check CASE FOLDER`` reloads every FOLDER/<k> (run it
in a fresh process) and prints, per k, "old", "new", an imarray error's class name, or what else it found.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

# case -> (target name, old array, new array, save options)
CASES = {
    "raw": ("f.bin", np.arange(8 * 32 * 32, dtype=np.uint16).reshape(8, 32, 32),
            (np.arange(4 * 32 * 32, dtype=np.float32) * 0.5).reshape(4, 32, 32), {}),  # same byte count
    "mhd": ("m.mhd", np.arange(4 * 16 * 16, dtype=np.uint16).reshape(4, 16, 16),
            -np.arange(4 * 16 * 16, dtype=np.int16).reshape(4, 16, 16), {}),
    "series-shrink": ("s.tif", np.arange(6 * 8 * 8, dtype=np.uint16).reshape(6, 8, 8),
                      np.arange(4 * 8 * 8, dtype=np.uint16).reshape(4, 8, 8) + 1000, {"size_cap": 2 * 8 * 8 * 2}),
    "series-grow": ("s.tif", np.arange(2 * 8 * 8, dtype=np.uint16).reshape(2, 8, 8),
                    np.arange(6 * 8 * 8, dtype=np.uint16).reshape(6, 8, 8) + 1000, {"size_cap": 2 * 8 * 8 * 2}),
    "zarr": ("z.zarr", np.arange(4 * 16 * 16, dtype=np.uint8).reshape(4, 16, 16),
             np.arange(4 * 16 * 16, dtype=np.uint16).reshape(4, 16, 16) * 3, {}),
    "zarr-no-exchange": ("z.zarr", np.arange(4 * 16 * 16, dtype=np.uint8).reshape(4, 16, 16),
                         np.arange(4 * 16 * 16, dtype=np.uint16).reshape(4, 16, 16) * 3, {}),
}


def _loaded(path: Path) -> np.ndarray:
    import imarray as ia

    return ia.load(path.with_suffix("") if path.suffix == ".tif" else path)


def _crash_at(k: int):
    """A step hook that ends the process (as a kill would: no cleanup) at its k-th step."""
    seen = [0]

    def crash(step: str) -> None:
        seen[0] += 1
        if seen[0] == k:
            os._exit(9)

    return crash


def produce(case: str, base: Path) -> int:
    """Save the old version into base/<k> and crash the new version's save after step k; return the steps."""
    import imarray as ia
    from imarray import _atomic, _commit

    name, old, new, options = CASES[case]
    if case == "zarr-no-exchange":
        _atomic._exchange = lambda first, second: False  # the journaled move-aside path of other systems
    steps: list[str] = []
    (base / "count").mkdir(parents=True)
    ia.save(base / "count" / name, old, **options)
    _commit.set_step_hook(steps.append)
    ia.save(base / "count" / name, new, **options)
    _commit.set_step_hook(None)
    for k in range(1, len(steps) + 1):
        folder = base / str(k)
        folder.mkdir()
        ia.save(folder / name, old, **options)
        pid = os.fork()
        if pid == 0:
            _commit.set_step_hook(_crash_at(k))
            ia.save(folder / name, new, **options)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 9:
            raise SystemExit(f"step {k}: the child did not crash where asked ({status})")
    return len(steps)


def check(case: str, base: Path) -> dict[str, str]:
    """What a fresh process loads from each base/<k>: old, new or an error's class name; leftovers noted."""
    import imarray as ia
    from imarray.errors import ImarrayError

    name, old, new, options = CASES[case]
    results = {}
    for folder in sorted(p for p in base.iterdir() if p.name != "count"):
        try:
            got = _loaded(folder / name)
        except ImarrayError as exc:
            results[folder.name] = type(exc).__name__
            continue
        same = [label for label, want in (("old", old), ("new", new))
                if got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)]
        left = sorted(p.name for p in folder.rglob("*") if ".imarray-" in p.name)
        results[folder.name] = (same[0] if same else f"MIX {got.dtype} {got.shape}") + (f" left {left}" if left
                                                                                         else "")
        ia.save(folder / name, new, **options)  # the next save works and leaves nothing behind
        again = sorted(p.name for p in folder.rglob("*") if ".imarray-" in p.name)
        if again or not np.array_equal(_loaded(folder / name), new):
            results[folder.name] += f" after the next save: {again}"
    return results


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        print(json.dumps(check(sys.argv[2], Path(sys.argv[3]))))
    else:
        print(json.dumps(produce(sys.argv[1], Path(sys.argv[2]))))
