"""The table of formats: names, modules, extensions, magic bytes, capabilities.

Rows are plain data, so resolving a path imports nothing; a format's module is
imported only when it is used. Reading resolves by magic bytes first, then by
the longest matching extension (``.ome.tif`` before ``.tif``); writing by
``format=`` first, then by extension. There is no "try every reader" fallback.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from .errors import FormatNotFoundError

ALL_DTYPES: tuple[str, ...] = (
    "bool",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
REAL_DTYPES = ALL_DTYPES[:-2]


@dataclass(frozen=True)
class FormatSpec:
    """One row of the format table.

    Attributes
    ----------
    name
        Short name used with ``format=`` and shown by ``info``.
    module
        Module implementing the format protocol (``sniff``/``info``/``read``/
        ``check_writable``/``write``).
    extensions
        Lower-case suffixes, longest first where they overlap.
    magic
        Byte prefixes that identify the format's content, or ``(offset, bytes)``
        pairs for signatures that do not start the file (MP4's ``ftyp`` box).
    dtypes
        Dtypes a write round-trips exactly (lossy formats: dtypes accepted).
    lossy
        True for display formats whose compression changes values (JPEG).
    extra
        The pip extra that provides the format's dependency, if any.
    options
        Keyword options ``save`` accepts for this format.
    scale_target
        Dtype used when ``scale=`` is given without ``dtype=``.
    multi_file
        The format writes several files itself (and handles atomicity).
    ndim
        Smallest and largest number of dimensions it holds.
    lossless_alternative
        For a display format, the lossless format of the same kind to name in
        hints (``mp4`` -> ``mkv``).
    """

    name: str
    module: str
    extensions: tuple[str, ...]
    magic: tuple[bytes | tuple[int, bytes], ...] = ()
    dtypes: tuple[str, ...] = ALL_DTYPES
    lossy: bool = False
    extra: str | None = None
    options: tuple[str, ...] = ()
    scale_target: str | None = None
    multi_file: bool = False
    ndim: tuple[int, int] = (2, 32)
    lossless_alternative: str | None = None
    description: str = field(default="", compare=False)

    def matches(self, head: bytes) -> bool:
        """Whether ``head`` (the file's first bytes) carries one of this format's signatures."""
        for magic in self.magic:
            offset, signature = magic if isinstance(magic, tuple) else (0, magic)
            if head[offset : offset + len(signature)] == signature:
                return True
        return False

    def load(self) -> ModuleType:
        """Import and return the module that implements this format."""
        return importlib.import_module(self.module)


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_TIFF_OPTIONS = ("compression", "axes", "bigtiff", "size_cap", "photometric")
# What SimpleITK's writers round-trip bit for bit (measured with SimpleITK 2.5.7 on extreme values, NaN and
# ±inf included; tests/test_matrix.py checks every cell): no bool or float16 anywhere; MetaImage turns complex
# into 2-vectors; NIfTI holds complex too, but its ITK reader zeroes non-finite values, so NIfTI pixels are read
# by imarray itself.
_ITK_INTEGERS = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_NIFTI_DTYPES = (*_ITK_INTEGERS, "float32", "float64", "complex64", "complex128")

FORMATS: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="tiff",
        module="imarray.formats.tiff",
        extensions=(".tif", ".tiff", ".btf", ".tf8", ".tf2"),
        magic=_TIFF_MAGIC,
        options=_TIFF_OPTIONS,
        description="TIFF and BigTIFF (tifffile); every numpy dtype, exact",
    ),
    FormatSpec(
        name="ome-tiff",
        ndim=(2, 5),
        module="imarray.formats.tiff",
        extensions=(".ome.tif", ".ome.tiff", ".ome.btf"),
        magic=_TIFF_MAGIC,
        dtypes=(
            "bool", "uint8", "uint16", "uint32", "int8", "int16", "int32",
            "float32", "float64", "complex64", "complex128",
        ),
        options=_TIFF_OPTIONS,
        description="OME-TIFF (tifffile); axes and physical sizes in OME-XML",
    ),
    FormatSpec(
        name="imagej",
        ndim=(2, 5),
        module="imarray.formats.tiff",
        extensions=(),
        magic=_TIFF_MAGIC,
        dtypes=("uint8", "uint16", "float32"),
        options=_TIFF_OPTIONS,
        description="ImageJ hyperstack TIFF (tifffile); uint8, uint16, float32 only",
    ),
    FormatSpec(
        name="raw",
        ndim=(1, 32),
        module="imarray.formats.raw",
        extensions=(".bin", ".raw"),
        options=("axes", "checksum"),
        multi_file=True,
        description="raw binary + JSON sidecar; memory-mappable; every dtype, exact",
    ),
    FormatSpec(
        name="zarr",
        ndim=(1, 32),
        module="imarray.formats.zarr_",
        extensions=(".zarr",),
        extra="zarr",
        options=("axes", "chunks"),
        multi_file=True,
        description="Zarr v3 store (v2 read), chunked; every dtype, exact",
    ),
    FormatSpec(
        name="ome-zarr",
        ndim=(2, 5),
        module="imarray.formats.zarr_",
        extensions=(".ome.zarr",),
        extra="zarr",
        options=("axes", "chunks", "pyramid"),
        multi_file=True,
        description="OME-Zarr (NGFF 0.5; 0.4 read): axes, spacing, units, origin, multiscale pyramid",
    ),
    FormatSpec(
        name="metaimage",
        ndim=(2, 4),
        module="imarray.formats.medical",
        extensions=(".mha",),
        dtypes=(*_ITK_INTEGERS, "float32", "float64"),
        extra="medical",
        options=("compression",),
        description="MetaImage .mha (SimpleITK); spacing, origin, direction; (u)int8..64, float32/64 exact",
    ),
    FormatSpec(
        name="metaimage-mhd",
        ndim=(2, 4),
        module="imarray.formats.medical",
        extensions=(".mhd",),
        dtypes=(*_ITK_INTEGERS, "float32", "float64"),
        extra="medical",
        options=("compression",),
        multi_file=True,
        description="MetaImage header .mhd + .raw data (SimpleITK); as .mha",
    ),
    FormatSpec(
        name="nrrd",
        ndim=(2, 4),
        module="imarray.formats.medical",
        extensions=(".nrrd",),
        magic=(b"NRRD",),
        dtypes=(*_ITK_INTEGERS, "float32", "float64", "complex64", "complex128"),
        extra="medical",
        options=("compression",),
        description="NRRD (SimpleITK); spacing, origin, direction; (u)int8..64, float32/64, complex exact",
    ),
    FormatSpec(
        name="nifti",
        ndim=(2, 4),
        module="imarray.formats.medical",
        extensions=(".nii.gz", ".nii"),
        dtypes=_NIFTI_DTYPES,
        extra="medical",
        description="NIfTI .nii and .nii.gz (SimpleITK header, exact pixels); spacing, origin, direction, units",
    ),
    FormatSpec(
        name="png",
        ndim=(2, 3),
        module="imarray.formats.pillow",
        extensions=(".png",),
        magic=(b"\x89PNG\r\n\x1a\n",),
        dtypes=("bool", "uint8", "uint16"),
        options=("compress_level",),
        scale_target="uint8",
        description="PNG (Pillow); grey bool/uint8/uint16, RGB/RGBA uint8, exact",
    ),
    FormatSpec(
        name="jpeg",
        ndim=(2, 3),
        module="imarray.formats.pillow",
        extensions=(".jpg", ".jpeg", ".jpe"),
        magic=(b"\xff\xd8\xff",),
        dtypes=("uint8",),
        lossy=True,
        options=("quality",),
        scale_target="uint8",
        description="JPEG (Pillow); grey or RGB uint8, lossy by nature",
    ),
    FormatSpec(
        name="bmp",
        ndim=(2, 3),
        module="imarray.formats.pillow",
        extensions=(".bmp",),
        magic=(b"BM",),
        dtypes=("bool", "uint8"),
        scale_target="uint8",
        description="BMP (Pillow); grey bool/uint8, RGB/RGBA uint8, exact",
    ),
    FormatSpec(
        name="gif",
        ndim=(3, 4),
        module="imarray.formats.gif",
        extensions=(".gif",),
        magic=(b"GIF87a", b"GIF89a"),
        dtypes=("uint8",),
        options=("frame_rate", "loop", "quantize", "progress"),
        scale_target="uint8",
        lossless_alternative="mkv",
        description="animated GIF (Pillow); uint8 grey, and RGB of <= 256 colours per frame, exact",
    ),
    FormatSpec(
        name="mkv",
        ndim=(3, 4),
        module="imarray.formats.video",
        extensions=(".mkv",),
        magic=(b"\x1a\x45\xdf\xa3",),
        dtypes=("uint8", "uint16"),
        extra="video",
        options=("frame_rate", "progress"),
        scale_target="uint16",
        description="lossless FFV1 video in Matroska (PyAV); uint8/uint16 grey or RGB, exact",
    ),
    FormatSpec(
        name="mp4",
        ndim=(3, 4),
        module="imarray.formats.video",
        extensions=(".mp4", ".m4v", ".mov"),
        magic=((4, b"ftyp"),),
        dtypes=("uint8",),
        lossy=True,
        extra="video",
        options=("frame_rate", "crf", "progress"),
        scale_target="uint8",
        lossless_alternative="mkv",
        description="H.264 video (PyAV); uint8 grey or RGB, lossy by nature",
    ),
    FormatSpec(
        name="dicom",
        ndim=(2, 4),
        module="imarray.formats.dicom",
        extensions=(".dcm", ".dicom"),
        magic=((128, b"DICM"),),
        dtypes=(),  # read only: it writes no dtype (check_writable says so)
        extra="dicom",
        description="DICOM files and series folders (pydicom), read only; rescaled as the header says",
    ),
)

BY_NAME: dict[str, FormatSpec] = {spec.name: spec for spec in FORMATS}


def known_formats() -> str:
    """One line per format, for error messages and ``imarray formats``."""
    rows = []
    for spec in FORMATS:
        exts = " ".join(spec.extensions) or "(format= only)"
        rows.append(f"{spec.name}: {exts}")
    return "; ".join(rows)


def by_extension(path: Path) -> FormatSpec | None:
    """The format whose longest extension ends the name of ``path``, if any."""
    name = path.name.lower()
    best: tuple[int, FormatSpec] | None = None
    for spec in FORMATS:
        for ext in spec.extensions:
            if name.endswith(ext) and (best is None or len(ext) > best[0]):
                best = (len(ext), spec)
    return None if best is None else best[1]


def by_magic(head: bytes) -> list[FormatSpec]:
    """Every format whose magic bytes start ``head`` (same module, several rows)."""
    return [spec for spec in FORMATS if spec.matches(head)]


def for_reading(path: Path, head: bytes) -> FormatSpec:
    """Pick the format to read ``path`` whose first bytes are ``head``.

    Magic bytes decide the module; among rows of that module the longest
    matching extension decides the row. Formats without magic bytes (raw)
    match by extension only.
    """
    by_ext = by_extension(path)
    candidates = by_magic(head)
    if candidates:
        if by_ext is not None and by_ext in candidates:
            return by_ext
        return candidates[0]
    if by_ext is not None and not by_ext.magic:
        return by_ext
    if by_ext is not None:
        return by_ext  # content does not match: the module reports what is wrong
    raise FormatNotFoundError(
        f"unknown format (extension {path.suffix or 'none'}, first bytes {head[:8]!r})",
        path=path,
        hint=f"known formats are {known_formats()}; pass format= to choose one",
    )


def for_writing(path: Path, format: str | None = None) -> FormatSpec:
    """Pick the format to write ``path``: ``format=`` first, then the extension."""
    if format is not None:
        try:
            return BY_NAME[format.lower()]
        except KeyError:
            raise FormatNotFoundError(
                f"unknown format={format!r}",
                path=path,
                hint=f"choose one of {', '.join(BY_NAME)}",
            ) from None
    spec = by_extension(path)
    if spec is None:
        raise FormatNotFoundError(
            f"cannot tell the format from the extension {path.suffix or '(none)'}",
            path=path,
            hint=f"use one of {known_formats()}, or pass format=",
        )
    return spec


def formats_holding(dtype: str) -> list[str]:
    """Names of lossless formats that hold ``dtype`` exactly."""
    return [spec.name for spec in FORMATS if dtype in spec.dtypes and not spec.lossy]
