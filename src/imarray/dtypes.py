"""The dtype promise: exact casts that check every value, and explicit scaling.

Nothing here changes a value unless the caller asked for it:

- ``exact_cast(a, "uint8")`` casts only if every value survives unchanged,
  otherwise raises :class:`~imarray.errors.LossyCastError` naming the first
  value that does not fit and where it is.
- ``scale_to(a, "uint8", "minmax")`` maps values on request: ``"clip"`` clips
  to the target range, ``"minmax"`` maps the data's finite min..max to the
  target's full range, ``(lo, hi)`` maps lo..hi and clips outside. Integer
  targets round half to even (``numpy.rint``); float targets get 0..1.
  The returned record says what was done, so formats with room store it.

Work is done in blocks of about 32 MB along the first axis, so scaling a
gigabyte stack needs a few blocks of float64 scratch, not a second stack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidOptionError, LossyCastError, UnsupportedDtypeError

ScaleSpec = str | tuple[float, float]
_BLOCK_BYTES = 32 * 2**20


@dataclass(frozen=True)
class ScaleRecord:
    """What a ``scale=`` request did: enough to undo it approximately.

    ``target = round((source - lo) / (hi - lo) * (tmax - tmin) + tmin)``, clipped.
    """

    method: str
    source_dtype: str
    source_range: tuple[float, float]
    target_dtype: str
    target_range: tuple[float, float]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, as stored in file metadata."""
        return {
            "method": self.method,
            "source_dtype": self.source_dtype,
            "source_range": list(self.source_range),
            "target_dtype": self.target_dtype,
            "target_range": list(self.target_range),
        }


def is_lazy(array: Any) -> bool:
    """Whether ``array`` is a dask array (computed block by block, never whole).

    Examples
    --------
    >>> is_lazy(np.zeros(2))
    False
    """
    return type(array).__module__.startswith("dask")


def canonical(dtype: Any) -> np.dtype:
    """``dtype`` spelled as NumPy spells it by default: tifffile's ``longlong`` (``q``) becomes ``int64`` (``l``).

    The two compare equal, but Zarr and ``np.nditer`` tell them apart.

    Examples
    --------
    >>> canonical(np.dtype("q")).char == np.dtype(np.int64).char, canonical(">u2").str
    (True, '>u2')
    """
    return np.dtype(np.dtype(dtype).str)


def _blocks(array: np.ndarray) -> list[tuple[slice, ...]]:
    if array.ndim == 0 or array.size == 0:
        return [()]
    per_row = max(1, array[0].nbytes * 8)  # float64 scratch per first-axis row
    step = max(1, _BLOCK_BYTES // per_row)
    return [(slice(i, i + step),) for i in range(0, array.shape[0], step)]


def _first_failure(array: np.ndarray, bad: Callable[[np.ndarray], np.ndarray]) -> tuple[Any, tuple]:
    """Value and index of the first element for which ``bad`` is true."""
    for block in _blocks(array):
        mask = bad(array[block])
        if mask.any():
            local = np.unravel_index(int(np.argmax(mask)), mask.shape)
            offset = block[0].start if block else 0
            index = tuple(int(i) for i in local)
            if block:
                index = (index[0] + offset, *index[1:])
            return array[index].item(), index
    raise AssertionError("no failing element")  # pragma: no cover


def _range_text(dtype: np.dtype) -> str:
    if dtype.kind == "b":
        return "0 or 1"
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return f"{info.min}..{info.max}"
    return f"±{np.finfo(dtype).max:g}"


def _lossy(array: np.ndarray, target: np.dtype, bad, reason: str, path) -> LossyCastError:
    value, index = _first_failure(array, bad)
    error = LossyCastError(
        f"cannot cast {array.dtype} to {target} exactly: value {value!r} at index {index} {reason}",
        path=path,
        hint=(
            "use a dtype that holds every value, or ask for a mapping with "
            "scale='clip', scale='minmax' or scale=(lo, hi)"
        ),
    )
    error.index = index  # where in ``array``: a caller casting one block of a larger array shifts it
    return error


def _int_bounds(dtype: np.dtype) -> tuple[int, int]:
    if dtype.kind == "b":
        return 0, 1
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _float_exact_int_limit(dtype: np.dtype) -> int:
    return 2 ** (np.finfo(dtype).nmant + 1)


def as_dtype(value: Any, *, path=None) -> np.dtype:
    """``np.dtype(value)``, or an :class:`UnsupportedDtypeError` naming ``path`` for a name NumPy does not know.

    Examples
    --------
    >>> as_dtype("uint16")
    dtype('uint16')
    """
    try:
        return np.dtype(value)
    except (TypeError, ValueError) as exc:
        raise UnsupportedDtypeError(f"dtype={value!r} is not a NumPy dtype", path=path,
                                    hint="pass e.g. 'uint16', 'float32' or np.uint8") from exc


def exact_cast(array: np.ndarray, dtype: Any, *, path=None) -> np.ndarray:
    """Cast ``array`` to ``dtype`` only if every value is kept exactly.

    NaN and ±inf survive float-to-float casts; -0.0 stays -0.0. Returns the
    input itself when the dtype is already right.

    Examples
    --------
    >>> exact_cast(np.array([1, 36, 255], dtype=np.uint32), "uint8")
    array([  1,  36, 255], dtype=uint8)
    >>> exact_cast(np.array([1, 300]), "uint8")
    Traceback (most recent call last):
    ...
    imarray.errors.LossyCastError: cannot cast int64 to uint8 exactly: value 300 at index (1,) ...
    """
    target = as_dtype(dtype, path=path)
    source = array.dtype
    if source == target:
        return array
    if source.kind == "c" and target.kind != "c":
        if array.size and np.any(array.imag != 0):
            raise _lossy(array, target, lambda b: b.imag != 0, "has an imaginary part", path)
        return exact_cast(np.ascontiguousarray(array.real), target, path=path)
    if source.kind == "b":
        return array.astype(target)
    if array.size == 0:
        return array.astype(target)

    if target.kind in "biu":
        lo, hi = _int_bounds(target)
        if source.kind in "iu":
            if array.min() < lo or array.max() > hi:
                raise _lossy(
                    array, target, lambda b: (b < lo) | (b > hi), f"is outside {_range_text(target)}", path
                )
            return array.astype(target)
        # float or complex-as-float source: finite, integral, in range
        def bad(b):
            with np.errstate(invalid="ignore"):
                return ~np.isfinite(b) | (b != np.trunc(b)) | (b < lo) | (b > hi)

        if any(bad(array[block]).any() for block in _blocks(array)):
            raise _lossy(array, target, bad, f"is not an integer in {_range_text(target)}", path)
        return array.astype(target)

    # float or complex targets
    if source.kind in "iu":
        limit = _float_exact_int_limit(np.dtype(target.char.lower()) if target.kind == "c" else target)
        if array.max() > limit or array.min() < -limit:
            def bad(b):
                with np.errstate(over="ignore"):
                    return b.astype(target).astype(source) != b

            if any(bad(array[block]).any() for block in _blocks(array)):
                raise _lossy(array, target, bad, f"is not representable in {target}", path)
        return array.astype(target)

    def changed(b):
        with np.errstate(over="ignore", invalid="ignore"):
            back = b.astype(target).astype(source)
        same = (back == b) | (np.isnan(back) & np.isnan(b))
        return ~same

    if any(changed(array[block]).any() for block in _blocks(array)):
        raise _lossy(array, target, changed, f"is not representable in {target}", path)
    return array.astype(target)


def _target_range(target: np.dtype) -> tuple[float, float]:
    if target.kind in "iu":
        info = np.iinfo(target)
        return float(info.min), float(info.max)
    if target.kind == "f":
        return 0.0, 1.0
    raise UnsupportedDtypeError(
        f"scale= cannot target {target}",
        hint="scale to an integer or float dtype; use an exact dtype= cast for bool",
    )


def finite_range(array: np.ndarray) -> tuple[float, float]:
    """Smallest and largest finite value (NaN and ±inf ignored)."""
    lo, hi = np.inf, -np.inf
    for block in _blocks(array):
        part = array[block]
        if part.dtype.kind == "f":
            part = part[np.isfinite(part)]
        if part.size:
            lo = min(lo, float(part.min()))
            hi = max(hi, float(part.max()))
    if lo > hi:
        raise LossyCastError("scale='minmax' needs at least one finite value; the array has none")
    return lo, hi


def scale_to(
    array: np.ndarray, dtype: Any, scale: ScaleSpec, *, path=None
) -> tuple[np.ndarray, ScaleRecord]:
    """Map ``array`` onto ``dtype`` as ``scale`` asks; return the result and a record.

    Examples
    --------
    >>> out, record = scale_to(np.array([0.0, 0.5, 1.0]), "uint8", "minmax")
    >>> out
    array([  0, 128, 255], dtype=uint8)
    >>> record.source_range
    (0.0, 1.0)
    """
    target = as_dtype(dtype, path=path)
    if array.dtype.kind == "c":
        raise UnsupportedDtypeError(
            "scale= is not defined for complex data", path=path, hint="scale np.abs(a) or a.real instead"
        )
    tmin, tmax = _target_range(target)
    if scale == "clip":
        if target.kind == "f":
            tmin, tmax = float(np.finfo(target).min), float(np.finfo(target).max)
        lo, hi, method = tmin, tmax, "clip"
    elif scale == "minmax":
        (lo, hi), method = finite_range(array), "minmax"
    elif isinstance(scale, tuple | list) and len(scale) == 2:
        lo, hi, method = float(scale[0]), float(scale[1]), "range"
        if not lo < hi:
            raise InvalidOptionError(f"scale=(lo, hi) needs lo < hi, got {scale!r}", path=path,
                                     hint="swap the two values")
    else:
        raise InvalidOptionError(f"scale={scale!r} is not a scale", path=path,
                                 hint="pass 'clip', 'minmax' or (lo, hi)")

    if array.dtype.kind == "f" and any(np.isnan(array[b]).any() for b in _blocks(array)):
        raise _lossy(
            array, target, np.isnan, "is NaN, which no scale maps to a number", path
        )
    out = np.empty(array.shape, dtype=target)
    gain = 0.0 if hi == lo else (tmax - tmin) / (hi - lo)
    for block in _blocks(array):
        part = array[block].astype(np.float64)
        if method != "clip":
            part -= lo
            part *= gain
            part += tmin
        if target.kind in "iu":
            np.rint(part, out=part)
        np.clip(part, tmin, tmax, out=part)
        out[block] = part
    record = ScaleRecord(method, str(array.dtype), (lo, hi), str(target), (tmin, tmax))
    return out, record


def smallest_fitting(array: np.ndarray, candidates: list[str]) -> str | None:
    """The first dtype in ``candidates`` that holds every value of ``array`` (``None``: not known)."""
    if is_lazy(array) or array.size == 0 or array.dtype.kind not in "biuf":
        return None
    if array.dtype.kind == "f":
        finite = all(np.isfinite(array[b]).all() for b in _blocks(array))
        if not finite:
            floats = [c for c in candidates if np.dtype(c).kind == "f"]
            candidates = floats
    lo, hi = (0, 1) if array.dtype.kind == "b" else (array.min(), array.max())
    for name in candidates:
        dtype = np.dtype(name)
        if dtype.kind in "biu":
            tlo, thi = _int_bounds(dtype)
            if array.dtype.kind == "f" and not all(
                (array[b] == np.trunc(array[b])).all() for b in _blocks(array)
            ):
                continue
            if tlo <= lo and hi <= thi:
                return name
        elif dtype.kind == "f" and np.can_cast(array.dtype, dtype, "safe"):
            return name
    return None
