"""Animated GIF through Pillow: every frame kept, exact where a palette allows.

Arrays are ``(frames, y, x)`` uint8 grey or ``(frames, y, x, 3)`` uint8 RGB.

- Grey frames are written with the identity grey palette (index = value), so
  every uint8 stack round-trips exactly.
- RGB frames of at most 256 distinct colours get their own exact palette;
  a frame with more is refused unless ``quantize=True`` asks for Pillow's
  256-colour quantisation (lossy; frames that fit stay exact).
- Every frame is written whole, with its own palette. Pillow's ``save_all``
  merges identical consecutive frames into one longer frame (3 frames in, 2
  out); here each frame is encoded with Pillow's ``getdata`` and the file is
  assembled directly, so N frames in are N frames out.

GIF stores a delay per frame in hundredths of a second, so ``frame_rate`` is
kept as ``100 / round(100 / frame_rate)`` by players (30 fps plays as 33.3 fps;
many browsers slow delays below 2/100 s, i.e. above 50 fps, to 10 fps). The
delay is 16 bits, so ``frame_rate`` runs from 100/65535 (0.001526, one frame
every 655.35 s) to 100; other rates raise :class:`~imarray.errors.InvalidOptionError`
before anything is written. The
requested rate, greyness, frame count and any ``scale`` request are recorded
as JSON in a comment, so ``info`` reports them (the frame rate also as the t spacing, as
for video). ``loop`` is the repeat count of the
NETSCAPE2.0 extension: 0 (default) repeats forever.

GIFs written by other tools load as RGB ``(frames, y, x, 3)``, or as grey ``(frames, y, x)`` when every
colour table in the file holds greys only.

A damaged file raises :class:`~imarray.errors.CorruptFileError`, also one cut
cleanly between two frames: every GIF must end in its ``;`` trailer (bytes
after it are ignored), and a file imarray wrote must hold the frame count it
recorded.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> frames = np.zeros((3, 4, 5), np.uint8)          # three identical frames
>>> with tempfile.TemporaryDirectory() as folder:
...     path = ia.save(pathlib.Path(folder) / "still.gif", frames, frame_rate=10)
...     ia.load(path).shape, ia.info(path).metadata["frame_rate"]
((3, 4, 5), 10.0)
"""

from __future__ import annotations

import contextlib
import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import GifImagePlugin, Image

from .._memory import output_array
from .._paths import file_size, whole_file
from .._progress import progress as progress_bar
from ..errors import CorruptFileError, InvalidOptionError, UnsupportedDtypeError
from ..fileinfo import FileInfo
from ..registry import FormatSpec
from ..sources import Source
from .video import RateLimits, _is_int, check_movie_shape, frame_rate_for, movie_geometry

_COMMENT_PREFIX = b"imarray "
_GREY_PALETTE = bytes(np.repeat(np.arange(256, dtype=np.uint8), 3))
_MAX_SIDE = 65535
_MAX_DELAY = 65535  # hundredths of a second: a GIF frame's delay is 16 bits
_RATES: RateLimits = (
    100 / _MAX_DELAY, 100.0, f"a GIF stores each frame's delay as 0..{_MAX_DELAY} hundredths of a second, "
    f"so from 1/100 s to {_MAX_DELAY / 100:g} s per frame",
)


def _grey_table(table: bytes, size: int) -> bool:
    """True when the colour table read (``size`` bytes asked) holds greys only; a short read is a cut file."""
    if len(table) < size:
        raise EOFError
    colours = np.frombuffer(table, np.uint8)
    return bool((colours[0::3] == colours[1::3]).all() and (colours[0::3] == colours[2::3]).all())


def _count_frames(data: Path | io.BytesIO, path: Path | Source) -> tuple[int, bool]:
    """Frames of the GIF (``data``: its file or bytes) by walking its blocks to the ``;`` trailer, which a
    truncated file lacks; and whether every colour table (global and local) holds greys only.

    Pillow stops quietly at the end of the data, so a file cut between two
    frames would load with fewer frames; the walk reads block lengths and colour tables only.
    Errors name ``path``.
    """
    try:
        with contextlib.nullcontext(data) if isinstance(data, io.BytesIO) else open(data, "rb") as handle:
            handle.seek(0)
            head = handle.read(13)
            if len(head) < 13:
                raise EOFError
            grey = True
            screen = struct.unpack("<2H", head[6:10])
            if head[10] & 0x80:  # global colour table
                grey = _grey_table(handle.read(3 << ((head[10] & 7) + 1)), 3 << ((head[10] & 7) + 1))
            frames = 0
            while (introducer := handle.read(1)) != b";":
                if introducer == b",":  # image descriptor, local colour table, LZW code size
                    descriptor = handle.read(9)
                    if len(descriptor) < 9:
                        raise EOFError
                    left, top, width, height = struct.unpack("<4H", descriptor[:8])
                    if left + width > screen[0] or top + height > screen[1]:  # Pillow would grow the canvas
                        raise CorruptFileError(
                            f"frame {frames} ({width}x{height} at {left},{top}) lies outside the "
                            f"{screen[0]}x{screen[1]} screen", path=path,
                            hint="the file is damaged")
                    if descriptor[8] & 0x80:
                        table = 3 << ((descriptor[8] & 7) + 1)
                        grey = _grey_table(handle.read(table), table) and grey
                    handle.seek(1, 1)
                    frames += 1
                elif introducer == b"!":  # extension label
                    handle.seek(1, 1)
                elif introducer:
                    raise CorruptFileError(f"unexpected block {introducer!r} after {frames} frames", path=path,
                                           hint="the file is damaged")
                else:
                    raise EOFError
                while size := handle.read(1):  # data sub-blocks up to the empty one
                    if size == b"\x00":
                        break
                    handle.seek(size[0], 1)
                else:
                    raise EOFError
    except EOFError:
        raise CorruptFileError(
            "the file ends before the GIF trailer", path=path,
            hint="the file is truncated (an interrupted download or copy)",
        ) from None
    return frames, grey


def _open(path: Path | Source) -> tuple[Image.Image, bool]:
    """The open GIF, its frames counted from its blocks first (a Source is fetched whole), and whether its
    colour tables are all grey."""
    data = whole_file(path)
    blocks, grey = _count_frames(data, path)
    try:
        image = Image.open(data, formats=["GIF"])
        frames = int(getattr(image, "n_frames", 1))  # walks the frame headers: damage shows here
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise CorruptFileError(
            f"Pillow cannot read it as GIF ({exc})", path=path, hint="the file is damaged or holds no frame"
        ) from exc
    if frames < 1:  # pragma: no cover - Pillow refuses a GIF without frames when opening
        raise CorruptFileError("the GIF holds no frame", path=path)
    recorded = _tag(image).get("frames", blocks)
    if frames != blocks or recorded != blocks:
        image.close()
        raise CorruptFileError(
            f"imarray wrote {recorded} frames, the file holds {blocks}" if recorded != blocks
            else f"the file holds {blocks} images but {frames} frames decode",
            path=path, hint="the file is damaged or was cut and given a new trailer",
        )
    return image, grey


def _tag(image: Image.Image) -> dict[str, Any]:
    comment = image.info.get("comment", b"")
    if not comment.startswith(_COMMENT_PREFIX):
        return {}
    try:
        tag = json.loads(comment[len(_COMMENT_PREFIX) :])
    except ValueError:
        return {}
    return tag if isinstance(tag, dict) else {}


def _describe(image: Image.Image, path: Path, spec: FormatSpec, grey_tables: bool) -> FileInfo:
    tag = _tag(image)
    grey = tag.get("colour") == "grey" if tag else grey_tables
    width, height = image.size
    frames = int(getattr(image, "n_frames", 1))
    shape = (frames, height, width) if grey else (frames, height, width, 3)
    metadata: dict[str, Any] = {"colour": "grey" if grey else "rgb"}
    duration = image.info.get("duration")
    if tag.get("frame_rate"):
        metadata["frame_rate"] = float(tag["frame_rate"])
    elif duration:
        metadata["frame_rate"] = 1000.0 / duration
    if "loop" in image.info:
        metadata["loop"] = image.info["loop"]
    metadata.update({k: v for k, v in tag.items() if k not in ("colour", "frames", "frame_rate", "geometry")})
    return FileInfo(
        path=path, format=spec.name, shape=shape, dtype="uint8", axes="tyx" if grey else "tyxc",
        files=(path,), disk_bytes=file_size(path), **movie_geometry(tag, metadata["colour"], metadata),
    )


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Frames, size, frame rate and loop count from the headers (no decoding)."""
    image, grey = _open(path)
    with image:
        return _describe(image, path, spec, grey)


def _decoded(image: Image.Image, described: FileInfo) -> Iterator[np.ndarray]:
    grey = described.metadata["colour"] == "grey"
    for index in range(described.shape[0]):
        try:
            image.seek(index)
            rgb = np.asarray(image.convert("RGB"))
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CorruptFileError(
                f"frame {index} cannot be decoded ({exc})", path=described.path, hint="the file is damaged"
            ) from exc
        if rgb.shape[:2] != described.shape[1:3]:  # Pillow grows the canvas for a frame placed beyond it
            raise CorruptFileError(f"frame {index} is {rgb.shape[1]}x{rgb.shape[0]}, the screen "
                                   f"{described.shape[2]}x{described.shape[1]}", path=described.path,
                                   hint="the file is damaged (a frame lies outside the logical screen)")
        yield rgb[..., 0] if grey else rgb


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None) -> tuple[np.ndarray, FileInfo]:
    """Decode every frame into one preallocated array (into ``out`` when given)."""
    image, grey = _open(path)
    with image:
        described = _describe(image, path, spec, grey)
        out = output_array(described.shape, described.dtype, path, out)
        for index, frame in enumerate(_decoded(image, described)):
            out[index] = frame
    return out, described


def iter_frames(path: Path, *, spec: FormatSpec) -> Iterator[np.ndarray]:
    """Yield the frames one at a time (each a new array)."""
    image, grey = _open(path)
    with image:
        described = _describe(image, path, spec, grey)
        for frame in _decoded(image, described):
            yield frame.copy()


def _palette(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(indices, palette colours) of an RGB frame, or None if it has more than 256 colours."""
    packed = (frame[..., 0].astype(np.uint32) << 16) | (frame[..., 1].astype(np.uint32) << 8) | frame[..., 2]
    colours, indices = np.unique(packed.ravel(), return_inverse=True)
    if colours.size > 256:
        return None
    palette = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], axis=-1).astype(np.uint8)
    return indices.reshape(frame.shape[:2]).astype(np.uint8), palette


def check_writable(
    array: np.ndarray, *, spec: FormatSpec, frame_rate: float | None = None, loop: int | None = None,
    quantize: bool | None = None, progress: bool = False, metadata: dict | None = None,
) -> None:
    """Refuse, before writing, shapes and options a GIF cannot take.

    ``metadata`` is what the writer will receive: an Image's t spacing there
    is the frame rate when ``frame_rate=`` is not given, checked here too.
    A colour frame of more than 256 colours is refused by ``write``, which
    counts them once while encoding (the write is atomic: nothing is left).
    """
    check_movie_shape(array, spec, ((metadata or {}).get("geometry") or {}).get("axes"))
    if max(array.shape[1:3]) > _MAX_SIDE:
        raise UnsupportedDtypeError(f"GIF frames are at most {_MAX_SIDE} pixels wide or high", hint="use .mkv or .tif")
    frame_rate_for(frame_rate, metadata or {}, limits=_RATES)
    if loop is not None and not (_is_int(loop) and 0 <= loop <= 65535):
        raise InvalidOptionError(f"loop must be an integer 0..65535 (0 repeats forever), got {loop!r}")


def _header(width: int, height: int, loop: int, comment: bytes) -> bytes:
    """GIF89a header without a global palette (each frame brings its own), loop and comment extensions."""
    parts = [b"GIF89a", struct.pack("<HHBBB", width, height, 0, 0, 0)]
    parts.append(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")
    parts.append(b"!\xfe")
    for start in range(0, len(comment), 255):
        block = comment[start : start + 255]
        parts.append(bytes([len(block)]) + block)
    parts.append(b"\x00")
    return b"".join(parts)


def _paletted(frame: np.ndarray, quantize: bool, index: int) -> Image.Image:
    if frame.ndim == 2:
        image = Image.frombytes("P", (frame.shape[1], frame.shape[0]), np.ascontiguousarray(frame).tobytes())
        image.putpalette(_GREY_PALETTE)
        return image
    exact = _palette(frame)
    if exact is None:
        if not quantize:
            raise UnsupportedDtypeError(
                f"frame {index} has more than 256 colours; a GIF frame holds 256 exactly",
                hint="pass quantize=True for a lossy 256-colour palette, or save as .mkv (lossless video) "
                "or .tif to keep every colour",
            )
        return Image.fromarray(np.ascontiguousarray(frame), mode="RGB").quantize(256)
    indices, palette = exact
    image = Image.frombytes("P", (frame.shape[1], frame.shape[0]), indices.tobytes())
    image.putpalette(palette.tobytes())
    return image


def write(
    path: Path,
    array: np.ndarray,
    *,
    spec: FormatSpec,
    metadata: dict,
    frame_rate: float | None = None,
    loop: int | None = None,
    quantize: bool | None = None,
    progress: bool = False,
) -> None:
    """Write every frame whole, each with its own palette and the frame delay."""
    rate = frame_rate_for(frame_rate, metadata, limits=_RATES)
    delay_ms = 10 * max(1, round(100 / rate))
    tag = {"colour": "grey" if array.ndim == 3 else "rgb", "frames": int(array.shape[0]), "frame_rate": rate,
           **metadata}
    comment = _COMMENT_PREFIX + json.dumps(tag).encode()
    with open(path, "wb") as handle:
        handle.write(_header(array.shape[2], array.shape[1], 0 if loop is None else int(loop), comment))
        frames = progress_bar(enumerate(array), total=array.shape[0], desc="encoding", enabled=progress, unit="frame")
        for index, frame in frames:
            image = _paletted(frame, bool(quantize), index)
            handle.write(b"".join(GifImagePlugin.getdata(image, include_color_table=True, duration=delay_ms,
                                                         disposal=1)))
        handle.write(b";")
