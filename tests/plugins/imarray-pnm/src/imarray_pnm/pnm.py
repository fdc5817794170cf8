"""Binary PGM (``P5``) and PPM (``P6``): a header of ASCII numbers, then big-endian samples.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> with tempfile.TemporaryDirectory() as name:
...     path = ia.save(pathlib.Path(name) / "a.pgm", np.array([[0, 300], [7, 65535]], np.uint16))
...     ia.load(path)
array([[    0,   300],
       [    7, 65535]], dtype=uint16)
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from imarray.errors import CorruptFileError, InvalidOptionError, LossyCastError, UnsupportedDtypeError
from imarray.fileinfo import FileInfo
from imarray.registry import FormatSpec

_HEADER = re.compile(rb"(P[56])(?:\s+|#[^\n]*\n)+(\d+)(?:\s+|#[^\n]*\n)+(\d+)(?:\s+|#[^\n]*\n)+(\d+)\s")
_HEADER_BYTES = 4096


def _header(path: Path) -> tuple[tuple[int, ...], np.dtype, int, int]:
    """(shape, stored dtype, maxval, pixel offset), checked against the file's size."""
    with open(path, "rb") as handle:
        head = handle.read(_HEADER_BYTES)
    match = _HEADER.match(head)
    if match is None:
        raise CorruptFileError("not a binary PGM/PPM header (P5 or P6, width, height, maxval)", path=path)
    kind, width, height, maxval = match.group(1), *(int(v) for v in match.group(2, 3, 4))
    if not (width and height and 0 < maxval < 65536):
        raise CorruptFileError(f"the header states {width} x {height} pixels up to {maxval}", path=path,
                               hint="Netpbm needs sizes above 0 and a maxval of 1..65535")
    shape = (height, width) if kind == b"P5" else (height, width, 3)
    stored = np.dtype(">u2" if maxval > 255 else "u1")
    needed = match.end() + int(np.prod(shape)) * stored.itemsize
    size = path.stat().st_size
    if size < needed:
        raise CorruptFileError(f"the header promises {needed} bytes, the file has {size}", path=path,
                               hint="the file was cut short")
    return shape, stored, maxval, match.end()


def info(path: Path, *, spec: FormatSpec) -> FileInfo:
    """Shape, dtype and maxval from the header alone."""
    shape, stored, maxval, _ = _header(path)
    return FileInfo(path=path, format=spec.name, shape=shape, dtype=stored.newbyteorder("=").name,
                    axes="yx" if len(shape) == 2 else "yxc", files=(path,), disk_bytes=path.stat().st_size,
                    metadata={"maxval": maxval, "kind": "rgb" if len(shape) == 3 else "intensity"})


def read(path: Path, *, spec: FormatSpec, out: np.ndarray | None = None) -> tuple[np.ndarray, FileInfo]:
    """The samples in native byte order (into ``out`` if given)."""
    shape, stored, _, offset = _header(path)
    described = info(path, spec=spec)
    native = stored.newbyteorder("=")
    if out is None:
        out = np.empty(shape, native)
    elif out.shape != shape or out.dtype != native:
        raise CorruptFileError(f"holds {native} {shape}, not the {out.dtype} {out.shape} expected", path=path)
    out[...] = np.fromfile(path, dtype=stored, count=int(np.prod(shape)), offset=offset).reshape(shape)
    return out, described


def check_writable(array: np.ndarray, *, spec: FormatSpec, maxval: int | None = None,
                   metadata: dict | None = None) -> None:
    """Grey (y, x) or RGB (y, x, 3) of uint8/uint16; ``maxval`` within the dtype."""
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[-1] == 3)):
        raise UnsupportedDtypeError(f"PGM/PPM hold grey (y, x) or RGB (y, x, 3), not shape {array.shape}",
                                    hint="save stacks as .tif")
    top = int(np.iinfo(array.dtype).max)
    if maxval is None:
        return
    low = 256 if array.dtype == np.uint16 else 1
    if not low <= maxval <= top:
        raise InvalidOptionError(f"maxval={maxval} is outside {low}..{top} for {array.dtype}",
                                 hint="a maxval of 255 or less stores one byte per sample, which reads back as uint8"
                                 if low == 256 else None)
    if int(np.max(array)) > maxval:
        raise LossyCastError(f"a value {int(np.max(array))} is above maxval={maxval}",
                             hint="raise maxval= or leave it out")


def write(path: Path, array: np.ndarray, *, spec: FormatSpec, metadata: dict, maxval: int | None = None) -> None:
    """Header, then the samples big-endian (``maxval`` checked by ``check_writable``)."""
    top = int(np.iinfo(array.dtype).max) if maxval is None else maxval
    kind = b"P5" if array.ndim == 2 else b"P6"
    stored = ">u2" if top > 255 else "u1"
    with open(path, "wb") as handle:
        handle.write(kind + f"\n{array.shape[1]} {array.shape[0]}\n{top}\n".encode())
        handle.write(np.ascontiguousarray(array, dtype=stored).tobytes())
