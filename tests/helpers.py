"""Test helpers shared by every test module: extreme arrays, exact comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def extreme_array(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random values of ``dtype`` with the dtype's extremes (and NaN, -0.0, ±inf) planted."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    size = int(np.prod(shape))
    if dt.kind == "b":
        flat = rng.integers(0, 2, size).astype(bool)
        specials = [True, False]
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        flat = rng.integers(info.min, info.max, size, dtype=dt, endpoint=True)
        specials = [info.min, info.max, 0, 1]
    elif dt.kind == "f":
        flat = rng.standard_normal(size).astype(dt) * dt.type(100)
        info = np.finfo(dt)
        specials = [np.nan, -0.0, np.inf, -np.inf, info.max, info.min, info.tiny]
    else:
        real = np.dtype(dt.char.lower())
        flat = (rng.standard_normal(size) + 1j * rng.standard_normal(size)).astype(dt)
        specials = [complex(np.nan, 1), complex(-0.0, np.inf), complex(np.finfo(real).max, -np.inf)]
    flat = flat.astype(dt)
    for i, value in enumerate(specials[:size]):
        flat[i] = value
    return flat.reshape(shape)


def assert_identical(expected: np.ndarray, actual: np.ndarray) -> None:
    """Same dtype, shape and bytes (NaN payloads and -0.0 included)."""
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    native = expected.astype(expected.dtype.newbyteorder("="), copy=False)
    got = actual.astype(actual.dtype.newbyteorder("="), copy=False)
    assert np.ascontiguousarray(native).tobytes() == np.ascontiguousarray(got).tobytes()


def leftovers(folder: Path) -> list[str]:
    """Names of imarray temporaries left in ``folder`` (there must be none)."""
    return sorted(p.name for p in folder.rglob("*") if ".imarray-tmp-" in p.name)
