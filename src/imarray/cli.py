"""Command line: ``imarray info``, ``imarray convert``, ``imarray clean``, ``imarray formats``, ``imarray digitize``,
``imarray demo``.

Every error is one line on stderr. Exit status 2 is a usage error (an unknown
option, a bad option value, an option the target format does not take), 1 a
failure (a missing or damaged file, a refusal to change values, a full disk),
0 success; ``--traceback`` shows the Python traceback of a failure. Hints name
command-line flags (``--scale minmax``), not the keyword arguments of the
library (``scale='minmax'``). A reader that stops early
(``imarray info x.tif | head``) ends the command quietly. Progress bars appear
only on a terminal.
``imarray convert slices/ volume.zarr --chunks 64,256,256 [--scheduler ADDRESS]``
streams chunk by chunk (lazy load, streamed save), on a dask.distributed
cluster when an address is given.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path

if typing.TYPE_CHECKING:  # pragma: no cover
    from .registry import FormatSpec

USAGE = 2  # exit status of a usage error, as argparse's own
FAILURE = 1


class _Parser(argparse.ArgumentParser):
    """argparse with a usage error in one line (``imarray: error: ...; see imarray convert --help``)."""

    subcommands: Mapping[str, argparse.ArgumentParser]  # name -> its parser, for writing hints as its flags

    def error(self, message: str) -> typing.NoReturn:
        self.exit(USAGE, f"imarray: error: {' '.join(message.split())}; see {self.prog} --help\n")


def _scale(text: str):
    if text in ("clip", "minmax"):
        return text
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale takes clip, minmax or LO,HI; got {text!r}") from None
    return (low, high)


def _dtype(text: str) -> str:
    from .registry import ALL_DTYPES

    if text not in ALL_DTYPES:
        raise argparse.ArgumentTypeError(f"--dtype takes one of {', '.join(ALL_DTYPES)}; got {text!r}")
    return text


def _chunks(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--chunks takes sizes like 64,256,256; got {text!r}") from None


def _format_names() -> list[str]:
    from .registry import FORMATS

    return [spec.name for spec in FORMATS]


def _parser() -> _Parser:
    from . import __version__

    parser = _Parser(prog="imarray", description="Scientific images as exact NumPy arrays.")
    parser.add_argument("--version", action="version", version=f"imarray {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the Python traceback of a failure")
    commands = parser.add_subparsers(dest="command", required=True)
    parser.subcommands = commands.choices  # name -> its parser, for writing hints as its flags
    formats = _format_names()

    info = commands.add_parser("info", help="describe files or folders without reading pixels")
    info.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or URLs (s3://, https://, ...)")
    info.add_argument("--json", action="store_true",
                      help="machine-readable output: one JSON object per PATH and line (an \"error\" key if it failed)")
    info.add_argument("--format", choices=formats, help="read PATH as this format instead of detecting it")

    clean = commands.add_parser(
        "clean", help="finish an interrupted save of PATH and remove temporaries that killed saves left beside it")
    clean.add_argument("path", type=Path)
    clean.add_argument("--force", action="store_true",
                       help="also remove temporaries whose owner cannot be known (another host, older imarray)")

    convert = commands.add_parser(
        "convert", help="read IN and write OUT exactly unless asked otherwise, with spacing and kind where OUT has room"
    )
    convert.add_argument("source", metavar="IN", help="a file, folder or URL")
    convert.add_argument("target", metavar="OUT", help="a file or URL (s3://...)")
    convert.add_argument("--format", choices=formats,
                         help="format of OUT instead of its extension's (imagej: an ImageJ hyperstack .tif)")
    convert.add_argument("--input-format", choices=formats, help="read IN as this format instead of detecting it")
    convert.add_argument("--dtype", type=_dtype, help="exact cast (refused if a value does not fit) or scale target")
    convert.add_argument("--scale", type=_scale, help="clip, minmax or LO,HI: map values onto --dtype on request")
    convert.add_argument("--compression", help="TIFF: zlib, zstd, lzw, lzma; Zarr: zstd, gzip, blosc-lz4, blosc-zstd, "
                         "none (a level after ':', e.g. zstd:5)")
    convert.add_argument("--size-cap", help="TIFF: split into files of at most this size, e.g. 3.9GB")
    convert.add_argument("--axes", help="axis letters from tzcyx, one per dimension")
    convert.add_argument("--frame-rate", type=float, help="video and GIF: frames per second (default 30)")
    convert.add_argument("--loop", type=int, help="GIF: repeat count, 0 (default) is forever")
    convert.add_argument("--quantize", action="store_true", default=None,
                         help="GIF: reduce frames of more than 256 colours to a palette (lossy)")
    convert.add_argument("--crf", type=int, help="MP4: H.264 quality 0..51, lower is better (default 17)")
    convert.add_argument("--no-fsync", dest="durable", action="store_false",
                         help="skip flushing to disk (faster; the rename is still atomic)")
    convert.add_argument("--lazy", action="store_true",
                         help="stream chunk by chunk (dask extra); chosen by itself for data over a quarter of RAM")
    convert.add_argument("--chunks", type=_chunks, help="Zarr chunk shape, e.g. 64,256,256 (implies --lazy)")
    convert.add_argument("--shards", type=_chunks, help="Zarr shard shape, whole chunks each, e.g. 64,1024,1024")
    convert.add_argument("--pyramid", action="store_true", help="OME-Zarr and OME-TIFF: add levels downsampled by 2")
    convert.add_argument("--scheduler", metavar="ADDRESS",
                         help="run on this dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 (implies --lazy)")

    listing = commands.add_parser("formats", help="list the formats and the dtypes each holds exactly")
    listing.add_argument("--json", action="store_true", help="machine-readable output: a JSON list of formats")
    _digitize_parser(commands)

    demo = commands.add_parser("demo", help="save and load a uint32 label stack every lossless way")
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    return parser


#: a number as the digitize options take it, negative and with an exponent too (argparse's own test
#: misses -1e-3 and takes it for an option)
_NUMBER = r"^-(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^-inf$"


def _digitize_parser(commands) -> None:
    import re

    digitize = commands.add_parser(
        "digitize", help="read the values behind a colour-mapped figure (extra: digitize)",
        description="Invert a figure's colormap: the values go to OUT (float TIFF), NaN where no data. "
                    "A figure of several panels gives one file per panel (OUT_0.tif, OUT_1.tif, ... in reading "
                    "order, or OUT with {panel} in its name), or the one --panel N names.",
    )
    digitize._negative_number_matcher = re.compile(_NUMBER)
    digitize.add_argument("figure", type=Path, nargs="?", help="PNG or JPEG figure")
    digitize.add_argument("--cmap", help="matplotlib (or seaborn) colormap the figure was drawn with, e.g. jet_r")
    digitize.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"), action="append",
                          help="vmin vmax of the colormap; once per panel (reading order) if their ranges differ")
    digitize.add_argument("--norm", choices=("linear", "log", "symlog", "power", "twoslope", "boundary", "contourf"),
                          default="linear",
                          help="symlog needs --linthresh, power --gamma, twoslope --center; boundary: "
                          "imshow/pcolormesh with BoundaryNorm; contourf: filled contours "
                          "(--boundaries gives the levels; values come back as band midpoints)")
    digitize.add_argument("--center", type=float, help="--norm twoslope: the value at the colormap's middle")
    digitize.add_argument("--gamma", type=float, help="--norm power: the exponent of PowerNorm")
    digitize.add_argument("--linthresh", type=float, help="--norm symlog: the linear range around 0")
    digitize.add_argument("--boundaries", nargs="+", type=float, metavar="B",
                          help="bin edges of --norm boundary, levels of --norm contourf")
    digitize.add_argument("--colorbar", choices=("auto",), help="find the colorbar (its colours are the model "
                          "without --cmap; --range gives its end values, or --ticks)")
    digitize.add_argument("--colorbar-box", nargs=4, type=int, metavar=("Y0", "Y1", "X0", "X1"),
                          help="the colorbar's colour strip in figure pixels, where --colorbar auto misses it: its "
                               "colours are the model (without --cmap), running along the longer side")
    digitize.add_argument("--ticks", nargs="+", type=float, metavar="PX V",
                          help="colorbar tick positions (pixels along the bar) and values: PX1 V1 PX2 V2 ...")
    for axis in ("x", "y"):
        digitize.add_argument(f"--{axis}-axis", nargs=4, type=float, metavar=("PX1", "V1", "PX2", "V2"),
                              help=f"two {axis} reference points: pixel {'column' if axis == 'x' else 'row'} "
                                   "and data value each")
        digitize.add_argument(f"--{axis}-log", action="store_true", help=f"the {axis} axis is logarithmic")
    digitize.add_argument("--axes-ocr", action=argparse.BooleanOptionalAction,
                          help="read the axes not given by --x-axis/--y-axis from each plot box's tick labels (OCR, "
                               "extra: ocr); default: when the range is read from the colorbar (no --range)")
    digitize.add_argument("--box", nargs=4, type=int, metavar=("Y0", "Y1", "X0", "X1"),
                          help="the plot box in figure pixels (rows Y0-Y1, columns X0-X1); default: detected")
    digitize.add_argument("--panel", type=int, metavar="N", help="read panel N only (0, 1, ... in reading order)")
    digitize.add_argument("--lines", choices=("mask", "fill", "keep"), default="mask",
                          help="straight lines across the plot (grid lines, cell edges): mask them (default), "
                               "fill them from both sides, or keep them as data")
    digitize.add_argument("--threshold", type=float, help="largest colour distance of data (default: automatic)")
    digitize.add_argument("--alpha", type=float, help="the field was drawn with this opacity over white")
    digitize.add_argument("--denoise", type=int, nargs="?", const=5, metavar="SIZE",
                          help="JPEG: median-filter the values over SIZE x SIZE (default 5)")
    digitize.add_argument("-o", "--output", type=Path,
                          help="where the values go (.tif keeps float exactly, with spacing and origin from the axes)")
    digitize.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    digitize.add_argument("--preview", type=Path, help="save source, field, mask and reconstruction side by side")
    digitize.add_argument("--audit", metavar="CMAP", help="report how invertible a colormap is, and stop")
    digitize.add_argument("--serve", action="store_true",
                          help="open a local web page (127.0.0.1) to correct the reading by hand: drag the plot box, "
                               "click the colorbar's ends and type their values (or draw the colorbar), click two "
                               "points on each axis, see the field and its error map; "
                               "Save writes what -o would, in -o's folder (default: the figure's) only")
    digitize.add_argument("--port", type=_port, default=0, help="--serve: the port (default: a free one)")
    digitize.add_argument("--browser", action=argparse.BooleanOptionalAction, default=None,
                          help="--serve: open the page in a web browser (default: when run in a terminal)")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"--port takes 0 (a free port) to 65535; got {text!r}")
    return port


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``imarray`` command: 0 on success, 1 on failure, 2 on a usage error."""
    parser = _parser()
    args = parser.parse_args(argv)  # a usage error exits with status 2 here, as argparse does
    flags = _flags(parser.subcommands[args.command])
    try:
        with _one_line_warnings():
            return _run(args)
    except BrokenPipeError:
        # the reader went away (| head): nothing more to say, and Python must not complain at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("imarray: interrupted; the target was left as it was", file=sys.stderr)  # writes are atomic
        return 130
    except Exception as err:
        if args.traceback:
            import traceback

            traceback.print_exc()
        print(f"imarray: error: {_one_line(err, flags)}", file=sys.stderr)
        return _status(err)


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    """Warnings as ``imarray: warning: ...`` lines, each message once (a reader's warning on info and on read)."""
    import warnings

    seen: set[str] = set()

    def one_line(message, category, filename, lineno, file=None, line=None) -> None:
        text = f"imarray: warning: {' '.join(str(message).split())}"
        if text not in seen:
            seen.add(text)
            print(text, file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = one_line  # restored when catch_warnings exits
        yield


def _status(err: Exception) -> int:
    """2 for a bad command line (an option's value, an option the format does not take), else 1."""
    from .errors import ImarrayError, InvalidOptionError

    usage = isinstance(err, InvalidOptionError) or (
        isinstance(err, TypeError) and not isinstance(err, ImarrayError))  # save()'s "takes no crf=" refusal
    return USAGE if usage else FAILURE


def _one_line(err: Exception, flags: dict[str, tuple[str, bool]]) -> str:
    """The error as one line, its hints written as the command's flags."""
    from .errors import ImarrayError

    text = str(err) if isinstance(err, ImarrayError | OSError) else f"{type(err).__name__}: {err}"
    return hint_as_flags(" ".join(text.split()), flags)


def _flags(command: argparse.ArgumentParser) -> dict[str, tuple[str, bool]]:
    """Keyword names of the library -> (flag, takes no value) for the options of a subcommand's parser."""
    found: dict[str, tuple[str, bool]] = {}
    for action in command._actions:  # argparse lists a parser's options nowhere else
        longs = [option for option in action.option_strings if option.startswith("--")]
        if longs and action.dest != "help":
            found[action.dest] = (longs[0], action.nargs == 0)
    return found


_KEYWORD = re.compile(r"\b([a-z_]+)=(\(lo, hi\)|\([^()]*\)|'[^']*'|\"[^\"]*\"|True|False|[\w.+-]+)?")


def hint_as_flags(text: str, flags: dict[str, tuple[str, bool]]) -> str:
    """Write the keyword arguments in ``text`` that are options of the command as its flags.

    Examples
    --------
    >>> flags = {"scale": ("--scale", False), "dtype": ("--dtype", False), "quantize": ("--quantize", True)}
    >>> hint_as_flags("pass scale='minmax' or scale=(lo, hi) with dtype='uint8'; or quantize=True", flags)
    'pass --scale minmax or --scale LO,HI with --dtype uint8; or --quantize'
    >>> hint_as_flags("use a[np.newaxis] or mmap=True", flags)
    'use a[np.newaxis] or mmap=True'
    """

    def flag(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        if name not in flags:
            return match.group(0)
        option, switch = flags[name]
        if switch or value is None:
            return option
        if value == "(lo, hi)":
            return f"{option} LO,HI"
        if value.startswith("("):
            return f"{option} {','.join(part.strip() for part in value[1:-1].split(',') if part.strip())}"
        return f"{option} {value.strip(chr(39) + chr(34))}"

    return _KEYWORD.sub(flag, text)


def _run(args: argparse.Namespace) -> int:
    if args.command == "info":
        return _info(args)
    if args.command == "clean":
        return _clean(args)
    if args.command == "convert":
        return _convert(args)
    if args.command == "formats":
        return _formats(args)
    if args.command == "digitize":
        return _digitize(args)
    from . import demo

    return 0 if demo.run(args.out) else 1


def _info(args: argparse.Namespace) -> int:
    """Describe each path; one failing path is reported and the others still described (exit 1 at the end)."""
    from . import api
    from ._commit import leftovers
    from .errors import ImarrayError

    status = 0
    for number, path in enumerate(args.paths):
        try:
            described = api.info(path, format=args.format)
        except (ImarrayError, OSError) as err:
            if len(args.paths) == 1:
                raise
            print(f"imarray: error: {_one_line(err, {})}", file=sys.stderr)
            if args.json:
                print(json.dumps({"path": str(path), "error": str(err), "type": type(err).__name__}))
            status = FAILURE
            continue
        left = [str(p) for p in leftovers(path)]
        if args.json:
            print(json.dumps({**described.as_dict(), "leftovers": left}))
        else:
            print(("\n" if number else "") + str(described))
            if left:
                print(f"leftovers  {len(left)} temporaries of interrupted saves: {', '.join(left)} "
                      f"(`imarray clean {path}` removes those of processes that are gone)")
    return status


def _clean(args: argparse.Namespace) -> int:
    """Finish an interrupted save of PATH and remove the temporaries of processes that are gone."""
    from ._commit import clean

    removed, kept = clean(args.path, force=args.force)
    for path in removed:
        print(f"removed {path}")
    for path in kept:
        print(f"kept {path} (its owner still runs, or runs on another host: --force removes the latter)")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from . import api

    with _scheduler(args.scheduler):
        lazy = bool(args.lazy or args.chunks or args.scheduler) or _bigger_than_memory(args.source, args.input_format)
        image = api.read(args.source, format=args.input_format, lazy=lazy, progress=not lazy)  # geometry travels
        written = api.write(
            args.target, image, format=args.format, dtype=args.dtype, scale=args.scale,
            compression=args.compression, size_cap=args.size_cap, axes=args.axes, chunks=args.chunks,
            shards=args.shards, frame_rate=args.frame_rate, loop=args.loop, quantize=args.quantize, crf=args.crf,
            pyramid=args.pyramid or None, progress=True, durable=args.durable,
        )
    from .registry import for_writing
    from .sources import as_source

    target = as_source(args.target)
    spec = for_writing(target.path if target.is_local else Path(target.name or "unnamed"), args.format)
    streamed = ", streamed" if lazy and spec.can("stream_write") else ""
    result = api.info(written, format=args.format if spec.name == "imagej" else None)
    print(f"{args.source} -> {written}  ({result.dtype}, {'x'.join(map(str, result.shape))}{streamed})")
    return 0


def _formats(args: argparse.Namespace) -> int:
    from .registry import FORMATS

    if args.json:
        print(json.dumps([
            {"name": spec.name, "extensions": list(spec.extensions), "lossy": spec.lossy, "dtypes": list(spec.dtypes),
             "ndim": list(spec.ndim), "capabilities": sorted(spec.capabilities), "writes": spec.can("write"),
             "options": list(spec.option_names), "read_options": list(spec.read_options), "extra": spec.extra,
             "description": spec.description}
            for spec in FORMATS
        ], indent=2))
        return 0
    name_width = max(len(spec.name) for spec in FORMATS)
    exts = [" ".join(spec.extensions) or ("(a folder)" if spec.can("directory") else "(--format only)")
            for spec in FORMATS]
    exts_width = max(map(len, exts))
    for spec, ext in zip(FORMATS, exts, strict=True):
        kind = "read only" if not spec.can("write") else "lossy" if spec.lossy else "exact"
        held = ", ".join(spec.dtypes) if spec.can("write") else spec.description
        extra = f"  [pip install 'imarray[{spec.extra}]']" if spec.extra else ""
        print(f"{spec.name:<{name_width}}  {ext:<{exts_width}}  {kind}: {held}{extra}")
        print(f"{'':<{name_width}}  {'':<{exts_width}}  reads from: {_where(spec)}")
    return 0


def _where(spec: FormatSpec) -> str:
    """Where a format is read from: local paths always; URLs and bytes/file objects where its row says so."""
    places = ["paths"]
    if spec.can("remote"):
        places.append("URLs (s3://, https://, ...)")
    if spec.can("file_objects"):
        places.append("bytes and file objects")
    return ", ".join(places)


def _bigger_than_memory(source: str, format: str | None = None) -> bool:
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
    return api.info(source, format=format).nbytes > memory // 4


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


def _panel_path(path: Path | None, panel: int, panels: int) -> Path | None:
    """``path`` for one panel of several: ``{panel}`` in its name filled in, else ``_N`` before the extension."""
    if path is None or panels == 1:
        return path
    if "{panel}" in path.name:
        return path.with_name(path.name.replace("{panel}", str(panel)))
    suffixes = "".join(path.suffixes[-2:]) if path.name.endswith((".ome.tif", ".ome.tiff", ".nii.gz")) \
        else path.suffix
    return path.with_name(f"{path.name[: len(path.name) - len(suffixes)]}_{panel}{suffixes}")


def _digitize(args: argparse.Namespace) -> int:
    import warnings

    from .digitize import Axis, DigitizeWarning, colormap_report, digitize, digitize_panels
    from .digitize.plot import preview_format

    if args.audit:
        print(colormap_report(args.audit))
        return 0
    if args.serve:
        return _serve(args)
    if args.figure is None or (args.output is None and args.preview is None):
        print("imarray: error: digitize needs a FIGURE and -o OUT (or --preview), or --audit CMAP", file=sys.stderr)
        return USAGE
    if args.ticks is not None and len(args.ticks) % 2:
        print("imarray: error: --ticks takes pairs: PX1 V1 PX2 V2 ...", file=sys.stderr)
        return USAGE
    if args.preview is not None:
        preview_format(args.preview)  # a bad extension fails before the work
    needs_range = args.ticks is None and args.norm not in ("boundary", "contourf")  # those take --boundaries
    reads_ticks = needs_range and not args.range
    rgb = _figure_rgb(args) if reads_ticks or args.colorbar_box else None  # read once for both
    marked = _colorbar_in(args, rgb) if args.colorbar_box else None
    ranges = args.range or (_ranges_from_ticks(args, rgb, marked) if needs_range else [])
    low, high = ranges[0] if ranges else (None, None)
    axes_ocr = args.axes_ocr if args.axes_ocr is not None else not args.range and needs_range
    axes = {
        name: Axis(points[0], points[1], points[2], points[3], scale="log" if log else "linear") if points else None
        for name, points, log in (("x_axis", args.x_axis, args.x_log), ("y_axis", args.y_axis, args.y_log))
    }
    options = dict(
        cmap=args.cmap, norm=args.norm, boundaries=args.boundaries, center=args.center, gamma=args.gamma,
        linthresh=args.linthresh, colorbar=marked if marked is not None else args.colorbar,
        ticks=args.ticks[::2] if args.ticks else None,
        tick_values=args.ticks[1::2] if args.ticks else None, alpha=args.alpha, median=args.denoise, box=args.box,
        lines=args.lines, threshold="auto" if args.threshold is None else args.threshold, **axes,
        axes_ocr=axes_ocr and not (args.x_axis and args.y_axis),
        axis_scales=("log" if args.x_log else "auto", "log" if args.y_log else "auto"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", DigitizeWarning)  # a doubtful result is not written
        try:
            if args.panel is not None or args.box is not None:
                if len(ranges) > 1:
                    print("imarray: error: one --range for one panel (--panel or --box)", file=sys.stderr)
                    return USAGE
                results = [digitize(args.figure, vmin=low, vmax=high, panel=args.panel, **options)]
            elif len(ranges) > 1:
                results = digitize_panels(args.figure, ranges=ranges, **options)
            else:
                results = digitize_panels(args.figure, vmin=low, vmax=high, **options)
        except DigitizeWarning as doubt:
            print(f"imarray: error: {args.figure}: {doubt}; nothing written", file=sys.stderr)
            return FAILURE
    if len(results) > 1:
        print(f"{args.figure}: {len(results)} panels, one output each (reading order; --panel N for one)")
    for number, result in enumerate(results):
        _write_digitized(args, result, _panel_path(args.output, number, len(results)),
                         _panel_path(args.preview, number, len(results)))
    return 0


def _serve(args: argparse.Namespace) -> int:
    """``--serve``: the correction page, its first settings and fixed options from the command line."""
    from .digitize.serve import Fixed, Settings, serve
    from .errors import InvalidOptionError

    if args.figure is None or args.ticks is not None or (args.range and len(args.range) > 1):
        raise InvalidOptionError("--serve takes a FIGURE and at most one --range (no --ticks: click them on the page)",
                                 hint="run imarray digitize FIGURE --serve [--cmap NAME] [-o OUT]")
    folder = (args.output or args.figure).parent
    if args.preview is not None and args.preview.parent.resolve() != folder.resolve():
        raise InvalidOptionError(f"--preview {args.preview} is not in {folder}, where the page saves",
                                 hint="put --preview in the folder of -o")
    flags: list[str] = []
    flags += ["--alpha", repr(args.alpha)] if args.alpha is not None else []
    flags += ["--denoise", str(args.denoise)] if args.denoise is not None else []
    flags += ["--colorbar", "auto"] if args.colorbar and args.cmap else []
    flags += ["--dtype", args.dtype] if args.dtype != "float32" else []
    fixed = Fixed(alpha=args.alpha, median=args.denoise, colorbar=args.colorbar, dtype=args.dtype, flags=tuple(flags))
    settings = Settings(
        cmap=args.cmap, norm=args.norm, range=tuple(args.range[0]) if args.range else None, center=args.center,
        gamma=args.gamma, linthresh=args.linthresh, boundaries=tuple(args.boundaries) if args.boundaries else None,
        box=tuple(args.box) if args.box else None, threshold=args.threshold, lines=args.lines,
        x_axis=tuple(args.x_axis) if args.x_axis else None, y_axis=tuple(args.y_axis) if args.y_axis else None,
        x_log=args.x_log, y_log=args.y_log, bar_box=tuple(args.colorbar_box) if args.colorbar_box else None,
        output=args.output.name if args.output else f"{args.figure.stem}_values.tif",
        preview=args.preview.name if args.preview else None,
    )
    serve(args.figure, folder, fixed, settings, port=args.port, browser=args.browser)
    return 0


#: norms whose colorbar ticks lie on a line (in log10 for log): the range can be read from their labels
_TICK_NORMS = ("linear", "log")


def _ranges_from_ticks(args: argparse.Namespace, rgb, marked=None) -> list[tuple[float, float]]:
    """No --range: each colorbar's range from its tick labels (OCR, the ``ocr`` extra), one per bar in reading order
    (``marked``: the bar given by --colorbar-box, instead of those found in the figure's pixels ``rgb``).

    What was read, and how sure, is printed; a figure whose labels cannot be
    read raises (``--range`` overrides).
    """
    from .digitize import find_colorbars
    from .digitize.pipeline import _reading_order
    from .digitize.ticks import read_ticks
    from .errors import InvalidOptionError

    if args.norm not in _TICK_NORMS:
        raise InvalidOptionError(f"--norm {args.norm} needs --range: its tick labels do not lie on a line",
                                 hint="pass --range LO HI (or --ticks)")
    bars = [marked] if marked is not None else find_colorbars(rgb)
    if not bars:
        raise InvalidOptionError(f"{args.figure}: no --range given and no colorbar found to read it from",
                                 hint="pass --range LO HI (the values at the colormap's ends)")
    bars = [bars[i] for i in _reading_order([bar.box for bar in bars])]
    readings = [read_ticks(rgb, bar, log=args.norm == "log", path=args.figure) for bar in bars]
    for bar, reading in zip(bars, readings, strict=True):
        y0, y1, x0, x1 = bar.box
        print(f"{args.figure}: colorbar rows {y0}-{y1}, columns {x0}-{x1}: {reading} (--range overrides)")
    ranges = [(reading.low, reading.high) for reading in readings]
    return ranges[:1] if len(set(ranges)) == 1 else ranges


def _figure_rgb(args: argparse.Namespace):
    """The figure's pixels as (y, x, 3) uint8, for the CLI's own reading of its colorbars."""
    from .api import load
    from .digitize.mask import as_rgb

    return as_rgb(load(args.figure), None, path=str(args.figure))


def _colorbar_in(args: argparse.Namespace, rgb):
    """``--colorbar-box``: the colorbar whose colour strip it covers (checked as the --serve page checks one drawn)."""
    from .digitize.colorbar import colorbar_in

    return colorbar_in(rgb, tuple(args.colorbar_box))


def _write_digitized(args: argparse.Namespace, result, output: Path | None, preview_path: Path | None) -> None:
    from .digitize.output import write_result

    for line in write_result(result, output, figure=args.figure, dtype=args.dtype, preview_path=preview_path,
                             log_axes=args.x_log or args.y_log):
        print(line)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
