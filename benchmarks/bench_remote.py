"""Issue 12 benchmark: bytes moved to read one 2 MiB plane of a 1 GiB TIFF and of a 1 GiB Zarr store, remotely.

Servers on 127.0.0.1, started here: the test suite's Range-honouring HTTP server
(``tests/servers.py``) and moto's S3 server, each behind the tests' counting TCP
proxy, which counts every byte sent to the client (HTTP headers included). Contenders, same run:

- imarray: ``ia.info(url)``; ``ia.load(url, lazy=True)[k].compute()``
- by hand: ``fsspec.open(url)`` + ``tifffile.TiffFile(f).pages[k].asarray()``;
  ``zarr.open_array(FsspecStore)[k]``

The data are random uint16 (Zarr chunks one plane, zstd, which cannot shrink them).

Usage::

    python benchmarks/bench_remote.py          # rewrites its section of RESULTS.md
    python benchmarks/bench_remote.py --quick  # 64 MiB, prints only
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

from _report import git_commit, machine, publish

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
SECTION = ("<!-- bench_remote:start -->", "<!-- bench_remote:end -->")
PLANE = (1024, 1024)
PLANE_BYTES = 2 * PLANE[0] * PLANE[1]


def measure(proxy, action) -> int:
    """Bytes ``proxy`` relays from its server while ``action`` runs."""
    before = proxy.received
    action()
    return proxy.received - before


def make_data(folder: Path, planes: int) -> np.ndarray:
    import imarray as ia

    folder.mkdir(parents=True, exist_ok=True)
    stack = np.random.default_rng(0).integers(0, 65535, (planes, *PLANE), dtype=np.uint16)
    ia.save(folder / "stack.tif", stack, durable=False)
    ia.save(folder / "stack.zarr", stack, chunks=(1, *PLANE), durable=False)
    return stack


def contenders(tif_url: str, zarr_url: str, options: dict, plane: int, stack: np.ndarray) -> dict:
    import fsspec
    import tifffile
    import zarr
    from zarr.storage import FsspecStore

    import imarray as ia

    def by_hand_tiff():
        with fsspec.open(tif_url, "rb", **options) as handle, tifffile.TiffFile(handle) as tif:
            assert np.array_equal(tif.pages[plane].asarray(), stack[plane])

    def by_hand_zarr():
        store = FsspecStore.from_url(zarr_url, storage_options=options, read_only=True)
        assert np.array_equal(zarr.open_array(store, mode="r")[plane], stack[plane])

    def imarray_tiff():
        assert np.array_equal(ia.load(tif_url, lazy=True, storage_options=options)[plane].compute(), stack[plane])

    def imarray_zarr():
        assert np.array_equal(ia.load(zarr_url, lazy=True, storage_options=options)[plane].compute(), stack[plane])

    return {
        "TIFF: info (headers only)": (lambda: ia.info(tif_url, storage_options=options), None),
        "TIFF: one plane": (imarray_tiff, by_hand_tiff),
        "Zarr: info (headers only)": (lambda: ia.info(zarr_url, storage_options=options), None),
        "Zarr: one plane": (imarray_zarr, by_hand_zarr),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data", type=Path, default=HERE / ".data" / "remote")
    args = parser.parse_args()
    planes = 32 if args.quick else 512
    stack = make_data(args.data, planes)
    plane = planes // 2

    import fsspec
    import s3fs

    from servers import CountingProxy, moto_server, range_server

    rows = []
    with range_server(args.data) as http, moto_server("bench") as s3:
        http_relay = CountingProxy(int(http.url.rsplit(":", 1)[1]))
        s3_relay = CountingProxy(int(s3.endpoint.rsplit(":", 1)[1]))
        direct = s3fs.S3FileSystem(skip_instance_cache=True, **s3.storage_options)
        direct.put(str(args.data / "stack.tif"), "bench/stack.tif")
        direct.put(str(args.data / "stack.zarr"), "bench/stack.zarr", recursive=True)
        s3_options = {**s3.storage_options, "client_kwargs": {**s3.storage_options["client_kwargs"],
                                                              "endpoint_url": s3_relay.url}}
        places = {
            "HTTP": (f"{http_relay.url}/stack.tif", f"{http_relay.url}/stack.zarr", {}, http_relay),
            "S3": ("s3://bench/stack.tif", "s3://bench/stack.zarr", s3_options, s3_relay),
        }
        for place, (tif_url, zarr_url, options, relay) in places.items():
            for name, (ours, theirs) in contenders(tif_url, zarr_url, options, plane, stack).items():
                fsspec.config.conf.clear()
                ours_bytes = measure(relay, ours)
                theirs_bytes = measure(relay, theirs) if theirs else None
                rows.append((place, name, ours_bytes, theirs_bytes))
        http_relay.stop()
        s3_relay.stop()

    total = stack.nbytes
    table = ["| where | read | imarray bytes | x plane | by hand (fsspec + tifffile/zarr) | x plane |",
             "| --- | --- | --- | --- | --- | --- |"]
    for place, name, ours, theirs in rows:
        by_hand = "" if theirs is None else f"{theirs:,} | {theirs / PLANE_BYTES:.2f}"
        table.append(f"| {place} | {name} | {ours:,} | {ours / PLANE_BYTES:.2f} | {by_hand or '- | -'} |")
    text = "\n".join([
        f"## bench_remote: one {PLANE_BYTES >> 20} MiB plane of a {total / 2**30:.2f} GiB TIFF and Zarr store "
        "(issue 12)",
        "",
        f"{machine()}; commit {git_commit()}; {datetime.date.today()}. Bytes the server sent the client, HTTP "
        "headers included, counted by a TCP relay; plane "
        f"{plane} of {planes}; Zarr chunks are one plane (zstd of random data: no smaller).",
        "",
        *table,
    ])
    publish(text, SECTION, quick=args.quick)


if __name__ == "__main__":
    main()
