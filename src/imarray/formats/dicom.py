"""DICOM, read only: single files, multi-frame files and a folder of one or several series (pydicom).

A file gives its frames as they are stored: ``(y, x)``, ``(q, y, x)`` for
several frames, ``c`` last for colour. A folder of DICOM files (any names,
``.dcm`` or none) is grouped by SeriesInstanceUID; each series is a volume
``(z, y, x)`` whose slices are sorted by their position along the slice
normal (ImagePositionPatient projected on the cross product of the
ImageOrientationPatient cosines, as GDCM and SimpleITK do), not by file name.
Geometry is given as :mod:`imarray.formats.medical` gives it for ITK files:
spacing and origin per axis letter in mm (patient coordinates, LPS), the
direction in ``metadata["direction"]`` in ITK's (x, y, z) order. A single
slice keeps its full position and orientation in ``metadata["position"]``
and ``metadata["orientation"]``; its 2D origin and direction are given only
when the slice is axial.

Rescale slope and intercept are applied as DICOM defines them (value =
stored * slope + intercept): with slope 1 and intercept 0 the stored integers
are returned as they are; otherwise the smallest float (float32, else
float64) that holds every rescaled value exactly, decided from the header
(every stored value BitsStored allows), so ``info`` and ``read`` agree. What
was applied is recorded in ``metadata["rescale"]``. MONOCHROME1 and palette
images are returned as stored, with ``metadata["photometric"]`` saying so.

Compressed transfer syntaxes are decoded by pydicom's plugins: RLE and
Deflate by pydicom itself; JPEG baseline, extended and lossless and JPEG-LS
by pylibjpeg-libjpeg; JPEG 2000 and HTJ2K by pylibjpeg-openjpeg
(``pip install 'imarray[dicom-codecs]'``). Headers that promise more pixels
than the file holds (uncompressed) or than the machine holds (compressed)
are refused before anything is allocated. Writing DICOM is not supported.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .._memory import aligned_empty, available_memory
from .._optional import import_optional
from .._paths import disk_bytes, natural_key, visible_files, visible_names
from ..errors import (
    CorruptFileError,
    FormatNotFoundError,
    InvalidOptionError,
    MissingDependencyError,
    UnsupportedDtypeError,
)
from ..fileinfo import FileInfo
from ..registry import FormatSpec

MAGIC_OFFSET = 128
_DEFER = 1024  # values longer than this (pixel data) are not read by info()
_HEAD_TAGS = ("Rows", "Columns", "NumberOfFrames", "SamplesPerPixel", "BitsAllocated")
# transfer syntaxes the dicom-codecs extra decodes (pydicom decodes RLE and Deflate itself)
_PLUGIN_SYNTAXES = {
    "1.2.840.10008.1.2.4.50": "JPEG baseline", "1.2.840.10008.1.2.4.51": "JPEG extended",
    "1.2.840.10008.1.2.4.57": "JPEG lossless", "1.2.840.10008.1.2.4.70": "JPEG lossless SV1",
    "1.2.840.10008.1.2.4.80": "JPEG-LS lossless", "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless", "1.2.840.10008.1.2.4.91": "JPEG 2000",
    "1.2.840.10008.1.2.4.201": "HTJ2K lossless", "1.2.840.10008.1.2.4.202": "HTJ2K lossless RPCL",
    "1.2.840.10008.1.2.4.203": "HTJ2K",
}


class MultiSeriesWarning(UserWarning):
    """A folder holds several DICOM series; the first is read (``series=`` chooses another)."""


class SliceSpacingWarning(UserWarning):
    """The slices of a series are not evenly spaced; the volume's z spacing is their mean gap."""


def sniff(head: bytes) -> bool:
    """DICOM Part 10 files carry ``DICM`` after a 128-byte preamble."""
    return head[MAGIC_OFFSET : MAGIC_OFFSET + 4] == b"DICM"


def is_dicom_file(path: Path) -> bool:
    """Whether ``path`` starts as a DICOM Part 10 file (never raises)."""
    try:
        with open(path, "rb") as handle:
            return sniff(handle.read(MAGIC_OFFSET + 4))
    except OSError:
        return False


def _pydicom() -> Any:
    return import_optional("pydicom", extra="dicom", purpose="DICOM files")


def _dataset(path: Path, *, pixels: bool) -> Any:
    """The dataset of ``path``; its pixel data read only if ``pixels`` (else deferred: never read)."""
    pydicom = _pydicom()
    try:
        return pydicom.dcmread(path, defer_size=None if pixels else _DEFER, force=False)
    except MemoryError as exc:
        raise CorruptFileError("a header element claims more memory than this machine has", path=path) from exc
    except Exception as exc:  # pydicom raises many kinds for damaged files; each is a damaged file here
        raise CorruptFileError(f"pydicom cannot read it ({type(exc).__name__}: {exc})", path=path,
                               hint="the file is damaged, or not a DICOM file") from exc


def _number(dataset: Any, keyword: str, default: Any = None) -> Any:
    value = dataset.get(keyword, default)
    return default if value is None or value == "" else value


def _stored_dtype(dataset: Any, path: Path) -> np.dtype:
    """The dtype pydicom decodes the pixels to, from the header."""
    if "FloatPixelData" in dataset:
        return np.dtype("float32")
    if "DoubleFloatPixelData" in dataset:
        return np.dtype("float64")
    if "PixelData" not in dataset:
        raise UnsupportedDtypeError("the file holds no image (no Pixel Data element)", path=path,
                                    hint="DICOM structured reports, plans and dose sequences are not images")
    bits = int(_number(dataset, "BitsAllocated", 0))
    signed = int(_number(dataset, "PixelRepresentation", 0)) == 1
    if bits == 1:
        return np.dtype("uint8")
    if bits not in (8, 16, 32, 64):
        raise CorruptFileError(f"BitsAllocated is {bits}; DICOM allows 1, 8, 16, 32 or 64", path=path)
    return np.dtype(f"{'int' if signed else 'uint'}{bits}")


def _rescale(dataset: Any) -> tuple[float, float]:
    """RescaleSlope and RescaleIntercept (1 and 0 when absent); a value that is no finite number is refused."""
    try:
        slope = float(_number(dataset, "RescaleSlope", 1.0))
        intercept = float(_number(dataset, "RescaleIntercept", 0.0))
    except (TypeError, ValueError) as exc:
        raise CorruptFileError(f"RescaleSlope or RescaleIntercept is not a number ({exc})",
                               path=getattr(dataset, "filename", None)) from exc
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
        raise CorruptFileError(f"RescaleSlope {slope} and RescaleIntercept {intercept} map no values",
                               path=getattr(dataset, "filename", None), hint="the header is damaged")
    return slope, intercept


def _float_for(stored: np.dtype, bits_stored: int, pairs: set[tuple[float, float]]) -> np.dtype:
    """The smallest float holding ``stored * slope + intercept`` exactly for every stored value and pair."""
    if stored.kind == "f":
        return np.dtype("float64") if stored.itemsize == 8 else np.dtype("float32")
    bits = min(bits_stored or stored.itemsize * 8, stored.itemsize * 8)
    if bits <= 16:
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if stored.kind == "i" else (0, 2**bits)
        values = np.arange(low, high, dtype=np.float64)
        for slope, intercept in pairs:
            exact = values * slope + intercept
            if not np.array_equal(exact.astype(np.float32).astype(np.float64), exact):
                return np.dtype("float64")
        return np.dtype("float32")
    # wider stored values: float32 is exact when slope and intercept are integers and no value passes 2**24
    bound = 2.0 ** bits
    if all(float(s).is_integer() and float(i).is_integer() and bound * abs(s) + abs(i) <= 2**24 for s, i in pairs):
        return np.dtype("float32")
    return np.dtype("float64")


def _frame_geometry(dataset: Any) -> tuple[list[float] | None, list[float] | None, list[float] | None]:
    """PixelSpacing (row, column), ImagePositionPatient and ImageOrientationPatient, if given."""

    def floats(keyword: str, count: int) -> list[float] | None:
        value = dataset.get(keyword)
        try:
            numbers = [float(v) for v in value] if value is not None else None
        except (TypeError, ValueError):
            return None
        return numbers if numbers is not None and len(numbers) == count and all(map(math.isfinite, numbers)) \
            else None

    return floats("PixelSpacing", 2), floats("ImagePositionPatient", 3), floats("ImageOrientationPatient", 6)


def _check_size(dataset: Any, path: Path, shape: tuple[int, ...], stored: np.dtype, rescaled: bool) -> None:
    """Refuse a header that promises more pixels than the file (uncompressed) or the machine holds."""
    if any(size <= 0 for size in shape):
        raise CorruptFileError(f"the header gives an image of shape {shape}", path=path)
    count = math.prod(shape)
    decoded = count * (8 if rescaled else stored.itemsize)
    if decoded > available_memory() // 2:
        raise CorruptFileError(
            f"the header claims {shape} pixels ({decoded} bytes once decoded), more than half this machine's memory",
            path=path, hint="the header is damaged, or the image needs a machine with more memory")
    if _is_compressed(dataset):
        return  # encapsulated frames: the decoder's output is checked against the header's shape
    bits = int(_number(dataset, "BitsAllocated", 8))
    need = math.ceil(count / 8) if bits == 1 else count * stored.itemsize
    keyword = next(k for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData") if k in dataset)
    element = dataset.get_item(keyword)
    length = getattr(element, "length", None)
    if length is None and getattr(element, "value", None) is not None:
        length = len(element.value)
    held = min(x for x in (length, path.stat().st_size) if x is not None and x != 0xFFFFFFFF)
    if need > held:
        raise CorruptFileError(
            f"the header promises {need} bytes of pixels ({' x '.join(map(str, shape))}, {bits} bits), "
            f"the file holds {held}", path=path, hint="the file is cut short or its header is damaged")


def _is_compressed(dataset: Any) -> bool:
    syntax = dataset.file_meta.get("TransferSyntaxUID")
    return bool(syntax is not None and syntax.is_compressed)


def _describe_file(path: Path, spec: FormatSpec, dataset: Any | None = None) -> FileInfo:
    dataset = _dataset(path, pixels=False) if dataset is None else dataset
    stored = _stored_dtype(dataset, path)
    try:
        rows, columns = int(_number(dataset, "Rows", 0)), int(_number(dataset, "Columns", 0))
        frames = int(_number(dataset, "NumberOfFrames", 1))
        samples = int(_number(dataset, "SamplesPerPixel", 1))
    except (TypeError, ValueError) as exc:
        raise CorruptFileError(f"a size in the header is not a number ({exc})", path=path) from exc
    if samples not in (1, 3):
        raise CorruptFileError(f"SamplesPerPixel is {samples}; DICOM images have 1 or 3", path=path)
    shape = (*((frames,) if frames != 1 else ()), rows, columns, *((3,) if samples == 3 else ()))
    axes = ("q" if frames != 1 else "") + "yx" + ("c" if samples == 3 else "")
    metadata = _common_metadata(dataset)
    slope, intercept = _rescale(dataset)
    dtype = stored
    if (slope, intercept) != (1.0, 0.0):
        dtype = _float_for(stored, int(_number(dataset, "BitsStored", 0)), {(slope, intercept)})
        metadata["rescale"] = {"slope": slope, "intercept": intercept, "stored_dtype": stored.name,
                               "type": str(_number(dataset, "RescaleType", "")) or None}
    _check_size(dataset, path, shape, stored, "rescale" in metadata)
    pixel_spacing, position, orientation = _frame_geometry(dataset)
    spacing, origin, units = {}, {}, {}
    if pixel_spacing is not None:
        spacing = {"y": pixel_spacing[0], "x": pixel_spacing[1]}
        units = {"y": "mm", "x": "mm"}
    if position is not None:
        metadata["position"] = position
    if orientation is not None:
        metadata["orientation"] = orientation
    if position is not None and (orientation is None or np.allclose(orientation, (1, 0, 0, 0, 1, 0))):
        origin = {"x": position[0], "y": position[1]}  # an axial slice: its plane's origin in patient x, y
    return FileInfo(path=path, format=spec.name, shape=shape, dtype=dtype.name, axes=axes, spacing=spacing,
                    units=units, origin=origin, files=(path,), disk_bytes=disk_bytes((path,)), metadata=metadata)


def _common_metadata(dataset: Any) -> dict:
    metadata: dict[str, Any] = {}
    for key, keyword in (("modality", "Modality"), ("photometric", "PhotometricInterpretation"),
                         ("series_uid", "SeriesInstanceUID"), ("series_description", "SeriesDescription")):
        value = dataset.get(keyword)
        if value not in (None, ""):
            metadata[key] = str(value)
    syntax = dataset.file_meta.get("TransferSyntaxUID") if hasattr(dataset, "file_meta") else None
    if syntax is not None:
        metadata["transfer_syntax"] = f"{syntax.name} ({syntax})"
    return metadata


def info(path: Path, *, spec: FormatSpec, series: int | str | None = None) -> FileInfo:
    """Shape, dtype and geometry of a DICOM file or series folder from the headers (pixel data is not read).

    A folder of several series describes the first (or ``series=``), and lists
    them all in ``metadata["series"]``.
    """
    if path.is_dir():
        return folder_info(path, spec=spec, series=series)
    if series not in (None, 0):
        raise InvalidOptionError(f"a single DICOM file holds one series; series={series!r} names another",
                                 path=path, hint="pass the folder of the series, or drop series=")
    return _describe_file(path, spec)


def _pixels(dataset: Any, path: Path) -> np.ndarray:
    """The stored pixels, decoded by pydicom (and its plugins)."""
    syntax = dataset.file_meta.get("TransferSyntaxUID")
    try:
        return dataset.pixel_array
    except MemoryError as exc:
        raise CorruptFileError("decoding needs more memory than this machine has", path=path) from exc
    except Exception as exc:  # missing plugin, or damaged data
        text = str(exc)
        if str(syntax) in _PLUGIN_SYNTAXES and ("plugin" in text.lower() or "install" in text.lower()
                                                 or "missing" in text.lower()):
            raise MissingDependencyError(
                f"{path}: {_PLUGIN_SYNTAXES[str(syntax)]} pixel data needs a decoder plugin ({syntax})",
                hint="pip install 'imarray[dicom-codecs]'") from exc
        raise CorruptFileError(f"pydicom cannot decode the pixels ({type(exc).__name__}: {' '.join(text.split())})",
                               path=path, hint="the pixel data is damaged or of an unsupported encoding") from exc


def _into(target: np.ndarray, stored: np.ndarray, slope: float, intercept: float, path: Path) -> None:
    """Write ``stored`` (rescaled if asked) into ``target``, checking its shape."""
    if stored.shape != target.shape:
        raise CorruptFileError(f"decoded pixels have shape {stored.shape}, the header says {target.shape}", path=path,
                               hint="the file is damaged")
    if (slope, intercept) == (1.0, 0.0):
        np.copyto(target, stored, casting="unsafe" if target.dtype.kind == "f" else "same_kind")
        return
    exact = stored.astype(np.float64) * slope + intercept
    target[...] = exact  # float32 only when every value fits exactly (decided in _float_for)


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None,
         series: int | str | None = None) -> tuple[np.ndarray, FileInfo]:
    """Read a DICOM file or series folder: the pixels, rescaled as the header says (see the module's notes)."""
    if path.is_dir():
        volume, described = folder_read(path, spec=spec, series=series)
        if out is not None:  # a folder's plan asked for it in place
            np.copyto(_checked_out(out, described), volume)
            return out, described
        return volume, described
    described = info(path, spec=spec, series=series)
    dataset = _dataset(path, pixels=True)
    stored = _pixels(dataset, path)
    result = aligned_empty(described.shape, described.dtype) if out is None else _checked_out(out, described)
    _into(result, stored, *_rescale(dataset), path)
    return result, described


def _checked_out(out: np.ndarray, described: FileInfo) -> np.ndarray:
    if out.shape != described.shape or out.dtype != np.dtype(described.dtype):
        raise CorruptFileError(f"holds {described.dtype} {described.shape}, not the {out.dtype} {out.shape} "
                               "expected", path=described.path)
    return out


# ---- folders of series --------------------------------------------------------------------------------------


def claims(path: Path, *, spec: FormatSpec) -> bool:
    """Whether the folder ``path`` is DICOM: it holds DICOM files and no image of another format."""
    from ..registry import by_extension

    found = False
    for name in visible_names(path, ordered=False):  # a folder of 100,000 TIFF slices says no at its first file
        other = by_extension(name)
        if other is not None and other.name != spec.name:
            return False
        found = found or other is not None or is_dicom_file(path / name)
    return found


def series_files(folder: Path) -> list[Path]:
    """The DICOM files of ``folder`` (by content: ``DICM`` after the preamble), in natural order."""
    return sorted((path for path in visible_files(folder)
                   if path.suffix.lower() in (".dcm", ".dicom") or is_dicom_file(path)), key=natural_key)


def _group(folder: Path, spec: FormatSpec) -> list[dict]:
    """The series of ``folder``: each a dict of uid, number, description, and its (path, dataset) pairs."""
    files = series_files(folder)
    if not files:
        raise FormatNotFoundError("the folder holds no DICOM file", path=folder)
    groups: dict[str, dict] = {}
    for path in files:
        dataset = _dataset(path, pixels=False)
        uid = str(dataset.get("SeriesInstanceUID", "") or "")
        entry = groups.setdefault(uid, {"uid": uid, "number": _number(dataset, "SeriesNumber"),
                                        "description": str(dataset.get("SeriesDescription", "") or ""),
                                        "modality": str(dataset.get("Modality", "") or ""), "files": []})
        entry["files"].append((path, dataset))

    def order(entry: dict) -> tuple:
        number = entry["number"]
        return (number is None, int(number) if number is not None else 0, entry["uid"])

    return sorted(groups.values(), key=order)


def _chosen(groups: list[dict], series: int | str | None, folder: Path) -> dict:
    if series is None:
        if len(groups) > 1:
            warnings.warn(
                f"{folder}: holds {len(groups)} DICOM series; read the first ({_label(groups[0])}); "
                f"the others: {'; '.join(f'series={i}: {_label(g)}' for i, g in enumerate(groups) if i)}",
                MultiSeriesWarning, stacklevel=5)
        return groups[0]
    if isinstance(series, int) and not isinstance(series, bool) and 0 <= series < len(groups):
        return groups[series]
    for group in groups:
        if series == group["uid"]:
            return group
    raise InvalidOptionError(
        f"series={series!r} is not one of the folder's {len(groups)} series", path=folder,
        hint="pass an index " + ", ".join(f"{i} ({_label(g)})" for i, g in enumerate(groups))
             + " or a SeriesInstanceUID")


def _label(group: dict) -> str:
    parts = [group["modality"], f"#{group['number']}" if group["number"] is not None else "",
             repr(group["description"]) if group["description"] else "", f"{len(group['files'])} files"]
    return " ".join(part for part in parts if part)


def _sorted_slices(group: dict, folder: Path) -> tuple[list[tuple[Path, Any]], dict]:
    """The slices in order along the normal, and the volume's geometry (spacing, origin, direction)."""
    files = group["files"]
    geometry = [_frame_geometry(dataset) for _, dataset in files]
    orientations = [g[2] for g in geometry]
    positions = [g[1] for g in geometry]
    if all(p is not None for p in positions) and all(o is not None for o in orientations):
        first = np.asarray(orientations[0])
        if not all(np.allclose(np.asarray(o), first, atol=1e-4) for o in orientations):
            raise CorruptFileError("the series' slices have different orientations", path=folder,
                                   hint="read the files one by one")
        row, column = first[:3], first[3:]
        normal = np.cross(row, column)
        distances = [float(np.dot(normal, np.asarray(p))) for p in positions]
        order = sorted(range(len(files)), key=lambda i: (distances[i], natural_key(files[i][0])))
        gaps = np.diff([distances[i] for i in order])
        if len(files) > 1 and np.any(np.isclose(gaps, 0.0, atol=1e-6)):
            raise CorruptFileError(
                "several slices of the series share a position (echoes, time points or repeated acquisitions)",
                path=folder, hint="move each volume's files into a folder of its own and read those")
        spacing_z = float(np.mean(gaps)) if len(files) > 1 else float(_number(files[0][1], "SliceThickness", 1.0)
                                                                         or 1.0)
        if len(files) > 2 and float(np.ptp(gaps)) > 1e-3 * abs(spacing_z):
            warnings.warn(f"{folder}: slice gaps range from {gaps.min():g} to {gaps.max():g} mm; the z spacing is "
                          f"their mean, {spacing_z:g} mm", SliceSpacingWarning, stacklevel=5)
        direction = np.column_stack([row, column, normal])
        origin = positions[order[0]]
        return [files[i] for i in order], {"spacing_z": spacing_z, "origin": origin, "direction": direction,
                                            "sorted_by": "ImagePositionPatient"}
    numbers = [_number(dataset, "InstanceNumber") for _, dataset in files]
    if any(n is None for n in numbers):
        raise CorruptFileError("the slices have neither ImagePositionPatient nor InstanceNumber to order them by",
                               path=folder, hint="read the files one by one (imarray does not order slices by name)")
    order = sorted(range(len(files)), key=lambda i: int(numbers[i]))
    return [files[i] for i in order], {"sorted_by": "InstanceNumber"}


def _series_info(folder: Path, spec: FormatSpec, groups: list[dict], group: dict) -> tuple[FileInfo, list]:
    slices, volume = _sorted_slices(group, folder)
    infos = [_describe_file(path, spec, dataset) for path, dataset in slices]
    first = infos[0]
    if any(len(i.shape) != 2 + ("c" in i.axes) for i in infos):
        raise UnsupportedDtypeError("a series of multi-frame files is not stacked", path=folder,
                                    hint="read each file on its own")
    stored = _stored_dtype(slices[0][1], slices[0][0])
    for (path, dataset), described in zip(slices, infos, strict=True):
        if described.shape != first.shape or _stored_dtype(dataset, path) != stored:
            raise CorruptFileError(
                f"{path.name} holds {_stored_dtype(dataset, path)} {described.shape}, {first.path.name} "
                f"{stored} {first.shape}", path=folder, hint="move the odd file out of the folder")
    pairs = {_rescale(dataset) for _, dataset in slices}
    dtype = stored
    metadata = {key: value for key, value in first.metadata.items()
                if key not in ("position", "orientation", "rescale")}
    if pairs != {(1.0, 0.0)}:
        bits = int(_number(slices[0][1], "BitsStored", 0))
        dtype = _float_for(stored, bits, pairs)
        slope, intercept = next(iter(pairs)) if len(pairs) == 1 else (None, None)
        metadata["rescale"] = {"slope": slope, "intercept": intercept, "stored_dtype": stored.name,
                               "type": first.metadata.get("rescale", {}).get("type")}
        if len(pairs) > 1:
            metadata["rescale"]["per_slice"] = [list(_rescale(dataset)) for _, dataset in slices]
    shape = (len(slices), *first.shape)
    spacing = {"z": volume.get("spacing_z", 1.0), **first.spacing}
    units = {"z": "mm", **first.units} if "spacing_z" in volume else dict(first.units)
    origin: dict[str, float] = {}
    if "origin" in volume:
        origin = dict(zip("xyz", (float(v) for v in volume["origin"]), strict=True))
        if not np.allclose(volume["direction"], np.eye(3)):
            metadata["direction"] = volume["direction"].tolist()
    metadata["sorted_by"] = volume["sorted_by"]
    if len(groups) > 1:
        metadata["series"] = [{"index": i, "uid": g["uid"], "number": g["number"], "modality": g["modality"],
                               "description": g["description"], "files": len(g["files"])}
                              for i, g in enumerate(groups)]
    files = tuple(path for path, _ in slices)
    if math.prod(shape) * dtype.itemsize > available_memory() // 2:
        raise CorruptFileError(f"the series holds {shape} pixels of {dtype}, more than half this machine's memory",
                               path=folder, hint="read fewer slices at a time (the files one by one)")
    file_info = FileInfo(path=folder, format=f"{spec.name} series", shape=shape, dtype=dtype.name,
                         axes="z" + first.axes, spacing=spacing, units=units, origin=origin, files=files,
                         disk_bytes=disk_bytes(files), metadata=metadata)
    return file_info, slices


def folder_info(folder: Path, *, spec: FormatSpec, series: int | str | None = None) -> FileInfo:
    """Describe one series of a folder of DICOM files (headers only; ``metadata["series"]`` lists them all)."""
    groups = _group(folder, spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MultiSeriesWarning)  # info lists the series instead
        return _series_info(folder, spec, groups, _chosen(groups, series, folder))[0]


def folder_read(folder: Path, *, spec: FormatSpec, series: int | str | None = None) -> tuple[np.ndarray, FileInfo]:
    """Read one series of a folder of DICOM files into one preallocated volume, slices sorted by position."""
    groups = _group(folder, spec)
    described, slices = _series_info(folder, spec, groups, _chosen(groups, series, folder))
    out = aligned_empty(described.shape, described.dtype)
    for index, (path, _) in enumerate(slices):
        dataset = _dataset(path, pixels=True)
        _into(out[index], _pixels(dataset, path), *_rescale(dataset), path)
    return out, described
