"""TIFF specifics: files written by tifffile itself, flavours, compression, damage."""

from __future__ import annotations

import struct
import tracemalloc

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray.errors import AxesError, CorruptFileError, UnsupportedDtypeError
from imarray.formats import tiff as tiff_format

from helpers import assert_identical, extreme_array, leftovers


def test_imagej_hyperstack_written_by_tifffile(tmp_path):
    stack = extreme_array("uint16", (3, 4, 2, 16, 20))
    path = tmp_path / "hyper.tif"
    tifffile.imwrite(
        path, stack, imagej=True, resolution=(1 / 0.25, 1 / 0.5),
        metadata={"axes": "TZCYX", "spacing": 2.0, "unit": "um", "finterval": 0.1},
    )
    info = ia.info(path)
    assert info.format == "imagej"
    assert info.axes == "tzcyx"
    assert info.spacing == pytest.approx({"x": 0.25, "y": 0.5, "z": 2.0, "t": 0.1})
    assert info.units["x"] == "um" and info.units["z"] == "um"
    assert_identical(stack, ia.load(path))


def test_ome_tiff_written_by_tifffile(tmp_path):
    stack = extreme_array("float32", (2, 5, 16, 20))
    path = tmp_path / "cells.ome.tif"
    tifffile.imwrite(
        path, stack, ome=True,
        metadata={"axes": "CZYX", "PhysicalSizeX": 0.3, "PhysicalSizeY": 0.3, "PhysicalSizeZ": 1.5,
                  "PhysicalSizeXUnit": "µm"},
    )
    info = ia.info(path)
    assert info.format == "ome-tiff"
    assert info.axes == "czyx"
    assert info.spacing == pytest.approx({"x": 0.3, "y": 0.3, "z": 1.5})
    assert info.units["x"] == "um"
    assert_identical(stack, ia.load(path))


def test_rgb_keeps_channel_order(tmp_path):
    rgb = np.zeros((8, 9, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 10, 20, 30
    path = ia.save(tmp_path / "rgb.tif", rgb, photometric="rgb")
    with tifffile.TiffFile(path) as tif:
        assert tif.pages.first.photometric == tifffile.PHOTOMETRIC.RGB
    back = ia.load(path)
    assert_identical(rgb, back)
    assert ia.info(path).axes == "yxc"


def test_last_axis_of_three_is_not_guessed_as_colour(tmp_path):
    stack = extreme_array("uint8", (4, 5, 3))
    path = ia.save(tmp_path / "three.tif", stack)
    with tifffile.TiffFile(path) as tif:
        assert tif.pages.first.photometric == tifffile.PHOTOMETRIC.MINISBLACK
    assert_identical(stack, ia.load(path))


@pytest.mark.parametrize("compression", ["zlib", "zstd", "lzw", "lzma"])
@pytest.mark.parametrize("dtype", ["uint16", "float32", "int64", "bool"])
def test_compression_round_trips(tmp_path, compression, dtype):
    stack = extreme_array(dtype, (3, 32, 40))
    path = ia.save(tmp_path / "c.tif", stack, compression=compression)
    assert ia.info(path).metadata["compression"] in (compression, "adobe_deflate", "deflate")
    assert_identical(stack, ia.load(path))


def test_unknown_compression_is_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="compression"):
        ia.save(tmp_path / "c.tif", np.zeros((4, 4), np.uint8), compression="rar")
    assert list(tmp_path.iterdir()) == []


def test_bigtiff_is_chosen_when_needed(tmp_path, monkeypatch):
    monkeypatch.setattr(tiff_format, "_BIGTIFF_ABOVE", 1000)
    small = ia.save(tmp_path / "small.tif", np.zeros((10, 10), np.uint8))
    large = ia.save(tmp_path / "large.tif", np.zeros((10, 100), np.uint16), compression="zlib")
    assert "bigtiff" not in ia.info(small).metadata
    assert ia.info(large).metadata["bigtiff"] is True
    assert ia.info(ia.save(tmp_path / "forced.tif", np.zeros((2, 2), np.uint8), bigtiff=True)).metadata["bigtiff"]


def test_big_endian_input_keeps_values(tmp_path):
    data = np.arange(24, dtype=">u4").reshape(4, 6) * 100_000
    back = ia.load(ia.save(tmp_path / "be.tif", data))
    assert back.dtype == np.dtype("uint32")
    assert np.array_equal(back, data)


def test_strided_input_is_written_plane_by_plane(tmp_path):
    volume = np.arange(8 * 64 * 128, dtype=np.uint16).reshape(8, 64, 128)
    strided = volume[:, ::2, ::2]
    tracemalloc.start()
    ia.save(tmp_path / "s.tif", strided)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * strided[0].nbytes + 200_000  # about one dense plane, not the volume
    assert_identical(np.ascontiguousarray(strided), ia.load(tmp_path / "s.tif"))


def test_mmap_returns_memmap_without_reading(tmp_path):
    stack = extreme_array("int32", (5, 10, 12))
    path = ia.save(tmp_path / "m.tif", stack)
    mapped = ia.load(path, mmap=True)
    assert isinstance(mapped, np.memmap)
    assert_identical(stack, np.asarray(mapped))
    compressed = ia.save(tmp_path / "z.tif", stack, compression="zlib")
    with pytest.raises(UnsupportedDtypeError, match="mmap"):
        ia.load(compressed, mmap=True)


def test_axes_are_recorded_and_checked(tmp_path):
    stack = np.zeros((2, 3, 4, 5), np.uint8)
    assert ia.info(ia.save(tmp_path / "a.tif", stack, axes="tzyx")).axes == "tzyx"
    with pytest.raises(AxesError):
        ia.save(tmp_path / "b.tif", stack, axes="zyx")
    with pytest.raises(AxesError):
        ia.save(tmp_path / "b.tif", stack, axes="zzyx")
    with pytest.raises(AxesError, match="ImageJ"):
        ia.save(tmp_path / "b.tif", stack, axes="ztyx", format="imagej")


def test_pillow_style_multipage_tiff_loads(tmp_path):
    from PIL import Image

    pages = extreme_array("uint8", (4, 10, 12))
    path = tmp_path / "pillow.tif"
    frames = [Image.fromarray(p, mode="L") for p in pages]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert_identical(pages, ia.load(path))


# --- damaged files -------------------------------------------------------


def test_truncated_tiff(tmp_path):
    path = ia.save(tmp_path / "t.tif", extreme_array("uint16", (6, 64, 64)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="truncated"):
        ia.load(path)


def test_truncated_multipage_file_without_contiguous_series(tmp_path):
    path = tmp_path / "pages.tif"
    with tifffile.TiffWriter(path) as writer:
        for page in extreme_array("uint16", (4, 64, 64)):
            writer.write(page, photometric="minisblack", metadata=None)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5000])
    with pytest.raises(CorruptFileError):
        ia.load(path)


def test_header_claiming_far_more_pixels_than_the_file_holds(tmp_path):
    """A 200-byte TIFF whose header claims 100000 x 100000 uint16 pixels."""
    width = height = 100_000
    entries = [
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 16), (259, 3, 1, 1),
        (262, 3, 1, 1), (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, height),
        (279, 4, 1, width * height * 2 % 2**32),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value) if kind == 4 else struct.pack(
            "<HHIHH", tag, kind, count, value, 0
        )
    body = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\x00" * 64
    path = tmp_path / "liar.tif"
    path.write_bytes(body)
    tracemalloc.start()
    with pytest.raises(CorruptFileError):
        ia.load(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50_000_000


def test_garbage_after_magic(tmp_path):
    path = tmp_path / "g.tif"
    path.write_bytes(b"II*\x00" + b"\xff" * 40)
    with pytest.raises(CorruptFileError):
        ia.load(path)
    with pytest.raises(CorruptFileError):
        ia.info(path)


def test_interrupted_write_leaves_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "keep.tif"
    old = extreme_array("uint16", (3, 16, 16))
    ia.save(path, old)
    before = path.read_bytes()

    real_write = tifffile.TiffWriter.write
    calls = {"n": 0}

    def failing_write(self, *args, **kwargs):
        calls["n"] += 1
        real_write(self, *args, **kwargs)
        raise OSError("disk full (simulated halfway)")

    monkeypatch.setattr(tifffile.TiffWriter, "write", failing_write)
    with pytest.raises(OSError, match="simulated"):
        ia.save(path, extreme_array("uint16", (3, 16, 16), seed=1))
    assert calls["n"] == 1
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tif"]


# --- review findings: truncated stacks, kept dimensions, default axes -----------------


_STACK_FLAVOURS = [
    ("z.tif", {"compression": "zlib"}),
    ("z.ome.tif", {"axes": "zyx"}),
    ("zj.tif", {"format": "imagej"}),
]


@pytest.mark.parametrize(("name", "options"), _STACK_FLAVOURS)
@pytest.mark.parametrize("fraction", [0.5, 0.7, 0.9])
def test_truncated_stack_is_corrupt_never_its_first_plane(tmp_path, name, options, fraction):
    stack = np.arange(3 * 32 * 40, dtype=np.uint16).reshape(3, 32, 40)
    path = ia.save(tmp_path / name, stack, **options)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(CorruptFileError, match=name.replace(".", r"\.")):
        ia.load(path)
    with pytest.raises(CorruptFileError):
        ia.info(path)


def test_truncated_stack_message_counts_planes(tmp_path):
    path = ia.save(tmp_path / "zj.tif", np.zeros((3, 32, 40), np.uint16), format="imagej")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError, match="3 planes recorded, 1 readable"):
        ia.load(path)


def test_truncated_stack_in_a_folder_is_corrupt(tmp_path):
    folder = tmp_path / "stacks"
    for i in range(2):
        ia.save(folder / f"s{i}.tif", np.full((3, 32, 40), i, np.uint16), compression="zlib")
    damaged = folder / "s1.tif"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptFileError):
        ia.load(folder)
    with pytest.raises(CorruptFileError):
        ia.info(folder)


@pytest.mark.parametrize("name", ["z.ome.tif", "z.tif", "zj.tif"])
def test_damaged_header_is_corrupt_file_error_not_tifffile_error(tmp_path, name):
    """Cuts at every 10% of the file: no tifffile or struct error escapes, never a partial array."""
    stack = np.arange(3 * 32 * 40, dtype=np.uint16).reshape(3, 32, 40)
    options = {"format": "imagej"} if name == "zj.tif" else {"compression": "zlib"}
    full = ia.save(tmp_path / name, stack, **options).read_bytes()
    for tenth in range(1, 10):
        path = tmp_path / f"cut{tenth}_{name}"
        path.write_bytes(full[: len(full) * tenth // 10])
        for call in (ia.load, ia.info):
            with pytest.raises(CorruptFileError):
                call(path)


@pytest.mark.parametrize("fmt", ["ome-tiff", "imagej"])
@pytest.mark.parametrize(("shape", "axes"), [((1, 4, 5), "zyx"), ((2, 1, 4, 5), "tzyx"), ((1, 1, 4, 5), "tcyx")])
def test_length_one_dimensions_come_back(tmp_path, fmt, shape, axes):
    array = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    image = ia.Image.from_array(array, axes=axes, spacing=[3.0 if a == "z" else 1.0 for a in axes],
                                units=["um" if a in "zyx" else None for a in axes])
    path = ia.write(tmp_path / "one.tif", image, format=fmt)
    assert ia.info(path).shape == shape
    back = ia.read(path)
    assert_identical(array, back.array)
    assert back.axes == axes
    if "z" in axes:
        assert back.spacing[axes.index("z")] == pytest.approx(3.0)


@pytest.mark.parametrize("fmt", ["ome-tiff", "imagej"])
def test_three_dimensions_default_to_zyx(tmp_path, fmt):
    path = ia.save(tmp_path / "z.tif", np.zeros((3, 4, 5), np.uint8), format=fmt)
    assert ia.info(path).axes == "zyx"
    pytest.importorskip("SimpleITK")
    converted = ia.write(tmp_path / "z.nii.gz", ia.read(path))  # was an AxesError for "cyx"
    assert ia.load(converted).shape == (3, 4, 5)


def test_multi_series_tiff_warns_and_names_every_series(tmp_path):
    """The first series is read; the others are never dropped silently."""
    first, second = extreme_array("uint16", (2, 8, 9)), extreme_array("uint8", (5, 6), seed=1)
    path = tmp_path / "two.tif"
    with tifffile.TiffWriter(path) as writer:
        writer.write(first, photometric="minisblack")
        writer.write(second, photometric="minisblack")
    described = ia.info(path)
    assert described.metadata["series"] == 2
    assert described.metadata["series_shapes"] == [[2, 8, 9], [5, 6]]
    with pytest.warns(tiff_format.MultiSeriesWarning, match=r"2 image series.*\(5, 6\) uint8.*series=1") as caught:
        back = ia.load(path)
    assert_identical(first, back)
    assert caught[0].filename == __file__  # points at the caller's line
    pytest.importorskip("dask")
    with pytest.warns(tiff_format.MultiSeriesWarning, match="2 image series") as caught:
        lazy = ia.load(path, lazy=True)
    assert caught[0].filename == __file__
    assert_identical(first, lazy.compute())


def test_imagej_keeps_time_spacing_and_units_of_unit_spacing(tmp_path):
    array = np.arange(2 * 3 * 4 * 5, dtype=np.uint16).reshape(2, 3, 4, 5)
    image = ia.Image.from_array(array, axes="tzyx", spacing=(0.5, 2.0, 1.0, 1.0), units=("s", "um", "um", "um"))
    back = ia.read(ia.write(tmp_path / "hyper.tif", image, format="imagej"))
    assert back.axes == "tzyx"
    assert back.spacing == pytest.approx((0.5, 2.0, 1.0, 1.0))
    assert back.units == ("s", "um", "um", "um")


def test_imagej_writes_rgb(tmp_path):
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    back = ia.read(ia.write(tmp_path / "rgb.tif", ia.Image.from_rgb_array(rgb, channel_axis=-1), format="imagej"))
    assert_identical(rgb, back.array)
    assert (back.axes, back.kind) == ("yxc", "rgb")
    with tifffile.TiffFile(tmp_path / "rgb.tif") as tif:
        assert tif.is_imagej and tif.pages.first.photometric == tifffile.PHOTOMETRIC.RGB
    with pytest.raises(UnsupportedDtypeError, match="uint8"):
        ia.save(tmp_path / "rgb16.tif", rgb.astype(np.uint16), format="imagej", photometric="rgb")


def test_ome_tiff_keeps_direction_in_its_map_annotation(tmp_path):
    turn = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # numpy (z, y, x) order
    image = ia.Image.from_array(np.zeros((2, 3, 4), np.uint8), spacing=(2.0, 0.5, 0.5), direction=turn)
    back = ia.read(ia.write(tmp_path / "turned.ome.tif", image))
    np.testing.assert_array_equal(back.direction, turn)


def test_mmap_of_a_big_endian_tiff_keeps_the_values(tmp_path):
    values = np.arange(60, dtype=np.int32).reshape(3, 4, 5) - 30
    tifffile.imwrite(tmp_path / "be.tif", values.astype(">i4"), byteorder=">", photometric="minisblack")
    mapped = ia.load(tmp_path / "be.tif", mmap=True)
    assert mapped.dtype == np.dtype(">i4") and np.array_equal(mapped, values)
