"""NRRD files that ITK does not read, through pynrrd: 1-D and beyond 4-D arrays, bzip2 data, non-spatial axes.

ITK's NRRD reader refuses a 1-D file ("maximum supported IO dimension"),
bzip2-encoded data ("not available in NrrdIO") and a 4-D file whose fourth
axis has no space direction; pynrrd (the ``medical`` extra) reads them. The
header's sizes are checked against the data (or, for compressed data, the
machine's memory) before pynrrd allocates anything.

Examples
--------
>>> import pathlib, tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = pathlib.Path(folder) / "line.nrrd"
...     _ = path.write_bytes(b"NRRD0004\\ntype: uint8\\ndimension: 1\\nsizes: 3\\nencoding: ascii\\n\\n1 2 3\\n")
...     needs_pynrrd(path)
True
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from .._memory import available_memory, output_array
from .._optional import import_optional
from .._paths import disk_bytes
from ..errors import CorruptFileError
from ..fileinfo import FileInfo
from ..registry import FormatSpec

_HEADER_BYTES = 65536
_COMPRESSED = ("gzip", "gz", "bzip2", "bz2")
_MAX_DIMENSION = 16  # NRRD_DIM_MAX in teem


def _field(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}:\s*(.*?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def _text(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(_HEADER_BYTES).decode("latin-1")
    end = re.search(r"\r?\n\r?\n", head)
    return head[: end.start()] if end else head


def needs_pynrrd(path: Path) -> bool:
    """True for NRRD headers ITK cannot read: bzip2 data, other than 2 to 4 domain axes, or a domain axis
    without a space direction in a file that states a space (ITK wants one direction per domain axis).

    Axes whose kind is not a domain (complex, vector, RGB-color...) are ITK's pixel components.
    """
    text = _text(path)
    encoding = (_field(text, "encoding") or "").lower()
    try:
        dimension = int(_field(text, "dimension") or "0")
    except ValueError:
        return False  # ITK's header check words the damage
    kinds = (_field(text, "kinds") or "").lower().split()
    components = sum(kind not in ("domain", "space", "time", "???", "none") for kind in kinds)
    domain = dimension - components
    directions = (_field(text, "space directions") or "").lower()
    undirected = ("space" in text.lower() and directions.split().count("none") > components)
    return encoding in ("bzip2", "bz2") or not 2 <= domain <= 4 or undirected


def _nrrd() -> Any:
    return import_optional("nrrd", extra="medical", purpose="reading NRRD files ITK does not read (1-D, bzip2)")


def _header(path: Path) -> dict:
    nrrd = _nrrd()
    try:
        with open(path, "rb") as handle:
            return nrrd.read_header(handle)
    except (nrrd.NRRDError, ValueError, TypeError, UnicodeDecodeError, OverflowError) as exc:
        raise CorruptFileError(f"pynrrd cannot read the header ({exc})", path=path,
                               hint="the file is damaged, or not of the format its extension says") from exc


def info(path: Path, spec: FormatSpec) -> FileInfo:
    """Shape, dtype and spacing from the header, sizes checked against the data before any pixel is read."""
    nrrd = _nrrd()
    header = _header(path)
    sizes = header.get("sizes")
    if sizes is None or not 1 <= len(sizes) <= _MAX_DIMENSION or any(int(s) < 1 for s in sizes):
        raise CorruptFileError(f"the header's sizes {sizes!r} are impossible", path=path, hint="the header is damaged")
    try:
        dtype = nrrd.reader._determine_datatype(header)
    except (nrrd.NRRDError, TypeError, KeyError) as exc:
        raise CorruptFileError(f"the header's type is not one NRRD defines ({exc})", path=path,
                               hint="the header is damaged") from exc
    shape = tuple(int(s) for s in sizes)[::-1]
    ndim = len(shape)
    axes = {1: "x", 2: "yx", 3: "zyx", 4: "tzyx"}.get(ndim, "q" * ndim)
    spacings = header.get("spacings")
    if spacings is None and header.get("space directions") is not None:
        spacings = [float(np.linalg.norm(d)) if not np.isnan(np.asarray(d, float)).any() else np.nan
                    for d in header["space directions"]]
    spacing = {letter: float(value) for letter, value in zip(axes[::-1], spacings if spacings is not None else [],
                                                             strict=False) if np.isfinite(value)}
    data = header.get("data file") or header.get("datafile")
    files = (path,) if data is None else (path, path.parent / str(data))
    file_info = FileInfo(path=path, format=spec.name, shape=shape, dtype=np.dtype(dtype).newbyteorder("=").name,
                         axes=axes, spacing=spacing, files=files, disk_bytes=disk_bytes(files),
                         metadata={"encoding": header.get("encoding")})
    if str(header.get("encoding", "")).lower() in _COMPRESSED and file_info.nbytes > available_memory():
        raise CorruptFileError(f"the header promises {file_info.nbytes} bytes of pixels, more than this machine's "
                               "memory", path=path, hint="the header is damaged")
    return file_info


def read(path: Path, file_info: FileInfo, out: np.ndarray | None) -> np.ndarray:
    """The pixels through pynrrd, their count checked, in native byte order, into ``out`` when given."""
    nrrd = _nrrd()
    try:
        with open(path, "rb") as handle:
            header = nrrd.read_header(handle)
            array = nrrd.read_data(header, handle, str(path), index_order="C")
    except (nrrd.NRRDError, ValueError, OSError, EOFError) as exc:
        raise CorruptFileError(f"pynrrd cannot read the pixels ({exc})", path=path,
                               hint="the file is damaged or was cut short") from exc
    if array.shape != file_info.shape:
        raise CorruptFileError(f"the data holds {array.size} values, the header promises shape {file_info.shape}",
                               path=path, hint="the file was cut short, or its header's sizes are damaged")
    target = output_array(file_info.shape, file_info.dtype, path, out)
    target[...] = array
    return target
