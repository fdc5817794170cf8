"""ia.read / ia.write: geometry and pixel kind travel with the pixels where the format has room."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray import Image
from imarray.errors import SidecarError
from imarray.formats import tiff as tiff_format

from helpers import assert_identical, extreme_array, leftovers

LABELS = np.arange(1, 61, dtype=np.uint16).reshape(3, 4, 5)


def label_image() -> Image:
    return Image.from_label_array(LABELS, spacing=(2.0, 0.5, 0.25), units="um", origin=(1.0, -2.0, 3.5))


# (file name, format=, what survives)
KEEPS_ALL = [("all.tif", None), ("all.bin", None)]
KEEPS_SPACING = [("ome.ome.tif", None), ("ij.tif", "imagej")]


@pytest.mark.parametrize(("name", "fmt"), KEEPS_ALL + KEEPS_SPACING)
def test_geometry_and_label_kind_survive(tmp_path, name, fmt):
    written = ia.write(tmp_path / name, label_image(), format=fmt)
    back = ia.read(written)
    assert_identical(LABELS, back.array)
    assert back.axes == "zyx" and back.kind == "label"
    assert back.spacing == pytest.approx((2.0, 0.5, 0.25))
    assert back.units == ("um", "um", "um")
    assert back.origin == pytest.approx((1.0, -2.0, 3.5))
    info = ia.info(written)
    assert info.spacing == pytest.approx({"z": 2.0, "y": 0.5, "x": 0.25}) and info.metadata["kind"] == "label"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", ["d.tif", "d.bin"])
def test_direction_survives_in_numpy_order(tmp_path, name):
    direction = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    img = Image.from_array(np.zeros((2, 3, 4), np.float32), direction=direction)
    back = ia.read(ia.write(tmp_path / name, img))
    np.testing.assert_array_equal(back.direction, direction)
    # files and writers hold it in ITK's (x, y, z) order: both axes reversed
    assert ia.info(tmp_path / name).metadata["direction"] == direction[::-1, ::-1].tolist()


def test_plain_tiff_also_writes_resolution_tags_other_readers_understand(tmp_path):
    path = ia.write(tmp_path / "res.tif", label_image())
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        assert page.resolutionunit == tifffile.RESUNIT.CENTIMETER
        assert page.get_resolution() == pytest.approx((1e4 / 0.25, 1e4 / 0.5))


def test_imagej_spacing_is_what_imagej_reads(tmp_path):
    path = ia.write(tmp_path / "ij.tif", label_image(), format="imagej")
    with tifffile.TiffFile(path) as tif:
        meta = tif.imagej_metadata
        assert meta["spacing"] == 2.0 and meta["unit"] == "micron"  # ImageJ's ASCII spelling
        assert tif.pages.first.get_resolution() == pytest.approx((4.0, 2.0))  # pixels per um


def test_ome_physical_sizes_in_ome_xml(tmp_path):
    path = ia.write(tmp_path / "c.ome.tif", label_image())
    with tifffile.TiffFile(path) as tif:
        xml = tif.ome_metadata
    for text in ('PhysicalSizeX="0.25"', 'PhysicalSizeY="0.5"', 'PhysicalSizeZ="2.0"', 'PhysicalSizeZUnit="µm"',
                 'Namespace="imarray"', '<M K="kind">label</M>'):
        assert text in xml


@pytest.mark.parametrize(("name", "make"), [
    ("rgb.png", lambda: Image.from_rgb_array(np.arange(90, dtype=np.uint8).reshape(6, 5, 3), spacing=0.5)),
    ("mask.bmp", lambda: Image.from_binary_array(np.eye(4, dtype=bool), spacing=0.5)),
    ("grey.png", lambda: Image.from_label_array(np.arange(20, dtype=np.uint16).reshape(4, 5), spacing=0.5)),
])
def test_pillow_formats_keep_pixels_only(tmp_path, name, make):
    img = make()
    back = ia.read(ia.write(tmp_path / name, img))
    assert_identical(img.array, back.array)
    assert set(back.spacing) == {1.0}
    assert back.kind == {"rgb.png": "rgb", "mask.bmp": "binary", "grey.png": "intensity"}[name]


def test_rgb_image_is_written_as_colour_tiff(tmp_path):
    img = Image.from_rgb_array(np.arange(6 * 5 * 3, dtype=np.uint8).reshape(6, 5, 3))
    path = ia.write(tmp_path / "rgb.tif", img)
    with tifffile.TiffFile(path) as tif:
        assert tif.pages.first.photometric == tifffile.PHOTOMETRIC.RGB
    back = ia.read(path)
    assert back.kind == "rgb" and back.axes == "yxc"


def test_files_without_geometry_read_with_defaults(tmp_path):
    tifffile.imwrite(tmp_path / "foreign.tif", np.zeros((2, 3, 4), np.uint8))
    img = ia.read(tmp_path / "foreign.tif")
    assert img.kind == "intensity" and img.spacing == (1.0, 1.0, 1.0) and img.origin == (0.0, 0.0, 0.0)
    assert len(img.axes) == 3 and img.direction is None


def test_a_recorded_kind_that_does_not_fit_falls_back_to_intensity(tmp_path):
    path = ia.save(tmp_path / "f.bin", np.zeros((2, 3), np.float32))
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), "kind": "label"}))
    assert ia.read(path).kind == "intensity"


@pytest.mark.parametrize(("key", "value"), [("spacing", [1, 2]), ("units", {"x": 5}), ("origin", {"x": "a"})])
def test_damaged_sidecar_geometry_is_a_sidecar_error(tmp_path, key, value):
    path = ia.save(tmp_path / "g.bin", np.zeros((2, 3), np.float32))
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), key: value}))
    with pytest.raises(SidecarError, match=key):
        ia.read(path)


def test_calscipy_sidecar_stays_four_keys_and_plain_save_records_no_geometry(tmp_path):
    stack = extreme_array("uint16", (3, 4, 5))
    path = ia.save_binary(tmp_path, stack)
    assert set(json.loads(path.with_suffix(".json").read_text())) == {"frames", "y", "x", "dtype"}
    plain = ia.save(tmp_path / "plain.bin", stack)
    recorded = json.loads(plain.with_suffix(".json").read_text())
    assert not {"spacing", "units", "origin", "kind", "direction"} & set(recorded)
    assert "geometry" not in ia.info(ia.save(tmp_path / "plain.tif", stack)).metadata


def test_write_takes_save_options_and_refuses_arrays(tmp_path):
    img = label_image()
    path = ia.write(tmp_path / "z.tif", img, compression="zlib", durable=False)
    assert ia.info(path).metadata["compression"] in ("zlib", "adobe_deflate", "deflate")
    assert ia.read(path).kind == "label"
    with pytest.raises(TypeError, match="use save"):
        ia.write(tmp_path / "a.tif", LABELS)
    with pytest.raises(TypeError, match="colour"):
        ia.write(tmp_path / "a.tif", img, colour=True)


def test_write_with_dtype_checks_values_like_save(tmp_path):
    path = ia.write(tmp_path / "u8.png", Image.from_label_array(LABELS[0]), dtype="uint8")
    assert ia.load(path).dtype == np.uint8


def test_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "keep.tif"
    ia.save(target, np.ones((2, 2), np.uint8))

    def broken(path, array, **kwargs):
        path.write_bytes(b"half")
        raise RuntimeError("disk gone")

    monkeypatch.setattr(tiff_format, "write", broken)
    with pytest.raises(RuntimeError):
        ia.write(target, label_image())
    assert_identical(np.ones((2, 2), np.uint8), ia.load(target))
    assert leftovers(tmp_path) == []


def test_cli_convert_carries_geometry(tmp_path):
    from imarray.cli import main

    source = ia.write(tmp_path / "in.bin", label_image())
    assert main(["convert", str(source), str(tmp_path / "out.ome.tif")]) == 0
    back = ia.read(tmp_path / "out.ome.tif")
    assert back.kind == "label" and back.spacing == pytest.approx((2.0, 0.5, 0.25))


def test_unnamed_axes_are_left_to_the_writer(tmp_path):
    img = Image.from_array(np.zeros((2, 3, 4), np.uint8), axes="qyx")
    assert ia.read(ia.write(tmp_path / "q.ome.tif", img)).shape == (2, 3, 4)


@pytest.mark.parametrize("name", ["a.png", "a.jpg"])
def test_mmap_of_decoded_formats_names_the_way_out(tmp_path, name):
    from imarray.errors import UnsupportedDtypeError

    path = ia.save(tmp_path / name, np.zeros((4, 4), np.uint8))
    with pytest.raises(UnsupportedDtypeError) as caught:
        ia.load(path, mmap=True)
    assert ".bin" in caught.value.hint


def test_a_damaged_tiff_geometry_record_is_ignored_not_fatal(tmp_path):
    description = json.dumps({"shape": [2, 3], "imarray": {"axes": "yx", "geometry": {
        "spacing": {"y": "wide", "x": 0.5}, "units": ["um"], "origin": {"x": True}, "kind": "label"}}})
    tifffile.imwrite(tmp_path / "odd.tif", np.zeros((2, 3), np.uint16), description=description,
                     metadata=None)
    img = ia.read(tmp_path / "odd.tif")
    assert img.spacing == (1.0, 0.5) and img.units == (None, None) and img.origin == (0.0, 0.0)
    assert img.kind == "label"


@pytest.mark.parametrize(("unit", "time_unit"), [("µm", "µs"), ("um", "ms"), ("Å", "s"), ("nm", "min")])
def test_imagej_writes_any_unit_in_its_ascii_description(tmp_path, unit, time_unit):
    image = ia.Image.from_array(np.zeros((2, 3, 4, 5), np.uint16), axes="tzyx", spacing=(0.5, 2, 0.25, 0.25),
                                units=(time_unit, unit, unit, unit))
    back = ia.read(ia.write(tmp_path / "a.tif", image, format="imagej"))
    expected = "um" if unit in ("µm", "um") else unit
    assert back.units == (time_unit, expected, expected, expected)
    assert back.spacing == (0.5, 2, 0.25, 0.25)


@pytest.mark.parametrize("name", ["cells.ome.tif", "cells.ome.zarr", "cells.zarr", "cells.tif", "cells.bin"])
def test_channel_names_and_colours_travel_through_files(tmp_path, name):
    if "zarr" in name:
        pytest.importorskip("zarr")
    from imarray import Channel

    image = ia.Image(np.arange(2 * 6 * 7, dtype=np.uint16).reshape(2, 6, 7), axes="cyx",
                     channels=[Channel("DAPI", "#0000FF"), Channel("GFP", "#00FF00")])
    back = ia.read(ia.write(tmp_path / name, image))
    assert back.channels == image.channels
    np.testing.assert_array_equal(back.array, image.array)


def test_ome_channels_written_by_other_tools_are_read(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "t.ome.tif", np.zeros((2, 8, 8), np.uint8), ome=True,
                     metadata={"axes": "CYX", "Channel": {"Name": ["A", "B"], "Color": [-16776961, 65535]}})
    assert [tuple(c) for c in ia.read(tmp_path / "t.ome.tif").channels] == [("A", "#FF0000"), ("B", "#0000FF")]
