"""ia.save of dask arrays: streamed, exact, atomic, and bounded in memory."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile
from hypothesis import given
from hypothesis import strategies as st

import imarray as ia
import imarray._chunking
import imarray.formats.folder
import imarray.lazy
import imarray.streaming
from imarray.errors import CorruptFileError, LossyCastError
from imarray.registry import for_writing

from helpers import assert_identical, extreme_array, leftovers

da = pytest.importorskip("dask.array")
pytest.importorskip("zarr")

TARGETS = ["a.tif", "a.ome.tif", "a.bin", "a.zarr", "a.ome.zarr"]


@pytest.mark.parametrize("name", TARGETS)
@pytest.mark.parametrize("dtype", ["bool", "uint16", "int64", "float32", "complex128"])
def test_streamed_save_round_trips(tmp_path, name, dtype):
    if dtype not in for_writing(tmp_path / name).dtypes:
        pytest.skip(f"{name} does not hold {dtype}")
    array = extreme_array(dtype, (5, 6, 7))
    lazy = da.from_array(array, chunks=(2, 3, 4))
    written = ia.save(tmp_path / name, lazy)
    assert_identical(array, ia.load(written))
    assert leftovers(tmp_path) == []


def test_big_endian_and_4d_tiff_pages(tmp_path):
    array = extreme_array("int32", (2, 3, 4, 5)).astype(">i4")
    written = ia.save(tmp_path / "a.tif", da.from_array(array, chunks=(1, 2, 4, 3)), compression="zlib")
    assert_identical(array.astype(np.int32), ia.load(written))
    with tifffile.TiffFile(written) as tif:
        assert len(tif.pages) == 6 and tif.byteorder == ">"


def test_streamed_tiff_switches_to_bigtiff_when_needed(tmp_path, monkeypatch):
    from imarray.formats import tiff

    monkeypatch.setattr(tiff, "_BIGTIFF_ABOVE", 100)  # as if the data were past 4 GB
    array = extreme_array("uint16", (4, 8, 8))
    written = ia.save(tmp_path / "a.tif", da.from_array(array, chunks=(1, 8, 8)), compression="zlib")
    with tifffile.TiffFile(written) as tif:
        assert tif.is_bigtiff
    assert_identical(array, ia.load(written))


def test_streamed_size_capped_series(tmp_path):
    array = extreme_array("uint8", (7, 4, 4))
    folder = ia.save(tmp_path / "s.tif", da.from_array(array, chunks=(3, 4, 4)), size_cap=2 * 16)
    assert len(list(folder.iterdir())) == 4
    assert_identical(array, ia.load(folder))


def test_lossy_cast_fails_and_keeps_the_old_file(tmp_path):
    old = np.zeros((2, 4, 4), np.uint8)
    for name in ("a.tif", "a.bin", "a.zarr"):
        target = ia.save(tmp_path / name, old)
        values = np.arange(32, dtype=np.uint16).reshape(2, 4, 4) * 10
        with pytest.raises(LossyCastError, match=r"value 260 at index \(1, 2, 2\)"):
            ia.save(target, da.from_array(values, chunks=(1, 2, 4)), dtype="uint8")
        assert_identical(old, ia.load(target))
    assert leftovers(tmp_path) == []


def test_exact_cast_that_fits_is_written(tmp_path):
    values = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
    written = ia.save(tmp_path / "a.zarr", da.from_array(values, chunks=(1, 3, 2)), dtype="uint8")
    assert_identical(values.astype(np.uint8), ia.load(written))


@pytest.mark.parametrize("scale", ["minmax", "clip", (10.0, 200.0)])
def test_scale_matches_the_eager_save(tmp_path, scale):
    values = np.random.default_rng(1).normal(100, 50, (4, 16, 16))
    values[0, 0, 0] = np.inf
    eager = ia.save(tmp_path / "eager.tif", values, dtype="uint8", scale=scale)
    lazy = ia.save(tmp_path / "lazy.tif", da.from_array(values, chunks=(1, 8, 16)), dtype="uint8", scale=scale)
    assert_identical(ia.load(eager), ia.load(lazy))
    assert ia.info(eager).metadata["scale"] == ia.info(lazy).metadata["scale"]


def test_minmax_of_nan_data_is_refused_like_the_eager_save(tmp_path):
    values = np.ones((2, 4, 4))
    values[1, 2, 3] = np.nan
    with pytest.raises(LossyCastError, match="NaN"):
        ia.save(tmp_path / "a.tif", da.from_array(values, chunks=1), dtype="uint8", scale="minmax")
    assert list(tmp_path.iterdir()) == []


def test_unaligned_chunks_are_rechunked_to_the_store(tmp_path):
    array = extreme_array("float64", (9, 10, 11))
    written = ia.save(tmp_path / "a.zarr", da.from_array(array, chunks=(2, 3, 5)), chunks=(4, 5, 5))
    assert ia.info(written).metadata["chunks"] == [4, 5, 5]
    assert_identical(array, ia.load(written))


def test_display_formats_compute_the_image(tmp_path):
    image = extreme_array("uint8", (6, 7))
    assert_identical(image, ia.load(ia.save(tmp_path / "a.png", da.from_array(image, chunks=3))))


def test_lazy_to_lazy_conversion_round_trip(tmp_path):
    stack = extreme_array("uint16", (6, 8, 9))
    folder = tmp_path / "slices"
    for index, plane in enumerate(stack):
        ia.save(folder / f"s_{index:03d}.tif", plane)
    store = ia.save(tmp_path / "v.ome.zarr", ia.load(folder, lazy=True), chunks=(2, 8, 9), pyramid=2)
    assert_identical(stack, ia.load(store))
    assert_identical(stack[::2, ::2, ::2], ia.load(store, lazy=True).compute()[::2, ::2, ::2])


def _slices(folder, stack):
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"s_{index:03d}.tif", plane)
    return folder


def test_slices_are_read_straight_into_the_slab_buffers(tmp_path, monkeypatch):
    stack = extreme_array("uint16", (12, 8, 9))
    lazy = ia.load(_slices(tmp_path, stack), lazy=True)

    def fresh_chunk(*args, **kwargs):
        raise AssertionError("a slice was read into a chunk of its own")

    monkeypatch.setattr(imarray.formats.folder, "aligned_empty", fresh_chunk)  # the folder's chunk task
    monkeypatch.setattr(imarray.streaming, "SLAB_BYTES", 4 * stack[0].nbytes)  # three slabs
    assert_identical(stack, ia.load(ia.save(tmp_path / "v.zarr", lazy, chunks=(2, 4, 9))))
    with pytest.raises(AssertionError, match="chunk of its own"):
        ia.save(tmp_path / "w.zarr", lazy + 0, chunks=(2, 4, 9))  # changed after loading: computed by dask
    assert leftovers(tmp_path) == []


def test_read_into_takes_only_whole_chunks_of_an_unchanged_load(tmp_path, monkeypatch):
    stack = extreme_array("float32", (9, 6, 7))
    tifffile.imwrite(tmp_path / "s.tif", stack)
    monkeypatch.setattr(imarray._chunking, "CHUNK_BYTES", 3 * stack[0].nbytes)  # three pages per chunk
    lazy = ia.load(tmp_path / "s.tif", lazy=True)
    buffer = np.zeros((6, 6, 7), np.float32)
    assert not imarray.lazy.read_into(lazy, 1, buffer[:3])  # starts inside a chunk
    assert not imarray.lazy.read_into(lazy, 3, buffer[:4])  # ends inside one
    assert not imarray.lazy.read_into(lazy * 1, 3, buffer)
    assert not buffer.any()
    assert imarray.lazy.read_into(lazy, 3, buffer)
    assert_identical(stack[3:], buffer)


@pytest.mark.parametrize("scheduler", ["synchronous", "processes"])
def test_every_local_scheduler_writes_the_same_store(tmp_path, scheduler):
    import dask

    stack = extreme_array("int16", (7, 8, 9))
    lazy = ia.load(_slices(tmp_path, stack), lazy=True)
    with dask.config.set(scheduler=scheduler):
        store = ia.save(tmp_path / "v.zarr", lazy, chunks=(3, 5, 4))
    assert_identical(stack, ia.load(store))


def test_a_slice_cut_after_loading_fails_the_save_and_keeps_the_old_store(tmp_path, monkeypatch):
    folder = tmp_path / "slices"
    folder.mkdir()
    stack = extreme_array("uint16", (8, 16, 16))
    lazy = ia.load(_slices(folder, stack), lazy=True)
    old = ia.save(tmp_path / "v.zarr", stack[:2])
    (folder / "s_006.tif").write_bytes((folder / "s_006.tif").read_bytes()[:300])  # in the last slab
    monkeypatch.setattr(imarray.streaming, "SLAB_BYTES", 2 * stack[0].nbytes)
    with pytest.raises(CorruptFileError, match=r"s_006\.tif"):
        ia.save(old, lazy, chunks=(2, 8, 8))
    assert_identical(stack[:2], ia.load(old))
    assert leftovers(tmp_path) == []


@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=4), data=st.data())
def test_slab_pieces_cover_every_chunk_once_a_few_at_a_time(shape, data):
    chunks = tuple(data.draw(st.integers(1, size)) for size in shape)
    limit = data.draw(st.integers(1, 6))
    covered = np.zeros(shape, np.uint8)
    for piece in imarray.streaming._pieces(tuple(shape), chunks, limit):
        assert all(part.start % step == 0 for part, step in zip(piece, chunks, strict=True))
        assert all(part.stop % step == 0 or part.stop == size for part, step, size in zip(piece, chunks, shape,
                                                                                          strict=True))
        count = np.prod([-(-(part.stop - part.start) // step) for part, step in zip(piece, chunks, strict=True)])
        assert count <= limit or all(part.stop - part.start <= step for part, step in zip(piece, chunks, strict=True))
        covered[piece] += 1
    assert (covered == 1).all()


_PROBE = """
import json, sys
import dask.array, zarr, tifffile, imarray, imarray.api, imarray.lazy, imarray.streaming, imarray.formats.zarr_
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
base = status('VmRSS')
source = imarray.load(sys.argv[1], lazy=True)
imarray.save(sys.argv[2], source, durable=False)
print(json.dumps({"growth": status('VmHWM') - base, "nbytes": source.nbytes}))
"""


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory):
    """96 slices of 1024 x 1024 uint16: 192 MiB of pixels."""
    folder = tmp_path_factory.mktemp("big") / "slices"
    folder.mkdir()
    rng = np.random.default_rng(0)
    plane = rng.integers(0, 4096, (1024, 1024), dtype=np.uint16)
    for index in range(96):
        tifffile.imwrite(folder / f"s_{index:03d}.tif", np.roll(plane, index, axis=1))
    return folder


@pytest.mark.parametrize("target", ["v.zarr", "v.tif", "v.bin"])
def test_converting_more_than_the_memory_budget_holds_a_few_chunks(big_folder, tmp_path, target):
    """Peak RSS growth of a fresh process converting 192 MiB stays under an 80 MiB budget."""
    result = subprocess.run([sys.executable, "-c", _PROBE, str(big_folder), str(tmp_path / target)],
                            capture_output=True, text=True, check=True)
    measured = json.loads(result.stdout)
    budget = 80 * 2**20
    assert measured["nbytes"] > 2 * budget
    assert measured["growth"] < budget, measured
    plane = ia.load(tmp_path / target, lazy=True)[95].compute()
    assert_identical(np.roll(ia.load(big_folder / "s_000.tif"), 95, axis=1), plane)


def test_cli_convert_streams_into_zarr_chunks(tmp_path, capsys):
    from imarray.cli import main

    stack = extreme_array("uint16", (6, 8, 9))
    folder = tmp_path / "slices"
    for index, plane in enumerate(stack):
        ia.save(folder / f"s_{index:03d}.tif", plane)
    assert main(["convert", str(folder), str(tmp_path / "v.ome.zarr"), "--chunks", "2,8,9", "--pyramid"]) == 0
    assert "streamed" in capsys.readouterr().out
    info = ia.info(tmp_path / "v.ome.zarr")
    assert info.metadata["chunks"] == [2, 8, 9] and info.metadata["levels"] == 2
    assert_identical(stack, ia.load(tmp_path / "v.ome.zarr"))
    with pytest.raises(SystemExit):
        main(["convert", str(folder), str(tmp_path / "w.zarr"), "--chunks", "2,x"])


def test_cli_streamed_convert_keeps_the_spacing(tmp_path, capsys):
    from imarray.cli import main

    stack = extreme_array("uint16", (4, 8, 9))
    source = ia.write(tmp_path / "s.ome.tif", ia.Image.from_array(stack, spacing=(3.0, 0.5, 0.25), units="um"))
    assert main(["convert", str(source), str(tmp_path / "v.ome.zarr"), "--chunks", "2,8,9"]) == 0
    assert "streamed" in capsys.readouterr().out
    back = ia.read(tmp_path / "v.ome.zarr")
    assert (back.axes, back.spacing, back.units) == ("zyx", (3.0, 0.5, 0.25), ("um", "um", "um"))
    assert_identical(stack, back.array)


def test_tiff_page_groups_that_straddle_zarr_chunks_are_still_read_once_in_place(tmp_path, monkeypatch):
    stack = extreme_array("uint16", (12, 6, 7))
    tifffile.imwrite(tmp_path / "s.tif", stack)
    monkeypatch.setattr(imarray._chunking, "CHUNK_BYTES", 3 * stack[0].nbytes)  # groups of three pages
    lazy = ia.load(tmp_path / "s.tif", lazy=True)
    assert lazy.chunks[0] == (3, 3, 3, 3)

    def fresh_chunk(*args, **kwargs):
        raise AssertionError("a page group was read into a chunk of its own")

    monkeypatch.setattr(imarray._chunking, "aligned_empty", fresh_chunk)  # the TIFF's page-group task
    monkeypatch.setattr(imarray.streaming, "SLAB_BYTES", stack[0].nbytes)
    assert_identical(stack, ia.load(ia.save(tmp_path / "v.zarr", lazy, chunks=(2, 6, 7))))


def test_a_lazy_array_is_not_computed_for_a_write_its_checks_refuse(tmp_path):
    def never(block):
        raise AssertionError("the lazy array was computed")

    floats = da.zeros((3, 8, 8), dtype=np.float32, chunks=1).map_blocks(never, dtype=np.float32)
    bytes_ = da.zeros((3, 8, 8), dtype=np.uint8, chunks=1).map_blocks(never, dtype=np.uint8)
    cases = [("a.png", floats, {}), ("a.mp4", floats, {}), ("a.gif", floats, {}),
             ("a.mkv", bytes_, {"frame_rate": 0}), ("a.png", bytes_, {"quality": 5})]
    if importlib.util.find_spec("SimpleITK"):
        cases.append(("a.mha", bytes_, {"compression": "zstd"}))
    for name, lazy, options in cases:
        with pytest.raises((ia.errors.ImarrayError, TypeError)) as caught:
            ia.save(tmp_path / name, lazy, **options)
        assert str(tmp_path / name) in str(caught.value), name
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dtype", ["int64", "uint64"])
def test_64_bit_tiffs_go_to_every_format_that_holds_them(tmp_path, dtype):
    stack = extreme_array(dtype, (2, 3, 4))
    source = ia.save(tmp_path / "s.tif", stack)
    assert ia.load(source).dtype.char == np.dtype(dtype).char  # tifffile's longlong spelled as numpy's
    for name in ("a.zarr", "a.ome.zarr", "a.bin"):
        assert_identical(stack, ia.load(ia.save(tmp_path / name, ia.load(source))))
    for name in ("b.tif", "b.zarr"):
        assert_identical(stack, ia.load(ia.save(tmp_path / name, ia.load(source, lazy=True))))


def test_cli_convert_says_what_it_wrote_and_refuses_options_in_one_line(tmp_path, capsys):
    from imarray.cli import main

    (tmp_path / "slices").mkdir()
    folder = _slices(tmp_path / "slices", extreme_array("uint16", (4, 8, 9)))
    assert main(["convert", str(folder), str(tmp_path / "v8.tif"), "--lazy", "--dtype", "uint8",
                 "--scale", "minmax"]) == 0
    assert "(uint8, 4x8x9, streamed)" in capsys.readouterr().out  # what was written, not the source's dtype
    assert main(["convert", str(folder), str(tmp_path / "v.png"), "--lazy", "--dtype", "uint8", "--scale",
                 "minmax"]) == 1  # a PNG holds one plane: a refusal
    assert main(["convert", str(folder), str(tmp_path / "v.tif"), "--chunks", "1,8,9"]) == 2  # usage
    error = capsys.readouterr().err
    assert error.count("\n") == 2 and "tiff takes no --chunks" in error


def test_save_of_a_lazy_image_streams_its_pixels_and_write_refuses_contradicting_axes(tmp_path, monkeypatch):
    stack = extreme_array("uint16", (6, 8, 9))
    (tmp_path / "slices").mkdir()
    image = ia.read(_slices(tmp_path / "slices", stack), lazy=True)

    def whole(*args, **kwargs):
        raise AssertionError("the lazy image was computed whole")

    monkeypatch.setattr(type(image), "__array__", whole)
    assert_identical(stack, ia.load(ia.save(tmp_path / "v.zarr", image, chunks=(2, 8, 9))))
    with pytest.raises(ia.errors.AxesError, match="contradicts") as caught:
        ia.write(tmp_path / "v.tif", ia.Image.from_array(stack), axes="tyx")
    assert caught.value.path == str(tmp_path / "v.tif") and not (tmp_path / "v.tif").exists()
