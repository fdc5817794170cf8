"""Large reads: the page cache asked first, then pieces on both cores (cached) or one sequential read (on disk)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from imarray import _chunking
from imarray._memory import aligned_empty, byte_view
from imarray.errors import CorruptFileError


@pytest.fixture
def evicted_file(tmp_path):
    """A 48 MiB file written, flushed and dropped from the page cache (fadvise DONTNEED: no root needed)."""
    data = np.random.default_rng(0).integers(0, 2**16, 24 * 2**20, dtype=np.uint16)
    path = tmp_path / "data.bin"
    data.tofile(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        if _chunking._cached(fd, 0, data.nbytes):
            pytest.skip("this file system keeps the pages cached after DONTNEED (tmpfs?): cannot test the disk path")
    finally:
        os.close(fd)
    return path, data


def test_a_file_on_disk_is_read_in_one_sequential_read_and_a_cached_one_in_pieces(evicted_file, monkeypatch):
    path, data = evicted_file
    calls: list[int] = []
    real = os.preadv

    def counting(fd, buffers, offset, *flags):
        if not flags:  # the pixels' reads, not the one-byte cache probes
            calls.append(sum(len(b) for b in buffers))
        return real(fd, buffers, offset, *flags)

    monkeypatch.setattr(os, "preadv", counting)
    out = aligned_empty(data.shape, data.dtype)
    _chunking.read_file_into(path, 0, byte_view(out))
    np.testing.assert_array_equal(out, data)
    assert calls[0] == data.nbytes  # one request for the whole file: the kernel reads ahead on it
    calls.clear()
    out[:] = 0
    _chunking.read_file_into(path, 0, byte_view(out))  # now in the page cache
    np.testing.assert_array_equal(out, data)
    assert max(calls) <= _chunking.PIECE_BYTES and len(calls) == data.nbytes // _chunking.PIECE_BYTES


def test_a_file_that_ends_early_is_named_either_way(evicted_file):
    path, data = evicted_file
    out = aligned_empty((data.size + 8,), data.dtype)
    with pytest.raises(CorruptFileError, match="ended early") as caught:
        _chunking.read_file_into(path, 0, byte_view(out))
    assert caught.value.path == str(path)
