"""DICOM: pydicom's own test files and series written here, checked against pydicom and SimpleITK's GDCM reader."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray.cli import main
from imarray.errors import CorruptFileError, FormatNotFoundError, InvalidOptionError
from imarray.formats.dicom import MultiSeriesWarning, SliceSpacingWarning

from helpers import assert_identical

pydicom = pytest.importorskip("pydicom")
sitk = pytest.importorskip("SimpleITK")

DATA = Path(__file__).parent / "data" / "dicom"
FILES = sorted(DATA.glob("*.dcm"))


def _rescaled(dataset) -> np.ndarray:
    """pydicom's pixels with DICOM's rescale applied in float64 (the reference values)."""
    stored = dataset.pixel_array
    slope, intercept = float(dataset.get("RescaleSlope", 1) or 1), float(dataset.get("RescaleIntercept", 0) or 0)
    return stored if (slope, intercept) == (1.0, 0.0) else stored.astype(np.float64) * slope + intercept


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_pydicom_test_files_match_pydicom_and_gdcm(path):
    described = ia.info(path)
    pixels = ia.load(path)
    assert pixels.shape == described.shape and pixels.dtype == described.dtype
    reference = _rescaled(pydicom.dcmread(path))
    assert np.array_equal(pixels, reference) and (pixels.dtype.name == reference.dtype.name or pixels.dtype.kind == "f")
    assert pixels.dtype.isnative
    gdcm = sitk.GetArrayFromImage(sitk.ReadImage(str(path)))  # GDCM applies the rescale itself
    assert np.array_equal(pixels.astype(np.float64), gdcm.reshape(pixels.shape).astype(np.float64))
    spacing = sitk.ReadImage(str(path)).GetSpacing()
    assert (described.spacing["x"], described.spacing["y"]) == pytest.approx(spacing[:2])


def test_rescale_policy_stored_integers_or_the_smallest_exact_float():
    mr = ia.info(DATA / "MR_small.dcm")
    assert mr.dtype == "int16" and "rescale" not in mr.metadata  # slope 1, intercept 0: the stored integers
    ct = ia.read(DATA / "CT_small.dcm")
    stored = pydicom.dcmread(DATA / "CT_small.dcm").pixel_array
    assert ct.array.dtype == np.float32  # intercept -1024: every int16 value minus 1024 is exact in float32
    assert_identical(stored.astype(np.float32) - 1024, ct.array)
    assert ct.axes == "yx" and ct.spacing == pytest.approx((0.661468, 0.661468))
    assert ia.info(DATA / "CT_small.dcm").metadata["rescale"] == {
        "slope": 1.0, "intercept": -1024.0, "stored_dtype": "int16", "type": None}


def test_compressed_transfer_syntaxes_decode_to_the_uncompressed_pixels():
    plain = ia.load(DATA / "MR_small.dcm")
    for name in ("MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm",
                 "MR_small_bigendian.dcm", "MR_small_implicit.dcm"):
        assert_identical(plain, ia.load(DATA / name))


def _slice(path: Path, pixels: np.ndarray, *, position, orientation, series_uid: str, number: int, instance: int,
           slope: float = 1.0, intercept: float = 0.0, spacing=(0.5, 0.75)) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber, ds.InstanceNumber = "CT", series_uid, number, instance
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    ds.PatientName, ds.PatientID = "Test^Series", "0"
    ds.ImagePositionPatient = [f"{v:.6f}" for v in position]
    ds.ImageOrientationPatient = [f"{v:.6f}" for v in orientation]
    ds.PixelSpacing = list(spacing)
    ds.SliceThickness = 1
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 1
    if (slope, intercept) != (1.0, 0.0):
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.PixelData = pixels.astype("<i2").tobytes()
    ds.save_as(path, enforce_file_format=True)


def _write_series(folder: Path, volume: np.ndarray, *, tilt: float, gap: float, uid: str, number: int,
                  slope: float = 1.0, intercept: float = 0.0) -> dict:
    """Slices of ``volume`` tilted about x, named so that name order is NOT position order."""
    folder.mkdir(exist_ok=True)
    row = np.array([1.0, 0.0, 0.0])
    column = np.array([0.0, np.cos(tilt), np.sin(tilt)])
    normal = np.cross(row, column)
    start = np.array([-10.0, 20.0, 30.0])
    order = np.random.default_rng(number).permutation(len(volume))
    for index, plane in enumerate(volume):
        _slice(folder / f"s{number}_{order[index]:03d}", plane, position=start + index * gap * normal,
               orientation=[*row, *column], series_uid=uid, number=number, instance=int(order[index]) + 1,
               slope=slope, intercept=intercept)
    return {"origin": start, "direction": np.column_stack([row, column, normal])}


def _gdcm_series(folder: Path, uid: str):
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(folder), uid))
    return reader.Execute()


def test_series_written_with_pydicom_is_sorted_by_position_with_geometry_as_gdcm(tmp_path):
    rng = np.random.default_rng(7)
    volume = rng.integers(-2000, 3000, size=(6, 5, 7), dtype=np.int16)
    truth = _write_series(tmp_path / "series", volume, tilt=0.3, gap=2.5, uid="1.2.3.4.1", number=1,
                          slope=0.5, intercept=-3.0)
    img = ia.read(tmp_path / "series")
    assert img.axes == "zyx" and img.array.dtype == np.float32  # k * 0.5 - 3 is exact in float32
    assert_identical((volume.astype(np.float64) * 0.5 - 3).astype(np.float32), img.array)  # by position, not name
    assert img.spacing == pytest.approx((2.5, 0.5, 0.75))
    reference = _gdcm_series(tmp_path / "series", "1.2.3.4.1")
    assert np.array_equal(sitk.GetArrayFromImage(reference).astype(np.float64), img.array.astype(np.float64))
    described = ia.info(tmp_path / "series")
    origin = [described.origin[axis] for axis in "xyz"]
    assert origin == pytest.approx(reference.GetOrigin(), abs=1e-5) and origin == pytest.approx(truth["origin"])
    direction = np.asarray(described.metadata["direction"])
    assert direction == pytest.approx(np.asarray(reference.GetDirection()).reshape(3, 3), abs=1e-5)
    assert [described.spacing[a] for a in "xyz"] == pytest.approx(reference.GetSpacing(), abs=1e-5)
    assert img.direction == pytest.approx(direction[::-1, ::-1], abs=1e-6)  # the Image keeps numpy order


def test_a_slope_float32_cannot_hold_gives_float64(tmp_path):
    volume = np.arange(3 * 4 * 4, dtype=np.int16).reshape(3, 4, 4) * 100
    _write_series(tmp_path / "s", volume, tilt=0.0, gap=1.0, uid="1.2.3.9", number=1, slope=0.1, intercept=0.0)
    pixels = ia.load(tmp_path / "s")
    assert pixels.dtype == np.float64 and ia.info(tmp_path / "s").dtype == "float64"
    assert np.array_equal(pixels, volume.astype(np.float64) * 0.1)


def test_several_series_are_listed_and_chosen_with_series(tmp_path, capsys):
    first = np.full((3, 4, 5), 1, np.int16)
    second = np.arange(4 * 4 * 5, dtype=np.int16).reshape(4, 4, 5)
    _write_series(tmp_path / "mixed", first, tilt=0.0, gap=1.0, uid="1.2.3.4.10", number=10)
    _write_series(tmp_path / "mixed", second, tilt=0.0, gap=2.0, uid="1.2.3.4.2", number=2)
    listed = ia.info(tmp_path / "mixed").metadata["series"]
    assert [(s["number"], s["files"]) for s in listed] == [(2, 4), (10, 3)]  # by SeriesNumber
    with pytest.warns(MultiSeriesWarning, match="series=1"):
        assert_identical(second, ia.load(tmp_path / "mixed"))
    assert_identical(first, ia.load(tmp_path / "mixed", series=1))
    assert_identical(first, ia.read(tmp_path / "mixed", series="1.2.3.4.10").array)
    assert ia.info(tmp_path / "mixed", series=1).shape == (3, 4, 5)
    with pytest.raises(InvalidOptionError, match="series=5"):
        ia.load(tmp_path / "mixed", series=5)
    assert main(["info", str(tmp_path / "mixed"), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["metadata"]["series"]) == 2


def test_real_series_folder_with_uneven_gaps_matches_gdcm():
    folder = DATA / "CT2"
    with pytest.warns(SliceSpacingWarning, match="mean"):
        img = ia.read(folder)
    uid = str(pydicom.dcmread(next(folder.iterdir())).SeriesInstanceUID)
    reference = sitk.GetArrayFromImage(_gdcm_series(folder, uid))
    assert np.array_equal(img.array.astype(np.float64), reference.astype(np.float64))
    assert img.origin[0] == pytest.approx(-99.48)  # z of the lowest slice


def test_hostile_headers_are_refused_before_allocating(tmp_path):
    for keyword, value in (("Rows", 65535), ("Columns", 65535), ("NumberOfFrames", "1000000000")):
        dataset = pydicom.dcmread(DATA / "MR_small.dcm")
        setattr(dataset, keyword, value)
        dataset.save_as(tmp_path / f"{keyword}.dcm")
        with pytest.raises(CorruptFileError, match="header"):
            ia.info(tmp_path / f"{keyword}.dcm")
        with pytest.raises(CorruptFileError):
            ia.load(tmp_path / f"{keyword}.dcm")
    (tmp_path / "cut.dcm").write_bytes((DATA / "MR_small.dcm").read_bytes()[:5000])
    with pytest.raises(CorruptFileError):
        ia.load(tmp_path / "cut.dcm")


def test_writing_dicom_is_refused_with_a_way_out(tmp_path):
    with pytest.raises(FormatNotFoundError, match="does not write") as caught:
        ia.save(tmp_path / "out.dcm", np.zeros((4, 4), np.uint16))
    assert "nifti" in caught.value.hint and str(tmp_path / "out.dcm") in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_of_dicom_files_named_without_extension_reads_lazily_as_one_chunk(tmp_path):
    shutil.copytree(DATA / "CT2", tmp_path / "ct")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SliceSpacingWarning)
        assert ia.info(tmp_path / "ct").format == "dicom series"
        pytest.importorskip("dask")
        lazy = ia.load(tmp_path / "ct", lazy=True)
        assert lazy.numblocks == (1, 1, 1)  # the series is sorted and rescaled together: one chunk
        assert_identical(ia.load(tmp_path / "ct"), lazy.compute())


def test_cli_converts_a_series_with_each_warning_on_one_line_once(tmp_path, capsys):
    assert main(["convert", str(DATA / "CT2"), str(tmp_path / "ct.nii.gz")]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("imarray: warning:") and "slice gaps" in err
    back = ia.read(tmp_path / "ct.nii.gz")
    assert back.array.dtype == np.float32 and back.origin[0] == pytest.approx(-99.48)


def test_a_rescale_that_is_no_number_is_refused_not_ignored(tmp_path):
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    dataset = pydicom.dcmread(DATA / "CT_small.dcm")
    for text in (b"abc ", b"0 ", b"nan "):  # DS bytes as a damaged header carries them (pydicom will not set them)
        dataset[0x00281053] = RawDataElement(Tag(0x00281053), "DS", len(text), text, 0, False, True)
        dataset.save_as(tmp_path / "bad.dcm")
        with pytest.raises(CorruptFileError, match="RescaleSlope"), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pydicom's own note on an invalid DS
            ia.load(tmp_path / "bad.dcm")
