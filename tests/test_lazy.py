"""ia.load(..., lazy=True): dask arrays that read nothing until computed, and only what they need."""

from __future__ import annotations

import builtins
import os

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray.errors import CorruptFileError, LossyCastError

from helpers import assert_identical, extreme_array

dask = pytest.importorskip("dask")


@pytest.fixture(autouse=True)
def a_chunk_per_slice(monkeypatch):
    """These tests follow each slice's read: one slice per chunk, as for slices of 1 MiB and more.

    (Smaller slices share chunks: test_small_slices_share_chunks_... sets its own size.)
    """
    from imarray.formats import folder as folder_format

    monkeypatch.setattr(folder_format, "SLICE_CHUNK_BYTES", 1)


@pytest.fixture
def opened(monkeypatch, tmp_path):
    """Paths under tmp_path opened by anything in this process (tifffile, numpy, zarr, imarray's os.open)."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def counting_open(file, *args, **kwargs):
        if str(tmp_path) in str(file):
            seen.append(str(file))
        return real_open(file, *args, **kwargs)

    def counting_os_open(file, *args, **kwargs):
        if str(tmp_path) in str(file):
            seen.append(str(file))
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(os, "open", counting_os_open)
    with dask.config.set(scheduler="synchronous"):
        yield seen


def _slices(folder, stack):
    folder.mkdir()
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"slice_{index}.tif", plane)
    return folder


def test_folder_reads_nothing_until_computed_and_one_plane_opens_one_file(tmp_path, opened):
    stack = extreme_array("uint16", (12, 9, 7))
    folder = _slices(tmp_path / "slices", stack)
    lazy = ia.load(folder, lazy=True)
    assert lazy.shape == stack.shape and lazy.chunks[0] == (1,) * 12
    opened.clear()
    plane = lazy[7]
    total = lazy.astype("int64").sum()
    assert opened == []  # slicing and building more graph reads nothing
    assert_identical(stack[7], plane.compute())
    assert opened == [str(folder / "slice_7.tif")]
    opened.clear()
    assert int(total.compute()) == int(stack.astype(np.int64).sum())
    assert sorted(opened) == sorted(str(folder / f"slice_{i}.tif") for i in range(12))


def test_small_slices_share_chunks_and_a_plane_opens_only_its_chunks_files(tmp_path, opened, monkeypatch):
    from imarray.formats import folder as folder_format

    monkeypatch.setattr(folder_format, "SLICE_CHUNK_BYTES", 4 * 9 * 7 * 2)  # four slices a chunk
    stack = extreme_array("int16", (10, 9, 7))
    folder = _slices(tmp_path / "slices", stack)
    lazy = ia.load(folder, lazy=True)
    assert lazy.chunks[0] == (4, 4, 2)
    opened.clear()
    assert_identical(stack[5], lazy[5].compute())
    assert sorted(set(opened)) == sorted(str(folder / f"slice_{i}.tif") for i in range(4, 8))
    assert_identical(stack, lazy.compute())


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_multipage_tiff_chunks_are_pages(tmp_path, opened, compression, monkeypatch):
    from imarray import _chunking as chunking

    monkeypatch.setattr(chunking, "CHUNK_BYTES", 3 * 9 * 7 * 4)  # three pages per chunk
    stack = extreme_array("float32", (2, 5, 9, 7))
    path = tmp_path / "stack.tif"
    ia.save(path, stack, compression=compression)
    lazy = ia.load(path, lazy=True)
    opened.clear()
    part = lazy[1, 4]
    assert opened == []
    assert_identical(stack[1, 4], part.compute())
    assert len(opened) == 1  # the chunk holding that page, nothing else
    assert_identical(stack, lazy.compute())


def test_bool_and_big_endian_tiff(tmp_path):
    mask = extreme_array("bool", (3, 5, 9))
    ia.save(tmp_path / "mask.tif", mask)
    assert_identical(mask, ia.load(tmp_path / "mask.tif", lazy=True).compute())
    values = extreme_array("int32", (3, 4, 5))
    tifffile.imwrite(tmp_path / "be.tif", values.astype(">i4"), byteorder=">", photometric="minisblack")
    assert_identical(values, ia.load(tmp_path / "be.tif", lazy=True).compute())


def test_raw_chunks_read_their_own_bytes(tmp_path, opened, monkeypatch):
    from imarray import _chunking as chunking

    monkeypatch.setattr(chunking, "CHUNK_BYTES", 2 * 6 * 8 * 8)  # two frames per chunk
    stack = extreme_array("complex64", (7, 6, 8))
    written = ia.save(tmp_path / "run.bin", stack)
    opened.clear()
    lazy = ia.load(written, lazy=True)
    assert lazy.chunks[0] == (2, 2, 2, 1)
    assert opened.count(str(written)) <= 1  # the 32-byte format sniff of ia's path resolution, no pixels
    opened.clear()
    assert_identical(stack[5], lazy[5].compute())
    assert opened == [str(written)]
    assert_identical(stack, lazy.compute())


def test_raw_without_sidecar_takes_dtype_and_sizes(tmp_path):
    stack = extreme_array("uint16", (4, 3, 5))
    stack.tofile(tmp_path / "bare.bin")
    lazy = ia.load(tmp_path / "bare.bin", lazy=True, dtype="uint16", y=3, x=5)
    assert_identical(stack, lazy.compute())


def test_zarr_and_series_are_lazy(tmp_path):
    stack = extreme_array("int16", (6, 10, 12))
    store = ia.save(tmp_path / "v.zarr", stack, chunks=(2, 5, 12))
    lazy = ia.load(store, lazy=True)
    assert lazy.chunks == ((2, 2, 2), (5, 5), (12,))
    assert_identical(stack, lazy.compute())
    series = ia.save(tmp_path / "s.tif", stack, size_cap=2 * stack[0].nbytes)
    lazy = ia.load(series, lazy=True)
    assert lazy.chunks[0] == (2, 2, 2)
    assert_identical(stack, lazy.compute())


def test_a_lazy_folder_of_slices_opens_its_first_and_last_files_only(tmp_path, opened):
    folder = _slices(tmp_path / "slices", extreme_array("uint16", (30, 8, 6)))
    opened.clear()
    lazy = ia.load(folder, lazy=True)
    assert lazy.shape == (30, 8, 6)
    assert sorted(set(opened)) == [str(folder / "slice_0.tif"), str(folder / "slice_29.tif")]


def test_a_truncated_slice_fails_when_its_chunk_is_computed_naming_it(tmp_path):
    stack = extreme_array("uint16", (3, 64, 64))
    folder = _slices(tmp_path / "slices", stack)
    damaged = folder / "slice_1.tif"
    damaged.write_bytes(damaged.read_bytes()[:4000])
    lazy = ia.load(folder, lazy=True)
    assert_identical(stack[2], lazy[2].compute())
    with pytest.raises(CorruptFileError, match="truncated") as caught:
        lazy.compute()
    assert caught.value.path == str(damaged)


def test_a_slice_of_another_shape_in_the_middle_fails_when_read_naming_it_and_the_first(tmp_path):
    folder = _slices(tmp_path / "slices", extreme_array("uint8", (3, 4, 4)))
    tifffile.imwrite(folder / "slice_1.tif", np.zeros((5, 4), np.uint8))
    lazy = ia.load(folder, lazy=True)
    with pytest.raises(CorruptFileError, match=r"slice_0\.tif") as caught:
        lazy[1].compute()
    assert caught.value.path == str(folder / "slice_1.tif")
    assert lazy[2].compute().shape == (4, 4)


def test_a_slice_of_other_spacing_warns_when_it_is_read(tmp_path):
    from imarray.formats.folder import MixedGeometryWarning

    folder = tmp_path / "slices"
    folder.mkdir()
    for index, spacing in enumerate((0.5, 0.25, 0.5)):
        ia.write(folder / f"s_{index}.tif", ia.Image.from_array(np.zeros((4, 4), np.uint8), spacing=spacing,
                                                                units="um"))
    lazy = ia.load(folder, lazy=True)
    with pytest.warns(MixedGeometryWarning, match=r"s_1\.tif: records spacing"):
        lazy[1].compute()


def test_folder_of_mismatched_files_fails_before_any_compute(tmp_path):
    folder = _slices(tmp_path / "slices", extreme_array("uint8", (3, 4, 4)))
    tifffile.imwrite(folder / "slice_9.tif", np.zeros((5, 4), np.uint8))
    with pytest.raises(CorruptFileError, match=r"slice_9\.tif holds uint8 frames of shape"):
        ia.load(folder, lazy=True)


def test_damaged_slice_fails_when_its_chunk_is_computed(tmp_path):
    stack = extreme_array("uint16", (3, 64, 64))
    folder = _slices(tmp_path / "slices", stack)
    damaged = folder / "slice_2.tif"
    lazy = ia.load(folder, lazy=True)
    damaged.write_bytes(damaged.read_bytes()[:4000])  # cut short after the headers were planned
    assert_identical(stack[0], lazy[0].compute())
    with pytest.raises(CorruptFileError, match="truncated") as caught:
        lazy.compute()
    assert caught.value.path == str(damaged)


def test_dtype_is_an_exact_cast_per_block(tmp_path):
    stack = np.arange(24, dtype=np.uint16).reshape(2, 3, 4) * 20
    ia.save(tmp_path / "a.tif", stack)
    lazy = ia.load(tmp_path / "a.tif", lazy=True, dtype="uint8")
    assert lazy.dtype == np.uint8
    with pytest.raises(LossyCastError, match="value 260"):
        lazy.compute()
    assert_identical(stack.astype(np.uint8), ia.load(tmp_path / "a.tif", lazy=True, dtype="uint16").compute()
                     .astype(np.uint8))


def test_lazy_refuses_mmap(tmp_path):
    ia.save(tmp_path / "a.bin", np.zeros((2, 2), np.uint8))
    with pytest.raises(TypeError, match="lazy"):
        ia.load(tmp_path / "a.bin", lazy=True, mmap=True)


def test_single_images_are_one_chunk(tmp_path):
    image = extreme_array("uint16", (6, 5))
    ia.save(tmp_path / "a.png", image)
    lazy = ia.load(tmp_path / "a.png", lazy=True)
    assert lazy.numblocks == (1, 1)
    assert_identical(image, lazy.compute())


# ---- ia.read(lazy=True): a lazy Image, geometry from the headers ------------------------------------

@pytest.mark.parametrize("name", ["v.ome.tif", "v.tif", "v.bin", "v.ome.zarr", "v.nrrd"])
def test_lazy_read_carries_what_the_eager_read_carries(tmp_path, name, opened):
    if name.endswith(".nrrd"):
        pytest.importorskip("SimpleITK")
    image = ia.Image.from_array(extreme_array("uint16", (4, 6, 5)), spacing=(2.0, 0.5, 0.25), units="um",
                                origin=(1.0, 0.0, -3.0))
    written = ia.write(tmp_path / name, image)
    opened.clear()
    lazy = ia.read(written, lazy=True)
    eager = ia.read(written)
    assert lazy.lazy and not eager.lazy
    assert (lazy.axes, lazy.spacing, lazy.origin, lazy.units, lazy.kind) == \
        (eager.axes, eager.spacing, eager.origin, eager.units, eager.kind)
    assert lazy.spacing == (2.0, 0.5, 0.25)
    assert_identical(eager.array, lazy.compute().array)


def test_a_lazy_image_reads_nothing_until_computed(tmp_path, opened):
    stack = extreme_array("float32", (5, 4, 3))
    folder = _slices(tmp_path / "slices", stack)
    opened.clear()
    image = ia.read(folder, lazy=True)
    headers = len(opened)
    plane = image.at(q=3).compute()
    assert len(opened) == headers + 1
    assert_identical(stack[3], plane)


def test_a_lazy_folder_streams_into_ome_zarr_with_its_spacing(tmp_path):
    folder = tmp_path / "slices"
    folder.mkdir()
    stack = extreme_array("int16", (6, 8, 9))
    for index, plane in enumerate(stack):
        ia.write(folder / f"s_{index}.ome.tif", ia.Image.from_array(plane, spacing=(0.5, 0.25), units="um"))
    written = ia.write(tmp_path / "v.ome.zarr", ia.read(folder, lazy=True), chunks=(2, 8, 9))
    back = ia.read(written)
    assert back.axes == "zyx" and back.spacing == (1.0, 0.5, 0.25) and back.units == (None, "um", "um")
    assert_identical(stack, back.array)
    named = ia.write(tmp_path / "w.ome.zarr", ia.read(folder, lazy=True), axes="tyx")  # names the stack axis
    assert ia.read(named).axes == "tyx"
    with pytest.raises(ia.errors.AxesError, match="contradicts") as caught:
        ia.write(tmp_path / "x.zarr", ia.read(folder, lazy=True), axes="tzx")
    assert caught.value.path == str(tmp_path / "x.zarr")


def test_what_needs_pixels_in_memory_refuses_a_lazy_image(tmp_path):
    from imarray.errors import LazyImageError

    image = ia.read(ia.write(tmp_path / "a.tif", ia.Image.from_array(extreme_array("uint8", (3, 4, 5)))), lazy=True)
    for needs_pixels in (lambda: image.layout, image.__dlpack__, image.__dlpack_device__):
        with pytest.raises(LazyImageError, match="compute"):
            needs_pixels()
    pytest.importorskip("itk")
    with pytest.raises(LazyImageError, match="ITK"):
        image.to_itk()
    assert image.compute().to_itk() is not None


def test_lazy_read_refuses_mmap_and_unknown_sizes(tmp_path):
    written = ia.save(tmp_path / "a.bin", np.zeros((2, 3), np.uint8))
    with pytest.raises(TypeError, match="mmap"):
        ia.read(written, lazy=True, mmap=True)
    with pytest.raises(TypeError, match="unexpected"):
        ia.read(written, lazy=True, width=3)


# ---- files that change after the lazy array is made -------------------------------------------------

@pytest.mark.parametrize("name, options", [("u.tif", {}), ("z.tif", {"compression": "zlib"}), ("r.bin", {}),
                                           ("s.zarr", {}), ("o.ome.zarr", {})])
def test_a_source_deleted_after_loading_is_an_error_naming_it(tmp_path, name, options):
    import shutil

    if name.endswith("zarr"):
        pytest.importorskip("zarr")
    written = ia.save(tmp_path / name, np.full((4, 8, 8), 7, np.uint16), **options)
    lazy = ia.load(written, lazy=True)
    shutil.rmtree(written) if written.is_dir() else written.unlink()
    with pytest.raises(ia.errors.ImageFileNotFoundError, match="after the lazy array was made") as caught:
        lazy.max().compute()  # a Zarr store's missing chunks would read as its fill value, 0
    assert caught.value.path == str(written)


def test_damaged_compressed_tiff_pages_and_zarr_chunks_are_corrupt_file_errors(tmp_path):
    stack = np.random.default_rng(0).integers(0, 999, (4, 64, 64), dtype=np.uint16)
    tiff = ia.save(tmp_path / "z.tif", stack, compression="zlib")
    with tifffile.TiffFile(tiff) as tif:
        offset = tif.pages[2].dataoffsets[0]
    damaged = bytearray(tiff.read_bytes())
    damaged[offset + 10 : offset + 42] = b"\xff" * 32
    tiff.write_bytes(bytes(damaged))
    with pytest.raises(CorruptFileError, match=r"z\.tif"):
        ia.load(tiff)
    with pytest.raises(CorruptFileError, match="cannot decode page 2"):
        ia.load(tiff, lazy=True).compute()
    pytest.importorskip("zarr")
    store = ia.save(tmp_path / "c.zarr", stack, chunks=(2, 64, 64))
    (store / "c" / "1" / "0" / "0").write_bytes(b"garbage")
    with pytest.raises(CorruptFileError, match=r"chunk at \[2, 0, 0\]") as caught:
        ia.load(store, lazy=True).compute()
    assert caught.value.path == str(store)


def test_a_lazy_zarr_reopens_a_store_replaced_at_the_same_path(tmp_path):
    pytest.importorskip("zarr")
    first = ia.load(ia.save(tmp_path / "v.zarr", np.full((4, 8, 8), 7, np.uint16), chunks=(2, 8, 8)), lazy=True)
    assert int(first.max().compute()) == 7
    second = ia.load(ia.save(tmp_path / "v.zarr", np.full((6, 8, 8), 9, np.uint16), chunks=(3, 8, 8)), lazy=True)
    assert second.chunks[0] == (3, 3) and int(second.max().compute()) == 9


def test_a_raw_binary_without_sidecar_reads_as_an_image_lazy_or_not(tmp_path):
    stack = extreme_array("uint16", (5, 3, 4))
    stack.tofile(tmp_path / "bare.bin")
    for lazy in (False, True):
        image = ia.read(tmp_path / "bare.bin", lazy=lazy, dtype="uint16", y=3, x=4)
        assert image.lazy is lazy
        assert_identical(stack, image.compute().array)
    with pytest.raises(TypeError, match=r"read\(\) got unexpected keyword arguments \['width'\]"):
        ia.read(tmp_path / "bare.bin", width=4)


def test_a_lazy_image_goes_to_xarray_and_back_lazily(tmp_path):
    pytest.importorskip("xarray")
    image = ia.Image.from_array(extreme_array("float32", (3, 4, 5)), spacing=(2.0, 0.5, 0.25), units="um")
    lazy = ia.read(ia.write(tmp_path / "a.tif", image), lazy=True)
    data = lazy.to_xarray()
    assert data.name is None and type(data.data).__module__.startswith("dask")
    back = ia.Image.from_xarray(data)
    assert back.lazy and back.spacing == (2.0, 0.5, 0.25)
    assert_identical(image.array, back.compute().array)


def test_a_chunk_larger_than_memory_is_refused_before_it_is_allocated(tmp_path):
    from imarray import lazy

    written = ia.save(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(CorruptFileError, match="memory"):  # a header that claims 1e12 pixels
        lazy.read_whole(str(written), "png", (10**6, 10**6), "uint8")
