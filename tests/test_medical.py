"""Medical formats through SimpleITK: geometry in the right order, exact pixels, damage refused."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import imarray as ia
from imarray import Image
from imarray.errors import CorruptFileError, MissingDependencyError, UnsupportedDtypeError
from imarray.formats import medical

from helpers import assert_identical, extreme_array, leftovers

sitk = pytest.importorskip("SimpleITK")

EXTENSIONS = [".mha", ".mhd", ".nrrd", ".nii", ".nii.gz"]
# a rotation about z by 30 degrees, in SimpleITK's (x, y, z) order
ANGLE = np.deg2rad(30)
DIRECTION_XYZ = (np.cos(ANGLE), -np.sin(ANGLE), 0.0, np.sin(ANGLE), np.cos(ANGLE), 0.0, 0.0, 0.0, 1.0)


def sitk_volume() -> tuple[object, np.ndarray]:
    array = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7)  # numpy (z, y, x)
    image = sitk.GetImageFromArray(array, isVector=False)
    image.SetSpacing((0.5, 0.75, 2.5))  # x, y, z
    image.SetOrigin((-10.0, 20.0, 3.0))
    image.SetDirection(DIRECTION_XYZ)
    return image, array


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_volume_written_by_simpleitk_reads_in_array_order_and_goes_back_identical(tmp_path, ext):
    written, array = sitk_volume()
    path = tmp_path / f"vol{ext}"
    sitk.WriteImage(written, str(path))
    reference = sitk.ReadImage(str(path))  # SimpleITK's own reading of the file is the yardstick
    img = ia.read(path)
    assert_identical(array, img.array)
    assert img.axes == "zyx"
    assert img.spacing == reference.GetSpacing()[::-1] == pytest.approx((2.5, 0.75, 0.5))
    assert img.origin == reference.GetOrigin()[::-1]
    np.testing.assert_array_equal(img.direction[::-1, ::-1].ravel(), reference.GetDirection())
    back = img.to_sitk()
    assert back.GetSpacing() == reference.GetSpacing()
    assert back.GetOrigin() == reference.GetOrigin()
    assert back.GetDirection() == reference.GetDirection()
    assert back.GetSize() == reference.GetSize() and back.GetPixelID() == reference.GetPixelID()
    assert sitk.GetArrayViewFromImage(back).tobytes() == sitk.GetArrayViewFromImage(reference).tobytes()


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_write_keeps_geometry_and_label_kind(tmp_path, ext):
    labels = np.arange(4 * 5 * 6, dtype=np.uint32).reshape(4, 5, 6)
    direction = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
    img = Image.from_label_array(labels, spacing=(3.0, 0.5, 0.25), origin=(1.0, 2.0, -3.0)).replace(
        direction=direction)
    path = ia.write(tmp_path / f"labels{ext}", img)
    simple = sitk.ReadImage(str(path))
    assert simple.GetSpacing() == (0.25, 0.5, 3.0) and simple.GetOrigin() == (-3.0, 2.0, 1.0)
    back = ia.read(path)
    assert_identical(labels, back.array)
    assert back.kind == "label" and back.spacing == (3.0, 0.5, 0.25) and back.origin == (1.0, 2.0, -3.0)
    np.testing.assert_allclose(back.direction, direction, atol=1e-6)  # NIfTI stores it in float32
    assert leftovers(tmp_path) == []


def test_mhd_header_names_its_final_data_file(tmp_path):
    path = ia.save(tmp_path / "scan.mhd", extreme_array("float32", (3, 4, 5)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scan.mhd", "scan.raw"]
    assert "ElementDataFile = scan.raw" in path.read_text()
    assert ia.info(path).files == (path, tmp_path / "scan.raw")
    ia.save(tmp_path / "packed.mhd", extreme_array("uint16", (3, 4, 5)), compression="zlib")
    assert (tmp_path / "packed.zraw").exists()
    assert_identical(extreme_array("uint16", (3, 4, 5)), ia.load(tmp_path / "packed.mhd"))


@pytest.mark.parametrize("ext", [".mha", ".nrrd"])
def test_compression(tmp_path, ext):
    data = np.zeros((20, 30, 40), np.uint16)
    path = ia.save(tmp_path / f"z{ext}", data, compression="zlib")
    assert path.stat().st_size < data.nbytes // 10
    assert_identical(data, ia.load(path))
    with pytest.raises(ValueError, match="zlib"):
        ia.save(tmp_path / f"y{ext}", data, compression="lzw")


def test_nifti_keeps_nan_and_infinity_that_itk_reads_as_zero(tmp_path):
    data = np.array([[np.nan, np.inf, -np.inf, -0.0, 1.5]], np.float32)
    path = ia.save(tmp_path / "f.nii.gz", data)
    assert np.count_nonzero(sitk.GetArrayFromImage(sitk.ReadImage(str(path)))) == 1  # ITK's own reading
    assert_identical(data, ia.load(path))


def test_nii_gz_is_read_even_beside_a_nii_of_the_same_name(tmp_path):
    ia.save(tmp_path / "a.nii", np.zeros((2, 3), np.uint8))
    ia.save(tmp_path / "a.nii.gz", np.ones((2, 3), np.uint8))
    assert sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "a.nii.gz"))).max() == 0  # ITK reads a.nii
    assert ia.load(tmp_path / "a.nii.gz").max() == 1
    assert ia.load(tmp_path / "a.nii").max() == 0


def test_2d_and_rgb(tmp_path):
    plane = extreme_array("float64", (6, 7))
    assert_identical(plane, ia.load(ia.save(tmp_path / "p.nrrd", plane)))
    assert ia.read(tmp_path / "p.nrrd").axes == "yx"
    rgb = Image.from_rgb_array(np.arange(6 * 7 * 3, dtype=np.uint8).reshape(6, 7, 3))
    back = ia.read(ia.write(tmp_path / "c.mha", rgb))
    assert back.kind == "rgb" and back.axes == "yxc"
    assert_identical(rgb.array, back.array)


def test_refusals_name_the_way_out(tmp_path):
    with pytest.raises(UnsupportedDtypeError) as caught:
        ia.save(tmp_path / "m.nii.gz", np.zeros((3, 3), bool))
    assert "dtype='uint8'" in caught.value.hint
    with pytest.raises(UnsupportedDtypeError) as caught:
        ia.save(tmp_path / "m.mha", np.zeros((2, 2, 3, 4, 5), np.uint8))
    assert "reshape" in caught.value.hint
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ damage
def _written(tmp_path, ext):
    return ia.save(tmp_path / f"d{ext}", np.arange(4 * 50 * 60, dtype=np.uint16).reshape(4, 50, 60))


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_truncated_files_are_corrupt(tmp_path, ext):
    path = _written(tmp_path, ext)
    data = tmp_path / "d.raw" if ext == ".mhd" else path
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(CorruptFileError) as caught:
        ia.load(path)
    assert caught.value.hint


@pytest.mark.parametrize("ext", [".mha", ".mhd", ".nrrd"])
def test_headers_promising_too_much_are_refused_before_allocating(tmp_path, ext):
    path = _written(tmp_path, ext)
    text = path.read_bytes()
    header = text.replace(b"DimSize = 60 50 4", b"DimSize = 60000 50000 4000").replace(
        b"sizes: 60 50 4", b"sizes: 60000 50000 4000")
    assert header != text
    path.write_bytes(header)
    with pytest.raises(CorruptFileError, match="promises"):
        ia.load(path)


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_garbage_is_corrupt(tmp_path, ext):
    path = tmp_path / f"g{ext}"
    path.write_bytes(b"NRRD0004\nnot really\n" if ext == ".nrrd" else b"\x00garbage" * 10)
    with pytest.raises(CorruptFileError):
        ia.load(path)


def test_mhd_without_its_raw_is_corrupt(tmp_path):
    path = _written(tmp_path, ".mhd")
    (tmp_path / "d.raw").unlink()
    with pytest.raises(CorruptFileError, match="missing"):
        ia.load(path)


@pytest.mark.parametrize("ext", [".mhd", ".nii.gz"])
def test_interrupted_write_leaves_old_files_and_no_temporary(tmp_path, monkeypatch, ext):
    path = _written(tmp_path, ext)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(simple, target, compress):
        target.write_bytes(b"half")
        raise OSError("disk gone")

    monkeypatch.setattr(medical, "_write_sitk", broken)
    with pytest.raises(OSError, match="disk gone"):
        ia.save(path, np.zeros((2, 2), np.uint8))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_missing_simpleitk_names_the_extra(tmp_path, monkeypatch):
    path = _written(tmp_path, ".mha")
    monkeypatch.setitem(sys.modules, "SimpleITK", None)
    with pytest.raises(MissingDependencyError) as caught:
        ia.load(path)
    assert "imarray[medical]" in caught.value.hint


@pytest.mark.parametrize("ext", [".nii.gz", ".nrrd", ".mha"])
def test_4d_time_series_stays_4d_scalar(tmp_path, ext):
    series = extreme_array("float32", (5, 4, 6, 7))
    written = sitk.GetImageFromArray(series, isVector=False)
    written.SetSpacing((0.5, 0.5, 2.0, 1.5))
    sitk.WriteImage(written, str(tmp_path / f"f{ext}"))
    img = ia.read(tmp_path / f"f{ext}")
    assert img.axes == "tzyx" and img.spacing == (1.5, 2.0, 0.5, 0.5)
    assert_identical(series, img.array)
    back = ia.read(ia.write(tmp_path / f"again{ext}", img))
    assert back.axes == "tzyx" and back.spacing == img.spacing
    assert_identical(series, back.array)


# --- units -------------------------------------------------------------------

NIFTI_UNITS_BYTE = 123  # xyzt_units in the NIfTI-1 header


def _nifti_header_units(path) -> int:
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        return handle.read(NIFTI_UNITS_BYTE + 1)[NIFTI_UNITS_BYTE]


@pytest.mark.parametrize(
    ("units", "factor"), [("um", 1e-3), ("nm", 1e-6), ("m", 1e3), ("mm", 1.0), ("µm", 1e-3), ("cm", 10.0)]
)
def test_nifti_converts_lengths_to_mm_which_its_header_states(tmp_path, units, factor):
    img = Image.from_array(np.zeros((2, 3, 4), np.float32), spacing=(2.0, 0.5, 0.25), origin=(1.0, -2.0, 4.0),
                           units=units)
    path = ia.write(tmp_path / "u.nii.gz", img)
    assert _nifti_header_units(path) & 0x07 == 2  # NIFTI_UNITS_MM
    reference = sitk.ReadImage(str(path))
    expected = np.array([2.0, 0.5, 0.25]) * factor
    np.testing.assert_allclose(reference.GetSpacing()[::-1], expected, rtol=1e-6)
    np.testing.assert_allclose(reference.GetOrigin()[::-1], np.array([1.0, -2.0, 4.0]) * factor, rtol=1e-6)
    back = ia.read(path)
    assert back.units == ("mm", "mm", "mm")
    np.testing.assert_allclose(back.spacing, expected, rtol=1e-6)
    np.testing.assert_allclose(back.origin, np.array([1.0, -2.0, 4.0]) * factor, rtol=1e-6)


def test_nifti_converts_time_to_seconds(tmp_path):
    img = Image.from_array(np.zeros((3, 2, 3, 4), np.float32), axes="tzyx", spacing=(40.0, 2.0, 0.5, 0.5),
                           units=("ms", "um", "um", "um"))
    path = ia.write(tmp_path / "t.nii", img)
    assert _nifti_header_units(path) == 2 | 8  # mm and s
    back = ia.read(path)
    assert back.units == ("s", "mm", "mm", "mm")
    np.testing.assert_allclose(back.spacing, (0.04, 0.002, 0.0005, 0.0005), rtol=1e-6)
    np.testing.assert_allclose(sitk.ReadImage(str(path)).GetSpacing()[::-1], back.spacing, rtol=1e-6)


def test_nifti_refuses_units_it_cannot_state(tmp_path):
    img = Image.from_array(np.zeros((2, 3, 4), np.float32), spacing=(1.0, 1.0, 1.0), units="px")
    with pytest.raises(UnsupportedDtypeError, match="px") as caught:
        ia.write(tmp_path / "p.nii", img)
    assert caught.value.hint and "mha" in caught.value.hint and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("code", "itk_scale"), [(1, 1e3), (3, 1e-3)])
def test_nifti_in_metres_or_microns_reads_in_mm_as_itk_does(tmp_path, code, itk_scale):
    path = tmp_path / "v.nii"
    img = sitk.GetImageFromArray(np.zeros((2, 3, 4), np.float32))
    img.SetSpacing((0.5, 0.25, 2.0))
    sitk.WriteImage(img, str(path))
    data = bytearray(path.read_bytes())
    data[NIFTI_UNITS_BYTE] = code | (data[NIFTI_UNITS_BYTE] & 0x38)  # as other tools write it: pixdim in that unit
    path.write_bytes(bytes(data))
    back = ia.read(path)
    assert back.units == ("mm", "mm", "mm")
    np.testing.assert_allclose(back.spacing, np.array([2.0, 0.25, 0.5]) * itk_scale, rtol=1e-6)
    np.testing.assert_allclose(back.spacing, sitk.ReadImage(str(path)).GetSpacing()[::-1], rtol=1e-6)


@pytest.mark.parametrize("ext", [".mha", ".mhd", ".nrrd"])
def test_metaimage_and_nrrd_keep_units(tmp_path, ext):
    img = Image.from_array(np.zeros((3, 2, 3, 4), np.float32), axes="tzyx", spacing=(40.0, 2.0, 0.5, 0.5),
                           units=("ms", "\u00b5m", "um", "nm"))
    path = ia.write(tmp_path / f"k{ext}", img)
    back = ia.read(path)
    assert back.units == ("ms", "\u00b5m", "um", "nm") and back.spacing == (40.0, 2.0, 0.5, 0.5)
    assert ia.info(path).units == {"t": "ms", "z": "\u00b5m", "y": "um", "x": "nm"}
    plain = ia.read(ia.write(tmp_path / f"plain{ext}", Image.from_array(np.zeros((2, 3), np.uint8))))
    assert plain.units == (None, None)


@pytest.mark.parametrize(("ext", "field"), [(".mha", b"DimSize = 5 4 "), (".mhd", b"DimSize = 5 4 "),
                                            (".nrrd", b"sizes: 5 4 ")])
@pytest.mark.parametrize("planes", [b"6", b"2"])
def test_compressed_data_of_another_size_than_the_header_says_is_corrupt(tmp_path, ext, field, planes):
    data = np.arange(1, 61, dtype=np.uint16).reshape(3, 4, 5)
    path = ia.save(tmp_path / f"c{ext}", data, compression="zlib")
    assert_identical(data, ia.load(path))
    header = path.read_bytes()
    path.write_bytes(header.replace(field + b"3", field + planes, 1))  # ITK pads with zeros or drops the rest
    with pytest.raises(CorruptFileError) as caught:
        ia.load(path)
    assert caught.value.hint


@pytest.mark.parametrize("ext", [".mha", ".mhd", ".nrrd"])
@pytest.mark.parametrize("dtype", ["int8", "uint64", "float64", "complex64"])
def test_compressed_pixels_read_here_equal_simpleitks(tmp_path, ext, dtype):
    if dtype == "complex64" and ext != ".nrrd":
        pytest.skip("MetaImage holds no complex here")
    data = extreme_array(dtype, (3, 4, 5))
    path = ia.save(tmp_path / f"z{ext}", data, compression="zlib")
    assert_identical(data, ia.load(path))
    assert_identical(sitk.GetArrayFromImage(sitk.ReadImage(str(path))), ia.load(path))


def test_big_endian_gzip_nrrd_reads_right(tmp_path):
    import gzip

    data = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    header = b"NRRD0004\ntype: int32\ndimension: 3\nsizes: 4 3 2\nendian: big\nencoding: gzip\n\n"
    (tmp_path / "b.nrrd").write_bytes(header + gzip.compress(data.astype(">i4").tobytes()))
    assert_identical(sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "b.nrrd"))), data)
    assert_identical(data, ia.load(tmp_path / "b.nrrd"))
    folder = tmp_path / "stack"
    folder.mkdir()
    for index in range(3):  # each read straight into its place in the folder's array, bytes swapped there
        (folder / f"b_{index}.nrrd").write_bytes(header + gzip.compress((data + index).astype(">i4").tobytes()))
    assert_identical(np.concatenate([data + index for index in range(3)]), ia.load(folder))  # stacks join


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".mha"])
def test_damaged_header_messages_name_the_file_and_no_stale_reason(tmp_path, ext):
    path = ia.save(tmp_path / f"cut{ext}", np.arange(3 * 32 * 40, dtype=np.uint16).reshape(3, 32, 40))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 100])
    with pytest.raises(CorruptFileError) as caught:
        ia.load(path)
    text = str(caught.value)
    assert str(path) in text and "imarray-nifti" not in text and "No such file" not in text, text


@pytest.mark.parametrize("name", ["v.nrrd", "v.mha", "v.nii.gz"])
def test_a_folder_of_slices_becomes_a_volume_with_its_stack_axis_as_z(tmp_path, name):
    from imarray.cli import main

    folder = tmp_path / "slices"
    folder.mkdir()
    stack = extreme_array("int16", (4, 6, 5))
    for index, plane in enumerate(stack):
        ia.write(folder / f"s_{index}.ome.tif", Image.from_array(plane, spacing=(0.5, 0.25), units="mm"))
    assert main(["convert", str(folder), str(tmp_path / name)]) == 0
    back = ia.read(tmp_path / name)
    assert back.axes == "zyx" and back.spacing == (1.0, 0.5, 0.25)
    assert_identical(stack, back.array)


def test_axes_a_toolkit_cannot_name_are_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(medical, "write", lambda *args, **kwargs: pytest.fail("the writer ran"))
    image = Image.from_array(np.zeros((3, 4, 5), np.uint8), axes="qcx")
    with pytest.raises(ia.errors.AxesError, match="yx, zyx, tzyx") as caught:
        ia.write(tmp_path / "v.mha", image)
    assert caught.value.path == str(tmp_path / "v.mha")
    assert leftovers(tmp_path) == [] and not (tmp_path / "v.mha").exists()


def test_nifti_gives_a_folders_stack_axis_the_unit_of_its_slices(tmp_path):
    folder = tmp_path / "slices"
    folder.mkdir()
    for index in range(3):
        ia.write(folder / f"s_{index}.ome.tif", Image.from_array(np.full((4, 5), index, np.uint8),
                                                                 spacing=(0.5, 0.25), units="um"))
    back = ia.read(ia.write(tmp_path / "v.nii.gz", ia.read(folder)))
    assert back.units == ("mm", "mm", "mm")
    assert back.spacing == pytest.approx((0.001, 0.0005, 0.00025))  # 4:2:1 as in um, not 1 mm against 0.0005
