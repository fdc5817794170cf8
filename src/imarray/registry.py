"""The table of formats: what each one is, what it can do, and the options it takes.

Rows are plain data, so resolving a path imports nothing; a format's module is
imported only when it is used. Reading resolves by magic bytes first, then by
the longest matching extension (``.ome.tif`` before ``.tif``), then, for a
folder, by asking the rows that read folders; writing by ``format=`` first,
then by extension. There is no "try every reader" fallback.

Every row declares its capabilities (:data:`CAPABILITIES`) and its typed
options (:class:`Option`); ``api``, the lazy and streaming engines and the CLI
ask the row, never a module's name. Other packages add rows through the
``imarray.formats`` entry-point group (see ``docs/writing-a-format.md``):
built-in rows come first, so they win a shared extension or signature unless
the caller passes ``format=``.

Examples
--------
>>> from pathlib import Path
>>> spec = by_name("ome-tiff")
>>> "chunks" in spec.capabilities, spec.option("compression").types
(True, (<class 'str'>,))
>>> by_extension(Path("cells.OME.TIF")).name
'ome-tiff'
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import FormatNotFoundError, FormatPluginError

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

#: What a row may declare, and what the module then implements (tests/test_protocol.py holds every row to it):
CAPABILITIES: dict[str, str] = {
    "read": "info(path, *, spec) and read(path, *, spec, out=None)",
    "write": "check_writable(array, *, spec, metadata, **options) and write(path, array, *, spec, metadata, **options)",
    "chunks": "chunk_plan(path, *, spec, dtype=None, dims=None) -> ChunkPlan: read in pieces (lazy=True, streaming)",
    "stream_write": "write() takes a BlockStream (a dask array block by block) as well as an ndarray",
    "mmap": "read(path, *, spec, mmap=True) returns a read-only np.memmap",
    "frames": "iter_frames(path, *, spec) yields one frame at a time",
    "directory": "the image is a folder; claims(path, *, spec) says whether a folder is one",
    "series": "save(size_cap=) splits it along the first axis into a folder of numbered files",
    "sidecar": "read(..., verify=, dtype=, dims=): a raw binary described by a sidecar, or by the caller without one",
    "file_objects": "reads bytes, io.BytesIO and open binary files",
    "remote": "reads fsspec URLs (s3://, https://, ...) with range requests",
    "same_layout": "plane_layout(path, *, nbytes) and read_like(layout, path, out) -> bool: a folder's slices read "
    "from the first slice's layout when their headers say the same",
}


@dataclass(frozen=True)
class Option:
    """One keyword option that ``save`` takes for a format.

    Attributes
    ----------
    name
        The keyword (``compression``).
    types
        Accepted Python types; ``None`` is always accepted and means "the default".
    help
        One line for ``imarray formats`` and error messages.
    """

    name: str
    types: tuple[type, ...]
    help: str = ""

    def check(self, value: Any, *, format_name: str) -> None:
        """Raise ``InvalidOptionError`` if ``value`` is not of the declared types."""
        from .errors import InvalidOptionError

        if value is None or (isinstance(value, self.types) and not (isinstance(value, bool) and bool not in self.types
                                                                    and int in self.types)):
            return
        names = " or ".join(t.__name__ for t in self.types)
        raise InvalidOptionError(f"{self.name}={value!r}: {format_name} takes {names} for {self.name}=",
                                 hint=self.help or None)


def _options(*rows: tuple[str, tuple[type, ...], str]) -> tuple[Option, ...]:
    return tuple(Option(name, types, text) for name, types, text in rows)


@dataclass(frozen=True)
class FormatSpec:
    """One row of the format table.

    Attributes
    ----------
    name
        Short name used with ``format=`` and shown by ``info``.
    module
        Module implementing the format protocol (see :mod:`imarray.protocol`).
    extensions
        Lower-case suffixes, longest first where they overlap.
    magic
        Byte prefixes that identify the format's content, or ``(offset, bytes)``
        pairs for signatures that do not start the file (MP4's ``ftyp`` box).
    dtypes
        Dtypes a write round-trips exactly (lossy formats: dtypes accepted).
    capabilities
        Names from :data:`CAPABILITIES`.
    options
        Keyword options ``save`` accepts for this format, with their types.
    read_options
        Keyword options its ``read`` takes beyond ``spec`` and ``out`` (``mmap``,
        ``verify``, ``dtype``, ``dims``, ``progress``), passed on by ``load``.
    lossy
        True for display formats whose compression changes values (JPEG).
    extra
        The pip extra that provides the format's dependency, if any.
    scale_target
        Dtype used when ``scale=`` is given without ``dtype=``.
    multi_file
        The format writes several files itself (and handles atomicity).
    ndim
        Smallest and largest number of dimensions it holds.
    colour_ndim
        Numbers of dimensions held only as colour (last axis 3 or 4): ``(3,)``
        for PNG, ``(4,)`` for movies.
    lossless_alternative
        For a display format, the lossless format of the same kind to name in
        hints (``mp4`` -> ``mkv``).
    plugin
        The distribution that contributed the row (``None``: built in).
    """

    name: str
    module: str
    extensions: tuple[str, ...]
    magic: tuple[bytes | tuple[int, bytes], ...] = ()
    dtypes: tuple[str, ...] = ALL_DTYPES
    capabilities: frozenset[str] = frozenset({"read", "write"})
    options: tuple[Option, ...] = ()
    read_options: tuple[str, ...] = ()
    lossy: bool = False
    extra: str | None = None
    scale_target: str | None = None
    multi_file: bool = False
    ndim: tuple[int, int] = (2, 32)
    colour_ndim: tuple[int, ...] = ()
    lossless_alternative: str | None = None
    description: str = field(default="", compare=False)
    plugin: str | None = field(default=None, compare=False)

    def matches(self, head: bytes) -> bool:
        """Whether ``head`` (the file's first bytes) carries one of this format's signatures."""
        for magic in self.magic:
            offset, signature = magic if isinstance(magic, tuple) else (0, magic)
            if head[offset : offset + len(signature)] == signature:
                return True
        return False

    def can(self, capability: str) -> bool:
        """Whether the row declares ``capability`` (a key of :data:`CAPABILITIES`)."""
        return capability in self.capabilities

    @property
    def option_names(self) -> tuple[str, ...]:
        """The names of :attr:`options`, in order."""
        return tuple(option.name for option in self.options)

    def option(self, name: str) -> Option:
        """The declared option ``name`` (``KeyError`` if the row has none)."""
        for option in self.options:
            if option.name == name:
                return option
        raise KeyError(name)

    def load(self) -> ModuleType:
        """Import and return the module that implements this format.

        A plugin's module that fails to import is a ``FormatPluginError``
        naming the plugin, not the plugin's own traceback.
        """
        try:
            return importlib.import_module(self.module)
        except Exception as exc:
            if self.plugin is None:
                raise
            raise FormatPluginError(
                f"the {self.name} format of plugin {self.plugin} failed to import its module {self.module} "
                f"({type(exc).__name__}: {exc})",
                hint=f"reinstall or update {self.plugin}, or uninstall it; pass format= to use another format",
            ) from exc


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_TIFF_CAN = frozenset({"read", "write", "chunks", "stream_write", "mmap", "series", "file_objects", "remote",
                       "same_layout"})
_PICTURE_CAN = frozenset({"read", "write", "file_objects", "remote"})  # decoded whole: fetched in one request
_TIFF_OPTIONS = _options(
    ("compression", (str,), "zlib, zstd, lzw, lzma, ... (codecs beyond zlib/lzma: the codecs extra)"),
    ("axes", (str,), "one letter of tzcyxq per dimension"),
    ("bigtiff", (bool,), "force (True) or forbid (False) BigTIFF; chosen by itself when None"),
    ("photometric", (str,), "'rgb' writes the last axis (3 or 4) as colour samples"),
)
_AXES = ("axes", (str,), "one letter of tzcyxq per dimension")
_COMPRESSION_ITK = ("compression", (str, bool), "any value but None/False compresses (zlib in the file)")
_ZARR_CODECS = (("compression", (str,), "zstd (default), gzip, blosc-lz4, blosc-zstd or none; a level after ':'"),
                ("shards", (tuple, list, int), "shard shape: whole chunks per stored object, one size per dimension"))
_FRAME_RATE = ("frame_rate", (int, float), "frames per second, recorded in the file")
_PROGRESS = ("progress", (bool,), "a progress bar on a terminal")
# What SimpleITK's writers round-trip bit for bit (measured with SimpleITK 2.5.7 on extreme values, NaN and
# ±inf included; tests/test_matrix.py checks every cell): no bool or float16 anywhere; MetaImage turns complex
# into 2-vectors; NIfTI holds complex too, but its ITK reader zeroes non-finite values, so NIfTI pixels are read
# by imarray itself.
_ITK_INTEGERS = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_NIFTI_DTYPES = (*_ITK_INTEGERS, "float32", "float64", "complex64", "complex128")

BUILTIN: tuple[FormatSpec, ...] = (
    FormatSpec(
        name="tiff",
        module="imarray.formats.tiff",
        extensions=(".tif", ".tiff", ".btf", ".tf8", ".tf2"),
        magic=_TIFF_MAGIC,
        capabilities=_TIFF_CAN,
        options=_TIFF_OPTIONS,
        read_options=("mmap", "series", "level"),
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
        capabilities=_TIFF_CAN,
        options=(*_TIFF_OPTIONS, Option("pyramid", (bool, int), "True: levels halved in y and x, as SubIFDs; "
                                        "a number: that many levels")),
        read_options=("mmap", "series", "level"),
        description="OME-TIFF (tifffile); axes, physical sizes and channels in OME-XML; pyramids (SubIFDs)",
    ),
    FormatSpec(
        name="imagej",
        ndim=(2, 5),
        module="imarray.formats.tiff",
        extensions=(),
        magic=_TIFF_MAGIC,
        dtypes=("uint8", "uint16", "float32"),
        capabilities=_TIFF_CAN,
        options=_TIFF_OPTIONS,
        read_options=("mmap", "series", "level"),
        description="ImageJ hyperstack TIFF (tifffile); uint8, uint16, float32 only",
    ),
    FormatSpec(
        name="raw",
        ndim=(1, 32),
        module="imarray.formats.raw",
        extensions=(".bin", ".raw"),
        capabilities=frozenset({"read", "write", "chunks", "stream_write", "mmap", "sidecar", "remote"}),
        read_options=("mmap", "verify", "dtype", "dims"),
        options=_options(_AXES, ("checksum", (bool,), "False skips the CRC-32 recorded in the sidecar")),
        multi_file=True,
        description="raw binary + JSON sidecar; memory-mappable; every dtype, exact",
    ),
    FormatSpec(
        name="zarr",
        ndim=(1, 32),
        module="imarray.formats.zarr_",
        extensions=(".zarr",),
        extra="zarr",
        capabilities=frozenset({"read", "write", "chunks", "stream_write", "directory", "remote"}),
        options=_options(_AXES, ("chunks", (tuple, list, int), "chunk shape, one size per dimension"), *_ZARR_CODECS),
        multi_file=True,
        description="Zarr v3 store (v2 read), chunked; every dtype, exact",
    ),
    FormatSpec(
        name="ome-zarr",
        ndim=(2, 5),
        module="imarray.formats.zarr_",
        extensions=(".ome.zarr",),
        extra="zarr",
        capabilities=frozenset({"read", "write", "chunks", "stream_write", "directory", "remote"}),
        options=_options(_AXES, ("chunks", (tuple, list, int), "chunk shape, one size per dimension"),
                         ("pyramid", (bool, int), "True: levels halved in y, x (and z); a number: that many levels"),
                         *_ZARR_CODECS),
        read_options=("level",),
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
        options=_options(_COMPRESSION_ITK),
        description="MetaImage .mha (SimpleITK); spacing, origin, direction; (u)int8..64, float32/64 exact",
    ),
    FormatSpec(
        name="metaimage-mhd",
        ndim=(2, 4),
        module="imarray.formats.medical",
        extensions=(".mhd",),
        dtypes=(*_ITK_INTEGERS, "float32", "float64"),
        extra="medical",
        options=_options(_COMPRESSION_ITK),
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
        options=_options(_COMPRESSION_ITK),
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
        capabilities=_PICTURE_CAN,
        colour_ndim=(3,),
        module="imarray.formats.pillow",
        extensions=(".png",),
        magic=(b"\x89PNG\r\n\x1a\n",),
        dtypes=("bool", "uint8", "uint16"),
        options=_options(("compress_level", (int,), "zlib level 0 (none, fastest) to 9 (smallest); default 6")),
        scale_target="uint8",
        description="PNG (Pillow); grey bool/uint8/uint16, RGB/RGBA uint8, exact",
    ),
    FormatSpec(
        name="jpeg",
        ndim=(2, 3),
        capabilities=_PICTURE_CAN,
        colour_ndim=(3,),
        module="imarray.formats.pillow",
        extensions=(".jpg", ".jpeg", ".jpe"),
        magic=(b"\xff\xd8\xff",),
        dtypes=("uint8",),
        lossy=True,
        options=_options(("quality", (int,), "JPEG quality 1-95")),
        scale_target="uint8",
        description="JPEG (Pillow); grey or RGB uint8, lossy by nature",
    ),
    FormatSpec(
        name="bmp",
        ndim=(2, 3),
        capabilities=_PICTURE_CAN,
        colour_ndim=(3,),
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
        colour_ndim=(4,),
        module="imarray.formats.gif",
        extensions=(".gif",),
        magic=(b"GIF87a", b"GIF89a"),
        dtypes=("uint8",),
        capabilities=frozenset({"read", "write", "frames", "file_objects", "remote"}),
        options=_options(_FRAME_RATE, ("loop", (int,), "how often players repeat; 0 is forever"),
                         ("quantize", (bool,), "True reduces frames of more than 256 colours to a palette (lossy)"),
                         _PROGRESS),
        scale_target="uint8",
        lossless_alternative="mkv",
        description="animated GIF (Pillow); uint8 grey, and RGB of <= 256 colours per frame, exact",
    ),
    FormatSpec(
        name="mkv",
        ndim=(3, 4),
        colour_ndim=(4,),
        module="imarray.formats.video",
        extensions=(".mkv",),
        magic=(b"\x1a\x45\xdf\xa3",),
        dtypes=("uint8", "uint16"),
        extra="video",
        capabilities=frozenset({"read", "write", "frames"}),
        options=_options(_FRAME_RATE, _PROGRESS),
        scale_target="uint16",
        description="lossless FFV1 video in Matroska (PyAV); uint8/uint16 grey or RGB, exact",
    ),
    FormatSpec(
        name="mp4",
        ndim=(3, 4),
        colour_ndim=(4,),
        module="imarray.formats.video",
        extensions=(".mp4", ".m4v", ".mov"),
        magic=((4, b"ftyp"),),
        dtypes=("uint8",),
        lossy=True,
        extra="video",
        capabilities=frozenset({"read", "write", "frames"}),
        options=_options(_FRAME_RATE, ("crf", (int,), "H.264 constant rate factor 0..51, lower is better"),
                         _PROGRESS),
        scale_target="uint8",
        lossless_alternative="mkv",
        description="H.264 video (PyAV); uint8 grey or RGB, lossy by nature",
    ),
    FormatSpec(
        name="folder",
        ndim=(2, 32),
        module="imarray.formats.folder",
        extensions=(),
        capabilities=frozenset({"read", "chunks", "directory"}),
        read_options=("progress",),
        description="a folder of slices or stacks of one format (a size-capped series among them), in natural order",
    ),
    FormatSpec(
        name="dicom",
        ndim=(2, 4),
        module="imarray.formats.dicom",
        extensions=(".dcm", ".dicom"),
        magic=((128, b"DICM"),),
        dtypes=(),
        capabilities=frozenset({"read", "directory"}),
        read_options=("series",),
        extra="dicom",
        description="DICOM files and series folders (pydicom), read only; rescaled as the header says",
    ),
)

ENTRY_POINT_GROUP = "imarray.formats"


class PluginWarning(UserWarning):
    """A plugin's rows could not be added (it failed to load, or declared a bad or clashing row)."""


def check_row(spec: Any, *, taken: Iterable[str] = ()) -> str | None:
    """What is wrong with ``spec`` as a row of the table, or ``None`` if nothing is.

    >>> check_row(FormatSpec("pgm", "x.pgm", (".pgm",), capabilities=frozenset({"read", "fly"})))
    "declares unknown capabilities ['fly']"
    """
    if not isinstance(spec, FormatSpec):
        return f"is a {type(spec).__name__}, not an imarray.registry.FormatSpec"
    problems = []
    if not spec.name or spec.name != spec.name.lower() or spec.name in taken:
        problems.append(f"has a name that is empty, not lower-case or taken ({spec.name!r})")
    unknown = sorted(set(spec.capabilities) - set(CAPABILITIES))
    if unknown:
        problems.append(f"declares unknown capabilities {unknown}")
    if not spec.can("read") and not spec.can("write"):
        problems.append("neither reads nor writes")
    if any(not ext.startswith(".") or ext != ext.lower() for ext in spec.extensions):
        problems.append(f"has extensions that are not lower-case suffixes {spec.extensions}")
    bad_dtypes = sorted(set(spec.dtypes) - set(ALL_DTYPES))
    if bad_dtypes:
        problems.append(f"holds dtypes imarray does not know {bad_dtypes}")
    if not all(isinstance(option, Option) for option in spec.options):
        problems.append("has options that are not registry.Option")
    low, high = spec.ndim
    if not 1 <= low <= high:
        problems.append(f"has ndim={spec.ndim}")
    return "; ".join(problems) or None


def _plugin_rows(loaded: Any, distribution: str) -> list[FormatSpec]:
    rows = loaded() if callable(loaded) and not isinstance(loaded, FormatSpec) else loaded
    rows = [rows] if isinstance(rows, FormatSpec) else list(rows)
    return [replace(row, plugin=distribution) if isinstance(row, FormatSpec) and not row.plugin else row
            for row in rows]


@cache
def _plugins() -> tuple[FormatSpec, ...]:
    """Rows contributed through the ``imarray.formats`` entry points, checked; bad ones warn and are left out."""
    from importlib.metadata import entry_points

    rows: list[FormatSpec] = []
    taken = {spec.name for spec in BUILTIN}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        distribution = point.dist.name if point.dist is not None else point.value
        try:
            contributed = _plugin_rows(point.load(), distribution)
        except Exception as exc:
            warnings.warn(f"imarray plugin {distribution} ({point.value}) failed to load and is left out: "
                          f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=3)
            continue
        for row in contributed:
            problem = check_row(row, taken=taken)
            if problem:
                warnings.warn(f"imarray plugin {distribution}: a row {problem}; it is left out", PluginWarning,
                              stacklevel=3)
                continue
            taken.add(row.name)
            rows.append(row)
    return tuple(rows)


def formats() -> tuple[FormatSpec, ...]:
    """Every row: the built-in ones first, then those of installed plugins."""
    return BUILTIN + _plugins()


def _first_found(rows_of: Any) -> Any:
    """``rows_of(BUILTIN)`` if it finds anything, else ``rows_of(plugin rows)``.

    Built-in rows win anyway, so installed plugins (whose discovery reads every
    installed distribution's metadata, tens of milliseconds) are looked for only
    when no built-in row answers.
    """
    found = rows_of(BUILTIN)
    return found if found else rows_of(_plugins())


def by_name(name: str, *, path: Any = None) -> FormatSpec:
    """The row called ``name`` (``FormatNotFoundError`` listing the names if there is none)."""
    lowered = name.lower()
    found = _first_found(lambda rows: next((spec for spec in rows if spec.name == lowered), None))
    if found is not None:
        return found
    raise FormatNotFoundError(f"unknown format={name!r}", path=path,
                              hint=f"choose one of {', '.join(spec.name for spec in formats())}")


def __getattr__(name: str) -> Any:
    """``FORMATS`` and ``BY_NAME``: the whole table, plugins included, found when first asked for."""
    if name == "FORMATS":
        return formats()
    if name == "BY_NAME":
        return {spec.name: spec for spec in formats()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def known_formats() -> str:
    """One line per format, for error messages and ``imarray formats``."""
    rows = []
    for spec in formats():
        exts = " ".join(spec.extensions) or ("(a folder)" if spec.can("directory") else "(format= only)")
        rows.append(f"{spec.name}: {exts}")
    return "; ".join(rows)


def by_extension(path: Path | str) -> FormatSpec | None:
    """The format whose longest extension ends the name of ``path`` (a Path, or a file's name), if any.

    Built-in rows win ties.
    """
    name = (path if isinstance(path, str) else path.name).lower()
    parts = name.rsplit(".", 3)  # extensions hold at most three dots: found once per ending, not per file
    return _by_ending("." + ".".join(parts[1:])) if len(parts) > 1 else None


@cache
def _by_ending(name: str) -> FormatSpec | None:
    def longest(rows: tuple[FormatSpec, ...]) -> FormatSpec | None:
        best: tuple[int, FormatSpec] | None = None
        for spec in rows:
            for ext in spec.extensions:
                if name.endswith(ext) and (best is None or len(ext) > best[0]):
                    best = (len(ext), spec)
        return None if best is None else best[1]

    return _first_found(longest)


def by_magic(head: bytes) -> list[FormatSpec]:
    """Every format whose magic bytes start ``head`` (same module, several rows): built-in rows, else plugins'."""
    return _first_found(lambda rows: [spec for spec in rows if spec.matches(head)])


def for_reading(path: Path, head: bytes) -> FormatSpec:
    """Pick the format to read ``path`` whose first bytes are ``head``.

    Magic bytes decide the module; among rows of that module the longest
    matching extension decides the row. Formats without magic bytes (raw)
    match by extension only.
    """
    def reading_row(rows: tuple[FormatSpec, ...]) -> FormatSpec | None:
        name = path.name.lower()
        matching = [(len(ext), spec) for spec in rows for ext in spec.extensions if name.endswith(ext)]
        by_ext = max(matching, key=lambda pair: pair[0])[1] if matching else None
        candidates = [spec for spec in rows if spec.matches(head) and spec.can("read")]
        if candidates:
            return by_ext if by_ext is not None and by_ext in candidates else candidates[0]
        return by_ext  # no magic of its own, or content that does not match: the module reports what is wrong

    found = _first_found(reading_row)  # plugins only when no built-in row reads it
    if found is not None:
        return found
    raise FormatNotFoundError(
        f"unknown format (extension {path.suffix or 'none'}, first bytes {head[:8]!r})",
        path=path,
        hint=f"known formats are {known_formats()}; pass format= to choose one",
    )


def for_folder(path: Path, format: str | None = None) -> FormatSpec:
    """Pick the row that reads the folder ``path``: the first that claims it (a Zarr store), else ``folder``.

    ``format=`` may pick another row of the claiming row's module (``zarr`` for an OME-Zarr store).
    """
    claimed = next((spec for spec in formats() if spec.can("directory") and spec.name != "folder"
                    and spec.load().claims(path, spec=spec)), None)
    if format is not None:
        asked = by_name(format, path=path)
        if claimed is not None and asked.module == claimed.module:
            return asked
        if asked.name == "folder" and claimed is None:
            return asked
        raise FormatNotFoundError(
            f"format={format!r} was asked, but the folder is {claimed.name if claimed else 'a folder of images'}",
            path=path, hint="drop format= to detect the format")
    return claimed if claimed is not None else by_name("folder")


def for_writing(path: Path, format: str | None = None) -> FormatSpec:
    """Pick the format to write ``path``: ``format=`` first, then the extension."""
    spec = by_name(format, path=path) if format is not None else by_extension(path)
    if spec is None:
        raise FormatNotFoundError(
            f"cannot tell the format from the extension {path.suffix or '(none)'}",
            path=path,
            hint=f"use one of {known_formats()}, or pass format=",
        )
    if not spec.can("write"):
        writable = ", ".join(s.name for s in formats() if s.can("write"))
        raise FormatNotFoundError(f"imarray reads {spec.name} but does not write it", path=path,
                                  hint=f"write one of {writable}" + (
                                      "; a folder of slices comes from size_cap= with a .tif name"
                                      if spec.name == "folder" else ""))
    return spec


def formats_holding(dtype: str) -> list[str]:
    """Names of lossless writable formats that hold ``dtype`` exactly."""
    return [spec.name for spec in formats() if dtype in spec.dtypes and not spec.lossy and spec.can("write")]


#: Toolkit converters behind ``Image.to_sitk``/``to_itk``/``to_xarray`` and their ``from_*`` twins: imported
#: when first used, like formats, so ``imarray.image`` depends on no toolkit module (interop imports image).
CONVERTERS: dict[str, str] = {
    "sitk": "imarray.interop.sitk",
    "itk": "imarray.interop.itk",
    "xarray": "imarray.interop.xarray",
}


def converter(name: str) -> ModuleType:
    """The interop module for toolkit ``name`` (a key of :data:`CONVERTERS`)."""
    return importlib.import_module(CONVERTERS[name])
