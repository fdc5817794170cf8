"""Saves that run out of room: run as a script in a folder with a small limit (a file-size limit, a small
tmpfs, a read-only mount) by test_full_disk.py.

``python disk_cases.py FOLDER NAME...`` saves a small old version of each NAME, then one too big for the
limit, and prints one JSON line per NAME: the error's class, the path it names, its hint, whether the
message names a temporary, what a reload gives (old / new / an error) and the imarray files left behind.
With ``--read-only`` the old versions must already be there (the folder is remounted read-only between).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

OLD = np.zeros((4, 16, 16), np.uint8)
NEW = np.random.default_rng(0).integers(0, 255, (48, 256, 256), dtype=np.uint8)  # 3 MiB, incompressible


def _target(name: str) -> str:
    return name.split("@")[0]


def run(folder: Path, names: list[str], read_only: bool) -> None:
    import imarray as ia

    for name in names:
        path = folder / _target(name)
        options = {"size_cap": 40 * 256 * 256} if "@series" in name else {}
        if not read_only:
            ia.save(path, OLD, **options)
        record: dict = {"name": name}
        try:
            ia.save(path, NEW, **options)
            record["error"] = None
        except Exception as exc:
            record.update(error=type(exc).__name__, path=getattr(exc, "path", None), hint=getattr(exc, "hint", None),
                          temporary_named=".imarray-tmp-" in str(exc), message=str(exc))
        loadable = path.with_suffix("") if options else path
        try:
            back = ia.load(loadable)
            record["reload"] = ("old" if np.array_equal(back, OLD) else "new" if np.array_equal(back, NEW)
                                else "mix")
        except Exception as exc:
            record["reload"] = type(exc).__name__
        record["left"] = sorted(p.name for p in folder.rglob("*") if ".imarray-" in p.name)
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    read_only = arguments[0] == "--read-only"
    if read_only:
        arguments = arguments[1:]
    wanted = [n for n in arguments[1:] if not n.endswith((".mkv",)) or importlib.util.find_spec("av")]
    run(Path(arguments[0]), wanted, read_only)
