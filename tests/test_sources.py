"""Sources: paths, fsspec URLs, bytes and file objects, against real servers on 127.0.0.1.

The HTTP server (tests/servers.py) honours Range requests and counts the bytes it sends;
the S3 server is moto's. fsspec, aiohttp, s3fs and botocore talk to them over sockets.
"""

from __future__ import annotations

import io
import os
import pickle
import time

import numpy as np
import pytest
import tifffile

from imarray.errors import (
    CorruptFileError,
    ImageFileNotFoundError,
    SourceConnectionError,
    SourceError,
    SourceNotSeekableError,
    SourcePermissionError,
    SourceTimeoutError,
)
from imarray.sources import READ_BLOCK, Source, as_source, writing_all

PLANE = (1024, 1024)  # uint16: 2 MiB a plane
PLANE_BYTES = 2 * PLANE[0] * PLANE[1]


def _stack(planes: int) -> np.ndarray:
    stack = np.empty((planes, *PLANE), dtype=np.uint16)
    for i in range(planes):
        stack[i] = np.arange(PLANE[0] * PLANE[1], dtype=np.uint32).reshape(PLANE) % 65521 + i
    return stack


# -- what a source is -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kind"),
    [
        ("cells.tif", "local"),
        ("file:///tmp/cells.tif", "local"),
        ("s3://bucket/cells.tif", "remote"),
        ("https://host/data/cells.tif", "remote"),
        ("memory://folder/cells.tif", "remote"),
        ("simplecache::s3://bucket/cells.tif", "remote"),
        (b"II*\x00", "memory"),
        (io.BytesIO(b"II*\x00"), "memory"),
    ],
)
def test_kind(given, kind):
    source = as_source(given)
    assert source.kind == kind
    assert source.is_local == (kind == "local")
    assert source.is_remote == (kind == "remote")
    assert source.is_memory == (kind == "memory")


def test_text_is_what_the_user_wrote(tmp_path):
    assert as_source("https://host/data/cells.tif").text == "https://host/data/cells.tif"
    assert as_source(tmp_path / "a.tif").path == tmp_path / "a.tif"
    assert as_source("file:///tmp/a%20b.tif").path.as_posix() == "/tmp/a b.tif"
    assert as_source("https://host/x/cells.ome.tif?X-Amz-Signature=abc").name == "cells.ome.tif"
    assert as_source("simplecache::s3://bucket/deep/cells.zarr/").name == "cells.zarr"
    with open(tmp_path / "f.bin", "wb") as handle:
        assert as_source(handle).name == "f.bin"


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(TypeError, match="text mode"), open(tmp_path / "t.txt", "w") as handle:
        as_source(handle)
    with pytest.raises(TypeError, match=r"bytes\(obj\)"):
        as_source(bytearray(b"abc"))
    with pytest.raises(TypeError, match="cannot read images from a int"):
        as_source(3)
    with pytest.raises(ValueError, match="storage_options"):
        as_source("local.tif", storage_options={"anon": True})
    with pytest.raises(ValueError, match="timeout"):
        as_source("s3://b/k", timeout=0)
    with pytest.raises(TypeError, match="not a local path"):
        _ = as_source("s3://b/k").path


# -- local paths ------------------------------------------------------------------------------


def test_local_reads(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.bin").write_bytes(bytes(range(100)))
    (tmp_path / "d" / "a.bin").write_bytes(b"")
    folder = as_source(tmp_path / "d")
    assert folder.is_dir() and folder.exists()
    assert folder.listdir() == ["a.bin", "b.bin"]
    data = folder.child("b.bin")
    assert data.text == f"{tmp_path / 'd'}/b.bin"
    assert (data.size(), data.head(4), data.read_range(10, 3)) == (100, b"\x00\x01\x02\x03", b"\x0a\x0b\x0c")
    out = bytearray(5)
    data.read_into(95, out)
    assert out == bytes(range(95, 100))
    with pytest.raises(CorruptFileError, match="ends before byte 110"):
        data.read_range(90, 20)
    with pytest.raises(CorruptFileError, match="ends before byte 101"):
        data.read_into(96, bytearray(5))
    missing = folder.child("nope.tif")
    assert not missing.exists()
    with pytest.raises(ImageFileNotFoundError, match=r"nope\.tif: cannot read it: not found"):
        missing.head()


def test_local_writing_is_atomic(tmp_path):
    target = as_source(tmp_path / "out.bin")
    target.path.write_bytes(b"old")
    with pytest.raises(RuntimeError), target.writing() as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert target.path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    with target.writing() as tmp:
        tmp.write_bytes(b"new")
    assert target.path.read_bytes() == b"new"


# -- bytes and file objects -------------------------------------------------------------------


def _tiff_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, photometric="minisblack")
    return buffer.getvalue()


def test_bytes_and_file_objects_feed_tifffile(tmp_path):
    array = np.arange(3 * 8 * 8, dtype=np.uint16).reshape(3, 8, 8)
    data = _tiff_bytes(array)
    (tmp_path / "a.tif").write_bytes(data)
    handle = open(tmp_path / "a.tif", "rb")  # noqa: SIM115 - closed below, after the checks
    buffer = io.BytesIO(data)
    for given in (data, buffer, handle):
        source = as_source(given)
        assert source.head(4) == b"II*\x00" and source.size() == len(data)
        with source.open() as opened, tifffile.TiffFile(opened) as tif:
            np.testing.assert_array_equal(tif.pages[2].asarray(), array[2])
    # the caller's file objects stay open, their position where it was
    assert not handle.closed and not buffer.closed
    handle.seek(7)
    assert as_source(handle).read_range(0, 2) == b"II" and handle.tell() == 7
    handle.close()


def test_file_object_pickles_only_when_it_carries_its_bytes(tmp_path):
    again = pickle.loads(pickle.dumps(as_source(io.BytesIO(b"abcdef"))))
    assert again.read_range(2, 2) == b"cd"
    assert pickle.loads(pickle.dumps(as_source(b"xyz"))).head() == b"xyz"
    with open(tmp_path / "f.bin", "wb+") as handle, pytest.raises(SourceError, match="another process"):
        pickle.dumps(as_source(handle))


def test_non_seekable_file_object_is_a_clear_error():
    read_end, write_end = os.pipe()
    os.write(write_end, b"II*\x00")
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as pipe:
        source = as_source(pipe)
        for action in (source.head, source.open, source.size):
            with pytest.raises(SourceNotSeekableError, match="cannot seek") as caught:
                action()
            assert "ia.load(stream.read())" in caught.value.hint


def test_writing_into_a_file_object():
    target = io.BytesIO()
    with as_source(target).writing() as tmp:
        tmp.write_bytes(b"payload")
    assert target.getvalue() == b"payload"
    with pytest.raises(SourceError, match="not a writable file object"), as_source(b"ro").writing():
        pass


def test_folder_operations_refused_for_file_objects():
    with pytest.raises(SourceError, match="file object, not a folder"):
        as_source(b"x").child("a")
    with pytest.raises(SourceError, match="file object, not a folder"):
        as_source(io.BytesIO()).zarr_store()


# -- memory:// (fsspec, no network) -----------------------------------------------------------


def test_memory_url_round_trip():
    pytest.importorskip("fsspec")
    folder = as_source("memory://imarray-tests/round-trip")
    target = folder.child("a.tif")
    array = np.arange(64, dtype=np.float32).reshape(8, 8)
    with target.writing() as tmp:
        tifffile.imwrite(tmp, array)
    assert target.exists() and folder.is_dir() and "a.tif" in folder.listdir()
    with target.open() as handle:
        np.testing.assert_array_equal(tifffile.imread(handle), array)
    again = pickle.loads(pickle.dumps(target))
    assert again.read_range(0, 2) == b"II"


def test_memory_url_zarr_store_round_trip():
    zarr = pytest.importorskip("zarr")
    source = as_source("memory://imarray-tests/z.zarr")
    array = np.arange(24, dtype=np.int64).reshape(4, 6)
    written = zarr.create_array(source.zarr_store(mode="w"), shape=array.shape, dtype=array.dtype, chunks=(2, 3))
    written[:] = array
    np.testing.assert_array_equal(zarr.open_array(source.zarr_store(), mode="r")[:], array)


def test_writing_all_refuses_mixed_kinds(tmp_path):
    with pytest.raises(ValueError, match="all be local"), writing_all([as_source(tmp_path / "a"), as_source(b"x")]):
        pass


# -- HTTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_tiff(http_root):
    """A 16-plane uint16 TIFF of 2 MiB planes written by tifffile, served over HTTP."""
    stack = _stack(16)
    tifffile.imwrite(http_root / "big.tif", stack)
    return stack


def test_http_head_size_and_folders(http_server, big_tiff):
    source = as_source(f"{http_server.url}/big.tif")
    assert source.text == f"{http_server.url}/big.tif"
    assert source.exists() and not source.is_dir()
    assert source.size() == (http_server.root / "big.tif").stat().st_size
    assert source.head(4) == b"II*\x00"
    # the size came from HEAD, the magic from one 4-byte range
    assert http_server.total_sent() == 4, (http_server.sent, http_server.requests)
    root = as_source(http_server.url + "/")
    assert root.is_dir() and "big.tif" in root.listdir()


def test_http_tiff_page_transfers_about_one_plane(http_server, big_tiff):
    source = as_source(f"{http_server.url}/big.tif")
    with source.open() as handle, tifffile.TiffFile(handle) as tif:
        page = tif.pages[9].asarray()
    np.testing.assert_array_equal(page, big_tiff[9])
    sent = http_server.sent["/big.tif"]
    # one plane, plus a read-ahead block for each IFD walked on the way to page 9
    assert PLANE_BYTES <= sent < PLANE_BYTES + 11 * (READ_BLOCK + 4096)
    assert sent < 3 * PLANE_BYTES


def test_http_read_range_is_one_range_request(http_server, big_tiff):
    source = as_source(f"{http_server.url}/big.tif")
    offset = tifffile.TiffFile(http_server.root / "big.tif").pages[5].dataoffsets[0]
    data = source.read_range(offset, PLANE_BYTES)
    np.testing.assert_array_equal(np.frombuffer(data, np.uint16).reshape(PLANE), big_tiff[5])
    assert http_server.sent["/big.tif"] == PLANE_BYTES
    assert [r for r in http_server.requests if r[0] == "GET"] == [
        ("GET", "/big.tif", f"bytes={offset}-{offset + PLANE_BYTES - 1}")
    ]
    # a dask worker elsewhere gets the source by pickle and reads its range the same way
    assert pickle.loads(pickle.dumps(source)).read_range(offset, 4) == data[:4]


def test_http_zarr_chunk_transfers_about_one_chunk(http_server, http_root):
    zarr = pytest.importorskip("zarr")
    array = _stack(4)
    stored = zarr.create_array(str(http_root / "s.zarr"), shape=array.shape, dtype=array.dtype,
                               chunks=(1, 512, 512), compressors=None)
    stored[:] = array
    chunk_bytes = 512 * 512 * 2
    source = as_source(f"{http_server.url}/s.zarr")
    with source.translating("read it"):
        remote = zarr.open_array(source.zarr_store(), mode="r")
        block = remote[2, 512:, :512]
    np.testing.assert_array_equal(block, array[2, 512:, :512])
    metadata = http_server.sent["/s.zarr/zarr.json"]
    assert chunk_bytes <= http_server.total_sent() - metadata <= chunk_bytes + 1024


def test_http_missing_object(http_server):
    url = f"{http_server.url}/no/such.tif"
    source = as_source(url)
    assert not source.exists()
    with pytest.raises(ImageFileNotFoundError) as caught:
        source.head()
    assert str(caught.value).startswith(url + ": cannot read it: not found")
    assert "check the URL" in caught.value.hint


def test_http_forbidden(http_server, big_tiff):
    http_server.forbidden.add("/big.tif")
    source = as_source(f"{http_server.url}/big.tif")
    for action in (source.exists, source.size, source.head):
        with pytest.raises(SourcePermissionError, match="access refused") as caught:
            action()
        assert caught.value.path == source.text and "storage_options" in caught.value.hint


def test_http_stall_times_out_in_bounded_time(http_server, big_tiff):
    http_server.stalled.add("/big.tif")
    source = as_source(f"{http_server.url}/big.tif", timeout=0.5)
    start = time.monotonic()
    with pytest.raises(SourceTimeoutError, match=r"no answer within 0.5 s") as caught:
        source.read_range(0, 16)
    assert time.monotonic() - start < 5
    assert "timeout=" in caught.value.hint and isinstance(caught.value, TimeoutError)


def test_http_dropped_connection(http_server, big_tiff):
    http_server.dropped.add("/big.tif")
    source = as_source(f"{http_server.url}/big.tif", timeout=5)
    with pytest.raises(SourceConnectionError, match="dropped") as caught:
        source.read_range(0, PLANE_BYTES)
    assert caught.value.path == source.text


def test_http_is_read_only(http_server):
    with pytest.raises(SourceError, match="cannot write to an http"), as_source(f"{http_server.url}/x.tif").writing():
        pass


# -- S3 (moto) --------------------------------------------------------------------------------


def _s3(s3_server, key: str, **kwargs) -> Source:
    return as_source(f"s3://{s3_server.bucket}/{key}", storage_options=s3_server.storage_options, **kwargs)


def test_s3_put_once_and_read_back(s3_server):
    target = _s3(s3_server, "run1/cells.tif")
    stack = _stack(3)
    with target.writing() as tmp:
        tifffile.imwrite(tmp, stack, photometric="minisblack")
        size = tmp.stat().st_size
        assert not target.exists()  # nothing under the key while the file is written
    assert not tmp.exists()  # the local temporary is gone
    assert target.exists() and target.size() == size
    assert target.head(4) == b"II*\x00"
    with target.open() as handle, tifffile.TiffFile(handle) as tif:
        np.testing.assert_array_equal(tif.pages[1].asarray(), stack[1])
    folder = _s3(s3_server, "run1")
    assert folder.is_dir() and folder.listdir() == ["cells.tif"]


def test_s3_failed_write_leaves_the_old_object(s3_server):
    target = _s3(s3_server, "keep.bin")
    with target.writing() as tmp:
        tmp.write_bytes(b"old")
    with pytest.raises(RuntimeError), target.writing() as tmp:
        tmp.write_bytes(b"new but unfinished")
        raise RuntimeError("writer failed")
    assert target.read_range(0, 3) == b"old" and target.size() == 3
    never = _s3(s3_server, "never.bin")
    with pytest.raises(RuntimeError), never.writing() as tmp:
        tmp.write_bytes(b"x")
        raise RuntimeError("writer failed")
    assert not never.exists()


def test_s3_zarr_written_chunk_by_chunk(s3_server):
    zarr = pytest.importorskip("zarr")
    source = _s3(s3_server, "z/labels.zarr")
    array = np.arange(4 * 6 * 6, dtype=np.uint32).reshape(4, 6, 6)
    written = zarr.create_array(source.zarr_store(mode="w"), shape=array.shape, dtype=array.dtype, chunks=(1, 6, 6))
    for z in range(4):
        written[z] = array[z]
    assert source.is_dir() and source.child("c").listdir() == ["0", "1", "2", "3"]  # one object per chunk
    np.testing.assert_array_equal(zarr.open_array(source.zarr_store(), mode="r")[:], array)


def test_s3_missing_key_and_bucket(s3_server):
    with pytest.raises(ImageFileNotFoundError, match="not found"):
        _s3(s3_server, "absent.tif").head()
    missing_bucket = as_source("s3://no-such-bucket/x.tif", storage_options=s3_server.storage_options)
    assert not missing_bucket.exists()
    with pytest.raises(ImageFileNotFoundError) as caught:
        missing_bucket.size()
    assert caught.value.path == "s3://no-such-bucket/x.tif"


def _s3_endpoint(url: str) -> dict:
    """storage_options pointing s3fs at ``url`` (the test HTTP server standing in for a misbehaving endpoint)."""
    return {"key": "testing", "secret": "testing", "client_kwargs": {"endpoint_url": url, "region_name": "us-east-1"}}


def test_s3_stalled_endpoint_times_out(http_server):
    """s3fs and botocore against an endpoint that accepts the connection and never answers."""
    pytest.importorskip("s3fs")
    http_server.stalled.add("/bucket/key.tif")
    options = _s3_endpoint(http_server.url)
    source = as_source("s3://bucket/key.tif", storage_options=options, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(SourceTimeoutError):
        source.read_range(0, 16)
    assert time.monotonic() - start < 8


def test_s3_forbidden_endpoint(http_server):
    """An S3 endpoint answering 403 is an access error, not 'not found'."""
    pytest.importorskip("s3fs")
    http_server.forbidden.add("/bucket/key.tif")
    options = _s3_endpoint(http_server.url)
    source = as_source("s3://bucket/key.tif", storage_options=options, timeout=5)
    with pytest.raises(SourcePermissionError, match="access refused"):
        source.size()


def test_chained_url_reads_and_times_out(http_server, big_tiff):
    url = f"simplecache::{http_server.url}/big.tif"
    source = as_source(url, timeout=0.5)
    assert source.name == "big.tif" and source.head(4) == b"II*\x00"
    http_server.stalled.add("/big.tif")
    stalled = as_source(f"blockcache::{http_server.url}/big.tif", timeout=0.5)
    start = time.monotonic()
    with pytest.raises(SourceTimeoutError) as caught:
        stalled.head(4)
    assert time.monotonic() - start < 5 and caught.value.path == f"blockcache::{http_server.url}/big.tif"


def test_s3_companion_files_written_together(s3_server):
    data, sidecar = _s3(s3_server, "pair/run.bin"), _s3(s3_server, "pair/run.json")
    with writing_all([data, sidecar]) as (tmp_data, tmp_sidecar):
        tmp_data.write_bytes(b"\x01\x02")
        tmp_sidecar.write_text('{"shape": [2]}')
    assert data.read_range(0, 2) == b"\x01\x02" and sidecar.head() == b'{"shape": [2]}'


def test_file_url_is_local(tmp_path):
    (tmp_path / "a b.bin").write_bytes(b"abc")
    source = as_source((tmp_path / "a b.bin").as_uri())
    assert source.is_local and source.read_range(1, 2) == b"bc"


def test_s3_tiff_page_and_zarr_chunk_transfer_about_their_bytes(s3_server):
    """Counted by a TCP proxy in front of moto: HTTP headers included."""
    zarr = pytest.importorskip("zarr")
    stack = _stack(8)
    plain = _s3(s3_server, "counted/big.tif")
    with plain.writing() as tmp:
        tifffile.imwrite(tmp, stack, photometric="minisblack")
    counted = as_source(plain.url, storage_options=s3_server.counted_options)
    counted.size()  # the S3 session's first request, not part of the read
    s3_server.proxy.reset()
    with counted.open() as handle, tifffile.TiffFile(handle) as tif:
        np.testing.assert_array_equal(tif.pages[5].asarray(), stack[5])
    assert PLANE_BYTES < s3_server.proxy.received < PLANE_BYTES + 6 * (READ_BLOCK + 2048)

    store = _s3(s3_server, "counted/s.zarr")
    written = zarr.create_array(store.zarr_store(mode="w"), shape=stack.shape, dtype=stack.dtype,
                                chunks=(1, 512, 512), compressors=None)
    written[:] = stack
    remote = zarr.open_array(as_source(store.url, storage_options=s3_server.counted_options).zarr_store(), mode="r")
    s3_server.proxy.reset()
    np.testing.assert_array_equal(remote[6, :512, 512:], stack[6, :512, 512:])
    chunk_bytes = 512 * 512 * 2
    assert chunk_bytes < s3_server.proxy.received < chunk_bytes + 2048


def test_a_source_given_again_keeps_its_options():
    first = as_source("s3://bucket/key.tif", storage_options={"anon": True})
    assert as_source(first) is first
    again = as_source(first, timeout=3)
    assert again.timeout == 3 and again.storage_options == {"anon": True} and again.text == first.text


def test_zarr_errors_through_translating(http_server, http_root):
    zarr = pytest.importorskip("zarr")
    zarr.create_array(str(http_root / "denied.zarr"), shape=(2,), dtype="u1")[:] = 1
    http_server.forbidden.add("/denied.zarr/zarr.json")
    source = as_source(f"{http_server.url}/denied.zarr")
    with pytest.raises(SourcePermissionError, match=r"denied\.zarr: cannot read it"), source.translating("read it"):
        zarr.open_array(source.zarr_store(), mode="r")
