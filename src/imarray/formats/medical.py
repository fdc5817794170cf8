"""Medical volumes through SimpleITK: MetaImage (.mha, .mhd + .raw), NRRD, NIfTI (.nii, .nii.gz).

Geometry is read and written by SimpleITK, in its (x, y, z) order, and
reported in numpy order: spacing and origin per axis letter, the direction in
``metadata["direction"]`` as ITK gives it (rows and columns x, y, z). A volume
SimpleITK wrote reads back with spacing in array order, and ``Image.to_sitk``
of it is the same image in SimpleITK's eyes. The pixel kind travels in a
metadata key (``imarray_kind``; NIfTI, whose ITK writer keeps no free keys,
in its ``aux_file`` field), and so do units (``imarray_units``) in MetaImage
and NRRD, whose headers have no unit field. NIfTI's header states lengths in
m, mm or um and times in s, ms or us, and ITK writes mm and s and reads every
unit converted to mm and s: images are written to NIfTI with spacing and
origin converted to mm and s (``units="um"``, spacing 0.5 -> 0.0005 mm), and a
unit with no conversion (``"px"``) is refused.

Traps of ITK's readers handled here (measured with SimpleITK 2.5):

- NIfTI: ITK reads NaN and ±inf as 0 and reads a truncated file without
  complaint, and asked for ``a.nii.gz`` it reads ``a.nii`` when that file sits
  beside it. NIfTI pixels are therefore read here, from the offset in the
  header, into a preallocated array, checking the length; the header is read
  through a link of its own name.
- MetaImage and NRRD headers are checked against the size of their data
  before anything is allocated; compressed data against the machine's memory.
- ITK pads compressed MetaImage and NRRD data shorter than the header
  promises with zeros (and ignores the rest of longer data): zlib and gzip
  data are therefore inflated here, into the preallocated array, and their
  length checked.

Other pixels are read by SimpleITK and returned as a view of its buffer (no
second copy). Writing hands SimpleITK one copy of the pixels, made straight
from the array whatever its layout, because SimpleITK writes from an image
that owns its memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import math
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_files, temporary_sibling
from .._memory import aligned_empty, available_memory, byte_view, output_array
from .._optional import import_optional
from .._paths import disk_bytes, local
from ..errors import (
    AxesError,
    CorruptFileError,
    InvalidOptionError,
    TargetError,
    UnsupportedDtypeError,
    UnsupportedFeatureError,
)
from ..fileinfo import FileInfo
from ..geometry import MILLIMETRES, SECONDS, named_as
from ..image import Image
from ..interop._toolkit import TOOLKIT_AXES
from ..interop.sitk import KIND_KEY, buffer_array, simpleitk, to_sitk
from ..registry import FormatSpec
from ..sources import Source
from . import _nifti, _nrrd

_NIFTI_KIND = "imarray kind="  # prefix in NIfTI's 24-byte aux_file field
_UNITS_KEY = "imarray_units"  # MetaImage and NRRD: units per axis letter, as JSON
_SCALE_KEY = "imarray_scale"  # MetaImage and NRRD: the scale= mapping applied on saving, as JSON
# NIfTI states lengths in m, mm or um and times in s, ms or us; ITK writes mm and s, and reads every
# one of them converted to mm and s. Units are therefore converted to mm and s on writing.
_COMPRESSIONS = ("zlib", "gzip")
_HEADER_BYTES = 65536  # text headers of MetaImage and NRRD are far shorter
_INFLATE_CHUNK = 4 * 2**20
_MAX_DIMS = 5  # ITK's image IO reads up to 5 dimensions


def _is_nifti(path: Path) -> bool:
    return path.name.lower().endswith((".nii", ".nii.gz"))


@contextlib.contextmanager
def _own_name(path: Path) -> Iterator[str]:
    """A name ITK opens as ``path`` itself: NIfTI files through a link in a folder of their own."""
    if not _is_nifti(path):
        yield str(path)
        return
    with tempfile.TemporaryDirectory(prefix="imarray-nifti-") as folder:
        link = Path(folder) / ("image.nii.gz" if path.name.lower().endswith(".gz") else "image.nii")
        link.symlink_to(path.resolve())
        yield str(link)


_METAIMAGE_VECTORS = ("Offset", "Position", "Origin", "CenterOfRotation", "ElementSpacing", "ElementSize")
_METAIMAGE_MATRICES = ("TransformMatrix", "Rotation", "Orientation")
_MAX_COORDINATE = 1e30  # far beyond any image's millimetres; 1e308 sends ITK's matrix code into an endless loop


def _check_metaimage_header(path: Path) -> None:
    """Check the MetaImage fields ITK trusts before ITK parses them: NDims = -1 or 2**31 - 1 crashed
    SimpleITK, a TransformMatrix holding 1e308 hung it (both found by fuzzing)."""
    fields: dict[str, str] = {}
    for line in _text_header(path).splitlines():
        key, equals, value = line.partition("=")
        if equals:
            fields.setdefault(key.strip(), value.strip())
        if key.strip() == "ElementDataFile":
            break
    try:
        ndims = int(fields.get("NDims", ""))
    except ValueError:
        ndims = 0
    if not 1 <= ndims <= _MAX_DIMS:
        raise CorruptFileError(f"NDims = {fields.get('NDims')!r} is not a number of dimensions from 1 to {_MAX_DIMS}",
                               path=path, hint="the header is damaged")

    def numbers(key: str, count: int, kind: type) -> None:
        if key not in fields:
            return
        try:
            values = [kind(v) for v in fields[key].split()]
        except ValueError:
            values = []
        if len(values) < count or not all(math.isfinite(v) and abs(v) <= _MAX_COORDINATE for v in values):
            raise CorruptFileError(f"{key} = {fields[key][:80]!r} is not {count} finite numbers of at most "
                                   f"{_MAX_COORDINATE:g}", path=path, hint="the header is damaged")

    numbers("DimSize", ndims, int)
    for key in _METAIMAGE_VECTORS:
        numbers(key, ndims, float)
    for key in _METAIMAGE_MATRICES:
        numbers(key, ndims * ndims, float)


def _header(path: Path) -> Any:
    if path.name.lower().endswith((".mha", ".mhd")):
        _check_metaimage_header(path)
    sitk = simpleitk()
    reader = sitk.ImageFileReader()
    with _own_name(path) as name:
        reader.SetFileName(name)
        try:
            reader.ReadImageInformation()
        except RuntimeError as exc:
            raise CorruptFileError(
                f"SimpleITK cannot read the header ({_itk_reason(exc, name, path)})", path=path,
                hint="the file is damaged, or not of the format its extension says",
            ) from exc
    return reader


def _itk_reason(exc: Exception, name: str, path: Path) -> str:
    """ITK's reason in one line, naming ``path`` (not the link ITK was given), without a stale errno.

    ITK appends ``Reason: <strerror(errno)>`` to failures that have nothing to
    do with errno (a damaged header reads as "No such file or directory").
    """
    lines = [line.strip() for line in str(exc).splitlines()
             if line.strip() and not line.strip().startswith("Reason:")]
    text = re.sub(r"^ITK ERROR: \w+\(0x[0-9a-f]+\): ", "", lines[-1]) if lines else type(exc).__name__
    return text.replace(name, str(path))


def _dtype_of(reader: Any, path: Path) -> np.dtype:
    sitk = simpleitk()
    name = sitk.GetPixelIDValueAsString(reader.GetPixelID())
    table = {"8-bit unsigned integer": "uint8", "8-bit signed integer": "int8",
             "16-bit unsigned integer": "uint16", "16-bit signed integer": "int16",
             "32-bit unsigned integer": "uint32", "32-bit signed integer": "int32",
             "64-bit unsigned integer": "uint64", "64-bit signed integer": "int64",
             "32-bit float": "float32", "64-bit float": "float64",
             "complex of 32-bit float": "complex64", "complex of 64-bit float": "complex128"}
    base = name.removeprefix("vector of ")
    if base not in table:
        raise UnsupportedDtypeError(f"pixels of type {name!r} have no NumPy dtype here", path=path)
    return np.dtype(table[base])


def _describe(path: Path, spec: FormatSpec) -> tuple[FileInfo, Any]:
    """The FileInfo (sizes checked against the file) and the ITK reader holding the header (None where
    another reader describes the file: NIfTI-2 and NRRD that ITK does not read)."""
    nifti = _nifti.read_header(path) if _is_nifti(path) else None
    if nifti is not None and nifti.version == 2:
        file_info = _nifti2_info(path, spec, nifti)
    elif not _is_nifti(path) and path.name.lower().endswith((".nrrd", ".nhdr")) and _nrrd.needs_pynrrd(path):
        file_info = _nrrd.info(path, spec)
    else:
        file_info, reader = _itk_info(path, spec, nifti)
        _check_sizes(file_info, path, nifti)
        return file_info, reader
    _check_sizes(file_info, path, nifti)
    return file_info, None


def _nifti2_info(path: Path, spec: FormatSpec, nifti: _nifti.NiftiHeader) -> FileInfo:
    """A NIfTI-2 header (which ITK does not read) through nibabel: geometry in ITK's LPS frame, mm and s."""
    nibabel = import_optional("nibabel", extra="medical", purpose="reading NIfTI-2 headers")
    try:
        header = nibabel.load(path).header
    except MemoryError:
        raise
    except Exception as exc:  # nibabel's ImageFileError, gzip's BadGzipFile, struct and value errors of damage
        raise CorruptFileError(f"nibabel cannot read the NIfTI-2 header ({type(exc).__name__}: {exc})", path=path,
                               hint="the file is damaged or was cut short") from exc
    ndim = len(nifti.shape)
    axes = TOOLKIT_AXES[ndim - 2] if 2 <= ndim <= 4 else "q" * ndim
    space, time = header.get_xyzt_units()
    length = {"meter": 1000.0, "mm": 1.0, "micron": 1e-3}.get(space, 1.0)
    seconds = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6}.get(time, 1.0)
    zooms = [float(z) * (seconds if letter == "t" else length) for z, letter in zip(header.get_zooms(), axes[::-1],
                                                                                        strict=False)]
    spacing = dict(zip(axes[::-1], zooms, strict=False))
    units = {letter: "s" if letter == "t" else "mm" for letter in axes if letter in "tzyx"
             and (time if letter == "t" else space) != "unknown"}
    spatial = min(ndim, 3)
    affine = np.asarray(header.get_best_affine(), dtype=np.float64) * length
    flip = np.diag([-1.0, -1.0, 1.0])[:spatial, :spatial]  # RAS (NIfTI) to LPS (ITK)
    matrix = flip @ affine[:spatial, :spatial]
    norms = np.linalg.norm(matrix, axis=0)
    metadata: dict[str, Any] = {"nifti_version": 2}
    if nifti.scaled:
        metadata["scaling"] = {"scl_slope": nifti.slope, "scl_inter": nifti.inter, "stored_dtype": nifti.stored.name}
    if np.all(norms > 0):
        direction = matrix / norms
        if not np.allclose(direction, np.eye(spatial)):
            metadata["direction"] = direction.tolist()
    origin = dict(zip(axes[::-1], (float(v) for v in flip @ affine[:spatial, 3]), strict=False))
    return FileInfo(path=path, format=spec.name, shape=nifti.shape, dtype=nifti.dtype.name, axes=axes,
                    spacing=spacing, units=units, origin=origin, files=(path,), disk_bytes=disk_bytes((path,)),
                    metadata=metadata)


def _itk_info(path: Path, spec: FormatSpec, nifti: _nifti.NiftiHeader | None) -> tuple[FileInfo, Any]:
    reader = _header(path)
    size = tuple(int(s) for s in reader.GetSize())
    dtype = _dtype_of(reader, path) if nifti is None else nifti.dtype
    components = 1 if dtype.kind == "c" else reader.GetNumberOfComponents()  # ITK counts complex as 2
    dimension = len(size)
    shape = size[::-1] + ((components,) if components > 1 else ())
    scalar_axes = TOOLKIT_AXES[dimension - 2] if 2 <= dimension <= 4 else "q" * dimension
    axes = scalar_axes + ("c" if components > 1 else "")
    keys = set(reader.GetMetaDataKeys())
    meta = {key: reader.GetMetaData(key) for key in keys
            if key in (KIND_KEY, _UNITS_KEY, _SCALE_KEY, "aux_file", "xyzt_units")}
    spacing = dict(zip(scalar_axes[::-1], (float(s) for s in reader.GetSpacing()), strict=True))
    origin = dict(zip(scalar_axes[::-1], (float(o) for o in reader.GetOrigin()), strict=True))
    units = _units(meta, scalar_axes, path)
    metadata: dict[str, Any] = {}
    spatial = min(dimension, 3)
    direction = np.asarray(reader.GetDirection(), dtype=np.float64).reshape(dimension, dimension)
    if not np.array_equal(direction[:spatial, :spatial], np.eye(spatial)):
        metadata["direction"] = direction[:spatial, :spatial].tolist()
    aux = meta.get("aux_file", "")
    kind = meta.get(KIND_KEY) or (aux.removeprefix(_NIFTI_KIND) if aux.startswith(_NIFTI_KIND) else None)
    if kind:
        metadata["kind"] = kind
    with contextlib.suppress(ValueError, TypeError):
        scale = json.loads(meta.get(_SCALE_KEY) or "null")
        if isinstance(scale, dict):
            metadata["scale"] = scale
    if nifti is not None and nifti.scaled:
        metadata["scaling"] = {"scl_slope": nifti.slope, "scl_inter": nifti.inter, "stored_dtype": nifti.stored.name}
    files: tuple[Path, ...] = (path,)
    data_file = _data_file(path)
    if data_file is not None:
        files = (path, data_file)
    file_info = FileInfo(
        path=path, format=spec.name, shape=shape, dtype=dtype.name, axes=axes,
        spacing=spacing, units=units, origin=origin, files=files,
        disk_bytes=disk_bytes(files), metadata=metadata,
    )
    return file_info, reader


def _units(meta: dict, axes: str, path: Path) -> dict:
    """Units per axis: NIfTI's as ITK reports its spacing (mm and s), MetaImage's and NRRD's from their key."""
    if "xyzt_units" in meta:
        code = int(meta["xyzt_units"] or 0)
        return {axis: unit for axis in axes
                for unit in ["s" if axis == "t" and code & 0x38 else "mm" if axis in "zyx" and code & 0x07 else None]
                if unit}
    try:
        recorded = json.loads(meta.get(_UNITS_KEY) or "{}")
    except ValueError:
        recorded = None
    if not isinstance(recorded, dict) or not all(isinstance(u, str) for u in recorded.values()):
        raise CorruptFileError(f"the {_UNITS_KEY} field is not a JSON object of axis letters to units", path=path,
                               hint="fix or delete that header line")
    return {axis: unit for axis, unit in recorded.items() if axis in axes}


def _nifti_geometry(geometry: dict, path: Path, axes: str) -> dict:
    """Spacing and origin in mm and s, which NIfTI's header states as ITK writes it; other units are refused.

    NIfTI has one length unit for x, y and z: a spatial axis without a unit
    (a folder's stack axis) takes the unit its other spatial axes share, so
    its spacing keeps its ratio to theirs.
    """
    units = {axis: unit for axis, unit in (geometry.get("units") or {}).items() if unit}
    spacing, origin = dict(geometry.get("spacing") or {}), dict(geometry.get("origin") or {})
    shared = {unit for axis, unit in units.items() if axis in "zyx"}
    if len(shared) == 1:
        for axis in set(axes) & set("zyx") - set(units):
            units[axis] = next(iter(shared))
            spacing.setdefault(axis, 1.0)
    for axis, unit in units.items():
        table, target = (SECONDS, "s") if axis == "t" else (MILLIMETRES, "mm")
        if unit not in table:
            raise UnsupportedDtypeError(
                f"NIfTI states lengths in mm (or m, um) and times in s (or ms, us); the {axis} axis's unit "
                f"{unit!r} does not convert to {target}", path=path,
                hint="give the image a length unit (um, mm) or time unit (ms, s), or save as .mha or .nrrd, "
                     "which keep any unit")
        for values in (spacing, origin):
            if axis in values:
                values[axis] = float(values[axis]) * table[unit]
        units[axis] = target
    return {**geometry, "axes": axes, "spacing": spacing, "origin": origin, "units": units}


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Shape, dtype and geometry from the header alone."""
    return _describe(path, spec)[0]


def _text_header(path: Path) -> str:
    with open(path, "rb") as handle:
        return handle.read(_HEADER_BYTES).decode("latin-1")


def _data_file(path: Path) -> Path | None:
    """The data file a detached header names (a MetaImage ``ElementDataFile``, an NRRD ``data file``), if any.

    Lists and numbered patterns of data files are refused as unsupported: their
    sizes could not be checked before ITK reads them.
    """
    name = path.name.lower()
    if name.endswith((".mhd", ".mha")):
        match = re.search(r"^ElementDataFile\s*=\s*(.+?)\s*$", _text_header(path), re.MULTILINE)
    elif name.endswith((".nrrd", ".nhdr")):
        match = re.search(r"^data ?file:\s*(.+?)\s*$", _text_header(path), re.MULTILINE)
    else:
        return None
    if match is None or match.group(1).upper() == "LOCAL":
        return None
    value = match.group(1)
    if value.upper().startswith("LIST") or "%" in value or " " in value.strip():
        raise UnsupportedFeatureError(f"the header names a list or numbered pattern of data files ({value!r})",
                                      path=path, hint="join the slices into one data file, or read it with ITK")
    return path.parent / value


def _metaimage_data_file(path: Path) -> Path | None:
    """The data file a detached MetaImage header names, if any (an unsupported list of files: none)."""
    try:
        return _data_file(path) if path.name.lower().endswith((".mhd", ".mha")) else None
    except UnsupportedFeatureError:
        return None


def _compressed(path: Path) -> bool:
    if path.name.lower().endswith(".gz"):
        return True
    if _is_nifti(path):
        return False
    text = _text_header(path)
    if re.search(r"^CompressedData\s*=\s*True", text, re.MULTILINE | re.IGNORECASE):
        return True
    encoding = re.search(r"^encoding:\s*(\S+)", text, re.MULTILINE)
    return encoding is not None and encoding.group(1).lower() not in ("raw", "ascii", "text", "txt")


def _check_sizes(file_info: FileInfo, path: Path, nifti: _nifti.NiftiHeader | None = None) -> None:
    """Refuse headers that promise more pixels than the file (or the machine) holds, before allocating.

    A NIfTI header states what it stores (the dtype before scaling) and where:
    that is what the file must hold.
    """
    expected = file_info.nbytes
    if expected > available_memory():
        raise CorruptFileError(
            f"the header promises {expected} bytes of pixels, more than this machine's memory",
            path=path, hint="the header is damaged, or the volume needs a machine with more memory",
        )
    if nifti is not None:
        expected = nifti.offset + nifti.stored_bytes
    data = local(file_info.files[-1])
    if not data.exists():
        raise CorruptFileError(f"the data file {data.name} the header names is missing", path=path,
                               hint="keep the header and its data file together")
    if _compressed(path):
        if expected > available_memory():
            raise CorruptFileError(
                f"the header promises {expected} bytes of pixels, more than this machine's memory",
                path=path, hint="the header is damaged, or the volume needs a machine with more memory",
            )
        return
    if not data.is_file():
        raise CorruptFileError(f"the data file {data.name} the header names is not a regular file", path=path,
                               hint="point the header at the file that holds the pixels")
    if data.stat().st_size < expected:
        raise CorruptFileError(
            f"truncated: the header promises {expected} bytes of pixels, {data.name} has {data.stat().st_size}",
            path=path, hint="the write that made it was cut short",
        )


def _nifti_pixels(path: Path, file_info: FileInfo, out: np.ndarray | None) -> np.ndarray | None:
    """NIfTI pixels read here, exactly (ITK turns NaN and ±inf into 0) and scaled as the header asks; None for
    vector pixels, which ITK reads."""
    nifti = _nifti.read_header(path)
    if len(file_info.shape) != len(file_info.axes.replace("c", "")):
        return None
    stored_info = dataclasses.replace(file_info, shape=nifti.shape, dtype=nifti.stored.newbyteorder("=").name)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            dtype = nifti.stored
            array = _read_target(stored_info, None if nifti.scaled else out)
            handle.seek(nifti.offset)
            view = byte_view(array)
            done = 0
            while done < len(view):
                count = handle.readinto(view[done:])
                if not count:
                    raise CorruptFileError(
                        f"truncated: the header promises {len(view)} bytes of pixels, the file ends after {done}",
                        path=path, hint="the write that made it was cut short",
                    )
                done += count
    except (EOFError, OSError, zlib.error) as exc:
        raise CorruptFileError(f"cannot decompress the pixels ({exc})", path=path,
                               hint="the file is damaged or was cut short") from exc
    if not nifti.scaled:
        return _native_into(array.reshape(file_info.shape), dtype, out)
    scaled = _nifti.apply_scaling(_native_into(array, dtype, None), nifti).reshape(file_info.shape)
    if out is not None:
        out[...] = scaled
        return out
    return scaled


def _read_target(file_info: FileInfo, out: np.ndarray | None) -> np.ndarray:
    """Where pixels are read, in native order: ``out`` when it is one block of memory, else a new array."""
    if out is not None and out.flags.c_contiguous:
        return output_array(file_info.shape, file_info.dtype, file_info.path, out)
    return aligned_empty(file_info.shape, np.dtype(file_info.dtype))


def _native_into(array: np.ndarray, stored: np.dtype, out: np.ndarray | None) -> np.ndarray:
    """``array``, read with the bytes as ``stored``, swapped in place to native order and placed in ``out``."""
    if not stored.isnative:
        array.byteswap(inplace=True)
    if out is not None and array is not out:
        out[...] = array
        return out
    return array


def _compressed_data(path: Path, file_info: FileInfo) -> tuple[Path | Source, int, bool] | None:
    """(file, offset, big-endian) of zlib/gzip-compressed MetaImage or NRRD pixels; None where ITK must read them."""
    text = _text_header(path)
    if path.name.lower().endswith(".nrrd"):
        encoding = re.search(r"^encoding:\s*(\S+)", text, re.MULTILINE)
        end = re.search(r"\r?\n\r?\n", text)
        if (encoding is None or encoding.group(1).lower() not in ("gzip", "gz") or end is None
                or re.search(r"^(data ?file|line ?skip|byte ?skip):", text, re.MULTILINE)):
            return None
        return path, end.end(), re.search(r"^endian:\s*big", text, re.MULTILINE) is not None
    big = re.search(r"^BinaryDataByteOrderMSB\s*=\s*True", text, re.MULTILINE | re.IGNORECASE) is not None
    if re.search(r"^HeaderSize\s*=", text, re.MULTILINE):
        return None
    local = re.search(r"^ElementDataFile\s*=\s*LOCAL[ \t]*\r?\n", text, re.MULTILINE)
    if local is not None:
        return path, local.end(), big
    return (file_info.files[-1], 0, big) if len(file_info.files) == 2 else None


def _compressed_pixels(path: Path, file_info: FileInfo, out: np.ndarray | None) -> np.ndarray | None:
    """Compressed MetaImage/NRRD pixels inflated here, their length checked; None where ITK must read them.

    ITK pads a stream shorter than its header promises with zeros and drops
    the rest of a longer one; both are a damaged file.
    """
    located = _compressed_data(path, file_info)
    if located is None:
        return None
    source, offset, big = located
    dtype = np.dtype(file_info.dtype).newbyteorder(">" if big else "<")
    array = _read_target(file_info, out)
    view = byte_view(array)
    inflater = zlib.decompressobj(wbits=47)  # zlib or gzip header, detected
    done = 0
    try:
        with open(local(source), "rb") as handle:
            handle.seek(offset)
            while not inflater.eof:
                chunk = inflater.unconsumed_tail or handle.read(_INFLATE_CHUNK)
                if not chunk:
                    break
                piece = inflater.decompress(chunk, min(len(view) - done, _INFLATE_CHUNK) + 1)
                if done + len(piece) > len(view):
                    raise CorruptFileError(f"the data holds more than the {len(view)} bytes of pixels the header "
                                           "promises", path=path, hint="the header's sizes are damaged")
                view[done : done + len(piece)] = piece
                done += len(piece)
    except zlib.error as exc:
        raise CorruptFileError(f"cannot decompress the pixels ({exc})", path=path,
                               hint="the file is damaged or was cut short") from exc
    if done < len(view):
        raise CorruptFileError(f"truncated: the header promises {len(view)} bytes of pixels, the data holds {done}",
                               path=path, hint="the file was cut short, or its header's sizes are damaged")
    return _native_into(array, dtype, out)


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None) -> tuple[np.ndarray, FileInfo]:
    """Read the pixels after checking sizes; geometry in numpy order in the FileInfo."""
    file_info, reader = _describe(path, spec)
    if reader is None and not _is_nifti(path):
        return _nrrd.read(path, file_info, out), file_info
    if _is_nifti(path):
        array = _nifti_pixels(path, file_info, out)
    else:
        array = _compressed_pixels(path, file_info, out) if _compressed(path) else None
    if array is None:
        with _own_name(path) as name:
            try:
                image = simpleitk().ReadImage(name)
            except RuntimeError as exc:
                raise CorruptFileError(f"cannot read the pixels ({_itk_reason(exc, name, path)})", path=path,
                                       hint="the file is damaged or was cut short") from exc
        array = buffer_array(image)  # the array keeps SimpleITK's buffer: no copy
        if out is not None:
            out[...] = array
            array = out
    return array, file_info


def check_writable(array: np.ndarray, *, spec: FormatSpec, compression: str | None = None,
                   metadata: dict | None = None) -> None:
    """Scalar 2D to 4D arrays of the row's dtypes (the registry checks those) whose axes (``metadata``'s
    geometry) a toolkit can name; ``compression`` zlib or gzip."""
    _axes(array.ndim, (metadata or {}).get("geometry") or {})
    if compression is not None and compression.lower() not in _COMPRESSIONS:
        raise InvalidOptionError(f"compression={compression!r}: {spec.name} compresses with zlib only",
                                 hint="pass compression='zlib' (or 'gzip'), or leave it out")
    if array.dtype.byteorder == ">":
        raise UnsupportedDtypeError(f"{spec.name} is written in native byte order here, not {array.dtype}",
                                    hint="pass array.astype(array.dtype.newbyteorder('='))")


def _axes(ndim: int, geometry: dict) -> str:
    """The toolkit axes of an image with ``geometry``: a folder's unnamed stack axis (q) is z (t in 4D)."""
    given = geometry.get("axes")
    colour = "c" if given and given.endswith("c") else ""  # a colour axis last: vector pixels
    scalar = ndim - len(colour)
    axes = named_as(given[: scalar] if given else None, TOOLKIT_AXES[scalar - 2]) if 2 <= scalar <= 4 else None
    if axes not in TOOLKIT_AXES:
        raise AxesError(f"medical formats hold images with axes {', '.join(TOOLKIT_AXES)} (and a colour axis 'c' "
                        f"last); this one has {given!r}",
                        hint="select or move axes first (Image.at, np.moveaxis), or save as .tif or .ome.zarr")
    return axes + colour


def _image(array: np.ndarray, geometry: dict) -> Image:
    axes = _axes(array.ndim, geometry)
    values = {key: [geometry.get(key, {}).get(letter, default) for letter in axes]
              for key, default in (("spacing", 1.0), ("origin", 0.0), ("units", None))}
    direction = geometry.get("direction")
    if direction is not None:
        direction = np.asarray(direction, dtype=np.float64)[::-1, ::-1]
    return Image(array, axes=axes, direction=direction, kind=geometry.get("kind", "intensity"), **values)


def write(path: Path, array: np.ndarray, *, spec: FormatSpec, metadata: dict, compression: str | None = None) -> Path:
    """Write with SimpleITK: spacing, origin and direction in its header, kind in a metadata key.

    A ``.mhd`` header and its ``.raw`` (``.zraw`` compressed) data are written
    together and renamed into place together, with the header naming the
    final data file. A data file of that name that is not the old header's
    own (an imarray raw binary ``scan.raw``) is not overwritten: that is an error.
    """
    geometry = metadata.get("geometry") or {}
    if _is_nifti(path):
        geometry = _nifti_geometry(geometry, path, _axes(array.ndim, geometry))
    simple = to_sitk(_image(array, geometry))
    kind = simple.GetMetaData(KIND_KEY) if simple.HasMetaDataKey(KIND_KEY) else None
    if kind and _is_nifti(path):
        simple.SetMetaData("aux_file", _NIFTI_KIND + kind)
    units = {axis: unit for axis, unit in (geometry.get("units") or {}).items() if unit}
    if units and not _is_nifti(path):
        simple.SetMetaData(_UNITS_KEY, json.dumps(units))  # ASCII: µ as \u00b5
    if metadata.get("scale") and not _is_nifti(path):
        simple.SetMetaData(_SCALE_KEY, json.dumps(metadata["scale"]))
    compress = compression is not None
    if not spec.multi_file:
        _write_sitk(simple, path, compress)
        _check_written(path, path, array.nbytes, compressed=compress or path.name.lower().endswith(".gz"))
        return path
    data = path.with_suffix(".zraw" if compress else ".raw")
    _check_data_name(path, data)
    _claim(path, data)
    with atomic_files([path, data]) as (tmp_header, tmp_data):
        staging = temporary_sibling(path)
        staging.mkdir()
        try:
            try:
                _write_sitk(simple, staging / path.name, compress)  # the header names data.name, its final name
            except TargetError as exc:  # named after the file asked for, not the staging folder
                raise TargetError(exc.message.replace(str(staging / path.name), str(path)), path=path,
                                  hint=exc.hint) from exc
            _check_written(staging / data.name, path, array.nbytes, compressed=compress)
            (staging / path.name).replace(tmp_header)
            (staging / data.name).replace(tmp_data)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return path


def _check_data_name(header: Path, data: Path) -> None:
    """Refuse, before writing, a data file name the header cannot state exactly.

    The header's ``ElementDataFile`` line is text of one line, read back as
    bytes by other tools, and ITK takes a backslash for a folder separator:
    names outside printable ASCII, or with a backslash, would name another file.
    """
    name = data.name
    if name.isascii() and name.isprintable() and "\\" not in name and name.strip() == name:
        return
    raise TargetError(f"the data file name {name!r} cannot be written exactly into the MetaImage header (it takes "
                      "printable ASCII without backslashes or surrounding spaces)", path=header,
                      hint="choose such a name, or save as .mha, which keeps header and pixels in one file")


def _claim(header: Path, data: Path) -> None:
    """Refuse to overwrite a data file that is not this header's own (an imarray ``.raw``, another image's)."""
    own = _metaimage_data_file(header) if header.is_file() else None
    if not data.exists() or (own is not None and own.exists() and own.samefile(data)):
        return
    raise TargetError(f"{data.name} exists and is not the data file of {header.name}; saving would overwrite it",
                      path=header, hint=f"choose another name, or delete {data.name} first")


def _check_written(written: Path, target: Path, nbytes: int, *, compressed: bool) -> None:
    """Refuse a file SimpleITK wrote short (its NIfTI writer reports success after a failed write).

    Uncompressed: the file holds at least the pixels' bytes. Gzip (``.nii.gz``):
    the stream is whole (its CRC checked) and inflates to at least that many
    bytes, counted in pieces without keeping them.
    """
    if compressed and not written.name.lower().endswith(".gz"):
        return  # zlib data inside MetaImage and NRRD: ITK checks its own stream writes
    if compressed:
        try:
            with gzip.open(written, "rb") as handle:
                size = sum(len(piece) for piece in iter(lambda: handle.read(_INFLATE_CHUNK), b""))
        except (EOFError, OSError, zlib.error):
            size = -1
    else:
        size = written.stat().st_size
    if size < nbytes:
        from .._atomic import short_write_error

        raise short_write_error(target, nbytes, "SimpleITK")


def _write_sitk(simple: Any, path: Path, compress: bool) -> None:
    try:
        simpleitk().WriteImage(simple, str(path), useCompression=compress)
    except RuntimeError as exc:
        from .._atomic import room_left

        raise TargetError(f"SimpleITK could not write it ({_itk_reason(exc, str(path), path)})", path=path,
                          hint=f"check that the folder is writable and the disk has room ({room_left(path.parent)})"
                          ", and that no file-size limit (`ulimit -f`) stops it") from exc
