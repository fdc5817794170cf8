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

import math
import os
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from .._optional import import_optional
from ..dtypes import is_lazy
from ..errors import AxesError, CorruptFileError, UnsupportedDtypeError
from ..fileinfo import FileInfo
from ..geometry import check_axes
from ..layout import dense_planes
from ..registry import FormatSpec

_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_BIGTIFF_ABOVE = int(0.95 * 2**32)
_BUILTIN_CODECS = {"zlib", "deflate", "lzma"}
_CODECS = {"zlib", "deflate", "zstd", "lzw", "lzma", "packbits", "lz4"}
# tifffile axis letters -> imarray's (S: samples of a colour pixel, I: image sequence)
_AXES = {"T": "t", "Z": "z", "C": "c", "S": "c", "Y": "y", "X": "x", "I": "q", "Q": "q"}
_OME_UNITS = {"µm": "um", "\u03bcm": "um"}


def sniff(head: bytes) -> bool:
    """True if ``head`` starts like a TIFF or BigTIFF file."""
    return head[:4] in _MAGIC


def _open(path: Path) -> tifffile.TiffFile:
    try:
        return tifffile.TiffFile(path)
    except (tifffile.TiffFileError, ValueError, OSError, IndexError, KeyError, struct_error()) as exc:
        raise CorruptFileError(
            f"not a readable TIFF ({exc})", path=path, hint="the file is damaged or truncated"
        ) from exc


def struct_error() -> type[Exception]:
    import struct

    return struct.error


def _axes_of(series: tifffile.TiffPageSeries, shaped: dict | None) -> str:
    if shaped and isinstance(shaped.get("imarray"), dict) and "axes" in shaped["imarray"]:
        axes = shaped["imarray"]["axes"]
        if len(axes) == len(series.shape):
            return axes
    letters = "".join(_AXES.get(a, "q") for a in series.axes)
    if len(letters) != len(series.shape):  # pragma: no cover - tifffile keeps these equal
        return "q" * len(series.shape)
    if letters.count("c") > 1:  # C and S both present: keep the first as channel
        first = letters.index("c")
        letters = letters[: first + 1] + letters[first + 1 :].replace("c", "q")
    return letters


def _resolution_spacing(page: tifffile.TiffPage) -> tuple[dict[str, float], str | None]:
    spacing: dict[str, float] = {}
    try:
        res_x, res_y = page.get_resolution()
    except Exception:
        return spacing, None
    unit = {2: "inch", 3: "cm"}.get(int(page.resolutionunit))
    if res_x and res_x != 1:
        spacing["x"] = 1.0 / res_x
    if res_y and res_y != 1:
        spacing["y"] = 1.0 / res_y
    return spacing, unit


def _imagej_geometry(tif: tifffile.TiffFile) -> tuple[dict[str, float], dict[str, str], dict[str, Any]]:
    meta = tif.imagej_metadata or {}
    spacing, _ = _resolution_spacing(tif.pages.first)
    unit = meta.get("unit")
    if isinstance(unit, str) and unit.lower() in ("micron", "\\u00b5m", "µm"):
        unit = "um"
    units = {axis: unit for axis in spacing} if unit else {}
    if "spacing" in meta:
        spacing["z"] = float(meta["spacing"])
        if unit:
            units["z"] = unit
    if meta.get("finterval"):
        spacing["t"] = float(meta["finterval"])
        units["t"] = meta.get("tunit", "s")
    extra = {k: meta[k] for k in ("ImageJ", "mode") if k in meta}
    return spacing, units, {"imagej": extra or True}


def _ome_geometry(tif: tifffile.TiffFile) -> tuple[dict[str, float], dict[str, str], dict[str, Any]]:
    spacing: dict[str, float] = {}
    units: dict[str, str] = {}
    try:
        root = ElementTree.fromstring(tif.ome_metadata)
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
    if pixels.get("TimeIncrement") is not None:
        spacing["t"] = float(pixels.get("TimeIncrement"))
        units["t"] = pixels.get("TimeIncrementUnit", "s")
    return spacing, units, {"ome": True}


def _check_sizes(tif: tifffile.TiffFile, series: tifffile.TiffPageSeries, path: Path) -> None:
    """Refuse headers that promise more pixels than the file holds."""
    file_size = path.stat().st_size
    expected = int(np.prod(series.shape, dtype=np.int64)) * series.dtype.itemsize
    if series.dtype == np.bool_:
        expected //= 8
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


def _describe(tif: tifffile.TiffFile, path: Path, spec: FormatSpec) -> tuple[tifffile.TiffPageSeries, FileInfo]:
    if not tif.series:
        raise CorruptFileError("the TIFF holds no image", path=path)
    series = tif.series[0]
    shaped = tif.shaped_metadata[0] if tif.is_shaped and tif.shaped_metadata else None
    axes = _axes_of(series, shaped)
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
        extra = {}
        fmt = "tiff"
    metadata.update(extra)
    if tif.is_bigtiff:
        metadata["bigtiff"] = True
    compression = tif.pages.first.compression
    if compression != 1:
        metadata["compression"] = compression.name.lower()
    if len(tif.series) > 1:
        metadata["series"] = len(tif.series)
    if shaped and isinstance(shaped.get("imarray"), dict):
        for key in ("scale",):
            if key in shaped["imarray"]:
                metadata[key] = shaped["imarray"][key]
    info = FileInfo(
        path=path,
        format=fmt,
        shape=tuple(int(s) for s in series.shape),
        dtype=series.dtype.newbyteorder("=").name,
        axes=axes,
        spacing=spacing,
        units=units,
        files=(path,),
        disk_bytes=path.stat().st_size,
        metadata=metadata,
    )
    return series, info


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Header-only description of a TIFF file."""
    with _open(path) as tif:
        return _describe(tif, path, spec)[1]


def read(
    path: Path, *, spec: FormatSpec, out: np.ndarray | None = None, mmap: bool = False
) -> tuple[np.ndarray, FileInfo]:
    """Read the first image series of a TIFF, checking sizes first.

    With ``mmap=True`` an uncompressed, contiguous file is returned as a
    read-only ``np.memmap`` without reading it.
    """
    with _open(path) as tif:
        series, file_info = _describe(tif, path, spec)
        _check_sizes(tif, series, path)
        if mmap:
            if series.dataoffset is None or series.dtype == np.bool_:
                raise UnsupportedDtypeError(
                    "mmap=True needs uncompressed, contiguous pixels; this TIFF is compressed or tiled",
                    path=path,
                    hint="load it without mmap, or save it uncompressed",
                )
            array = np.memmap(  # tifffile reports the native dtype; the bytes are in the file's order
                path, dtype=series.dtype.newbyteorder(tif.byteorder), mode="r", offset=series.dataoffset,
                shape=tuple(series.shape),
            )
            return array, file_info
        if out is not None:
            if out.size != math.prod(series.shape) or out.dtype != series.dtype.newbyteorder("="):
                raise CorruptFileError(
                    f"holds {series.dtype} pixels of shape {tuple(series.shape)}, not the {out.dtype} "
                    f"{out.shape} expected", path=path,
                )
            out = out.reshape(series.shape)  # same frames, e.g. (1, y, x) into (y, x)
        try:
            array = tif.asarray(series=0, out=out)
        except (ValueError, OSError, struct_error(), IndexError) as exc:
            raise CorruptFileError(f"cannot decode the pixels ({exc})", path=path) from exc
    if array.dtype.byteorder not in ("=", "|") and array.dtype != array.dtype.newbyteorder("="):
        array = array.astype(array.dtype.newbyteorder("="))
    return array, file_info


def check_writable(
    array: np.ndarray,
    *,
    spec: FormatSpec,
    compression: str | None = None,
    axes: str | None = None,
    bigtiff: bool | None = None,
    photometric: str | None = None,
) -> None:
    """Raise before writing if the TIFF flavour in ``spec`` cannot hold ``array``."""
    axes = check_axes(axes, array.ndim)
    if compression is not None:
        if compression.lower() not in _CODECS:
            raise ValueError(f"compression={compression!r}: choose one of {', '.join(sorted(_CODECS))}")
        if compression.lower() not in _BUILTIN_CODECS:
            import_optional("imagecodecs", extra="codecs", purpose=f"TIFF compression={compression!r}")
    if photometric is not None:
        if photometric.lower() not in ("rgb", "minisblack"):
            raise ValueError(f"photometric={photometric!r}: choose 'rgb' or 'minisblack'")
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
        if (axes is not None and not _is_subsequence(axes.replace("q", ""), "tzcyx")) or (
            axes is not None and "q" in axes
        ):
            raise AxesError(
                f"ImageJ needs axes in the order t, z, c, y, x (any may be missing); got {axes!r}",
                hint="transpose the array first, e.g. np.moveaxis",
            )
    if spec.name == "ome-tiff" and axes is not None and "q" in axes:
        raise AxesError("OME-TIFF needs every axis named (t, z, c, y, x); 'q' is not allowed")


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
) -> None:
    """Write ``array`` to ``path`` as the TIFF flavour of ``spec``."""
    rgb = photometric is not None and photometric.lower() == "rgb"
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
    if spec.name == "imagej":
        letters = (axes or _default_imagej_axes(array.ndim, rgb)).upper().replace("C", "C")
        kwargs.update(imagej=True, metadata={"axes": letters if not rgb else letters[:-1] + "S"})
    elif spec.name == "ome-tiff":
        letters = (axes or _default_ome_axes(array.ndim, rgb)).upper()
        if rgb:
            letters = letters[:-1] + "S"
        kwargs.update(ome=True, metadata={"axes": letters})
    else:
        record: dict[str, Any] = dict(metadata)
        if axes is not None:
            record["axes"] = axes
        kwargs.update(ome=False, shaped=True, metadata={"imarray": record} if record else {})
    if is_lazy(array):  # a dask array: computed and written one page at a time
        from ..streaming import pages

        tifffile.imwrite(path, pages(array, page_ndim), shape=array.shape, dtype=array.dtype, **kwargs)
    elif array.flags.c_contiguous or array.ndim <= page_ndim:
        tifffile.imwrite(path, np.ascontiguousarray(array), **kwargs)
    else:  # strided input: hand tifffile one dense plane at a time, never a whole copy
        pages = dense_planes(array, plane_ndim=page_ndim, reuse=True)  # tifffile writes each page before the next
        tifffile.imwrite(path, pages, shape=array.shape, dtype=array.dtype, **kwargs)


def _default_imagej_axes(ndim: int, rgb: bool) -> str:
    spatial = ndim - (1 if rgb else 0)
    letters = "tzcyx"[5 - spatial :] if spatial <= 5 else "tzcyx"
    return letters + ("c" if rgb else "")


def _default_ome_axes(ndim: int, rgb: bool) -> str:
    return _default_imagej_axes(ndim, rgb)
