"""Video through PyAV: H.264 in MP4 (display, lossy) and FFV1 in Matroska (lossless).

Arrays are ``(frames, y, x)`` grey or ``(frames, y, x, 3)`` RGB. A 2D array is
refused rather than guessed to be one frame (``a[np.newaxis]`` makes it one).

``.mkv`` (FFV1) round-trips uint8 and uint16, grey and RGB, bit for bit: the
frames go to the encoder in a pixel format FFV1 codes directly (``gray``,
``gray16le``, ``bgr0``, ``rgb48le``), so nothing is converted to YUV.

``.mp4`` (H.264, ``crf=17`` by default: visually lossless, x264 preset
``veryfast``) holds uint8 only, as ``yuv420p`` in full range so that every
player shows it. Measured here on a smooth 48 x 64 test pattern at 30 fps:
mean absolute error 1.3 grey levels for grey, 3.4 for RGB (the colour planes
are stored at half resolution); ``tests/test_video.py`` holds them below 2 and
4.5. Two traps are avoided:

- libx264's ``gray`` pixel format decodes a few levels off; grey frames are
  written as the luma plane of ``yuv420p`` (full range, neutral chroma) and read
  back from it, and the greyness is recorded in the file so they load as
  ``(frames, y, x)``.
- H.264 in 4:2:0 needs an even width and height: odd sizes are padded by
  repeating the last row or column, the true size is recorded, and the padding
  is cropped on reading. Other players show the one extra row or column.

Files by other tools load with their stored values: grey FFV1 in ``gray`` to
``gray16le`` (9, 10, 12, 14 bits too: a 10-bit 572 loads as 572 in uint16, and
``info`` reports ``significant_bits``) and RGB in ``gbrp9le`` to ``gbrp16le``,
``rgb48le``, ``bgr0``. A lossless video stored as high-bit YUV or with alpha
cannot be loaded exactly as ``(frames, y, x[, 3])`` and raises
:class:`~imarray.errors.UnsupportedDtypeError`; 8-bit YUV (and every lossy
video) is converted to RGB, as players show it.

``frame_rate`` runs from 1/14400 (one frame every 4 hours, for time lapse)
to 1000 frames per second, the range both containers state (Matroska times
frames in milliseconds); the stream states it as a fraction (29.97 as
2997/100, 0.0004 as 1/2500). Other rates raise
:class:`~imarray.errors.InvalidOptionError` before anything is written.

Each file written records ``{"colour", "dtype", "frames", "height", "width",
"frame_rate"}`` (and a ``scale`` request) as JSON in the container tag
``imarray``; ``info`` reports the frame rate and frame count from it, or from
the stream for files written by other tools. The frame rate is also the t
spacing (1 / rate, in s) of ``ia.read``'s Image, and ``ia.write`` of an Image
with a t spacing in s or ms and no ``frame_rate=`` uses it; the y/x spacing
and kind of an Image written with ``ia.write`` come back too.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> movie = np.arange(4 * 6 * 8, dtype=np.uint16).reshape(4, 6, 8) * 300
>>> with tempfile.TemporaryDirectory() as folder:
...     path = ia.save(pathlib.Path(folder) / "movie.mkv", movie, frame_rate=20)
...     bool((ia.load(path) == movie).all()), ia.info(path).metadata["frame_rate"]
(True, 20.0)
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .._memory import output_array
from .._optional import import_optional
from .._progress import progress as progress_bar
from ..errors import AxesError, CorruptFileError, InvalidOptionError, UnsupportedDtypeError
from ..fileinfo import FileInfo
from ..geometry import SECONDS
from ..registry import FormatSpec

RateLimits = tuple[float, float, str]  # lowest and highest frame rate, and why
# Matroska times frames in milliseconds (so at most 1000 fps); FFmpeg's Matroska reader states no rate slower
# than one frame in 4 hours and its MP4 writer none slower than one in 65535 s (measured, FFmpeg 7)
VIDEO_RATES: RateLimits = (1 / 14400, 1000.0, "one frame every 4 hours to 1000 per second: what .mkv and .mp4 state")
_TAG = "imarray"
_DEFAULT_FRAME_RATE = 30.0
_DEFAULT_CRF = 17
_PRESET = "veryfast"  # 2.5x the speed of x264's "medium" at the same crf here, files of about the same size
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG
_LAYOUT_KEYS = ("colour", "dtype", "frames", "height", "width", "geometry")  # tag entries FileInfo states itself
# (dtype, colour) -> FFV1 pixel format of the encoder and of the frames handed to it
_FFV1 = {
    ("uint8", "grey"): ("gray", "gray"),
    ("uint16", "grey"): ("gray16le", "gray16le"),
    ("uint8", "rgb"): ("bgr0", "rgb24"),
    ("uint16", "rgb"): ("rgb48le", "rgb48le"),
}
# (dtype, colour) -> the format PyAV converts decoded frames to
_DECODED = {("uint8", "grey"): "gray", ("uint16", "grey"): "gray16le", ("uint8", "rgb"): "rgb24",
            ("uint16", "rgb"): "rgb48le"}
# pixel formats whose samples PyAV hands over as they are stored, (y, x) or (y, x, 3) in RGB order
_NATIVE = {
    "gray": ("grey", "uint8"), "rgb24": ("rgb", "uint8"),
    **{f"gray{bits}le": ("grey", "uint16") for bits in (9, 10, 12, 14, 16)},
    **{f"gbrp{bits}le": ("rgb", "uint16") for bits in (9, 10, 12, 14, 16)},
    "rgb48le": ("rgb", "uint16"),
}
# pixel formats converted exactly (a reordering of the same samples) to _DECODED's
_REORDERED = {"bgr0": ("rgb", "uint8"), "bgr24": ("rgb", "uint8"), "gbrp": ("rgb", "uint8")}


def _av():
    return import_optional("av", extra="video", purpose="reading and writing video")


def _vint(handle) -> tuple[int, bool]:
    """A Matroska variable-length size: (value, whether it is the reserved "unknown" size)."""
    first = handle.read(1)
    if not first or not first[0]:
        raise EOFError
    length = 9 - first[0].bit_length()
    rest = handle.read(length - 1)
    if len(rest) < length - 1:
        raise EOFError
    value = int.from_bytes(bytes([first[0] & (0xFF >> length)]) + rest, "big")
    return value, value == (1 << (7 * length)) - 1


def _shortfall(path: Path) -> str | None:
    """Why the file is shorter than its container says, or None when it is whole.

    FFmpeg opens a cut file quietly when the cut falls after the headers it
    reads first, so the sizes the container states are checked here: the
    Matroska segment's and those of the MP4 top-level boxes (which must
    include the media data, ``mdat``).
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(8)
        try:
            if head.startswith(b"\x1a\x45\xdf\xa3"):
                handle.seek(4)
                header, _ = _vint(handle)
                handle.seek(header, 1)
                if handle.read(4) != b"\x18\x53\x80\x67":
                    return "the Matroska segment is missing"
                segment, unknown = _vint(handle)
                if not unknown and handle.tell() + segment > size:
                    return f"the Matroska segment states {handle.tell() + segment} bytes, the file holds {size}"
                return None
            offset, boxes = 0, set()
            while offset < size:
                handle.seek(offset)
                box = handle.read(16)
                if len(box) < 8:
                    raise EOFError
                length, kind = int.from_bytes(box[:4], "big"), box[4:8]
                if length == 1:
                    length = int.from_bytes(box[8:16], "big") if len(box) == 16 else 0
                elif length == 0:  # the last box runs to the end of the file
                    length = size - offset
                if length < 8:
                    return f"the MP4 box at byte {offset} states an impossible size"
                boxes.add(kind)
                offset += length
            if offset > size:
                return f"the MP4 boxes state {offset} bytes, the file holds {size}"
            return None if b"mdat" in boxes else "the MP4 holds no media data (mdat)"
        except EOFError:
            return f"the file ends inside a header ({size} bytes)"


def _open(path: Path, av):
    shortfall = _shortfall(path)
    if shortfall is not None:
        raise CorruptFileError(shortfall, path=path, hint="the file is truncated (an interrupted recording or copy)")
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise CorruptFileError(
            f"FFmpeg cannot read it as video ({exc})", path=path, hint="the file is truncated, damaged or not a video"
        ) from exc


def _tag(container) -> dict[str, Any]:
    """imarray's JSON tag (Matroska upper-cases tag names)."""
    for key, value in container.metadata.items():
        if key.lower() == _TAG:
            try:
                tag = json.loads(value)
            except ValueError:
                return {}
            return tag if isinstance(tag, dict) else {}
    return {}


def _count_frames(container, stream) -> int:
    """Frames of a stream whose header does not say: count its packets (no decoding)."""
    try:
        count = sum(1 for packet in container.demux(stream) if packet.size)
        container.seek(0)
    except _av().FFmpegError as exc:  # a damaged index: FFmpeg refuses the seek back (EPERM), or the demuxing
        raise CorruptFileError(f"cannot count the frames ({exc})", path=Path(container.name),
                               hint="the file is damaged") from exc
    return count


def _describe(container, path: Path, spec: FormatSpec) -> FileInfo:
    if not container.streams.video:
        raise CorruptFileError(
            "the file holds no video stream", path=path, hint="it is truncated, damaged or audio only"
        )
    stream = container.streams.video[0]
    context = stream.codec_context
    if context is None or (context.pix_fmt and context.format is None):
        raise CorruptFileError(
            "FFmpeg finds no usable codec for the video stream", path=path, hint="the file is truncated or damaged"
        )
    tag = _tag(container)
    pix_fmt = context.pix_fmt or ""
    bits = max(c.bits for c in context.format.components) if pix_fmt else 0
    exact = _NATIVE.get(pix_fmt) or _REORDERED.get(pix_fmt)
    if exact is None and pix_fmt and context.codec.lossless and not context.codec.lossy and not tag:
        _refuse_inexact(pix_fmt, bits, len(context.format.components), path)
    colour = tag.get("colour") or (exact[0] if exact else "grey" if pix_fmt.startswith(("gray", "ya")) else "rgb")
    dtype = tag.get("dtype") or (exact[1] if exact else "uint16" if bits > 8 else "uint8")
    if (dtype, colour) not in _DECODED:
        raise CorruptFileError(f"unexpected imarray tag {tag!r}", path=path, hint="the tag was edited or damaged")
    height, width = int(tag.get("height", context.height)), int(tag.get("width", context.width))
    frames = int(tag.get("frames") or stream.frames or _count_frames(container, stream))
    if frames <= 0 or height <= 0 or width <= 0:
        raise CorruptFileError(
            f"the video holds no decodable frame ({frames} frames of {width}x{height})",
            path=path,
            hint="the file is truncated or damaged",
        )
    rate = tag.get("frame_rate") or stream.average_rate or stream.guessed_rate
    shape = (frames, height, width) if colour == "grey" else (frames, height, width, 3)
    metadata: dict[str, Any] = {"codec": context.name, "pix_fmt": pix_fmt, "colour": colour}
    if exact and 8 < bits < 16:
        metadata["significant_bits"] = bits
    if rate:
        metadata["frame_rate"] = float(rate)
    metadata.update({k: v for k, v in tag.items() if k not in _LAYOUT_KEYS})
    return FileInfo(
        path=path, format=spec.name, shape=shape, dtype=dtype, axes="tyx" if colour == "grey" else "tyxc",
        files=(path,), disk_bytes=path.stat().st_size, **movie_geometry(tag, colour, metadata),
    )


def _refuse_inexact(pix_fmt: str, bits: int, components: int, path: Path) -> None:
    """A lossless video whose samples would come back converted (YUV to RGB, rescaled) or without alpha."""
    if components in (2, 4):
        what = "its alpha channel would be dropped"
    elif bits > 8:
        what = f"its {bits}-bit samples would come back converted (YUV to RGB) and rescaled to 16 bits"
    else:
        return  # 8-bit YUV: converted to RGB for display, as every player shows it
    raise UnsupportedDtypeError(
        f"the lossless video is stored as {pix_fmt}, which imarray cannot load exactly: {what}",
        path=path,
        hint="read the planes with PyAV (frame.to_ndarray() of each decoded frame), or re-encode as "
        "gray16le or gbrp16le/rgb48le if converted values are acceptable",
    )


def movie_geometry(tag: dict[str, Any], colour: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """FileInfo geometry of a movie: t spacing from the frame rate, y/x geometry and kind as ``ia.write`` recorded.

    Sets ``metadata["kind"]`` ("rgb" for colour) and returns ``spacing``, ``units`` and ``origin``.
    """
    geometry: dict = tag["geometry"] if isinstance(tag.get("geometry"), dict) else {}

    def plane(key: str) -> dict:
        values = geometry.get(key)
        return {axis: values[axis] for axis in "yx" if isinstance(values, dict) and axis in values}

    spacing, units, origin = plane("spacing"), plane("units"), plane("origin")
    if metadata.get("frame_rate"):
        spacing["t"], units["t"] = 1.0 / metadata["frame_rate"], "s"
    kind = "rgb" if colour == "rgb" else geometry.get("kind")
    if kind in ("intensity", "binary", "label", "rgb"):
        metadata["kind"] = kind
    return {"spacing": spacing, "units": units, "origin": origin, "metadata": metadata}


def frame_rate_for(frame_rate: Any, metadata: dict[str, Any], *, limits: RateLimits = VIDEO_RATES) -> float:
    """``frame_rate=`` if given, else 1 / the t spacing of an Image written with ``ia.write``, else 30."""
    if frame_rate is not None:
        return check_frame_rate(frame_rate, limits=limits)
    geometry = metadata.get("geometry") or {}
    step = (geometry.get("spacing") or {}).get("t")
    unit = (geometry.get("units") or {}).get("t")
    seconds = SECONDS.get(unit) if isinstance(unit, str) else None
    if not (step and seconds):
        return _DEFAULT_FRAME_RATE
    rate = 1.0 / (step * seconds)
    try:
        return check_frame_rate(rate, limits=limits)
    except InvalidOptionError as err:
        raise InvalidOptionError(f"the Image's t spacing of {step:g} {unit} asks for {rate:.4g} frames per "
                                 f"second, but {err.message}",
                                 hint="pass frame_rate= to choose the playback rate") from None


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Shape, dtype, frame rate and codec from the container's headers (no decoding).

    Matroska files by other tools that do not state their frame count have
    their packets counted (read, not decoded).
    """
    av = _av()
    with _open(path, av) as container:
        return _describe(container, path, spec)


def _to_array(frame, dtype: str, colour: str, height: int, width: int, av) -> np.ndarray:
    """One decoded frame as ``(y, x)`` or ``(y, x, 3)``, cropped to the recorded size."""
    if colour == "grey" and frame.format.name in ("yuv420p", "yuvj420p") and dtype == "uint8":
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:height, :width]
        if frame.color_range == _FULL_RANGE:
            return luma.copy()
    if _NATIVE.get(frame.format.name) == (colour, dtype):
        return frame.to_ndarray()[:height, :width]  # the stored samples themselves, 572 stays 572
    interpolation = av.video.reformatter.Interpolation
    array = frame.to_ndarray(
        format=_DECODED[dtype, colour],
        src_color_range=frame.color_range or None,
        interpolation=interpolation.BILINEAR | interpolation.ACCURATE_RND,
    )
    return array[:height, :width]


def _decoded(container, described: FileInfo, av) -> Iterator[np.ndarray]:
    height, width = described.shape[1:3]
    colour = described.metadata["colour"]
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    count = 0
    try:
        for frame in container.decode(stream):
            if count == described.shape[0]:
                raise CorruptFileError(
                    f"the stream holds more frames than the {described.shape[0]} its header states",
                    path=described.path,
                    hint="the file is damaged",
                )
            count += 1
            if frame.height < height or frame.width < width:
                raise CorruptFileError(  # a damaged stream changes its frame size midway
                    f"frame {count - 1} is {frame.width}x{frame.height}, the stream's header states {width}x{height}",
                    path=described.path, hint="the file is damaged")
            yield _to_array(frame, described.dtype, colour, height, width, av)
    except av.FFmpegError as exc:
        raise CorruptFileError(
            f"decoding failed after {count} frames ({exc})", path=described.path, hint="the file is damaged"
        ) from exc
    if count != described.shape[0]:
        raise CorruptFileError(
            f"only {count} of the {described.shape[0]} frames the header states could be decoded",
            path=described.path,
            hint="the file is truncated (an interrupted recording or copy)",
        )


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None) -> tuple[np.ndarray, FileInfo]:
    """Decode every frame into one preallocated array (into ``out`` when given).

    Examples
    --------
    >>> import imarray as ia
    >>> movie = ia.load("movie.mp4")        # (frames, y, x) grey or (frames, y, x, 3) RGB  # doctest: +SKIP
    """
    av = _av()
    with _open(path, av) as container:
        described = _describe(container, path, spec)
        out = output_array(described.shape, described.dtype, path, out)
        for index, frame in enumerate(_decoded(container, described, av)):
            out[index] = frame
    return out, described


def iter_frames(path: Path, *, spec: FormatSpec) -> Iterator[np.ndarray]:
    """Yield the frames one at a time; memory stays at a few frames whatever the length."""
    av = _av()
    with _open(path, av) as container:
        described = _describe(container, path, spec)
        yield from _decoded(container, described, av)


def check_frame_rate(frame_rate: Any, *, limits: RateLimits = VIDEO_RATES) -> float:
    """The frame rate as a float, or :class:`InvalidOptionError` unless it lies within ``limits``."""
    lowest, highest, why = limits
    try:
        rate = float(frame_rate)
    except (TypeError, ValueError):
        rate = math.nan
    if not (math.isfinite(rate) and lowest <= rate <= highest) or isinstance(frame_rate, bool):
        raise InvalidOptionError(
            f"frame_rate must be a number of frames per second from {lowest:.4g} to {highest:g} ({why}), "
            f"got {frame_rate!r}",
            hint="e.g. frame_rate=30 or frame_rate=29.97",
        )
    return rate


def stream_rate(rate: float) -> Fraction:
    """The frame rate as the stream states it: a fraction with a small denominator (29.97 -> 2997/100).

    Rates below 1 fps are stated by their period (0.0004 fps -> 1/2500), which
    ``limit_denominator`` alone would round to 0.
    """
    if rate >= 1:
        return Fraction(rate).limit_denominator(1001)
    return 1 / Fraction(1 / rate).limit_denominator(1001)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_movie_shape(array: np.ndarray, spec: FormatSpec, axes: str | None = None) -> bool:
    """Raise unless ``array`` is (frames, y, x) grey or (frames, y, x, 3) RGB; return whether it is colour.

    A colour picture ``(y, x, 3)`` is refused rather than
    written as y frames of x by 3 grey pixels; so is any array whose ``axes``
    (an Image's) are not frames, y, x and optionally a colour axis last.

    Examples
    --------
    >>> from imarray.registry import BY_NAME
    >>> check_movie_shape(np.zeros((4, 6, 3), np.uint8), BY_NAME["mkv"])
    Traceback (most recent call last):
    imarray.errors.AxesError: ... a colour picture (y, x, 3) is one frame ...
    """
    colour = array.ndim == 4 and array.shape[-1] == 3
    if not (array.ndim == 3 or colour):
        raise UnsupportedDtypeError(
            f"{spec.name} holds (frames, y, x) grey or (frames, y, x, 3) RGB video, not shape {array.shape}",
            hint="a single image is one frame: pass a[np.newaxis]; other stacks go to .tif",
        )
    letters = axes or ""
    named = len(letters) == array.ndim
    if named and (letters[-2:] != "yx" if not colour else letters[-3:] != "yxc"):
        raise AxesError(f"{spec.name} holds frames (t, y, x) or (t, y, x, c); these axes are {axes!r}",
                        hint="select or move the axes first (Image.at, np.moveaxis); a colour picture is one "
                             "frame: pass image[np.newaxis]")
    if not named and array.ndim == 3 and array.shape[-1] == 3:
        raise AxesError(
            f"shape {array.shape}: a colour picture (y, x, {array.shape[-1]}) is one frame, not "
            f"{array.shape[0]} frames {array.shape[2]} pixels wide",
            hint="pass a[np.newaxis] for one colour frame; for frames that really are 3 pixels wide, "
                 "write an Image with axes 'tyx'")
    return colour


def check_writable(
    array: np.ndarray, *, spec: FormatSpec, frame_rate: float | None = None, crf: int | None = None,
    progress: bool = False, metadata: dict | None = None,
) -> None:
    """Refuse, before writing, shapes a video cannot hold and options out of range.

    ``metadata`` is what the writer will receive: an Image's t spacing there
    is the frame rate when ``frame_rate=`` is not given, checked here too.
    """
    check_movie_shape(array, spec, ((metadata or {}).get("geometry") or {}).get("axes"))
    frame_rate_for(frame_rate, metadata or {})
    if crf is not None and not (_is_int(crf) and 0 <= crf <= 51):
        raise InvalidOptionError(f"crf must be an integer 0..51 (lower is better), got {crf!r}", hint="default 17")
    if spec.name == "mp4" and max(array.shape[1:3]) > 16384:
        raise UnsupportedDtypeError(
            f"H.264 frames are at most 16384 pixels wide or high, not {array.shape[2]}x{array.shape[1]}",
            hint="save large frames as .mkv (FFV1) or .tif",
        )


def _even(frame: np.ndarray) -> np.ndarray:
    """Pad an odd height or width by repeating the last row or column."""
    pad_y, pad_x = frame.shape[0] % 2, frame.shape[1] % 2
    if not (pad_y or pad_x):
        return frame
    widths = [(0, pad_y), (0, pad_x)] + [(0, 0)] * (frame.ndim - 2)
    return np.pad(frame, widths, mode="edge")


def _h264_frames(array: np.ndarray, av) -> Iterator[Any]:
    """Full-range yuv420p frames: grey as the luma plane with neutral chroma, RGB through swscale."""
    interpolation = av.video.reformatter.Interpolation
    if array.ndim == 3:
        height, width = _even(array[0]).shape
        buffer = np.full((height * 3 // 2, width), 128, np.uint8)
        for image in array:
            buffer[:height] = _even(image)
            frame = av.VideoFrame.from_ndarray(buffer, format="yuv420p")
            frame.color_range = _FULL_RANGE
            yield frame
        return
    for image in array:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(_even(image)), format="rgb24")
        accurate = interpolation.BILINEAR | interpolation.ACCURATE_RND
        yield frame.reformat(format="yuv420p", dst_color_range=_FULL_RANGE, interpolation=accurate)


def _ffv1_frames(array: np.ndarray, frame_format: str, av) -> Iterator[Any]:
    for image in array:
        yield av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=frame_format)


def write(
    path: Path,
    array: np.ndarray,
    *,
    spec: FormatSpec,
    metadata: dict,
    frame_rate: float | None = None,
    crf: int | None = None,
    progress: bool = False,
) -> None:
    """Encode ``array`` frame by frame; the frame rate and greyness go into the file."""
    av = _av()
    rate = frame_rate_for(frame_rate, metadata)
    colour = "grey" if array.ndim == 3 else "rgb"
    frames, height, width = array.shape[:3]
    tag = {"colour": colour, "dtype": array.dtype.name, "frames": int(frames), "height": int(height),
           "width": int(width), "frame_rate": rate, **metadata}
    if spec.name == "mp4":
        options = {"movflags": "faststart+use_metadata_tags"}
        codec, pix_fmt = "libx264", "yuv420p"
        codec_options = {"crf": str(_DEFAULT_CRF if crf is None else crf), "preset": _PRESET}
        source = _h264_frames(array, av)
        coded = (height + height % 2, width + width % 2)
    else:
        options = {}
        pix_fmt, frame_format = _FFV1[array.dtype.name, colour]
        codec, codec_options = "ffv1", {"level": "3", "slicecrc": "1"}
        source = _ffv1_frames(array, frame_format, av)
        coded = (height, width)
    with av.open(str(path), "w", format="mp4" if spec.name == "mp4" else "matroska", options=options) as container:
        container.metadata[_TAG] = json.dumps(tag)
        stream = container.add_stream(codec, rate=stream_rate(rate), options=codec_options)
        stream.height, stream.width = coded
        stream.pix_fmt = pix_fmt
        stream.thread_type = "AUTO"
        if spec.name == "mp4":
            stream.codec_context.color_range = _FULL_RANGE
        for frame in progress_bar(source, total=frames, desc="encoding", enabled=progress, unit="frame"):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
