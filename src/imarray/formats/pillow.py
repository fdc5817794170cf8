"""PNG, JPEG and BMP through Pillow, with explicit modes and exact dtypes.

Pillow's own guesses are where values get lost (a uint32 array becomes mode
"I" and a 16-bit PNG is clipped; a bool image becomes 0/255), so every mode is
chosen here from the dtype and shape, and every mode read back maps to one
dtype: "1" -> bool, "L" -> uint8, 16-bit grey -> uint16, "RGB"/"RGBA" -> uint8
colour. Palette images are returned as their colours (RGB or RGBA).

These formats hold pixels only: ``ia.write`` stores no spacing, origin or
pixel kind in them; ``ia.read`` reports colour modes as kind ``rgb`` and
mode "1" as ``binary``.
"""

from __future__ import annotations

import contextlib
import json
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, PngImagePlugin

from .._memory import check_fits, output_array
from .._paths import file_size, whole_file
from ..errors import CorruptFileError, ImarrayError, InvalidOptionError, UnsupportedDtypeError, UnsupportedFeatureError
from ..fileinfo import FileInfo
from ..registry import FormatSpec
from ..sources import Source

_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM")
_PIL_FORMAT = {"png": "PNG", "jpeg": "JPEG", "bmp": "BMP"}
_GREY = {"bool": "1", "uint8": "L", "uint16": "I;16"}
_COLOUR = {3: "RGB", 4: "RGBA"}
_MODE_NAMES = {"CMYK": "CMYK", "YCbCr": "YCbCr", "LAB": "CIELAB", "HSV": "HSV"}
_READ_DTYPE = {"1": "bool", "L": "uint8", "I;16": "uint16", "I;16B": "uint16", "I;16L": "uint16",
               "RGB": "uint8", "RGBA": "uint8", "LA": "uint8"}
_JPEG_QUALITY = 95
# what each format round-trips (measured with Pillow 13: BMP reads RGBA back as RGB)
_HELD = {"png": {"1", "L", "I;16", "RGB", "RGBA"}, "bmp": {"1", "L", "RGB"}, "jpeg": {"L", "RGB"}}
_DESCRIBED = {
    "png": "(y, x) bool/uint8/uint16 grey or (y, x, 3|4) uint8 RGB/RGBA",
    "bmp": "(y, x) bool/uint8 grey or (y, x, 3) uint8 RGB",
    "jpeg": "(y, x) uint8 grey or (y, x, 3) uint8 RGB",
}


# what Pillow raises on a cut or damaged file ("image file is truncated", chunk parsing, ...)
_DAMAGE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


def _open_unguarded(path: Path | BinaryIO) -> Image.Image:
    """``Image.open`` without Pillow's decompression-bomb refusal: imarray's own size check (``check_fits``,
    against the machine's memory) decides before any pixel is decoded, so a genuine 13,500 x 13,500 PNG opens."""
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        return Image.open(path)
    finally:
        Image.MAX_IMAGE_PIXELS = limit


@contextlib.contextmanager
def _opened(path: Path | Source) -> Iterator[Image.Image]:
    """The open Pillow image; any decoding error inside is a CorruptFileError naming ``path``.

    A :class:`~imarray.sources.Source` (URL, bytes, file object) is fetched whole first.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = _open_unguarded(whole_file(path))
        with image:
            yield image
    except ImarrayError:
        raise
    except Image.DecompressionBombError as exc:  # pragma: no cover - MAX_IMAGE_PIXELS is lifted in read
        raise CorruptFileError(str(exc), path=path) from exc
    except _DAMAGE as exc:
        raise CorruptFileError(
            f"Pillow cannot read it ({type(exc).__name__}: {exc})", path=path, hint="the file is damaged or truncated"
        ) from exc


def _layout(image: Image.Image, path: Path) -> tuple[tuple[int, ...], str, str]:
    """(shape, dtype, axes) of what ``read`` returns for ``image``."""
    mode = image.mode
    width, height = image.size
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in image.info
        if not has_alpha and grey_palette(image):
            return ((height, width), "uint8", "yx")
        return ((height, width, 4 if has_alpha else 3), "uint8", "yxc")
    if mode == "I" and image.format == "PNG":  # Pillow opens 16-bit grey PNG as "I"
        return ((height, width), "uint16", "yx")
    if mode in ("I", "F") and image.format != "PNG":
        return ((height, width), "int32" if mode == "I" else "float32", "yx")
    if mode not in _READ_DTYPE:
        raise UnsupportedFeatureError(
            f"pixels in Pillow mode {mode!r} ({_MODE_NAMES.get(mode, 'this colour model')}) have no exact grey or RGB "
            "form: the file is valid, imarray does not convert colour models",
            path=path,
            hint="convert it with an image editor to grey or RGB, or read it with Pillow and choose a conversion",
        )
    channels = {"RGB": 3, "RGBA": 4, "LA": 2}.get(mode)
    shape = (height, width) if channels is None else (height, width, channels)
    return shape, _READ_DTYPE[mode], "yx" if channels is None else "yxc"


def grey_palette(image: Image.Image) -> bool:
    """True when every colour of ``image``'s palette is a grey (r == g == b): its pixels are grey levels."""
    palette = np.frombuffer(bytes(image.getpalette() or []), np.uint8)
    return palette.size > 0 and bool((palette.reshape(-1, 3) == palette.reshape(-1, 3)[:, :1]).all())


def _frames(image: Image.Image) -> int:
    """How many frames an animated PNG holds (1 for every still image)."""
    return int(getattr(image, "n_frames", 1)) if image.format == "PNG" else 1


def _describe(image: Image.Image, path: Path, spec: FormatSpec) -> FileInfo:
    shape, dtype, axes = _layout(image, path)
    metadata: dict = {"mode": image.mode}
    if axes == "yxc" and shape[-1] in (3, 4):
        metadata["kind"] = "rgb"
    elif dtype == "bool":
        metadata["kind"] = "binary"
    frames = _frames(image)
    if frames > 1:  # an animated PNG: every frame, as a (t, y, x[, c]) stack
        shape, axes = (frames, *shape), "t" + axes
    text = getattr(image, "text", None) if image.format == "PNG" else None
    if text and "imarray" in text:
        try:
            metadata.update(json.loads(text["imarray"]))
        except ValueError:
            metadata["imarray"] = text["imarray"]
    return FileInfo(
        path=path, format=spec.name, shape=shape, dtype=dtype, axes=axes,
        files=(path,), disk_bytes=file_size(path), metadata=metadata,
    )


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Header-only description (Pillow opens lazily)."""
    with _opened(path) as image:
        return _describe(image, path, spec)


def _pixels(image: Image.Image, shape: tuple[int, ...], dtype: str, path: Path) -> np.ndarray:
    """The current frame of ``image`` as an array of ``shape`` and ``dtype``."""
    if image.mode in ("P", "PA"):
        image = image.convert("L" if len(shape) == 2 else "RGBA" if shape[-1] == 4 else "RGB")
    array = np.asarray(image)
    if array.dtype == np.bool_:  # Pillow's mode "1" arrays hold 255 for True: make them canonical 0/1 bytes
        array = array.view(np.uint8) != 0
    array = array.astype(dtype, copy=False)
    if array.shape != shape:  # an APNG frame of another mode, or a Pillow change
        raise CorruptFileError(f"decoded shape {array.shape} differs from the header's {shape}", path=path)
    return array


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None) -> tuple[np.ndarray, FileInfo]:
    """Decode the pixels exactly, every frame of an animated PNG; into ``out`` when given.

    Examples
    --------
    >>> import tempfile, pathlib, imarray as ia
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     p = ia.save(pathlib.Path(folder) / "a.png", np.array([[0, 65535]], np.uint16))
    ...     ia.load(p)
    array([[    0, 65535]], dtype=uint16)
    """
    with _opened(path) as image:
        file_info = _describe(image, path, spec)
        check_fits(file_info.shape, file_info.dtype, path)
        frames = _frames(image)
        frame_shape = file_info.shape[1:] if frames > 1 else file_info.shape
        max_pixels = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None  # our own memory check above replaces Pillow's bomb guard
        try:
            if frames == 1:
                image.load()
                array = _pixels(image, frame_shape, file_info.dtype, path)
            else:
                array = output_array(file_info.shape, file_info.dtype, path, out)
                for index in range(frames):
                    image.seek(index)
                    array[index] = _pixels(image, frame_shape, file_info.dtype, path)
                return array, file_info
        finally:
            Image.MAX_IMAGE_PIXELS = max_pixels
    if out is not None:
        out[...] = array
        array = out
    return array, file_info


def _mode(array: np.ndarray, spec: FormatSpec) -> str | None:
    if array.ndim == 2:
        return _GREY.get(array.dtype.name)
    if array.ndim == 3 and array.dtype == np.uint8:
        return _COLOUR.get(array.shape[-1])
    return None


def check_writable(array: np.ndarray, *, spec: FormatSpec, quality: int | None = None,
                   compress_level: int | None = None, metadata: dict | None = None) -> None:
    """Raise before writing if ``spec`` cannot hold ``array`` exactly.

    Grey (y, x) images of the row's dtypes, and (y, x, 3) RGB or (y, x, 4)
    RGBA uint8. JPEG holds no alpha and no bool.
    """
    mode = _mode(array, spec)
    if mode is not None and mode not in _HELD[spec.name]:
        mode = None
    if mode is None:
        if array.ndim == 3 and array.shape[-1] in (3, 4):
            what = f"{array.shape[-1]}-channel colour of {array.dtype}"
            way = "colour is written as uint8; for 16-bit colour use ia.save('x.tif', a, photometric='rgb')"
        else:
            what = f"shape {array.shape} {array.dtype}"
            way = "save stacks as .tif (one file) or as a folder of slices"
        raise UnsupportedDtypeError(
            f"{spec.name} holds {_DESCRIBED[spec.name]}, not {what}",
            hint=way if spec.name != "jpeg" else way + "; JPEG holds uint8 grey or RGB only",
        )
    if quality is not None and not 1 <= quality <= 95:
        raise InvalidOptionError(f"quality={quality!r} is outside 1..95", hint="pass quality=90, or leave it out")
    if compress_level is not None and not 0 <= compress_level <= 9:
        raise InvalidOptionError(f"compress_level={compress_level!r} is outside 0..9",
                                 hint="pass 0 (fastest, largest) to 9 (slowest, smallest), or leave it out for 6")


def write(
    path: Path, array: np.ndarray, *, spec: FormatSpec, metadata: dict, quality: int | None = None,
    compress_level: int | None = None,
) -> None:
    """Write one image with an explicit Pillow mode and format.

    Pixels only: an Image's geometry (``metadata["geometry"]``: spacing,
    origin, units, kind) is not stored; PNG keeps a ``scale=`` record.
    """
    mode = _mode(array, spec)
    dense = np.ascontiguousarray(array)
    if mode == "1":
        image = Image.fromarray(dense.astype(np.uint8) * 255, mode="L").convert("1", dither=Image.Dither.NONE)
    elif mode == "I;16":
        image = Image.frombuffer("I;16", (dense.shape[1], dense.shape[0]), dense.astype("<u2").tobytes(),
                                 "raw", "I;16", 0, 1)
    else:
        image = Image.fromarray(dense, mode=mode)
    options: dict = {}
    if spec.name == "png":
        info = PngImagePlugin.PngInfo()
        record = {key: value for key, value in metadata.items() if key != "geometry"}  # pixels only
        if record:
            info.add_text("imarray", json.dumps(record))
        options.update(pnginfo=info, compress_level=6 if compress_level is None else compress_level)
    elif spec.name == "jpeg":
        options.update(quality=quality or _JPEG_QUALITY)
    image.save(path, format=_PIL_FORMAT[spec.name], **options)
