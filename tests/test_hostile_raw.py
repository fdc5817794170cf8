"""Raw sidecars are untrusted input: every hostile one is a SidecarError or CorruptFileError, never a crash."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray.errors import CorruptFileError, ImarrayError, SidecarError


def _pair(tmp_path, sidecar: dict | str, data: bytes = bytes(64)):
    path = tmp_path / "a.bin"
    path.write_bytes(data)
    (tmp_path / "a.json").write_text(sidecar if isinstance(sidecar, str) else json.dumps(sidecar))
    return path


@pytest.mark.parametrize("dtype", ["O", "V8", "S4", "U2", "M8[ns]", "m8[s]", "(2,)i4", "[('a', 'u1')]", 7, None])
def test_sidecar_dtypes_outside_the_image_dtypes_are_refused(tmp_path, dtype):
    path = _pair(tmp_path, {"shape": [8], "dtype": dtype})
    for mmap in (False, True):
        with pytest.raises(SidecarError, match="dtype"):
            ia.load(path, mmap=mmap)


@pytest.mark.parametrize("sidecar", [
    {"shape": [2**62 + 1, 4, 4], "dtype": "uint8"},   # wrapped to 16 bytes by int64 arithmetic before
    {"shape": [4, 4, 4], "dtype": "uint8", "axes": 7},
    {"shape": [4, 4, 4], "dtype": "uint8", "checksum": "x"},
    {"shape": [4, 4, 4], "dtype": "uint8", "metadata": [1]},
    "[" * 100_000 + "]" * 100_000,
])
def test_hostile_sidecar_fields_are_imarray_errors(tmp_path, sidecar):
    path = _pair(tmp_path, sidecar)
    with pytest.raises((SidecarError, CorruptFileError)):
        ia.info(path)
    with pytest.raises((SidecarError, CorruptFileError)):
        ia.load(path)


def test_a_sidecar_that_is_a_directory_or_a_device_is_refused(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(bytes(8))
    (tmp_path / "a.json").mkdir()
    with pytest.raises(SidecarError, match="regular file"):
        ia.load(path)
    (tmp_path / "a.json").rmdir()
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    (tmp_path / "a.json").symlink_to("/dev/zero")
    with pytest.raises(SidecarError, match="regular file"):
        ia.load(path)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_data_file_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"shape": [0], "dtype": "uint8"}))
    os.mkfifo(tmp_path / "a.bin")
    with pytest.raises(ImarrayError, match="regular file"):
        ia.load(tmp_path / "a.bin")


def test_image_dtypes_still_load_from_a_sidecar(tmp_path):
    path = _pair(tmp_path, {"shape": [8], "dtype": ">u8"}, np.arange(8, dtype=">u8").tobytes())
    np.testing.assert_array_equal(ia.load(path), np.arange(8, dtype=np.uint64))
    np.testing.assert_array_equal(ia.load(path, mmap=True), np.arange(8, dtype=np.uint64))


def test_calscipy_load_binary_maps_writable_by_default_as_calscipy_does(tmp_path):
    from imarray.compat.calscipy import load_binary, save_binary

    path = save_binary(tmp_path, np.arange(24, dtype=np.uint16).reshape(2, 3, 4))
    mapped = load_binary(path, mapped=True)
    assert mapped.flags.writeable and mapped.mode == "r+"
    assert not load_binary(path, mapped=True, mode="r").flags.writeable
