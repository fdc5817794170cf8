"""Command line: ``imarray info``, ``imarray convert``, ``imarray formats``, ``imarray demo``.

Errors imarray raises on purpose are printed as one line with their hint and
exit with status 2; progress bars appear only on a terminal.
``imarray convert slices/ volume.zarr --chunks 64,256,256 [--scheduler ADDRESS]``
streams chunk by chunk (lazy load, streamed save), on a dask.distributed
cluster when an address is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path


def _scale(text: str | None):
    if text is None or text in ("clip", "minmax"):
        return text
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale takes clip, minmax or LO,HI; got {text!r}") from None
    return (low, high)


def _chunks(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--chunks takes sizes like 64,256,256; got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imarray", description="Scientific images as exact NumPy arrays.")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="describe a file or folder without reading pixels")
    info.add_argument("path", type=Path)
    info.add_argument("--json", action="store_true", help="machine-readable output")

    convert = commands.add_parser("convert", help="load IN and save OUT, exactly unless asked otherwise")
    convert.add_argument("source", type=Path, metavar="IN")
    convert.add_argument("target", type=Path, metavar="OUT")
    convert.add_argument("--dtype", help="exact cast (refused if a value does not fit) or scale target")
    convert.add_argument("--scale", help="clip, minmax or LO,HI: map values onto --dtype on request")
    convert.add_argument("--compression", help="TIFF compression: zlib, zstd, lzw, lzma")
    convert.add_argument("--size-cap", help="TIFF: split into files of at most this size, e.g. 3.9GB")
    convert.add_argument("--axes", help="axis letters from tzcyx, one per dimension")
    convert.add_argument("--no-fsync", dest="durable", action="store_false",
                         help="skip flushing to disk (faster; the rename is still atomic)")
    convert.add_argument("--lazy", action="store_true",
                         help="stream chunk by chunk (dask extra); chosen by itself for data over a quarter of RAM")
    convert.add_argument("--chunks", type=_chunks, help="Zarr chunk shape, e.g. 64,256,256 (implies --lazy)")
    convert.add_argument("--pyramid", action="store_true", help="OME-Zarr: add levels downsampled by 2")
    convert.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on this dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 (implies --lazy)")

    commands.add_parser("formats", help="list the formats and the dtypes each holds exactly")

    demo = commands.add_parser("demo", help="save and load a uint32 label stack every lossless way")
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``imarray`` command."""
    args = _parser().parse_args(argv)
    from .errors import ImarrayError

    try:
        return _run(args)
    except ImarrayError as err:
        print(f"imarray: error: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from . import api

    if args.command == "info":
        described = api.info(args.path)
        print(json.dumps(described.as_dict(), indent=2) if args.json else described)
        return 0
    if args.command == "convert":
        try:
            scale = _scale(args.scale)
        except argparse.ArgumentTypeError as err:
            print(f"imarray: error: {err}", file=sys.stderr)
            return 2
        with _scheduler(args.scheduler):
            lazy = bool(args.lazy or args.chunks or args.scheduler) or _bigger_than_memory(args.source)
            array = api.load(args.source, lazy=True) if lazy else api.load(args.source, progress=True)
            written = api.save(
                args.target, array, dtype=args.dtype, scale=scale, compression=args.compression,
                size_cap=args.size_cap, axes=args.axes, chunks=args.chunks, pyramid=args.pyramid or None,
                progress=True, durable=args.durable,
            )
        streamed = ", streamed" if lazy else ""
        print(f"{args.source} -> {written}  ({array.dtype}, {'x'.join(map(str, array.shape))}{streamed})")
        return 0
    if args.command == "formats":
        from .registry import FORMATS

        for spec in FORMATS:
            exts = " ".join(spec.extensions) or "(format= only)"
            kind = "lossy" if spec.lossy else "exact"
            print(f"{spec.name:<9} {exts:<28} {kind}: {', '.join(spec.dtypes)}")
        return 0
    from . import demo

    return 0 if demo.run(args.out) else 1


def _bigger_than_memory(source: Path) -> bool:
    """Whether the pixels of ``source`` exceed a quarter of this machine's memory (dask installed)."""
    import importlib.util
    import os

    from . import api

    if importlib.util.find_spec("dask") is None:
        return False
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return False
    return api.info(source).nbytes > memory // 4


@contextlib.contextmanager
def _scheduler(address: str | None) -> Iterator[None]:
    """Connect to a running dask.distributed scheduler for the block (imarray starts no cluster)."""
    if address is None:
        yield
        return
    from ._optional import import_optional

    distributed = import_optional("distributed", extra="distributed", purpose="--scheduler")
    with distributed.Client(address):
        yield


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
