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


def as_nobody() -> list[str]:
    """The command prefix that runs this Python as uid/gid 65534, or a skip naming the precondition that fails.

    Runs as root only (root reads and writes everywhere, so another user is
    needed), with ``setpriv``, and only where that user can read this
    interpreter and imarray: a fresh clone in a 0700 folder is not readable to it.
    """
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run Python as another user (root reads and writes every file)")
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import imarray"], capture_output=True, text=True,
                           timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"uid 65534 cannot run {sys.executable} with imarray (the virtual environment or the clone "
                    f"is not readable to other users): {probe.stderr.strip().splitlines()[-1:]}")
    return prefix
