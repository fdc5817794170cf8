"""ia.load/read/info/save/write on URLs, bytes and file objects, against real servers on 127.0.0.1.

The HTTP server honours Range requests and counts the bytes it sends; moto's
S3 server stands in for an object store. No client library is mocked.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray.errors import CorruptFileError, ImageFileNotFoundError, SourcePermissionError, UnsupportedSourceError

from helpers import assert_identical

pytest.importorskip("fsspec", reason="remote sources need imarray[remote]")

PLANE = (1024, 1024)  # uint16: 2 MiB a plane
PLANE_BYTES = 2 * PLANE[0] * PLANE[1]
HEADERS = 64 * 1024  # what a reader may fetch beyond pixels: IFDs, metadata, read-ahead


def _stack(planes: int) -> np.ndarray:
    index = np.arange(PLANE[0] * PLANE[1], dtype=np.uint32).reshape(PLANE) % 65521
    return np.stack([(index + i).astype(np.uint16) for i in range(planes)])


@pytest.fixture(scope="module")
def served(http_root):
    """A 16-plane TIFF, its OME-TIFF twin, a Zarr store of one chunk per plane, a PNG and a GIF, over HTTP."""
    stack = _stack(16)
    ia.save(http_root / "stack.tif", stack)
    ia.write(http_root / "stack.ome.tif", ia.Image.from_array(stack, axes="zyx", spacing=(2.0, 0.5, 0.5),
                                                              units="um"))
    ia.save(http_root / "stack.zarr", stack, chunks=(1, *PLANE))
    ia.save(http_root / "plane.png", stack[3])
    ia.save(http_root / "movie.gif", (stack[:4, :64, :64] >> 8).astype(np.uint8))
    ia.save(http_root / "volume.nrrd", stack[:2, :8, :8])
    ia.write(http_root / "stack.bin", ia.Image.from_array(stack, axes="zyx", spacing=(2.0, 0.5, 0.5), units="um"))
    stack[:3].tofile(http_root / "bare.raw")  # no sidecar: the caller says what it holds
    return stack


def test_a_tiff_over_http_loads_exactly_and_info_reads_headers_only(http_server, served):
    url = f"{http_server.url}/stack.tif"
    described = ia.info(url)
    assert described.shape == served.shape and str(described.path) == url
    assert http_server.total_sent() < HEADERS
    assert_identical(served, ia.load(url))


def test_one_plane_of_a_lazy_remote_tiff_transfers_about_one_plane(http_server, served):
    lazy = ia.load(f"{http_server.url}/stack.tif", lazy=True)
    http_server.reset()
    assert_identical(served[9], lazy[9].compute())
    assert http_server.total_sent() < 3 * PLANE_BYTES + HEADERS


def test_one_plane_of_a_lazy_remote_zarr_store_transfers_about_one_chunk(http_server, served):
    lazy = ia.load(f"{http_server.url}/stack.zarr", lazy=True)
    assert lazy.chunks[0] == (1,) * 16
    http_server.reset()
    assert_identical(served[9], lazy[9].compute())
    assert http_server.total_sent() < 3 * PLANE_BYTES + HEADERS
    assert [path for _, path, _ in http_server.requests if "/c/" in path] == ["/stack.zarr/c/9/0/0"]


def test_a_raw_binary_over_http_reads_its_sidecar_and_one_plane_transfers_about_one_plane(http_server, served):
    url = f"{http_server.url}/stack.bin"
    http_server.reset()
    described = ia.info(url)
    assert described.shape == served.shape and str(described.path) == url
    assert http_server.total_sent() < HEADERS  # the sidecar and a few bytes of the data file
    image = ia.read(url, verify=True)
    assert_identical(served, image.array)
    assert (image.axes, image.spacing) == ("zyx", (2.0, 0.5, 0.5))
    lazy = ia.load(url, lazy=True)
    http_server.reset()
    assert_identical(served[9], lazy[9].compute())
    assert http_server.total_sent() < 3 * PLANE_BYTES + HEADERS
    assert_identical(served[:3], ia.load(f"{http_server.url}/bare.raw", dtype="uint16", y=PLANE[0], x=PLANE[1]))


def test_geometry_travels_from_a_remote_ome_tiff(http_server, served):
    image = ia.read(f"{http_server.url}/stack.ome.tif", lazy=True)
    assert (image.axes, image.spacing, image.units) == ("zyx", (2.0, 0.5, 0.5), ("µm", "µm", "µm")) or \
        (image.axes, image.spacing) == ("zyx", (2.0, 0.5, 0.5))
    assert_identical(served[2], image.array[2].compute())


def test_pictures_and_movies_over_http(http_server, served):
    assert_identical(served[3], ia.load(f"{http_server.url}/plane.png"))
    frames = list(ia.iter_frames(f"{http_server.url}/movie.gif"))
    assert_identical((served[:4, :64, :64] >> 8).astype(np.uint8), np.stack(frames))


def test_formats_read_by_name_only_are_refused_before_fetching_pixels(http_server, served):
    with pytest.raises(UnsupportedSourceError, match="nrrd from local files only") as caught:
        ia.load(f"{http_server.url}/volume.nrrd")
    assert f"{http_server.url}/volume.nrrd" in str(caught.value) and "download" in caught.value.hint
    assert http_server.total_sent() < 1024


def test_remote_errors_name_the_url_as_written(http_server, served):
    url = f"{http_server.url}/no/such.tif"
    with pytest.raises(ImageFileNotFoundError) as caught:
        ia.load(url)
    assert caught.value.path == url and "https:/" not in str(caught.value).replace("https://", "")
    http_server.forbidden.add("/stack.tif")
    with pytest.raises(SourcePermissionError, match=r"stack\.tif"):
        ia.info(f"{http_server.url}/stack.tif")
    with pytest.raises(UnsupportedSourceError, match="mmap"):
        ia.load(f"{http_server.url}/plane.png", mmap=True)


def test_bytes_and_file_objects_load_and_save(tmp_path):
    stack = _stack(2)[:, :32, :32]
    buffer = io.BytesIO()
    ia.save(buffer, stack, format="tiff")
    assert_identical(stack, ia.load(buffer.getvalue()))
    assert_identical(stack, ia.load(io.BytesIO(buffer.getvalue())))
    assert ia.info(buffer.getvalue()).shape == stack.shape
    tifffile.imwrite(tmp_path / "t.tif", stack)
    with open(tmp_path / "t.tif", "rb") as handle:
        assert_identical(stack, ia.load(handle, lazy=True).compute())
    with pytest.raises(CorruptFileError, match="empty"):
        ia.load(b"")
    with pytest.raises(UnsupportedSourceError, match="several files"):
        ia.save(io.BytesIO(), stack, format="raw")


def test_s3_round_trips_single_files_and_zarr_stores(s3_server):
    options = s3_server.storage_options
    base = f"s3://{s3_server.bucket}/api"
    stack = _stack(3)
    ia.save(f"{base}/cells.tif", stack, storage_options=options)
    assert_identical(stack, ia.load(f"{base}/cells.tif", storage_options=options))
    image = ia.Image.from_label_array(stack[:, :64, :64], spacing=(3.0, 0.5, 0.5))
    ia.write(f"{base}/labels.ome.zarr", image, storage_options=options, chunks=(1, 32, 32))
    back = ia.read(f"{base}/labels.ome.zarr", storage_options=options, lazy=True)
    assert (back.kind, back.spacing) == ("label", (3.0, 0.5, 0.5))
    assert_identical(stack[:, :64, :64], back.array.compute())
    with pytest.raises(UnsupportedSourceError, match="local"):
        ia.save(f"{base}/big.tif", stack, size_cap="3MB", storage_options=options)


def test_s3_raw_binaries_land_with_their_sidecars_and_read_back(s3_server):
    import fsspec

    options = s3_server.storage_options
    url = f"s3://{s3_server.bucket}/raw/run1.bin"
    image = ia.Image.from_array(_stack(2)[:, :48, :40], axes="zyx", spacing=(4.0, 0.25, 0.25), units="um")
    assert str(ia.write(url, image, storage_options=options)) == url
    store = fsspec.filesystem("s3", **options)
    assert sorted(p.rsplit("/", 1)[-1] for p in store.ls(f"{s3_server.bucket}/raw")) == ["run1.bin", "run1.json"]
    back = ia.read(url, storage_options=options, verify=True)
    assert_identical(image.array, back.array)
    assert (back.axes, back.spacing, back.units) == (image.axes, image.spacing, image.units)
    assert_identical(image.array, ia.load(url, storage_options=options, lazy=True).compute())
    store.pipe(f"{s3_server.bucket}/raw/run1.bin", b"\0" * 16)  # changed behind its sidecar's back
    with pytest.raises(CorruptFileError, match="sidecar describes"):
        ia.load(url, storage_options=options)


def test_s3_raw_saves_refuse_to_take_over_another_files_sidecar(s3_server):
    import fsspec

    from imarray.errors import TargetError

    options = s3_server.storage_options
    store = fsspec.filesystem("s3", **options)
    folder = f"s3://{s3_server.bucket}/claims"
    stack = _stack(1)[:, :8, :8]
    ia.save(f"{folder}/scan.bin", stack, storage_options=options)
    with pytest.raises(TargetError, match=r"belongs to scan\.bin"):  # scan.raw would share scan.json
        ia.save(f"{folder}/scan.raw", stack, storage_options=options)
    store.pipe(f"{s3_server.bucket}/claims/notes.json", b'{"author": "me"}')
    with pytest.raises(TargetError, match="not a sidecar"):
        ia.save(f"{folder}/notes.bin", stack, storage_options=options)
    assert store.cat(f"{s3_server.bucket}/claims/notes.json") == b'{"author": "me"}'
    assert not store.exists(f"{s3_server.bucket}/claims/scan.raw")
    ia.save(f"{folder}/scan.bin", stack + 1, storage_options=options)  # its own sidecar: replaced
    assert_identical(stack + 1, ia.load(f"{folder}/scan.bin", storage_options=options))
