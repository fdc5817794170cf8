"""Issues 2 and 16 benchmark: imarray's TIFF, raw and folder I/O against its peers, same run.

Peers: tifffile and numpy in this environment; CalSciPy's io_tools in its own
environment (``benchmarks/.venv-calscipy``, made by ``make bench-env``), run
through ``calscipy_worker.py``. Every contender does the same work on the same
1 GB uint16 stack (1000 x 512 x 1024), each run in a fresh interpreter (imports
untimed); contenders take turns within each repeat, and the table reports medians. "warm" loads read files that are in
the page cache; "cold" loads drop the cache first (needs root; skipped otherwise).

Usage::

    python benchmarks/bench_io.py                # full run, rewrites its section of RESULTS.md
    python benchmarks/bench_io.py --quick        # 100 frames, 3 repeats, prints only
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tifffile

import imarray as ia
from _report import RESULTS, git_commit, machine, write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CALSCIPY_PYTHON = HERE / ".venv-calscipy" / "bin" / "python"
SECTION = ("<!-- bench_io:start -->", "<!-- bench_io:end -->")


# ---------------------------------------------------------------- plumbing
def remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def read_through(*paths: Path) -> Callable[[], None]:
    """A ``before`` step for warm rows: read the files once so the page cache holds them.

    Cold rows drop the cache within the same repeat, so without it the first warm
    contender after them read from disk.
    """

    def run() -> None:
        for path in paths:
            for file in sorted(path.iterdir()) if path.is_dir() else [path]:
                with open(file, "rb", buffering=0) as handle:
                    while handle.read(1 << 24):
                        pass

    return run


def can_drop_caches() -> bool:
    return os.access("/proc/sys/vm/drop_caches", os.W_OK)


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


class Contender:
    """One way of doing a task; ``run`` returns seconds for one repeat."""

    def __init__(self, task: str, name: str, run: Callable[[], float]) -> None:
        self.task, self.name, self.run = task, name, run
        self.seconds: list[float] = []

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# Every contender runs in a fresh interpreter: the heap, the allocator's free lists and the
# page tables left by one contender cannot slow (or speed) the next. Imports and loading the
# stack to save are untimed; only the statement is. Before timing, the worker touches and frees
# twice the data's size: this machine is a virtual machine whose host backs guest memory on first
# touch, and without it a contender's first 1 GB array cost 0.25 s or 1.3 s by luck (measured).
WORKER = """
import sys, time
namespace = {}
exec(sys.argv[1], namespace)
start = time.perf_counter()
exec(sys.argv[2], namespace)
print(time.perf_counter() - start)
"""
SETUP = """
from pathlib import Path
import numpy as np, tifffile
import imarray as ia, imarray.api, imarray.formats.tiff, imarray.formats.raw, imarray.formats.folder
from imarray._atomic import _fsync_file, _fsync_folder
def fsync_path(path):
    _fsync_file(path)
    _fsync_folder(path.parent)
"""


def timed(statement: str, before: Callable[[], object] | None = None, setup: str = "") -> Callable[[], float]:
    """Time ``statement`` in a fresh interpreter after ``SETUP`` + ``setup`` (untimed)."""

    def run() -> float:
        if before is not None:
            before()
        os.sync()  # no contender pays for the writeback an earlier one left behind
        done = subprocess.run([sys.executable, "-c", WORKER, SETUP + setup, statement],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{statement!r} failed: {done.stderr.strip()[-600:]}")
        return float(done.stdout)

    return run


def calscipy(op: str, target: Path, data: Path | None, cold: bool = False) -> dict:
    job = {"op": op, "target": str(target), "data": str(data) if data else None, "cold": cold}
    done = subprocess.run([str(CALSCIPY_PYTHON), str(HERE / "calscipy_worker.py"), json.dumps(job)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"CalSciPy worker failed on {op}: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout)


def calscipy_run(op: str, target: Path, data: Path | None, cold: bool = False,
                 before: Callable[[], None] | None = None) -> Callable[[], float]:
    def run() -> float:
        if before is not None:
            before()
        os.sync()
        return calscipy(op, target, data, cold)["seconds"]

    return run


# ---------------------------------------------------------------- the tasks
def contenders(stack: np.ndarray, work: Path, npy: Path, with_calscipy: bool, cold: bool) -> list[Contender]:
    tif, bin_ = work / "stack.tif", work / "stack.bin"  # read by the load rows, written once by prepare()
    packed = {name: work / f"stack-{name}.tif" for name in COMPRESSED}
    out_tif, out_bin = work / "saved.tif", work / "saved.bin"  # written by the save rows
    cal_tif, cal_bin = work / "calscipy" / "images.tif", work / "calscipy" / "binary_video.bin"
    folder = work / "slices"
    paths = (f"_touched = np.ones({2 * stack.nbytes}, dtype=np.uint8)\ndel _touched\n"
             f"tif, bin_, out_tif, out_bin, folder = Path({str(tif)!r}), Path({str(bin_)!r}), "
             f"Path({str(out_tif)!r}), Path({str(out_bin)!r}), Path({str(folder)!r})\n"
             f"shape, dtype = {stack.shape!r}, np.{stack.dtype}\n")
    saving = paths + f"stack = np.load({str(npy)!r})\n"
    rows: list[Contender] = []

    def add(task: str, name: str, run: Callable[[], float]) -> None:
        rows.append(Contender(task, name, run))

    def clear_tif() -> None:
        remove(out_tif)

    def clear_bin() -> None:
        remove(out_bin, out_bin.with_suffix(".json"))

    def save(task: str, name: str, statement: str, clear: Callable[[], None]) -> None:
        add(task, name, timed(statement, clear, saving))

    def load(task: str, name: str, statement: str, before: Callable[[], None] | None = None) -> None:
        add(task, name, timed(statement, before, paths))

    save("TIFF save", "imarray (durable: fsync + rename)", "ia.save(out_tif, stack)", clear_tif)
    save("TIFF save", "tifffile.imwrite + fsync", "tifffile.imwrite(out_tif, stack); fsync_path(out_tif)", clear_tif)
    save("TIFF save", "imarray durable=False", "ia.save(out_tif, stack, durable=False)", clear_tif)
    save("TIFF save", "tifffile.imwrite", "tifffile.imwrite(out_tif, stack)", clear_tif)
    if with_calscipy:
        add("TIFF save", "CalSciPy save_images", calscipy_run("save_images", work / "calscipy" / "saved.tif", npy))

    load("TIFF load (warm)", "imarray", "ia.load(tif)", read_through(tif))
    load("TIFF load (warm)", "tifffile.imread", "tifffile.imread(tif)", read_through(tif))
    if with_calscipy:
        add("TIFF load (warm)", "CalSciPy load_images",
            calscipy_run("load_images", cal_tif, None, before=read_through(cal_tif)))
    if cold:
        load("TIFF load (cold)", "imarray", "ia.load(tif)", drop_caches)
        load("TIFF load (cold)", "tifffile.imread", "tifffile.imread(tif)", drop_caches)
        if with_calscipy:
            add("TIFF load (cold)", "CalSciPy load_images", calscipy_run("load_images", cal_tif, None, cold=True))
    for name, path in packed.items():  # decoded on both cores by both (tifffile's maxworkers=2, as imarray)
        task = f"TIFF {name} load (warm)"
        load(task, "imarray", f"ia.load(Path({str(path)!r}))", read_through(path))
        load(task, "tifffile.imread maxworkers=2", f"tifffile.imread(Path({str(path)!r}), maxworkers=2)",
             read_through(path))
    load("TIFF mmap", "imarray mmap=True", "ia.load(tif, mmap=True)")
    load("TIFF mmap", "tifffile.memmap", "tifffile.memmap(tif, mode='r')")

    save("raw save", "imarray (durable, CRC-32)", "ia.save(out_bin, stack)", clear_bin)
    save("raw save", "ndarray.tofile + fsync", "stack.tofile(out_bin); fsync_path(out_bin)", clear_bin)
    save("raw save", "imarray durable=False (CRC-32)", "ia.save(out_bin, stack, durable=False)", clear_bin)
    save("raw save", "imarray durable=False checksum=False",
         "ia.save(out_bin, stack, durable=False, checksum=False)", clear_bin)
    save("raw save", "ndarray.tofile", "stack.tofile(out_bin)", clear_bin)
    if with_calscipy:
        add("raw save", "CalSciPy save_binary", calscipy_run("save_binary", work / "calscipy" / "saved.bin", npy))

    fromfile = "np.fromfile(bin_, dtype=dtype).reshape(shape)"
    load("raw load (warm)", "imarray", "ia.load(bin_)", read_through(bin_))
    load("raw load (warm)", "imarray verify=True", "ia.load(bin_, verify=True)", read_through(bin_))
    load("raw load (warm)", "np.fromfile", fromfile, read_through(bin_))
    if with_calscipy:
        add("raw load (warm)", "CalSciPy load_binary",
            calscipy_run("load_binary", cal_bin, None, before=read_through(cal_bin)))
    if cold:
        load("raw load (cold)", "imarray", "ia.load(bin_)", drop_caches)
        load("raw load (cold)", "np.fromfile", fromfile, drop_caches)
    load("raw mmap", "imarray mmap=True", "ia.load(bin_, mmap=True)")
    load("raw mmap", "np.memmap", "np.memmap(bin_, dtype=dtype, mode='r', shape=shape)")

    files = len(list(folder.iterdir()))
    task = f"folder of {files} slices (warm)"
    listing = "files = sorted(folder.iterdir())\n"
    warm_folder = read_through(folder)
    load(task, "imarray", "ia.load(folder)", warm_folder)
    add(task, "tifffile.imread per file + np.stack",
        timed("np.stack([tifffile.imread(f) for f in files])", warm_folder, paths + listing))
    add(task, "tifffile.imread(list of files)", timed("tifffile.imread(files)", warm_folder, paths + listing))
    if with_calscipy:
        add(task, "CalSciPy load_images", calscipy_run("load_images", folder, None, before=warm_folder))
    return rows


COMPRESSED = {"zstd": "zstd", "deflate": "zlib"}  # row name -> tifffile's compression=

# (task, imarray row, peer row, minimum throughput ratio imarray/peer or None); loads: issue 16's targets
COMPARISONS = [
    ("TIFF save", "imarray (durable: fsync + rename)", "tifffile.imwrite + fsync", 0.9),
    ("TIFF save", "imarray durable=False", "tifffile.imwrite", 0.9),
    ("TIFF save", "imarray (durable: fsync + rename)", "tifffile.imwrite", None),
    ("TIFF save", "imarray durable=False", "CalSciPy save_images", 5.0),
    ("TIFF load (warm)", "imarray", "tifffile.imread", 1.3),
    ("TIFF load (warm)", "imarray", "CalSciPy load_images", 5.0),
    ("TIFF load (cold)", "imarray", "tifffile.imread", 1.0),
    *((f"TIFF {name} load (warm)", "imarray", "tifffile.imread maxworkers=2", 1.0) for name in COMPRESSED),
    ("raw save", "imarray (durable, CRC-32)", "ndarray.tofile + fsync", 0.9),
    ("raw save", "imarray durable=False checksum=False", "ndarray.tofile", 0.9),
    ("raw save", "imarray durable=False (CRC-32)", "ndarray.tofile", None),
    ("raw load (warm)", "imarray", "np.fromfile", 1.3),
    ("raw load (warm)", "imarray verify=True", "np.fromfile", None),
    ("raw load (cold)", "imarray", "np.fromfile", 1.0),
]


def prepare(stack: np.ndarray, work: Path, npy: Path, with_calscipy: bool) -> None:
    """Write the files the load rows read (every contender reads the same bytes)."""
    remove(work)
    (work / "calscipy").mkdir(parents=True)
    np.save(npy, stack)
    tifffile.imwrite(work / "stack.tif", stack)
    for name, compression in COMPRESSED.items():
        tifffile.imwrite(work / f"stack-{name}.tif", stack, compression=compression, maxworkers=2)
    ia.save(work / "stack.bin", stack, durable=False)
    folder = work / "slices"
    folder.mkdir()
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"slice_{index}.tif", plane)
    if with_calscipy:
        calscipy("save_images", work / "calscipy" / "images.tif", npy)
        calscipy("save_binary", work / "calscipy" / "binary_video.bin", npy)


PEAK = """
import json, sys, numpy as np, tifffile, imarray, imarray.api, imarray.formats.folder, imarray.formats.tiff
import imarray.formats.raw
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
base = status('VmRSS')
if sys.argv[2] == 'imarray':
    array = imarray.load(sys.argv[1])
else:
    from pathlib import Path
    array = np.concatenate([tifffile.imread(f) for f in sorted(Path(sys.argv[1]).glob('*.tif'))])
print(json.dumps({'growth': status('VmHWM') - base, 'nbytes': array.nbytes}))
"""


def peak_growth(path: Path, who: str = "imarray") -> float:
    """Peak resident growth (VmHWM) / the array's bytes of loading ``path`` in a fresh process: ``ia.load``, or
    (``who="tifffile"``) tifffile per file + np.concatenate."""
    measured = json.loads(subprocess.run([sys.executable, "-c", PEAK, str(path), who], capture_output=True,
                                         text=True, check=True).stdout)
    return measured["growth"] / measured["nbytes"]


def memcpy_bandwidth(nbytes: int, repeats: int = 5) -> float:
    """Bytes per second of one copy of ``nbytes`` between two touched arrays (one thread, as NumPy copies)."""
    code = f"""
import time, numpy as np
a = np.ones({nbytes}, np.uint8); b = np.ones({nbytes}, np.uint8)
best = min((lambda t: (np.copyto(b, a), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range({repeats}))
print(best)
"""
    return nbytes / float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                         check=True).stdout)


def import_time(repeats: int = 7) -> float:
    code = "import time; t = time.perf_counter(); import imarray; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(repeats)]
    return statistics.median(times)


def calscipy_damage(work: Path) -> list[tuple[str, str, str]]:
    """What CalSciPy's save_images/load_images returns for data imarray keeps exact."""
    cases = {
        "uint32 labels": np.array([[[5, 36, 70000, 3_000_000_000]]], dtype=np.uint32),
        "int8 -100..100": np.array([[[-100, -1, 0, 100]]], dtype=np.int8),
        "float64 0.1, 1e-300": np.array([[[0.1, 1e-300, -2.5, 1e300]]], dtype=np.float64),
        "bool": np.array([[[True, False, True, True]]]),
        "RGB uint8 (1 frame, pure red)": np.tile(np.array([255, 0, 0], np.uint8), (1, 2, 2, 1)),
    }
    rows = []
    for label, array in cases.items():
        npy = work / "damage.npy"
        np.save(npy, array)
        got = calscipy("damage", work / "calscipy" / "damage.tif", npy)
        ia.save(work / "damage.tif", array, photometric="rgb" if array.shape[-1] == 3 else None)
        back = ia.load(work / "damage.tif")
        ours = "exact" if back.dtype == array.dtype and np.array_equal(back, array) else "CHANGED"
        if "error" in got:
            theirs = f"raises {got['error']}"
        else:
            theirs = (f"{got['dtype']} {tuple(got['shape'])}, first values {got['first_values']}"
                      + (" (exact)" if got["exact"] else ""))
        rows.append((f"{label}: {array.dtype} {array.shape}, first values {array.reshape(-1)[:4].tolist()}",
                     theirs, ours))
    return rows


# ---------------------------------------------------------------- reporting
def versions(with_calscipy: bool) -> str:
    import PIL

    ours = (f"Python {platform.python_version()}, numpy {np.__version__}, tifffile {tifffile.__version__}, "
            f"Pillow {PIL.__version__}, imarray {git_commit()}")
    if not with_calscipy:
        return ours
    code = ("import importlib.metadata as m, cv2, PIL, tifffile, numpy; "
            "print(f'CalSciPy {m.version(\"calscipy\")}, opencv {cv2.__version__}, Pillow {PIL.__version__}, "
            "tifffile {tifffile.__version__}, numpy {numpy.__version__}')")
    theirs = subprocess.run([str(CALSCIPY_PYTHON), "-c", code], capture_output=True, text=True).stdout.strip()
    return f"{ours}; CalSciPy env: {theirs}"


def report(rows: list[Contender], stack: np.ndarray, repeats: int, memory: dict, seconds_import: float,
           damage: list, notes: list[str], with_calscipy: bool, cold: bool, memcpy: float,
           peaks: dict[str, float]) -> str:
    gb = stack.nbytes / 1e9
    by_key = {(row.task, row.name): row for row in rows}
    lines = [
        f"## bench_io: TIFF, raw and folder I/O ({datetime.date.today().isoformat()})",
        "",
        f"- Machine: {machine()}",
        f"- Versions: {versions(with_calscipy)}",
        f"- Data: {' x '.join(map(str, stack.shape))} {stack.dtype} ({gb:.2f} GB), random 12-bit values; "
        f"median of {repeats} repeats; within a repeat each task's contenders run in turn, the first one "
        "rotating, after an untimed `sync`; every run in a fresh process (imports and loading the stack untimed); "
        + ("cold rows drop the page cache before each repeat." if cold else "no cold rows (needs root)."),
        "- Durable rows flush the file and its folder to disk (fsync), as `ia.save` does by default; "
        "the disk takes about 1 GB/s here, so every durable row is bound by it. Save rows write a new file "
        "(the old one is deleted untimed).",
        "",
        "| task | contender | median | throughput |",
        "| --- | --- | ---: | ---: |",
    ]
    for row in rows:
        fast = row.median < 0.01
        timing = f"{row.median * 1e3:.2f} ms" if fast else f"{row.median:.3f} s"
        rate = "(no read)" if fast else f"{gb / row.median:.2f} GB/s"
        lines.append(f"| {row.task} | {row.name} | {timing} | {rate} |")
    lines += ["", "### Ratios (imarray throughput / peer throughput, same run)", "",
              "| task | imarray | peer | ratio | target |", "| --- | --- | --- | ---: | --- |"]
    for task, ours, peer, target in COMPARISONS:
        if (task, ours) not in by_key or (task, peer) not in by_key:
            continue
        ratio = by_key[(task, peer)].median / by_key[(task, ours)].median
        verdict = "(context)" if target is None else f"≥ {target:g}: {'met' if ratio >= target else 'MISSED'}"
        lines.append(f"| {task} | {ours} | {peer} | {ratio:.2f} | {verdict} |")
    mmap_ms = by_key[("raw mmap", "imarray mmap=True")].median * 1e3
    tif_mmap_ms = by_key[("TIFF mmap", "imarray mmap=True")].median * 1e3
    lines += ["", "### Other targets", "",
              "| measure | value | target |", "| --- | ---: | --- |",
              f"| raw `mmap=True` load | {mmap_ms:.2f} ms | < 10 ms: {'met' if mmap_ms < 10 else 'MISSED'} |",
              f"| TIFF `mmap=True` load | {tif_mmap_ms:.2f} ms | < 10 ms: {'met' if tif_mmap_ms < 10 else 'MISSED'} |"]
    lines.append(f"| memcpy (np.copyto of {gb:.2f} GB between touched arrays, one thread, best of 5) | "
                 f"{memcpy / 1e9:.2f} GB/s | (the machine's copy speed) |")
    for task in ("TIFF load (warm)", "raw load (warm)"):
        if (task, "imarray") in by_key:
            fraction = gb * 1e9 / by_key[(task, "imarray")].median / memcpy
            lines.append(f"| {task}, imarray, as a fraction of memcpy's bandwidth | {fraction:.0%} | (context) |")
    for label, ratio in peaks.items():
        lines.append(f"| `ia.load` of the {label}, peak memory growth / data | {ratio:.2f}x | "
                     f"1.0x (within 10%: strip decoding buffers): {'met' if ratio < 1.1 else 'MISSED'} |")
    for who, ratio in memory.items():
        target = f"< 1.2x: {'met' if ratio < 1.2 else 'MISSED'}" if who == "imarray" else "(context)"
        lines.append(f"| series of 256 MB files, peak memory growth / data, {who} | {ratio:.2f}x | {target} |")
    lines.append(f"| `import imarray` (fresh process, median of 7) | {seconds_import * 1e3:.1f} ms | "
                 f"< 150 ms: {'met' if seconds_import < 0.15 else 'MISSED'} |")
    if damage:
        lines += ["", "### What CalSciPy's save_images/load_images returns (same data through imarray: last column)",
                  "", "| saved | CalSciPy returns | imarray |", "| --- | --- | --- |"]
        lines += [f"| {saved} | {theirs} | {ours} |" for saved, theirs, ours in damage]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 frames, 3 repeats, print only")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--no-calscipy", action="store_true", help="skip CalSciPy even if its environment exists")
    parser.add_argument("--only", nargs="+", metavar="TASK", help="re-run the tasks whose names contain these "
                        "words (e.g. 'raw save' 'cold'); prints the rows, writes nothing")
    args = parser.parse_args(argv)
    frames, repeats = (100, 3) if args.quick else (args.frames, args.repeats)
    with_calscipy = CALSCIPY_PYTHON.exists() and not args.no_calscipy
    if not with_calscipy:
        print("CalSciPy rows skipped: run `make bench-env` to create benchmarks/.venv-calscipy", file=sys.stderr)
    cold = can_drop_caches()
    stack = np.random.default_rng(2).integers(0, 4096, (frames, 512, 1024), dtype=np.uint16)
    work, npy = DATA / "io", DATA / "stack.npy"
    DATA.mkdir(exist_ok=True)
    print(f"preparing {stack.nbytes / 1e9:.2f} GB of files in {work} ...", file=sys.stderr)
    prepare(stack, work, npy, with_calscipy)
    rows = contenders(stack, work, npy, with_calscipy, cold)
    if args.only:
        rows = [row for row in rows if any(word in row.task for word in args.only)]
    tasks: dict[str, list[Contender]] = {}
    for row in rows:
        tasks.setdefault(row.task, []).append(row)
    for repeat in range(repeats):
        for group in tasks.values():  # each contender of a task goes first in turn
            shift = repeat % len(group)
            for row in group[shift:] + group[:shift]:
                row.seconds.append(row.run())
        print(f"repeat {repeat + 1}/{repeats} done", file=sys.stderr)
    if args.only:
        for row in rows:
            print(f"| {row.task} | {row.name} | {row.median:.3f} s | every run: "
                  f"{', '.join(f'{t:.3f}' for t in row.seconds)} |")
        remove(work, npy)
        return
    series = ia.save(work / "series.tif", stack, size_cap="256MB", durable=False)
    memory = {who: peak_growth(series, who.split()[0]) for who in ("imarray", "tifffile per file + np.concatenate")}
    damage, notes = [], []
    if with_calscipy:
        damage = calscipy_damage(work)
        in_order = calscipy("load_images", work / "slices", npy)["exact"]
        notes.append(f"CalSciPy's folder load {'kept' if in_order else 'did not keep'} the slice order "
                     "(it globs without sorting); imarray sorts naturally (slice_2 before slice_10).")
    peaks = {label: peak_growth(work / name) for label, name in
             (("uncompressed TIFF", "stack.tif"), ("zstd TIFF", "stack-zstd.tif"), ("raw binary", "stack.bin"))}
    text = report(rows, stack, repeats, memory, import_time(), damage, notes, with_calscipy, cold,
                  memcpy_bandwidth(stack.nbytes), peaks)
    print(text)
    if not args.quick:
        write_section(text, SECTION)
        print(f"written to {RESULTS}", file=sys.stderr)
    remove(work, npy)


if __name__ == "__main__":
    main()
