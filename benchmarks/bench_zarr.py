"""Issue 16 benchmark: Zarr codecs and shards, size against speed, against zarr's own defaults (same run).

Data: a uint16 stack that looks like a microscope's (a smooth field with
Poisson noise), chunks (16, 256, 256). Each row writes the stack with
``ia.save(..., compression=...)`` (durable=False, like zarr), reads it back
with ``ia.load``, and measures the store's bytes on disk. zarr's row is
``zarr.create_array(...)`` with zarr's default codec (zstd level 0, no
checksum) and ``zarr_array[...]`` to read. Best of ``--repeats``.

Usage::

    python benchmarks/bench_zarr.py           # 512 MiB, rewrites its section of RESULTS.md
    python benchmarks/bench_zarr.py --quick   # 64 MiB, prints only
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
from pathlib import Path

import numpy as np

from _report import best, git_commit, machine, publish

HERE = Path(__file__).resolve().parent
SECTION = ("<!-- bench_zarr:start -->", "<!-- bench_zarr:end -->")
CHUNKS = (16, 256, 256)
ROWS = [("zstd (imarray's default)", {}), ("zstd:5", {"compression": "zstd:5"}), ("gzip:6", {"compression": "gzip:6"}),
        ("blosc-lz4", {"compression": "blosc-lz4"}), ("blosc-zstd", {"compression": "blosc-zstd"}),
        ("none", {"compression": "none"}), ("zstd, shards (64, 1024, 1024)", {"shards": (64, 1024, 1024)})]


def stack(planes: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:1024, 0:1024]
    field = 800 + 600 * np.sin(x / 90.0) * np.cos(y / 70.0)
    return np.stack([rng.poisson(field * (1 + 0.01 * k)).astype(np.uint16) for k in range(planes)])


def size_of(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file())



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / ".data" / "zarr")
    args = parser.parse_args()
    import zarr

    import imarray as ia

    data = stack(32 if args.quick else 256)
    args.data.mkdir(parents=True, exist_ok=True)
    target = args.data / "bench.zarr"
    results = []

    def zarr_write() -> None:
        shutil.rmtree(target, ignore_errors=True)
        zarr.create_array(str(target), shape=data.shape, dtype=data.dtype, chunks=CHUNKS)[...] = data

    write = best(zarr_write, args.repeats)[0]
    read = best(lambda: zarr.open_array(str(target), mode="r")[...], args.repeats)[0]
    results.append(("zarr.create_array, zarr's default (zstd, no checksum)", write, read, size_of(target)))
    for name, options in ROWS:
        def ours(options: dict = options) -> None:
            shutil.rmtree(target, ignore_errors=True)
            ia.save(target, data, chunks=CHUNKS, durable=False, **options)

        write = best(ours, args.repeats)[0]
        read = best(lambda: ia.load(target), args.repeats)[0]
        assert np.array_equal(ia.load(target), data)
        results.append((name, write, read, size_of(target)))
    shutil.rmtree(target, ignore_errors=True)
    base_write, base_read = results[0][1], results[0][2]
    table = ["| codec | write s | read s | size MiB | % of raw | write vs zarr | read vs zarr |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, write, read, size in results:
        table.append(f"| {name} | {write:.2f} | {read:.2f} | {size / 2**20:.0f} | {100 * size / data.nbytes:.0f}% | "
                     f"{base_write / write:.2f}x | {base_read / read:.2f}x |")
    text = "\n".join([
        f"## bench_zarr: codecs and shards, {data.nbytes / 2**20:.0f} MiB uint16, chunks {CHUNKS} (issue 16)",
        "",
        f"{machine()}; commit {git_commit()}; {datetime.date.today()}; best of {args.repeats}; 1-minute load "
        f"average {os.getloadavg()[0]:.1f} at the end (ratios from one run). Every imarray row adds a crc32c per "
        "chunk; 'x' columns: zarr's time over imarray's (above 1: imarray faster).",
        "",
        *table,
    ])
    publish(text, SECTION, quick=args.quick)


if __name__ == "__main__":
    main()
