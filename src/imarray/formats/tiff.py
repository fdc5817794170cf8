"""TIFF, BigTIFF, ImageJ hyperstacks and OME-TIFF through tifffile.

Every numpy dtype tifffile can hold round-trips bit for bit: bool (1-bit),
int8..int64, uint8..uint64, float16/32/64 and complex. Plain TIFFs carry a
small JSON description with the shape and the axes, so any array comes back
with the shape it was saved with. Nothing is guessed from shape: a last axis
of 3 is written as colour only with ``photometric="rgb"``.

Reading checks the file's size against what its header claims before
allocating anything, so a truncated file or a header claiming 10^12 pixels is
a :class:`~imarray.errors.CorruptFileError`, not an empty array or a
``MemoryError``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import os
import re
import struct
import warnings
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from .._chunking import READ_THREADS, REMOTE_CHUNK_BYTES, page_grid, read_bytes, read_file_into
from .._memory import aligned_empty, byte_view, output_array
from .._optional import import_optional
from .._paths import file_size as file_size_of
from ..dtypes import canonical
from ..errors import (
    AxesError,
    CorruptFileError,
    ImageFileNotFoundError,
    ImarrayError,
    InvalidOptionError,
    UnsupportedDtypeError,
)
from ..fileinfo import FileInfo
from ..geometry import MILLIMETRES, check_axes, ome_unit, pyramid_levels
from ..layout import dense_planes
from ..protocol import ChunkPlan
from ..registry import FormatSpec
from ..sources import Source
from ._tiff_layout import plane_layout as plane_layout  # same_layout: a folder's slices read from the first's
from ._tiff_layout import read_like as read_like

_BIGTIFF_ABOVE = int(0.95 * 2**32)
_BUILTIN_CODECS = {"zlib", "deflate", "lzma"}
_CODECS = {"zlib", "deflate", "zstd", "lzw", "lzma", "packbits", "lz4"}
# tifffile axis letters -> imarray's (S: samples of a colour pixel, I: image sequence)
_AXES = {"T": "t", "Z": "z", "C": "c", "S": "c", "Y": "y", "X": "x", "I": "q", "Q": "q"}
_OME_UNITS = {"µm": "um", "\u03bcm": "um"}
_NAMESPACE = "imarray"  # OME map annotation of imarray's own keys
_IMAGEJ_KIND = "imarray_kind"
_IMAGEJ_AXES = "imarray_axes"
_CUT_SHORT = "the write that made it was cut short; recover what is there with tifffile by hand"


class MultiSeriesWarning(UserWarning):
    """A TIFF holds several image series and only the first one was read."""


# what tifffile raises on a damaged structure (IFD chain, tags, OME-XML, strips)
# imagecodecs' decoding errors (DeflateError, ZstdError, ...) are RuntimeErrors
# what tifffile raises on a damaged file: its own error, and whatever its parsing of nonsense values hits
# (found by fuzzing: AssertionError in detect_series, ZeroDivisionError and OverflowError on zero or huge tags)
_DAMAGE = (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError, TypeError, RuntimeError, struct.error,
           AssertionError, ArithmeticError, AttributeError, RecursionError)
# tifffile logs what it finds odd (a bad tag, a missing strip) as warnings, which Python prints on stderr when
# nothing is configured; imarray reports damage as exceptions, so those lines stay out of the terminal unless
# the application configures logging itself
logging.getLogger("tifffile").addHandler(logging.NullHandler())


@contextlib.contextmanager
def _opened(path: Path | Source):
    """The open TiffFile; any tifffile, struct or decoding error inside is a CorruptFileError naming ``path``.

    ``path`` is a local path, or a :class:`~imarray.sources.Source` (a URL, bytes, a file object)
    read through its seekable file: tifffile then reads the headers and pages it needs, no more.
    """
    try:
        with contextlib.ExitStack() as stack:
            handle = path if isinstance(path, Path) else stack.enter_context(path.open())
            tif = stack.enter_context(tifffile.TiffFile(handle, name=None if isinstance(path, Path) else
                                                        path.name or "source.tif"))
            yield tif
    except ImarrayError:
        raise
    except FileNotFoundError as exc:
        raise ImageFileNotFoundError("no such file", path=path,
                                     hint="it was moved or deleted (after the lazy array was made?)") from exc
    except _DAMAGE as exc:
        raise CorruptFileError(
            f"not a readable TIFF ({type(exc).__name__}: {exc})", path=path, hint="the file is damaged or truncated"
        ) from exc


def _letters(tiff_axes: str) -> str:
    letters = "".join(_AXES.get(a, "q") for a in tiff_axes)
    if letters.count("c") > 1:  # C and S both present: keep the first as channel
        first = letters.index("c")
        letters = letters[: first + 1] + letters[first + 1 :].replace("c", "q")
    return letters


def _unsqueezed(series: tifffile.TiffPageSeries, recorded: str) -> tuple[tuple[int, ...], str] | None:
    """Shape and axes with the length-1 dimensions the writer recorded in ``recorded`` put back.

    Matches ``recorded`` against tifffile's full (unsqueezed) axes from the
    last axis; only length-1 axes may be left out. ``None`` if they disagree.
    """
    full = [(_AXES.get(a, "q"), int(n)) for a, n in zip(series.get_axes(False), series.get_shape(False), strict=True)]
    kept: list[tuple[str, int]] = []
    wanted = list(recorded)
    for letter, size in reversed(full):
        if wanted and letter == wanted[-1]:
            kept.append((letter, size))
            wanted.pop()
        elif size != 1:
            return None
    if wanted:
        return None
    kept.reverse()
    return tuple(size for _, size in kept), "".join(letter for letter, _ in kept)


def _shape_axes(
    series: tifffile.TiffPageSeries, shaped: dict | None, recorded: str | None
) -> tuple[tuple[int, ...], str]:
    """The shape and axes to return: tifffile's, with the writer's own axes and length-1 dimensions where recorded."""
    shape = tuple(int(n) for n in series.shape)
    own = shaped.get("imarray") if shaped else None
    if isinstance(own, dict):  # save(axes=) records them, write(Image) records its geometry's
        geometry: dict = own["geometry"] if isinstance(own.get("geometry"), dict) else {}
        for axes in (own.get("axes"), geometry.get("axes")):
            if isinstance(axes, str) and len(axes) == len(shape):
                return shape, axes
    if isinstance(recorded, str) and recorded:
        found = _unsqueezed(series, recorded)
        if found is not None:
            return found
    letters = _letters(series.axes)
    if len(letters) != len(shape):  # pragma: no cover - tifffile keeps these equal
        return shape, "q" * len(shape)
    return shape, letters


def _resolution_spacing(page: tifffile.TiffPage, *, unit_elsewhere: bool = False
                        ) -> tuple[dict[str, float], str | None]:
    """Spacing from the X/Y resolution tags: only pixels per centimetre are a pixel size, unless the unit is
    stated elsewhere (``unit_elsewhere``: ImageJ's description names it and writes resolutions per that unit)."""
    spacing: dict[str, float] = {}
    try:
        res_x, res_y = page.get_resolution()
    except Exception:
        return spacing, None
    if int(page.resolutionunit) != 3 and not unit_elsewhere:
        # pixels per inch (a print or screen setting: 72, 96 dpi) or per no unit at all are not pixel sizes:
        # they are kept in metadata["resolution"], not invented into a physical spacing
        return spacing, None
    unit = "cm" if int(page.resolutionunit) == 3 else None
    if res_x and res_x != 1:
        spacing["x"] = 1.0 / res_x
    if res_y and res_y != 1:
        spacing["y"] = 1.0 / res_y
    return spacing, unit


def _imagej_geometry(tif: tifffile.TiffFile) -> tuple[dict[str, float], dict[str, str], dict[str, Any]]:
    meta = tif.imagej_metadata or {}
    spacing, _ = _resolution_spacing(tif.pages.first, unit_elsewhere=True)
    unit = _imagej_unit_read(meta.get("unit"))
    if "spacing" in meta:
        spacing["z"] = float(meta["spacing"])
    # ImageJ's one unit calibrates x, y and z, whatever their spacing (1 included)
    units = {axis: unit for axis in ("x", "y", *(("z",) if "spacing" in meta else ()))} if unit else {}
    if meta.get("finterval"):
        spacing["t"] = float(meta["finterval"])
        units["t"] = _imagej_unit_read(meta.get("tunit")) or "s"
    extra: dict[str, Any] = {"imagej": {k: meta[k] for k in ("ImageJ", "mode") if k in meta} or True}
    if meta.get(_IMAGEJ_KIND):
        extra["kind"] = meta[_IMAGEJ_KIND]
    if isinstance(meta.get(_IMAGEJ_AXES), str):
        extra["axes"] = meta[_IMAGEJ_AXES]
    if isinstance(meta.get("images"), int):
        extra["planes"] = meta["images"]
    origin = {axis: -float(meta[f"{axis}origin"]) * spacing.get(axis, 1.0)  # ImageJ: pixels from the origin
              for axis in "xyz" if isinstance(meta.get(f"{axis}origin"), int | float)}
    if origin:
        extra["origin"] = origin
    return spacing, units, extra


def _ome_geometry(tif: tifffile.TiffFile) -> tuple[dict[str, float], dict[str, str], dict[str, Any]]:
    spacing: dict[str, float] = {}
    units: dict[str, str] = {}
    try:
        root = ElementTree.fromstring(tif.ome_metadata or "")
    except ElementTree.ParseError:
        return spacing, units, {"ome": "unparsable OME-XML"}
    pixels = next((el for el in root.iter() if el.tag.endswith("}Pixels") or el.tag == "Pixels"), None)
    if pixels is None:
        return spacing, units, {"ome": True}
    for axis in "xyz":
        value = pixels.get(f"PhysicalSize{axis.upper()}")
        if value is not None:
            spacing[axis] = float(value)
            unit = pixels.get(f"PhysicalSize{axis.upper()}Unit", "µm")
            units[axis] = _OME_UNITS.get(unit, unit)
    increment = pixels.get("TimeIncrement")
    if increment is not None:
        spacing["t"] = float(increment)
        units["t"] = pixels.get("TimeIncrementUnit", "s")
    extra: dict[str, Any] = {"ome": True}
    channels = [el for el in pixels if el.tag.endswith("}Channel") or el.tag == "Channel"]
    if channels:  # names and colours as OME states them; the Image keeps them if they fit its c axis
        extra["channels"] = [[el.get("Name"), _hex_color(int(el.get("Color") or 0)) if el.get("Color") else None]
                             for el in channels]
    sizes = [pixels.get(f"Size{letter}") or "" for letter in "XYZCT"]
    if all(size.isdigit() for size in sizes):
        extra["pixels"] = math.prod([int(size) for size in sizes])
    for annotation in root.iter():
        if annotation.tag.endswith("MapAnnotation") and annotation.get("Namespace") == _NAMESPACE:
            pairs = {m.get("K"): m.text for m in annotation.iter() if m.tag.endswith("}M") or m.tag == "M"}
            if pairs.get("kind"):
                extra["kind"] = pairs["kind"]
            if pairs.get("axes"):
                extra["axes"] = pairs["axes"]
            direction = _direction(pairs.get("direction"))
            if direction is not None:
                extra["direction"] = direction
            origin = {axis: float(pairs[f"origin_{axis}"] or 0) for axis in "tzyx" if pairs.get(f"origin_{axis}")}
            if origin:
                extra["origin"] = origin
            with contextlib.suppress(ValueError, TypeError):
                scale = json.loads(pairs.get("scale") or "null")
                if isinstance(scale, dict):
                    extra["scale"] = scale
    return spacing, units, extra


def _stored_bytes(series: tifffile.TiffPageSeries) -> int:
    """Bytes the pixels take in the file, uncompressed: samples of 1 to 7 or 12 bits are packed, rows start on a byte.

    A 12-bit image of 100 x 100 stores 15,000 bytes, not the 20,000 of the
    uint16 array tifffile unpacks it into.
    """
    page = series.keyframe
    bits = int(page.bitspersample)
    count = int(np.prod(series.shape, dtype=np.int64))
    if bits % 8 == 0 and series.dtype != np.bool_:
        return count * series.dtype.itemsize
    if page.is_tiled or not page.imagewidth:
        return count * bits // 8
    contiguous = page.planarconfig == 1
    samples = page.samplesperpixel
    row = -(-page.imagewidth * (samples if contiguous else 1) * bits // 8)
    per_page = row * page.imagelength * max(page.imagedepth, 1) * (1 if contiguous else samples)
    pixels_per_page = page.imagewidth * page.imagelength * max(page.imagedepth, 1) * samples
    return per_page * -(-count // max(pixels_per_page, 1))


def _check_sizes(series: tifffile.TiffPageSeries, path: Path) -> None:
    """Refuse headers that promise more pixels than the file holds."""
    file_size = file_size_of(path)
    expected = _stored_bytes(series)
    if series.dataoffset is not None:
        if series.dataoffset + expected > file_size:
            raise CorruptFileError(
                f"truncated: the header promises {expected} bytes of pixels at offset "
                f"{series.dataoffset}, the file has {file_size} bytes",
                path=path,
                hint="the write that made it was cut short; recover what is there with tifffile by hand",
            )
        return
    compressed = False
    stored = 0
    for page in series.pages:
        if page is None:
            continue
        page = page.keyframe if not hasattr(page, "dataoffsets") else page
        assert page is not None  # a frame's keyframe is a page
        offsets, counts = page.dataoffsets, page.databytecounts
        for offset, count in zip(offsets, counts, strict=False):
            if offset + count > file_size:
                raise CorruptFileError(
                    f"truncated: a strip at offset {offset} of {count} bytes ends past the file's "
                    f"{file_size} bytes",
                    path=path,
                    hint="the write that made it was cut short",
                )
        stored += sum(counts)
        compressed = compressed or page.compression != 1
    if not compressed and stored < expected:
        raise CorruptFileError(
            f"the header promises {expected} bytes of pixels but its strips hold {stored}",
            path=path,
            hint="the header is damaged or the file was cut short",
        )
    try:
        available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return
    if compressed and expected > available:
        raise CorruptFileError(
            f"the header promises {expected} bytes of pixels, more than this machine's memory",
            path=path,
            hint="if the file is genuine, read it lazily in pieces",
        )


def _per_axis(recorded: dict, key: str, kinds: type | tuple[type, ...]) -> dict:
    """The ``key`` mapping of an Image's recorded geometry, without entries a damaged description may hold."""
    values = recorded.get(key)
    if not isinstance(values, dict):
        return {}
    return {axis: value for axis, value in values.items()
            if isinstance(value, kinds) and not isinstance(value, bool) and axis in ("t", "z", "y", "x")}


def _direction(text: str | None) -> list[list[float]] | None:
    """The direction matrix (xyz order) imarray wrote as JSON in its OME map annotation; None if absent or damaged."""
    try:
        matrix = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(matrix, list) or not all(
        isinstance(row, list) and len(row) == len(matrix)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in row)
        for row in matrix
    ):
        return None
    return matrix


def _check_recorded(series: tifffile.TiffPageSeries, shaped: dict | None, extra: dict, path: Path) -> None:
    """Refuse a stack whose metadata records more planes than tifffile could recover (a cut file)."""
    plane = math.prod(int(n) for a, n in zip(series.axes, series.shape, strict=True) if a in "YXS") or 1
    readable = math.prod(int(n) for n in series.shape) // plane
    recorded = None
    if shaped and isinstance(shaped.get("shape"), list) and all(isinstance(n, int) for n in shaped["shape"]):
        recorded = math.prod(shaped["shape"]) // plane
    elif "planes" in extra:
        recorded = extra["planes"]
    elif "pixels" in extra:
        recorded = extra["pixels"] // plane
    if recorded is not None and recorded != readable:
        raise CorruptFileError(
            f"truncated or damaged: {recorded} planes recorded, {readable} readable",
            path=path,
            hint="the write that made it was cut short; recover what is there with tifffile by hand",
        )


def _check_ifd(tif: tifffile.TiffFile, offset: int, path: Path) -> int:
    """Check that the tag values of the page at ``offset`` lie inside the file; return the next page's offset.

    tifffile drops a tag whose value is cut off (an OME or ImageJ description
    stored at the end) and a page chain that points past the end, with only a
    log line: the file would read as something else, or as its first pages.
    """
    layout, handle = tif.tiff, tif.filehandle
    handle.seek(offset)
    count = struct.unpack(layout.tagnoformat, handle.read(layout.tagnosize))[0]
    data = handle.read(count * layout.tagsize + layout.offsetsize)
    if len(data) < count * layout.tagsize + layout.offsetsize:
        raise CorruptFileError(f"truncated: the page at offset {offset} ends past the file's {handle.size} bytes",
                               path=path, hint=_CUT_SHORT)
    for start in range(0, count * layout.tagsize, layout.tagsize):
        code, kind, number, value = struct.unpack(layout.tagheaderformat, data[start : start + layout.tagsize])
        item = tifffile.TIFF.DATA_FORMATS.get(kind)
        size = number * struct.calcsize(layout.byteorder + item) if item else 0
        if size > layout.tagoffsetthreshold:
            where = struct.unpack(layout.offsetformat, value)[0]
            if where + size > handle.size:
                raise CorruptFileError(
                    f"truncated or damaged: tag {code} of the page at offset {offset} holds {size} bytes at "
                    f"offset {where}, past the file's {handle.size} bytes",
                    path=path, hint=_CUT_SHORT,
                )
    return struct.unpack(layout.offsetformat, data[-layout.offsetsize :])[0]


def _check_chain(tif: tifffile.TiffFile, path: Path) -> None:
    """Refuse a file whose first or last page is cut, or whose chain of pages points past its end."""
    if tif.tiff.is_ndpi:  # NDPI keeps the high bits of its offsets elsewhere: tifffile's own checks only
        return
    pages = len(tif.pages)
    _check_ifd(tif, tif.pages.first.offset, path)
    following = _check_ifd(tif, tif.pages[pages - 1].offset, path)
    if following != 0:
        raise CorruptFileError(
            f"truncated or damaged: {pages} page{'s' if pages != 1 else ''} readable, then the chain of pages "
            f"points to offset {following} in a file of {tif.filehandle.size} bytes",
            path=path, hint=_CUT_SHORT,
        )


def _check_loop(tif: tifffile.TiffFile, path: Path) -> None:
    """Refuse a chain of pages that loops back on itself before tifffile walks it (found by fuzzing: a damaged
    next-page offset made tifffile's series detection run for minutes)."""
    if tif.tiff.is_ndpi:
        return
    layout, handle = tif.tiff, tif.filehandle
    offset, seen = tif.pages.first.offset, set[int]()
    while offset and offset + layout.tagnosize <= handle.size:
        if offset in seen:
            raise CorruptFileError(f"damaged: the chain of pages loops back to offset {offset} after {len(seen)} "
                                   "pages", path=path, hint="the file is damaged")
        seen.add(offset)
        handle.seek(offset)
        count = struct.unpack(layout.tagnoformat, handle.read(layout.tagnosize))[0]
        handle.seek(offset + layout.tagnosize + count * layout.tagsize)
        following = handle.read(layout.offsetsize)
        if len(following) < layout.offsetsize:
            return  # a cut page: _check_chain words it
        offset = struct.unpack(layout.offsetformat, following)[0]


def _chosen(tif: tifffile.TiffFile, path: Path | Source, series: int | None,
            level: int | None) -> tuple[tifffile.TiffPageSeries, dict[str, float]]:
    """The series and pyramid level asked for (the first, full resolution by default), and how much coarser
    than full resolution that level is per axis letter (1 where it is not)."""
    index = 0 if series is None else series
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(tif.series):
        raise InvalidOptionError(f"series={series!r}: the file holds {len(tif.series)} image series (0 to "
                                 f"{len(tif.series) - 1})", path=path, hint="info(path).metadata['series_shapes'] "
                                 "lists them")
    base = tif.series[index]
    levels = base.levels
    step = 0 if level is None else level
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(levels):
        raise InvalidOptionError(f"level={level!r}: the series holds {len(levels)} pyramid level(s) (0 to "
                                 f"{len(levels) - 1})", path=path, hint="info(path).metadata['level_shapes'] "
                                 "lists them")
    chosen = levels[step]
    factors = {_AXES.get(letter, "q"): full / part for letter, full, part in
               zip(base.axes, base.shape, chosen.shape, strict=True) if part and full != part}
    return chosen, factors


def _describe(tif: tifffile.TiffFile, path: Path, spec: FormatSpec, which: int | None = None,
              level: int | None = None) -> tuple[tifffile.TiffPageSeries, FileInfo]:
    _check_loop(tif, path)
    if not tif.series:
        raise CorruptFileError("the TIFF holds no image", path=path)
    series_index = which
    series, factors = _chosen(tif, path, which, level)
    shaped = tif.shaped_metadata[0] if tif.is_shaped and tif.shaped_metadata else None
    metadata: dict[str, Any] = {}
    if tif.is_imagej:
        spacing, units, extra = _imagej_geometry(tif)
        fmt = "imagej"
    elif tif.is_ome:
        spacing, units, extra = _ome_geometry(tif)
        fmt = "ome-tiff"
    else:
        spacing, unit = _resolution_spacing(tif.pages.first)
        units = {axis: unit for axis in spacing} if unit else {}
        stated = tif.pages.first.tags.get("XResolution")
        if not spacing and stated is not None and not (shaped and "imarray" in shaped):
            metadata["resolution"] = {"x": float(np.divide(*stated.value)) if stated.value[1] else 0.0,
                                      "unit": getattr(tif.pages.first.resolutionunit, "name",
                                                      str(tif.pages.first.resolutionunit)).lower()}
        extra = {}
        fmt = "tiff"
    _check_recorded(tif.series[series_index or 0], shaped, extra, path)  # headers describe full resolution
    _check_chain(tif, path)
    _check_sizes(series, path)
    shape, axes = _shape_axes(series, shaped, extra.pop("axes", None))
    extra.pop("planes", None)
    extra.pop("pixels", None)
    metadata.update(extra)
    if tif.is_bigtiff:
        metadata["bigtiff"] = True
    compression = tif.pages.first.compression
    if compression != 1:
        metadata["compression"] = tifffile.COMPRESSION(compression).name.lower()
    if len(tif.series) > 1:
        metadata["series"] = len(tif.series)
        metadata["series_shapes"] = [[int(n) for n in other.shape] for other in tif.series]
    levels = tif.series[series_index or 0].levels
    if len(levels) > 1:
        metadata["levels"] = len(levels)
        metadata["level_shapes"] = [[int(n) for n in step.shape] for step in levels]
    spacing = {axis: value * factors.get(axis, 1.0) for axis, value in spacing.items()}  # a coarser level's pixels
    origin: dict[str, float] = metadata.pop("origin", {})
    if shaped and isinstance(shaped.get("imarray"), dict):
        for key in ("scale",):
            if key in shaped["imarray"]:
                metadata[key] = shaped["imarray"][key]
        recorded = shaped["imarray"].get("geometry")
        if isinstance(recorded, dict) and fmt == "tiff":
            spacing = {**spacing, **_per_axis(recorded, "spacing", (int, float))}
            units = {**units, **_per_axis(recorded, "units", str)}
            origin = _per_axis(recorded, "origin", (int, float))
            metadata.update({key: recorded[key] for key in ("kind", "direction", "channels") if key in recorded})
    info = FileInfo(
        path=path,
        format=fmt,
        shape=shape,
        dtype=series.dtype.newbyteorder("=").name,
        axes=axes,
        spacing=spacing,
        units=units,
        origin=origin,
        files=(path,),
        disk_bytes=file_size_of(path),
        metadata=metadata,
    )
    return series, info


def info(path: Path, *, spec: FormatSpec, series: int | None = None, level: int | None = None) -> FileInfo:
    """Header-only description of a TIFF file (its ``series`` and pyramid ``level``); damage is a CorruptFileError.

    ``metadata`` lists the file's series (``series_shapes``) and pyramid levels (``level_shapes``).
    """
    with _opened(path) as tif:
        return _describe(tif, path, spec, series, level)[1]


def warn_other_series(tif: tifffile.TiffFile, path: Path, *, stacklevel: int) -> None:
    """A MultiSeriesWarning if ``tif`` holds more image series than the first, which is what is read."""
    if len(tif.series) > 1:
        first = tif.series[0]
        others = "; ".join(f"series={i}: {tuple(s.shape)} {s.dtype}" for i, s in enumerate(tif.series) if i)
        warnings.warn(
            f"{path}: holds {len(tif.series)} image series; read the first, {tuple(first.shape)} "
            f"{first.dtype}; the others ({others}) are not read: use tifffile.imread(path, series=1) for them",
            MultiSeriesWarning,
            stacklevel=stacklevel,
        )


def read(
    path: Path, *, spec: FormatSpec, out: np.ndarray | None = None, mmap: bool = False,
    series: int | None = None, level: int | None = None,
) -> tuple[np.ndarray, FileInfo]:
    """Read an image series of a TIFF (the first unless ``series=``), at a pyramid ``level``, checking sizes first.

    A file of several series (thumbnails, differently shaped images written
    one after another) read without ``series=`` gives its first series with a
    :class:`MultiSeriesWarning` naming the others; ``info`` lists their
    shapes in ``metadata["series_shapes"]``. ``level=k`` reads the k-th
    reduced resolution of a pyramidal (SubIFD) series, spacing scaled.

    With ``mmap=True`` an uncompressed, contiguous file is returned as a
    read-only ``np.memmap`` without reading it.
    """
    with _opened(path) as tif:
        chosen, file_info = _describe(tif, path, spec, series, level)
        if series is None:
            warn_other_series(tif, path, stacklevel=6)
        series_index = 0 if series is None else series
        if mmap:
            if chosen.dataoffset is None or chosen.dtype == np.bool_:
                raise UnsupportedDtypeError(
                    "mmap=True needs uncompressed, contiguous pixels; this TIFF is compressed or tiled",
                    path=path,
                    hint="load it without mmap, or save it uncompressed",
                )
            mapped = np.memmap(  # tifffile reports the native dtype; bytes as filed
                path, dtype=canonical(chosen.dtype.newbyteorder(tif.byteorder)), mode="r", offset=chosen.dataoffset,
                shape=file_info.shape,
            )
            return mapped, file_info
        if out is not None:
            if out.size != math.prod(chosen.shape) or out.dtype != chosen.dtype.newbyteorder("="):
                raise CorruptFileError(
                    f"holds {chosen.dtype} pixels of shape {file_info.shape}, not the {out.dtype} "
                    f"{out.shape} expected", path=path,
                )
            out = out.reshape(chosen.shape)  # same frames, e.g. (1, y, x) into (y, x)
        array: np.ndarray
        if isinstance(path, Path) and chosen.dataoffset is not None and chosen.dtype != np.bool_:
            array = _read_contiguous(path, chosen, tif.byteorder, out).reshape(file_info.shape)
        else:  # compressed, tiled or strided pages: tifffile decodes them, on both cores
            array = tif.asarray(series=series_index, level=level or 0, out=out,
                                maxworkers=READ_THREADS).reshape(file_info.shape)
    if array.dtype.byteorder not in ("=", "|") and array.dtype != array.dtype.newbyteorder("="):
        array = array.astype(array.dtype.newbyteorder("="))
    return array.view(canonical(array.dtype)), file_info


def _read_contiguous(path: Path, series: tifffile.TiffPageSeries, byteorder: str,
                     out: np.ndarray | None) -> np.ndarray:
    """Uncompressed, contiguous pixels read straight into a page-aligned array by positioned reads on both cores."""
    native = series.dtype.newbyteorder("=")
    target = output_array(tuple(series.shape), native, path) if out is None else out
    read_file_into(path, int(series.dataoffset or 0), byte_view(target))  # callers check it is not None
    if canonical(series.dtype.newbyteorder(byteorder)) != canonical(native):  # type: ignore[arg-type]
        target.byteswap(inplace=True)  # the file's order, swapped in place: no second array
    return target


def chunk_plan(path: Path, *, spec: FormatSpec, level: int | None = None) -> ChunkPlan:
    """Groups of consecutive pages of about 64 MB (at least one page), from the header alone.

    An uncompressed, contiguous series is read from file offsets; any other
    decodes its pages from the strip offsets found in the header, with no walk
    through the file's IFD chain per task. ``level`` picks a pyramid level.
    """
    with _opened(path) as tif:
        series, described = _describe(tif, path, spec, None, level)  # checks the sizes against the file
        warn_other_series(tif, path, stacklevel=7)
        shape = tuple(int(s) for s in described.shape)
        page_ndim = len(series.keyframe.shape)
        leading, page_shape = shape[:-page_ndim], shape[-page_ndim:]
        stored = canonical(series.dtype.newbyteorder(tif.byteorder))  # tifffile reports the decoded, native dtype
        page_bytes = math.prod(page_shape) * stored.itemsize
        offset = series.dataoffset
        contiguous = offset is not None and stored != np.bool_
        pages = [] if contiguous else [(int(page.index), tuple(page.dataoffsets), tuple(page.databytecounts))
                                       for page in series.pages if page is not None]
    if not contiguous and len(pages) != math.prod(leading):
        raise CorruptFileError(f"the series has {len(pages)} pages, its shape needs {math.prod(leading)}", path=path)
    grid = page_grid(leading, page_bytes, None if isinstance(path, Path) else REMOTE_CHUNK_BYTES)
    tasks: dict[tuple[int, ...], tuple] = {}
    for key in itertools.product(*(range(len(sizes)) for sizes in grid)):
        block = tuple(sizes[i] for sizes, i in zip(grid, key, strict=True))
        corner = [sum(sizes[:i]) for sizes, i in zip(grid, key, strict=True)]
        first = int(np.ravel_multi_index(corner, leading)) if leading else 0
        count = math.prod(block)
        if contiguous:
            tasks[(*key, *(0,) * page_ndim)] = (read_bytes, _task_path(path), stored.str,
                                                int(offset or 0) + first * page_bytes, (*block, *page_shape))
        else:
            tasks[(*key, *(0,) * page_ndim)] = (read_pages, _task_path(path), pages[first : first + count],
                                                (*block, *page_shape), stored.newbyteorder("=").str, level or 0)
    return ChunkPlan(chunks=(*grid, *((s,) for s in page_shape)), tasks=tasks, info=described,
                     dtype=stored if contiguous else stored.newbyteorder("="))


def _task_path(path: Path | Source) -> str | Source:
    """What a task reopens: a local file's name, or the source itself (it pickles to workers)."""
    return str(path) if isinstance(path, Path) else path


def read_pages(path: str | Source, pages: list[tuple[int, tuple, tuple]], shape: tuple[int, ...], dtype: str,
               level: int = 0, out: np.ndarray | None = None) -> np.ndarray:
    """Task: decode TIFF pages (of pyramid ``level``) from their strip offsets, into ``out`` if given.

    Full-resolution pages need no walk through the IFD chain; a reduced level's
    pages are described by its first SubIFD, found through the first series.
    """
    out = aligned_empty(shape, dtype) if out is None else out
    with _opened(Path(path) if isinstance(path, str) else path) as tif:
        keyframe = tif.pages.first if not level else tif.series[0].levels[level].keyframe
        planes = out.reshape(len(pages), *keyframe.shape)
        for slot, (index, offsets, counts) in enumerate(pages):
            frame = tifffile.TiffFrame(tif, index=index, dataoffsets=offsets, databytecounts=counts,
                                       keyframe=keyframe)
            try:
                planes[slot] = frame.asarray()
            except _DAMAGE as exc:
                raise CorruptFileError(f"cannot decode page {index} ({exc})", path=path) from exc
    return out


def check_writable(
    array: np.ndarray,
    *,
    spec: FormatSpec,
    compression: str | None = None,
    axes: str | None = None,
    bigtiff: bool | None = None,
    photometric: str | None = None,
    pyramid: bool | int | None = None,
    metadata: dict | None = None,
) -> None:
    """Raise before writing if the TIFF flavour in ``spec`` cannot hold ``array``."""
    axes = check_axes(axes, array.ndim)
    if pyramid is not None and not isinstance(pyramid, bool) and pyramid < 1:
        raise InvalidOptionError(f"pyramid={pyramid!r}: pass True, False or a number of levels (1 or more)")
    if compression is not None:
        if compression.lower() not in _CODECS:
            raise InvalidOptionError(f"compression={compression!r} is not a TIFF codec",
                                     hint=f"choose one of {', '.join(sorted(_CODECS))}")
        if compression.lower() not in _BUILTIN_CODECS:
            import_optional("imagecodecs", extra="codecs", purpose=f"TIFF compression={compression!r}")
    if photometric is not None:
        if photometric.lower() not in ("rgb", "minisblack"):
            raise InvalidOptionError(f"photometric={photometric!r}: choose 'rgb' or 'minisblack'")
        if photometric.lower() == "rgb" and (
            array.ndim < 3 or array.shape[-1] not in (3, 4) or array.dtype.kind not in "uf"
        ):
            raise UnsupportedDtypeError(
                f"photometric='rgb' needs a last axis of 3 or 4 samples of unsigned or float data; "
                f"got shape {array.shape} {array.dtype}"
            )
    if spec.name == "imagej":
        if array.ndim > 6:
            raise UnsupportedDtypeError(f"ImageJ hyperstacks have at most 6 dimensions (TZCYXS); got {array.ndim}")
        rgb = photometric is not None and photometric.lower() == "rgb"
        if rgb and array.dtype != np.uint8:
            raise UnsupportedDtypeError(
                f"ImageJ colour images are uint8 RGB; got {array.dtype}",
                hint="pass dtype='uint8' (with scale= if the values do not fit), or save as plain .tif",
            )
        planes = axes[:-1] if axes is not None and rgb else axes  # an RGB image's colour axis is its samples
        if planes is not None and ("q" in planes or not _is_subsequence(planes, "tzcyx")):
            raise AxesError(
                f"ImageJ needs axes in the order t, z, c, y, x (any may be missing); got {axes!r}",
                hint="transpose the array first, e.g. np.moveaxis",
            )
    if spec.name == "ome-tiff" and axes is not None and "q" in axes:
        raise AxesError("OME-TIFF needs every axis named (t, z, c, y, x); 'q' is not allowed")
    if spec.name == "ome-tiff" and (axes or "").endswith("c") and (
            array.shape[-1] not in (3, 4) or array.dtype not in (np.uint8, np.uint16)):
        raise AxesError(f"OME-TIFF holds an interleaved colour axis (last) only as 3 or 4 uint8/uint16 RGB samples; "
                        f"this one has {array.shape[-1]} {array.dtype} values",
                        hint="move the channels before y and x (np.moveaxis(a, -1, -3), axes '...cyx')")
    if spec.name == "ome-tiff":
        _check_ome_units(((metadata or {}).get("geometry") or {}).get("units") or {})


def _check_ome_units(units: dict) -> None:
    """Refuse, before writing, a unit OME-XML cannot state (readers of OME-TIFF reject the file otherwise)."""
    for axis, unit in units.items():
        if unit and axis in "tzyx" and ome_unit(unit, time=axis == "t") is None:
            raise UnsupportedDtypeError(
                f"OME-TIFF states {'times' if axis == 't' else 'lengths'} in OME's units; the {axis} axis's "
                f"unit {unit!r} is not one", hint="use e.g. " + ("s, ms, µs" if axis == "t" else "µm, nm, mm, Å, in")
                + ", or save as .tif or .zarr, which keep any unit")


def _is_subsequence(part: str, whole: str) -> bool:
    it = iter(whole)
    return all(letter in it for letter in part)


def write(
    path: Path,
    array: np.ndarray,
    *,
    spec: FormatSpec,
    metadata: dict,
    compression: str | None = None,
    axes: str | None = None,
    bigtiff: bool | None = None,
    photometric: str | None = None,
    pyramid: bool | int | None = None,
) -> None:
    """Write ``array`` to ``path`` as the TIFF flavour of ``spec`` (OME-TIFF: with ``pyramid`` levels as SubIFDs)."""
    rgb = photometric is not None and photometric.lower() == "rgb"
    if spec.name == "ome-tiff" and (axes or "").endswith("c"):
        rgb = True  # an interleaved colour axis: OME-TIFF's RGB samples (check_writable allowed 3 or 4 of them)
    if bigtiff is None:
        bigtiff = array.nbytes > _BIGTIFF_ABOVE
    kwargs: dict[str, Any] = {
        "bigtiff": bigtiff,
        "photometric": "rgb" if rgb else "minisblack",
        "compression": None if compression is None else compression.lower(),
    }
    if array.dtype.byteorder == ">" or (array.dtype.byteorder == "=" and np.little_endian is False):
        kwargs["byteorder"] = ">"
    page_ndim = 3 if rgb else 2
    geometry = metadata.get("geometry") or {}
    if spec.name in ("imagej", "ome-tiff"):
        named = axes or _default_axes(array.ndim, rgb)
        letters = named.upper() if not rgb else named[:-1].upper() + "S"
        if spec.name == "imagej":  # imarray_axes: which length-1 dimensions to give back
            kwargs.update(imagej=True, metadata={"axes": letters, _IMAGEJ_AXES: named,
                                                 **_imagej_geometry_tags(geometry)})
        else:
            kwargs.update(ome=True, metadata={"axes": letters,
                                              **_ome_geometry_tags(geometry, named, metadata.get("scale"))})
    else:
        record: dict[str, Any] = dict(metadata)
        if axes is not None:
            record["axes"] = axes
        kwargs.update(ome=False, shaped=True, metadata={"imarray": record} if record else {})
    kwargs.update(_resolution(geometry, per_unit=spec.name == "imagej"))
    yx = array.shape[-page_ndim:][:2]  # colour samples, if any, follow y and x
    levels = pyramid_levels(max(yx), pyramid)
    if levels > 1:
        _write_pyramid(path, array, levels, page_ndim, kwargs)
    elif not isinstance(array, np.ndarray):  # a BlockStream: computed and written one page at a time
        tifffile.imwrite(path, array.pages(page_ndim), shape=array.shape, dtype=array.dtype, **kwargs)
    elif array.flags.c_contiguous or array.ndim <= page_ndim:
        tifffile.imwrite(path, np.ascontiguousarray(array), **kwargs)
    else:  # strided input: hand tifffile one dense plane at a time, never a whole copy
        pages = dense_planes(array, plane_ndim=page_ndim, reuse=True)  # tifffile writes each page before the next
        tifffile.imwrite(path, pages, shape=array.shape, dtype=array.dtype, **kwargs)



def _write_pyramid(path: Path, array: Any, levels: int, page_ndim: int, kwargs: dict[str, Any]) -> None:
    """The full-resolution series, then each level (every second y and x sample) as SubIFDs of its pages.

    Each level is written page by page like the full resolution: a
    BlockStream is computed block by block again for it.
    """
    opening = {key: kwargs.pop(key) for key in ("bigtiff", "byteorder", "ome", "imagej", "shaped") if key in kwargs}
    shared: dict[str, Any] = {key: kwargs[key] for key in ("photometric", "compression") if key in kwargs}
    yx = (slice(None),) * (len(array.shape) - page_ndim)
    with tifffile.TiffWriter(path, **opening) as tif:
        for index in range(levels):
            step = 2**index
            level = array if not index else array[(*yx, slice(None, None, step), slice(None, None, step))]
            pages = level.pages(page_ndim) if not isinstance(level, np.ndarray) else \
                dense_planes(level, plane_ndim=page_ndim, reuse=True)
            extra: dict[str, Any] = {"subifds": levels - 1, **kwargs} if not index else {"subfiletype": 1, **shared}
            tif.write(pages, shape=level.shape, dtype=level.dtype, **extra)


def _resolution(geometry: dict, *, per_unit: bool) -> dict[str, Any]:
    """X/Y resolution tags from recorded spacing: pixels per cm for metric units, else per unit.

    ImageJ reads them as pixels per its own ``unit`` (``per_unit=True``).
    """
    spacing, units = geometry.get("spacing", {}), geometry.get("units", {})
    if "x" not in spacing or "y" not in spacing or (spacing["x"], spacing["y"]) == (1.0, 1.0):
        return {}
    unit = units.get("x") if units.get("x") == units.get("y") else None
    per_cm = None if per_unit or unit not in MILLIMETRES else 10.0 / MILLIMETRES[unit]
    if per_cm is None:
        return {"resolution": (1 / spacing["x"], 1 / spacing["y"]), "resolutionunit": "NONE"}
    return {"resolution": (per_cm / spacing["x"], per_cm / spacing["y"]), "resolutionunit": "CENTIMETER"}


def _imagej_unit_written(unit: str) -> str:
    """ImageJ's description is ASCII: microns as ImageJ spells them, other letters as ``\\uXXXX`` escapes.

    >>> _imagej_unit_written("µm"), _imagej_unit_written("Å")
    ('micron', '\\\\u00C5')
    """
    if unit in ("um", "µm", "μm"):
        return "micron"
    return "".join(c if ord(c) < 128 else f"\\u{ord(c):04X}" for c in unit)


def _imagej_unit_read(unit: Any) -> str | None:
    """The unit an ImageJ description names, ``\\uXXXX`` escapes undone and microns as ``um``."""
    if not isinstance(unit, str) or not unit:
        return None
    unit = re.sub(r"\\u([0-9a-fA-F]{4})", lambda match: chr(int(match.group(1), 16)), unit)
    return "um" if unit.lower() in ("micron", "microns", "µm", "μm") else unit


def _imagej_geometry_tags(geometry: dict) -> dict[str, Any]:
    """ImageJ's description keys: z spacing, one unit, origins in pixels, and the pixel kind."""
    spacing, units, origin = (geometry.get(key, {}) for key in ("spacing", "units", "origin"))
    tags: dict[str, Any] = {}
    if "z" in spacing:
        tags["spacing"] = spacing["z"]
    if "t" in spacing:  # ImageJ's frame interval and its unit
        tags["finterval"] = spacing["t"]
        if units.get("t"):
            tags["tunit"] = _imagej_unit_written(units["t"])
    unit = next((units[a] for a in "xyz" if units.get(a)), None)
    if unit:
        tags["unit"] = _imagej_unit_written(unit)
    for axis in "xyz":
        if origin.get(axis):
            tags[f"{axis}origin"] = -origin[axis] / spacing.get(axis, 1.0)
    if geometry.get("kind", "intensity") != "intensity":
        tags[_IMAGEJ_KIND] = geometry["kind"]
    return tags


def _ome_geometry_tags(geometry: dict, axes: str, scale: dict | None = None) -> dict[str, Any]:
    """OME Pixels attributes (PhysicalSize and units) and imarray's map annotation (axes, kind, origin, direction,
    and the ``scale=`` mapping applied, if any)."""
    spacing, units, origin = (geometry.get(key, {}) for key in ("spacing", "units", "origin"))
    tags: dict[str, Any] = {}
    for axis in "xyz":  # a size without a unit is written only if it is not the default 1 (OME would read µm)
        unit = units.get(axis)
        if axis in spacing and (unit or spacing[axis] != 1.0):
            tags[f"PhysicalSize{axis.upper()}"] = spacing[axis]
            if unit:
                tags[f"PhysicalSize{axis.upper()}Unit"] = ome_unit(unit) or unit
    if "t" in spacing and (units.get("t") or spacing["t"] != 1.0):
        tags["TimeIncrement"] = spacing["t"]
        if units.get("t"):
            tags["TimeIncrementUnit"] = ome_unit(units["t"], time=True) or units["t"]
    pairs = {"axes": axes, **{f"origin_{axis}": repr(value) for axis, value in origin.items() if value}}
    if geometry.get("kind", "intensity") != "intensity":
        pairs["kind"] = geometry["kind"]
    if geometry.get("direction") is not None:  # OME has no direction: imarray keeps it here, xyz order
        pairs["direction"] = json.dumps(geometry["direction"])
    if scale:
        pairs["scale"] = json.dumps(scale)
    tags["MapAnnotation"] = {"Namespace": _NAMESPACE, "Value": pairs}
    channels = geometry.get("channels")
    if channels and "c" in axes:  # OME's own Channel Name and Color (a signed RGBA integer)
        tags["Channel"] = {"Name": [name or f"C{index}" for index, (name, _) in enumerate(channels)]}
        if all(color for _, color in channels):
            tags["Channel"]["Color"] = [_ome_color(color) for _, color in channels]
    return tags


def _ome_color(color: str) -> int:
    """``#RRGGBB`` as OME's Color: RGBA in a signed 32-bit integer, opaque.

    >>> _ome_color("#00FF00"), _hex_color(_ome_color("#00FF00"))
    (16711935, '#00FF00')
    """
    value = int(color[1:], 16) << 8 | 0xFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _hex_color(value: int) -> str:
    """OME's signed RGBA integer as ``#RRGGBB`` (the alpha dropped)."""
    return f"#{(int(value) & 0xFFFFFFFF) >> 8:06X}"


def _default_axes(ndim: int, rgb: bool) -> str:
    """Axes for ImageJ and OME-TIFF when none are given: 2D yx, 3D zyx (as everywhere), then tzcyx from the right."""
    spatial = ndim - (1 if rgb else 0)
    letters = {2: "yx", 3: "zyx"}.get(spatial) or "tzcyx"[max(0, 5 - spatial):]
    return letters + ("c" if rgb else "")
