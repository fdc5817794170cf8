"""Command line: ``imarray info``, ``imarray convert``, ``imarray formats``, ``imarray demo``.

Errors imarray raises on purpose are printed as one line with their hint and
exit with status 2; progress bars appear only on a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _scale(text: str | None):
    if text is None or text in ("clip", "minmax"):
        return text
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale takes clip, minmax or LO,HI; got {text!r}") from None
    return (low, high)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imarray", description="Scientific images as exact NumPy arrays.")
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser("info", help="describe a file or folder without reading pixels")
    info.add_argument("path", type=Path)
    info.add_argument("--json", action="store_true", help="machine-readable output")

    convert = commands.add_parser(
        "convert", help="read IN and write OUT exactly unless asked otherwise, with spacing and kind where OUT has room"
    )
    convert.add_argument("source", type=Path, metavar="IN")
    convert.add_argument("target", type=Path, metavar="OUT")
    convert.add_argument("--dtype", help="exact cast (refused if a value does not fit) or scale target")
    convert.add_argument("--scale", help="clip, minmax or LO,HI: map values onto --dtype on request")
    convert.add_argument("--compression", help="TIFF compression: zlib, zstd, lzw, lzma")
    convert.add_argument("--size-cap", help="TIFF: split into files of at most this size, e.g. 3.9GB")
    convert.add_argument("--axes", help="axis letters from tzcyx, one per dimension")
    convert.add_argument("--frame-rate", type=float, help="video and GIF: frames per second (default 30)")
    convert.add_argument("--loop", type=int, help="GIF: repeat count, 0 (default) is forever")
    convert.add_argument("--quantize", action="store_true", default=None,
                         help="GIF: reduce frames of more than 256 colours to a palette (lossy)")
    convert.add_argument("--crf", type=int, help="MP4: H.264 quality 0..51, lower is better (default 17)")
    convert.add_argument("--no-fsync", dest="durable", action="store_false",
                         help="skip flushing to disk (faster; the rename is still atomic)")

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
        image = api.read(args.source, progress=True)  # geometry and pixel kind travel where OUT has room
        written = api.write(
            args.target, image, dtype=args.dtype, scale=scale, compression=args.compression,
            size_cap=args.size_cap, axes=args.axes, frame_rate=args.frame_rate, loop=args.loop,
            quantize=args.quantize, crf=args.crf, progress=True, durable=args.durable,
        )
        print(f"{args.source} -> {written}  ({image.dtype}, {'x'.join(map(str, image.shape))})")
        return 0
    if args.command == "formats":
        from .registry import FORMATS

        for spec in FORMATS:
            exts = " ".join(spec.extensions) or "(format= only)"
            kind = "lossy" if spec.lossy else "exact"
            extra = f"  [pip install 'imarray[{spec.extra}]']" if spec.extra else ""
            print(f"{spec.name:<9} {exts:<28} {kind}: {', '.join(spec.dtypes)}{extra}")
        return 0
    from . import demo

    return 0 if demo.run(args.out) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
