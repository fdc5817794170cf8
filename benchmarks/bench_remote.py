"""Issue 12 benchmark: bytes moved to read one 2 MiB plane of a 1 GB remote TIFF or Zarr store.

The server is the test suite's Range-honouring HTTP server (tests/servers.py) on 127.0.0.1,
which counts the body bytes it sends. Three 1 GB stores of 512 planes of 1024 x 1024 uint16:
a TIFF written by tifffile in one contiguous series (its IFDs together), a TIFF with one
IFD before each plane (as a writer that appends page by page leaves it), and a Zarr v3 array
chunked one plane per chunk, served over HTTP and from moto's S3 server. Plane 256 is read
through ``imarray.sources`` and, in the same run, through fsspec + tifffile/zarr written by hand
with their defaults. The target (issue 12):
less than 3 x the plane's bytes plus headers.

Usage::

    python benchmarks/bench_remote.py            # rewrites its section of RESULTS.md
    python benchmarks/bench_remote.py --quick    # 64 planes (128 MB), prints only
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import fsspec
import numpy as np
import tifffile
import zarr

from _report import git_commit, machine, write_section
from imarray.sources import READ_BLOCK, as_source

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from servers import moto_server, range_server  # noqa: E402 - the test helpers live in tests/

SECTION = ("<!-- bench_remote:start -->", "<!-- bench_remote:end -->")
SHAPE = (1024, 1024)
PLANE = 2 * SHAPE[0] * SHAPE[1]


def write_stores(root: Path, planes: int) -> None:
    plane = np.arange(SHAPE[0] * SHAPE[1], dtype=np.uint16).reshape(SHAPE)
    with tifffile.TiffWriter(root / "contiguous.tif") as tif:
        tif.write(shape=(planes, *SHAPE), dtype=np.uint16, photometric="minisblack")
    with tifffile.TiffFile(root / "contiguous.tif") as tif:
        offset = tif.series[0].dataoffset
    data = np.memmap(root / "contiguous.tif", np.uint16, "r+", offset=offset, shape=(planes, *SHAPE))
    for i in range(planes):
        data[i] = plane + i
    data.flush()
    del data
    with tifffile.TiffWriter(root / "interleaved.tif") as tif:
        for i in range(planes):
            tif.write(plane + i, contiguous=False, photometric="minisblack")
    store = zarr.create_array(str(root / "planes.zarr"), shape=(planes, *SHAPE), dtype=np.uint16,
                              chunks=(1, *SHAPE), compressors=None)
    for i in range(planes):
        store[i] = plane + i


def tiff_imarray(url: str, options: dict, index: int) -> np.ndarray:
    with as_source(url, storage_options=options or None).open() as handle, tifffile.TiffFile(handle) as tif:
        return tif.pages[index].asarray()


def tiff_by_hand(url: str, options: dict, index: int) -> np.ndarray:
    with fsspec.open(url, "rb", **options) as handle, tifffile.TiffFile(handle) as tif:
        return tif.pages[index].asarray()


def zarr_imarray(url: str, options: dict, index: int) -> np.ndarray:
    return zarr.open_array(as_source(url, storage_options=options or None).zarr_store(), mode="r")[index]


def zarr_by_hand(url: str, options: dict, index: int) -> np.ndarray:
    return zarr.open_array(url, mode="r", storage_options=options or None)[index]


def measure(read: Callable[[str, dict, int], np.ndarray], url: str, options: dict, index: int,
            counter: Callable[[], int], reset: Callable[[], None]) -> dict:
    reset()
    start = time.perf_counter()
    plane = read(url, options, index)
    seconds = time.perf_counter() - start
    expected = (np.arange(SHAPE[0] * SHAPE[1], dtype=np.uint16).reshape(SHAPE) + index).astype(np.uint16)
    assert np.array_equal(plane, expected), f"{read.__name__} read the wrong plane of {url}"
    return {"planes": counter() / PLANE, "bytes": counter(), "seconds": seconds}


STORES = [
    ("TIFF, tifffile contiguous series", "contiguous.tif", tiff_imarray, tiff_by_hand),
    ("TIFF, one IFD before each plane", "interleaved.tif", tiff_imarray, tiff_by_hand),
    ("Zarr v3, one plane per chunk", "planes.zarr", zarr_imarray, zarr_by_hand),
]
READERS = ("imarray.sources", "fsspec + tifffile/zarr by hand")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 planes, print only")
    args = parser.parse_args()
    planes = 64 if args.quick else 512
    index = planes // 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as folder:
        root = Path(folder)
        write_stores(root, planes)
        size = (root / "contiguous.tif").stat().st_size
        with range_server(root) as server:
            # warm up: the first request of each stack starts its event loop and HTTP session
            as_source(f"{server.url}/planes.zarr/zarr.json").head()
            fsspec.open(f"{server.url}/planes.zarr/zarr.json", "rb").open().read(1)
            for label, name, *readers in STORES:
                for who, read in zip(READERS, readers, strict=True):
                    m = measure(read, f"{server.url}/{name}", {}, index, server.total_sent, server.reset)
                    rows.append(("HTTP", label, who, m))
        with moto_server() as s3:
            fs = fsspec.filesystem("s3", skip_instance_cache=True, **s3.storage_options)
            fs.put(str(root / "planes.zarr"), f"{s3.bucket}/planes.zarr", recursive=True)
            for _, name, *_ in STORES[:2]:
                fs.put_file(str(root / name), f"{s3.bucket}/{name}")
            options = s3.counted_options
            as_source(f"s3://{s3.bucket}/planes.zarr/zarr.json", storage_options=options).head()
            fsspec.open(f"s3://{s3.bucket}/planes.zarr/zarr.json", "rb", **options).open().read(1)
            for label, name, *readers in STORES:
                for who, read in zip(READERS, readers, strict=True):
                    m = measure(read, f"s3://{s3.bucket}/{name}", options, index,
                                lambda: s3.proxy.received, s3.proxy.reset)
                    rows.append(("S3 (moto)", label, who, m))
    lines = [
        f"## bench_remote: one plane of a {size / 1e9:.1f} GB remote store, HTTP and S3 ({datetime.date.today()})",
        "",
        f"Machine: {machine()}. Commit {git_commit()}. Servers on 127.0.0.1 from tests/servers.py: the",
        "Range-honouring HTTP server counts body bytes; moto's S3 server is reached through a TCP proxy",
        f"that counts every byte sent back (HTTP headers too). {planes} planes of 1024 x 1024 uint16",
        f"(2 MiB each); plane {index} read. imarray's read-ahead: {READ_BLOCK // 1024} KiB. Target: < 3 planes",
        "of bytes plus headers. Seconds are one cold read each, on loopback (no network latency); on S3",
        "they are moto's (about 1 s per range request into a 1 GB object here), not the client's.",
        "",
        "| server | store | reader | bytes sent | in planes | seconds |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {where} | {label} | {who} | {m['bytes']:,} | {m['planes']:.2f} | {m['seconds']:.2f} |"
              for where, label, who, m in rows]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        write_section(text, SECTION)


if __name__ == "__main__":
    main()
