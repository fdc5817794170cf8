"""Zarr v3 (v2 read) and OME-Zarr: detection, geometry, pyramids, atomic replacement."""

from __future__ import annotations

import json

import numpy as np
import pytest

import imarray as ia
from imarray.errors import AxesError, FormatNotFoundError, InvalidOptionError
from imarray.formats import zarr_
from imarray.registry import BY_NAME

from helpers import assert_identical, extreme_array, leftovers

zarr = pytest.importorskip("zarr")

GEOMETRY = {
    "axes": "czyx",
    "spacing": {"z": 2.0, "y": 0.5, "x": 0.25},
    "units": {"z": "um", "y": "um", "x": "nm"},
    "origin": {"z": 10.0, "y": -3.0, "x": 0.0},
}


def test_store_is_a_format_not_a_folder_of_slices(tmp_path):
    array = extreme_array("int64", (3, 5, 7))
    written = ia.save(tmp_path / "v.zarr", array, axes="zyx", chunks=(1, 5, 4))
    assert (written / "zarr.json").is_file()
    assert_identical(array, ia.load(written))
    info = ia.info(written)
    assert (info.format, info.axes, info.metadata["chunks"]) == ("zarr", "zyx", [1, 5, 4])
    opened = zarr.open_array(str(written), mode="r")
    assert opened.metadata.dimension_names == ("z", "y", "x")


def test_zarr_v2_store_reads(tmp_path):
    array = extreme_array("float32", (4, 6))
    store = zarr.create_array(store=str(tmp_path / "old.zarr"), shape=array.shape, dtype=">f4", chunks=(2, 3),
                              zarr_format=2)
    store[...] = array
    assert (tmp_path / "old.zarr" / ".zarray").is_file()
    assert_identical(array, ia.load(tmp_path / "old.zarr"))
    assert ia.info(tmp_path / "old.zarr").metadata["zarr_format"] == 2


def test_ome_zarr_geometry_is_written_and_read(tmp_path):
    array = extreme_array("uint16", (2, 3, 20, 30))
    target = tmp_path / "cells.ome.zarr"
    zarr_.write(target, array, spec=BY_NAME["ome-zarr"], metadata={"geometry": GEOMETRY})
    info = ia.info(target)
    assert info.format == "ome-zarr" and info.axes == "czyx" and info.metadata["ngff"] == "0.5"
    assert info.spacing == GEOMETRY["spacing"]
    assert info.units == GEOMETRY["units"]
    assert info.origin == GEOMETRY["origin"]
    assert_identical(array, ia.load(target))
    ome = json.loads((target / "zarr.json").read_text())["attributes"]["ome"]
    axes = ome["multiscales"][0]["axes"]
    assert [a["type"] for a in axes] == ["channel", "space", "space", "space"]
    assert [a.get("unit") for a in axes] == [None, "micrometer", "micrometer", "nanometer"]
    transforms = ome["multiscales"][0]["datasets"][0]["coordinateTransformations"]
    assert transforms == [{"type": "scale", "scale": [1.0, 2.0, 0.5, 0.25]},
                          {"type": "translation", "translation": [0.0, 10.0, -3.0, 0.0]}]


def test_ome_zarr_pyramid_halves_y_x_and_z(tmp_path):
    array = extreme_array("uint32", (5, 600, 520))
    target = ia.save(tmp_path / "p.ome.zarr", array, pyramid=True, chunks=(2, 128, 128))
    group = zarr.open_group(str(target), mode="r")
    datasets = group.attrs["ome"]["multiscales"][0]["datasets"]
    shapes = [group[d["path"]].shape for d in datasets]
    assert shapes == [(5, 600, 520), (3, 300, 260), (2, 150, 130)]
    assert [d["coordinateTransformations"][0]["scale"] for d in datasets] == [[1, 1, 1], [2, 2, 2], [4, 4, 4]]
    assert_identical(array[::4, ::4, ::4], group["2"][...])
    assert ia.info(target).metadata["levels"] == 3


def test_ome_zarr_opens_with_ome_zarr_py(tmp_path):
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    array = extreme_array("uint16", (2, 3, 40, 50))
    target = tmp_path / "cells.ome.zarr"
    zarr_.write(target, array, spec=BY_NAME["ome-zarr"], metadata={"geometry": GEOMETRY}, pyramid=2)
    node = next(iter(Reader(parse_url(str(target)))()))
    assert [a["name"] for a in node.metadata["axes"]] == list("czyx")
    assert node.metadata["coordinateTransformations"][1][0]["scale"] == [1.0, 4.0, 1.0, 0.5]
    assert_identical(array, np.asarray(node.data[0]))


def test_ngff_04_store_reads(tmp_path):
    group = zarr.open_group(str(tmp_path / "old.ome.zarr"), mode="w", zarr_format=2)
    array = extreme_array("uint8", (4, 6, 8))
    group.create_array("s0", shape=array.shape, dtype=array.dtype, chunks=array.shape)[...] = array
    group.attrs["multiscales"] = [{
        "version": "0.4",
        "axes": [{"name": "z", "type": "space", "unit": "micrometer"}, {"name": "y", "type": "space"},
                 {"name": "x", "type": "space"}],
        "datasets": [{"path": "s0", "coordinateTransformations": [{"type": "scale", "scale": [3.0, 1.5, 1.5]}]}],
    }]
    info = ia.info(tmp_path / "old.ome.zarr")
    assert (info.format, info.axes, info.metadata["ngff"]) == ("ome-zarr", "zyx", "0.4")
    assert info.spacing == {"z": 3.0, "y": 1.5, "x": 1.5} and info.units == {"z": "um"}
    assert_identical(array, ia.load(tmp_path / "old.ome.zarr"))


def test_ngff_axis_order_is_checked_before_writing(tmp_path):
    with pytest.raises(AxesError, match="t, c, z, y, x") as caught:
        ia.save(tmp_path / "bad.ome.zarr", np.zeros((3, 2, 4, 4), np.uint8), axes="zcyx")
    assert "czyx" in caught.value.hint
    with pytest.raises(AxesError):
        ia.save(tmp_path / "bad.ome.zarr", np.zeros((3, 4, 4), np.uint8), axes="qyx")
    assert list(tmp_path.iterdir()) == []


def test_pyramid_needs_ome_zarr(tmp_path):
    with pytest.raises(TypeError, match="pyramid"):
        ia.save(tmp_path / "v.zarr", np.zeros((4, 4), np.uint8), pyramid=True)
    assert list(tmp_path.iterdir()) == []


def test_group_without_multiscales_names_its_arrays(tmp_path):
    group = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    group.create_array("labels", shape=(2, 2), dtype="uint8")
    with pytest.raises(FormatNotFoundError, match="labels"):
        ia.load(tmp_path / "g.zarr")


def test_interrupted_write_keeps_the_old_store(tmp_path, monkeypatch):
    old = extreme_array("uint16", (4, 8, 8), seed=1)
    target = ia.save(tmp_path / "v.zarr", old, chunks=(1, 8, 8))
    calls = []
    real = zarr_._store

    def fail_midway(source, destination):
        calls.append(1)
        destination[:2] = np.asarray(source[:2])
        raise OSError("simulated crash")

    monkeypatch.setattr(zarr_, "_store", fail_midway)
    with pytest.raises(OSError, match="simulated"):
        ia.save(target, extreme_array("uint16", (4, 8, 8), seed=2))
    assert calls and leftovers(tmp_path) == []
    assert_identical(old, ia.load(target))
    monkeypatch.setattr(zarr_, "_store", real)
    new = extreme_array("uint16", (2, 3, 3), seed=3)
    ia.save(target, new)
    assert_identical(new, ia.load(target))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.zarr"]


def test_a_folder_of_slices_is_never_replaced_by_a_store(tmp_path):
    folder = tmp_path / "data.zarr"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(FormatNotFoundError, match="not a Zarr store"):
        ia.save(folder, np.zeros((2, 2), np.uint8))
    assert (folder / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("name", ["cells.ome.zarr", "cells.zarr"])
def test_image_geometry_travels_through_write_and_read(tmp_path, name):
    array = extreme_array("uint16", (2, 3, 8, 9))
    image = ia.Image.from_array(array, axes="czyx", spacing=(1.0, 2.0, 0.5, 0.25), units=(None, "um", "um", "um"),
                                origin=(0.0, 10.0, -3.0, 0.0))
    back = ia.read(ia.write(tmp_path / name, image))
    assert_identical(array, back.array)
    assert back.axes == "czyx"
    assert back.spacing == pytest.approx((1.0, 2.0, 0.5, 0.25))
    assert back.units[1:] == ("um", "um", "um")
    assert back.origin == pytest.approx((0.0, 10.0, -3.0, 0.0))


@pytest.mark.parametrize("name", ["k.zarr", "k.ome.zarr"])
def test_pixel_kind_and_direction_come_back(tmp_path, name):
    image = ia.Image.from_label_array(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), spacing=(2.0, 1.0, 0.5))
    image = image.replace(direction=np.eye(3)[::-1])
    back = ia.read(ia.write(tmp_path / name, image))
    assert back.kind == "label" and back.spacing == (2.0, 1.0, 0.5)
    assert np.array_equal(back.direction, np.eye(3)[::-1])


@pytest.mark.parametrize("chunks", [(1, 2), "auto", (True, 2, 2), (0, 2, 2)])
def test_bad_chunks_are_invalid_option_errors_naming_the_store(tmp_path, chunks):
    with pytest.raises(ia.errors.InvalidOptionError, match="chunks=") as caught:
        ia.save(tmp_path / "c.zarr", np.zeros((2, 3, 4)), chunks=chunks)
    assert caught.value.path == str(tmp_path / "c.zarr")


def test_a_pyramid_deeper_than_the_image_is_refused(tmp_path):
    with pytest.raises(ia.errors.InvalidOptionError, match="after 9 levels"):
        ia.save(tmp_path / "p.ome.zarr", np.zeros((2, 300, 280), np.uint8), pyramid=20)
    assert ia.info(ia.save(tmp_path / "p.ome.zarr", np.zeros((2, 300, 280), np.uint8), pyramid=10)).metadata[
        "levels"] == 10


@pytest.mark.parametrize("compression", [None, "zstd:5", "gzip:6", "blosc-lz4", "blosc-zstd", "none"])
def test_compression_choices_round_trip_and_keep_the_chunk_checksum(tmp_path, compression):
    array = extreme_array("float32", (6, 20, 30))
    written = ia.save(tmp_path / "c.zarr", array, chunks=(2, 10, 15), compression=compression)
    assert_identical(array, ia.load(written))
    codecs = [type(codec).__name__ for codec in zarr.open_array(str(written)).compressors]
    assert codecs[-1] == "Crc32cCodec" and len(codecs) == (1 if compression == "none" else 2)


def test_shards_hold_whole_chunks_and_stream_with_them(tmp_path):
    da = pytest.importorskip("dask.array")
    array = extreme_array("uint16", (12, 40, 30))
    written = ia.save(tmp_path / "s.zarr", da.from_array(array, chunks=(3, 40, 30)), chunks=(2, 20, 15),
                      shards=(4, 40, 30))
    stored = zarr.open_array(str(written))
    assert (stored.shards, stored.chunks) == ((4, 40, 30), (2, 20, 15))
    assert_identical(array, ia.load(written))
    assert len(list((written / "c").rglob("*"))) - len([p for p in (written / "c").rglob("*") if p.is_dir()]) == 3


@pytest.mark.parametrize(("options", "message"), [
    ({"compression": "lzma"}, "not a Zarr codec"),
    ({"compression": "zstd:99"}, "not a Zarr codec"),
    ({"shards": (4, 40, 30)}, "needs chunks="),
    ({"chunks": (2, 20, 15), "shards": (3, 40, 30)}, "multiple of the chunk shape"),
])
def test_bad_codecs_and_shards_are_refused_before_writing(tmp_path, options, message):
    with pytest.raises(InvalidOptionError, match=message):
        ia.save(tmp_path / "b.zarr", np.zeros((12, 40, 30), np.uint8), **options)
    assert list(tmp_path.iterdir()) == []


def test_a_shard_larger_than_a_chunk_is_not_mistaken_for_damage(tmp_path):
    array = (np.arange(40 * 512 * 512) % 251).astype(np.uint16).reshape(40, 512, 512)  # a 20 MiB shard file:
    written = ia.save(tmp_path / "s.zarr", array, chunks=(1, 64, 64), shards=(40, 512, 512),  # above any chunk's
                      compression="none")  # size plus the 16 MiB allowance for metadata
    assert_identical(array, ia.load(written))
