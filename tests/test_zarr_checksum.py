"""Zarr and OME-Zarr stores carry a crc32c of every chunk: a damaged chunk is an error naming it."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import imarray as ia
from imarray.errors import CorruptFileError

pytest.importorskip("zarr")


@pytest.mark.parametrize("name", ["a.zarr", "a.ome.zarr"])
def test_stores_are_written_with_a_crc32c_of_each_chunk(tmp_path, name):
    path = ia.save(tmp_path / name, np.arange(4 * 6 * 6, dtype=np.uint16).reshape(4, 6, 6), chunks=(2, 3, 3))
    metadata = next(p for p in sorted(path.rglob("zarr.json")) if "codecs" in p.read_text())
    assert "crc32c" in [codec["name"] for codec in json.loads(metadata.read_text())["codecs"]]


@pytest.mark.parametrize("name", ["a.zarr", "a.ome.zarr"])
def test_one_flipped_byte_in_a_chunk_is_a_corrupt_file_error_naming_the_chunk(tmp_path, name):
    array = np.arange(4 * 6 * 6, dtype=np.uint16).reshape(4, 6, 6)
    path = ia.save(tmp_path / name, array, chunks=(2, 3, 3))
    chunk = next(p for p in sorted(path.rglob("*")) if p.is_file() and p.name != "zarr.json"
                 and p.relative_to(path).parts[-4:] == ("c", "1", "0", "1"))
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0x10
    chunk.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="chunk c/1/0/1"):
        ia.load(path)


def test_a_chunk_that_is_not_a_regular_file_is_refused_before_zarr_reads_it(tmp_path):
    path = ia.save(tmp_path / "a.zarr", np.ones((4, 6), np.uint8), chunks=(2, 3))
    chunk = path / "c" / "0" / "0"
    chunk.unlink()
    os.mkfifo(chunk)  # zarr would block reading it
    with pytest.raises(CorruptFileError, match="not a chunk"):
        ia.load(path)


@pytest.mark.parametrize(("key", "value"), [("shape", [2**21] * 3), ("chunk_grid", None)])
def test_chunk_grids_no_store_holds_are_refused_by_info(tmp_path, key, value):
    path = ia.save(tmp_path / "a.zarr", np.zeros((4, 6, 6), np.uint8), chunks=(1, 1, 1))
    metadata = json.loads((path / "zarr.json").read_text())
    if key == "shape":
        metadata["shape"] = value
    else:
        metadata["chunk_grid"]["configuration"]["chunk_shape"] = [0, 0, 0]
    (path / "zarr.json").write_text(json.dumps(metadata))
    with pytest.raises(CorruptFileError):
        ia.info(path)


def test_a_sparse_store_reads_only_the_chunks_it_holds_and_equals_zarrs_own_read(tmp_path):
    zarr = pytest.importorskip("zarr")
    volume = np.zeros((4, 2000, 12), np.uint16)  # 8,000 chunks of one row, of which 3 are written
    volume[1, 7], volume[3, 1999, 5], volume[0, 0, 0] = 9, 65535, 1
    path = tmp_path / "sparse.zarr"
    store = zarr.create_array(store=str(path), shape=volume.shape, dtype=volume.dtype, chunks=(1, 1, 12),
                              zarr_format=3)
    for row in ((1, 7), (3, 1999), (0, 0)):
        store[row] = volume[row]
    assert sum(1 for p in (path / "c").rglob("*") if p.is_file()) == 3
    np.testing.assert_array_equal(ia.load(path), volume)
    np.testing.assert_array_equal(zarr.open_array(str(path), mode="r")[...], volume)
