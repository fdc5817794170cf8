"""The NIfTI-1 and NIfTI-2 header fields that say how the pixels are stored, and the scaling they ask for.

A NIfTI file stores pixels of one dtype (``datatype``) and may ask for them
to be read as ``stored * scl_slope + scl_inter``. The size check compares the
*stored* bytes with the file, and the scaling is applied as nibabel applies it
(a slope of 0 or NaN means no scaling), into a dtype chosen so that no value
is lost:

- ``slope == 1`` and ``inter == 0`` (or no scaling): the stored dtype itself;
- otherwise the smallest float that holds every possible result exactly:
  float32 when the results of the stored integer range are multiples of a
  power of two that float32's 24-bit mantissa spans, else float64.

Examples
--------
>>> import numpy as np
>>> scaled_dtype(np.dtype("int16"), 1.0, 0.0)
dtype('int16')
>>> scaled_dtype(np.dtype("uint8"), 0.5, 10.0)        # 255 * 0.5 + 10 needs 9 bits above 2**-1
dtype('float32')
>>> scaled_dtype(np.dtype("int16"), 0.07540696859359741, 3100.76171875)
dtype('float64')
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CorruptFileError, UnsupportedFeatureError

# NIfTI datatype codes (nifti1.h) with their NumPy dtypes; RGB24 and RGBA32 are structured, float128 platform-bound
_DTYPES = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 32: "c8", 64: "f8", 256: "i1", 512: "u2", 768: "u4",
           1024: "i8", 1280: "u8", 1792: "c16"}
_UNSUPPORTED = {128: "RGB24 pixels", 2304: "RGBA32 pixels", 1536: "float128 pixels", 2048: "complex256 pixels"}


@dataclass(frozen=True)
class NiftiHeader:
    """What the header says about the stored pixels: version, stored dtype (with its byte order), shape in
    numpy order, byte offset of the pixels, and the scaling."""

    version: int
    stored: np.dtype
    shape: tuple[int, ...]
    offset: int
    slope: float
    inter: float

    @property
    def scaled(self) -> bool:
        return self.scaling != (1.0, 0.0)

    @property
    def dtype(self) -> np.dtype:
        """The dtype the pixels are read into (native byte order)."""
        return scaled_dtype(self.stored.newbyteorder("="), *self.scaling)

    @property
    def scaling(self) -> tuple[float, float]:
        slope = 1.0 if self.slope == 0.0 or math.isnan(self.slope) else self.slope
        return slope, 0.0 if math.isnan(self.inter) else self.inter

    @property
    def stored_bytes(self) -> int:
        return math.prod(self.shape) * self.stored.itemsize


def read_header(path: Path) -> NiftiHeader:
    """Parse the fixed fields of a NIfTI-1 (348 bytes) or NIfTI-2 (540 bytes) header, plain or gzipped."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            head = handle.read(540)
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptFileError(f"cannot read the NIfTI header ({exc})", path=path,
                               hint="the file is damaged or was cut short") from exc
    order = next((o for o in "<>" if len(head) >= 4 and struct.unpack(o + "i", head[:4])[0] in (348, 540)), None)
    if order is None:
        raise CorruptFileError("not a NIfTI header (its first field is neither 348 nor 540)", path=path,
                               hint="the file is damaged, or not of the format its extension says")
    version = 1 if struct.unpack(order + "i", head[:4])[0] == 348 else 2
    if len(head) < (348 if version == 1 else 540):
        raise CorruptFileError("the NIfTI header is cut short", path=path, hint="the file was cut short")
    if version == 1:
        code = struct.unpack(order + "h", head[70:72])[0]
        dims = struct.unpack(order + "8h", head[40:56])
        offset, slope, inter = struct.unpack(order + "3f", head[108:120])
    else:
        code = struct.unpack(order + "h", head[12:14])[0]
        dims = struct.unpack(order + "8q", head[16:80])
        offset, slope, inter = struct.unpack(order + "q2d", head[168:192])
    if code in _UNSUPPORTED:
        raise UnsupportedFeatureError(f"NIfTI {_UNSUPPORTED[code]} (datatype {code}) are not read here", path=path,
                                      hint="read it with nibabel and convert it to one of the numeric dtypes")
    if code not in _DTYPES:
        raise CorruptFileError(f"the NIfTI datatype code {code} is not one the standard defines", path=path,
                               hint="the header is damaged")
    ndim = dims[0]
    if not 1 <= ndim <= 7 or any(d < 1 for d in dims[1 : ndim + 1]) or not math.isfinite(offset) or offset < 0:
        raise CorruptFileError(f"the NIfTI header's dimensions {dims[: ndim + 1] if 0 <= ndim <= 7 else dims} "
                               f"or pixel offset {offset} are impossible", path=path, hint="the header is damaged")
    shape = tuple(int(d) for d in dims[1 : ndim + 1])[::-1]
    stored = np.dtype(_DTYPES[code]).newbyteorder("<" if order == "<" else ">")
    return NiftiHeader(version, stored, shape, int(offset), float(slope),
                       float(inter))


def _lowest_bit(value: float) -> int:
    """The exponent of the lowest set bit of ``value`` (a finite, non-zero float): 0.75 -> -2."""
    mantissa, exponent = math.frexp(abs(value))
    bits = int(mantissa * 2**53)
    return exponent - 53 + ((bits & -bits).bit_length() - 1)


def scaled_dtype(stored: np.dtype, slope: float, inter: float) -> np.dtype:
    """The smallest dtype holding every ``stored * slope + inter`` exactly (the stored dtype when 1 and 0)."""
    if slope == 1.0 and inter == 0.0:
        return stored
    if stored.kind == "c":
        return np.dtype("complex128")
    if stored.kind == "f" or not (math.isfinite(slope) and math.isfinite(inter)):
        return np.dtype("float64")
    limits = np.iinfo(stored)
    quantum = min(_lowest_bit(slope), _lowest_bit(inter) if inter else 1024)
    largest = max(abs(int(limits.min)), int(limits.max)) * abs(slope) + abs(inter)
    return np.dtype("float32" if largest < 2.0 ** (24 + quantum) else "float64")


def apply_scaling(stored: np.ndarray, header: NiftiHeader) -> np.ndarray:
    """``stored * slope + inter`` in float64, as nibabel computes it, in the header's read dtype."""
    slope, inter = header.scaling
    if not header.scaled:
        return stored
    result = stored.astype(np.complex128 if stored.dtype.kind == "c" else np.float64)
    result *= slope
    result += inter
    return result.astype(header.dtype, copy=False)
