"""Issue 16 benchmark: a folder of 10,000 small TIFF slices, lazily and eagerly, against dask and tifffile.

Rows, each the best of ``--repeats`` runs in this process, the files read from
the page cache (an untimed pass reads them first):

- lazy build: ``ia.load(folder, lazy=True)`` against
  ``dask.array.image.imread(pattern, imread=tifffile.imread)``; the files each
  opens while building (counted in a fresh interpreter with ``builtins.open``
  and ``os.open`` wrapped: tifffile opens files through the first, imarray's
  slice reader through the second);
- lazy compute: ``.compute()`` of imarray's lazy array against imarray's eager load;
- eager load: ``ia.load(folder)`` against ``tifffile.imread(list_of_files)``.

Targets (issue 16): build within 3x dask and opening <= 2 files; compute
>= 0.9x the eager load; eager >= 1.2x tifffile.

Usage::

    python benchmarks/bench_folder.py            # 10,000 slices of 128 x 128 uint16, rewrites its RESULTS.md section
    python benchmarks/bench_folder.py --quick    # 1,000 slices, prints only
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from _report import best, git_commit, machine, publish

HERE = Path(__file__).resolve().parent
SECTION = ("<!-- bench_folder:start -->", "<!-- bench_folder:end -->")
PLANE = (128, 128)
COUNT_OPENS = """
import builtins, os, sys
opened = set()
def counting(real):
    def opening(file, *args, **kwargs):
        if str(file).startswith(sys.argv[1]):
            opened.add(str(file))
        return real(file, *args, **kwargs)
    return opening
builtins.open, os.open = counting(builtins.open), counting(os.open)
if sys.argv[2] == "imarray":
    import imarray as ia
    ia.load(sys.argv[1], lazy=True)
else:
    import dask.array.image, tifffile
    dask.array.image.imread(sys.argv[1] + "/*.tif", imread=tifffile.imread)
print(len(opened))
"""


def make_data(folder: Path, count: int) -> None:
    import tifffile

    if folder.exists() and len(list(folder.glob("*.tif"))) == count:
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        tifffile.imwrite(folder / f"slice_{index:05d}.tif", rng.integers(0, 4096, PLANE, dtype=np.uint16))



def opens(folder: Path, who: str) -> int:
    done = subprocess.run([sys.executable, "-c", COUNT_OPENS, str(folder), who], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1,000 slices, print only")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / ".data" / "folder")
    args = parser.parse_args()
    count = 1000 if args.quick else 10_000
    folder = args.data / str(count)
    make_data(folder, count)

    import dask
    import dask.array.image
    import tifffile

    import imarray as ia

    files = sorted(folder.glob("*.tif"))
    tifffile.imread(files)  # into the page cache
    build_ia, lazy = best(lambda: ia.load(folder, lazy=True), args.repeats)
    build_dask, _ = best(lambda: dask.array.image.imread(str(folder / "*.tif"), imread=tifffile.imread), args.repeats)
    with dask.config.set(scheduler="threads"):
        compute_ia, computed = best(lambda: lazy.compute(), args.repeats)
    eager_ia, eager = best(lambda: ia.load(folder), args.repeats)
    eager_tf, reference = best(lambda: tifffile.imread(files), args.repeats)
    assert np.array_equal(eager, reference) and np.array_equal(computed, reference)
    opened = {who: opens(folder, who) for who in ("imarray", "dask")}
    load = os.getloadavg()[0]
    rows = [
        ("lazy build", f"{build_ia * 1e3:.0f} ms", f"dask.array.image.imread {build_dask * 1e3:.0f} ms",
         f"{build_ia / build_dask:.2f}x dask's time (target <= 3x)",
         f"files opened: imarray {opened['imarray']}, dask {opened['dask']} (target <= 2)"),
        ("lazy compute", f"{compute_ia:.2f} s", f"imarray eager load {eager_ia:.2f} s",
         f"{eager_ia / compute_ia:.2f}x the eager load's speed (target >= 0.9x)", ""),
        ("eager load", f"{eager_ia:.2f} s", f"tifffile.imread(list of files) {eager_tf:.2f} s",
         f"{eager_tf / eager_ia:.2f}x tifffile's speed (target >= 1.2x)", ""),
    ]
    table = ["| row | imarray | peer | ratio | note |", "| --- | --- | --- | --- | --- |"]
    table += [f"| {' | '.join(row)} |" for row in rows]
    text = "\n".join([
        f"## bench_folder: {count:,} TIFF slices of {PLANE[0]} x {PLANE[1]} uint16 (issue 16)",
        "",
        f"{machine()}; commit {git_commit()}; {datetime.date.today()}; best of {args.repeats}; "
        f"1-minute load average {load:.2f} at the end; files in the page cache.",
        "",
        *table,
    ])
    publish(text, SECTION, quick=args.quick)


if __name__ == "__main__":
    main()
