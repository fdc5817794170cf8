"""Real files from other projects' test data, each checked against an independent reader.

The files live in ``tests/data/corpus/<format>/``; ``PROVENANCE`` there names the
repository, commit, path and licence of each. Every file is either read by
imarray pixel for pixel as its reference reader reads it (and with the spacing
and dtype the reference states), or listed in ``UNSUPPORTED`` with the
imarray error it must raise and the feature that error must name.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray.errors import ImarrayError, UnsupportedFeatureError

CORPUS = Path(__file__).parent / "data" / "corpus"
DATA_ONLY = {".raw", ".zraw"}  # pixels of a detached header, read through the header

# file -> (error class, words the message must contain): features imarray does not read, and why
UNSUPPORTED: dict[str, tuple[type[ImarrayError], str]] = {
    # CMYK has no exact RGB form: a conversion needs a colour profile, which is the caller's choice
    "jpeg/pil_sample_cmyk.jpg": (UnsupportedFeatureError, "CMYK"),
}


def _inflated_metaimage(path: Path) -> np.ndarray:
    """frogtissue.mhd's whole zlib stream: its CompressedDataSize (260020) is 2067 bytes short of the complete
    stream in frogtissue.zraw, and SimpleITK stops there and fills the last 2670 voxels with zeros."""
    import zlib

    data = zlib.decompress((path.parent / "frogtissue.zraw").read_bytes())
    return np.frombuffer(data, np.uint8).reshape(136, 470, 500)


# files whose usual reference reader is wrong, with the reason and an exact reader of their own
REFERENCE_WRONG = {"frogtissue.mhd": _inflated_metaimage}
# files that load as grey although Pillow opens them as palette images (every colour of the palette is grey)
GREY_PALETTE = {"gif/text_mono.gif"}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "PROVENANCE" and p.suffix not in DATA_ONLY)


def _key(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _pillow_frame(image) -> np.ndarray:
    """A Pillow frame as imarray promises it: grey palettes as grey, other palettes as RGB(A), bilevel as bool."""
    if image.mode in ("P", "PA"):
        palette = np.asarray(image.getpalette() or [], np.uint8).reshape(-1, 3)
        transparent = image.mode == "PA" or "transparency" in image.info
        if not transparent and len(palette) and (palette == palette[:, :1]).all():
            return np.asarray(image.convert("L"))
        return np.asarray(image.convert("RGBA" if transparent else "RGB"))
    array = np.asarray(image)
    return array.view(np.uint8) != 0 if array.dtype == np.bool_ else array


def _reference(path: Path) -> tuple[np.ndarray, dict[str, float]]:
    """The pixels (numpy order) and spacing per axis letter an independent reader gives for ``path``."""
    folder = path.parent.name
    if folder in ("tiff", "ome"):
        import tifffile

        with tifffile.TiffFile(path) as tif:
            return tif.series[0].asarray(), {}
    if folder in ("png", "bmp", "jpeg", "gif"):
        from PIL import Image, ImageSequence

        with Image.open(path) as image:
            if folder != "gif":
                return _pillow_frame(image), {}
            frames = np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)])
        grey = (frames == frames[..., :1]).all()  # Pillow composes every frame in RGB; all grey loads as grey
        return (frames[..., 0] if grey else frames), {}
    if folder == "nifti":
        import nibabel

        image = nibabel.load(path)
        array = np.asanyarray(image.dataobj).T  # nibabel gives (x, y, z[, t]), scaled as the header says
        array = array.astype(array.dtype.newbyteorder("="))
        zooms = image.header.get_zooms()
        return array, dict(zip("xyzt", (float(z) for z in zooms), strict=False))
    if folder == "nrrd":
        import nrrd

        array, header = nrrd.read(str(path), index_order="C")
        spacings = header.get("spacings")
        if spacings is None and header.get("space directions") is not None:
            spacings = [float(np.linalg.norm(d)) for d in header["space directions"] if not np.isnan(d).any()]
        spacings = [] if spacings is None else [float(v) for v in spacings]
        letters = "xyzt"[: array.ndim] if len(spacings) == array.ndim else ""
        return array.astype(array.dtype.newbyteorder("=")), dict(zip(letters, spacings, strict=False))
    if path.name in REFERENCE_WRONG:
        return REFERENCE_WRONG[path.name](path), {}
    if folder == "metaimage":
        import SimpleITK as sitk

        image = sitk.ReadImage(str(path))
        return sitk.GetArrayFromImage(image), dict(zip("xyz", image.GetSpacing(), strict=False))
    if folder == "video":
        import av

        rounding = av.video.reformatter.Interpolation
        with av.open(str(path)) as container:  # swscale with exact rounding, as imarray asks it
            return np.stack([frame.to_ndarray(format="rgb24", src_color_range=frame.color_range or None,
                                              interpolation=rounding.BILINEAR | rounding.ACCURATE_RND)
                             for frame in container.decode(video=0)]), {}
    raise AssertionError(f"no reference reader for {folder}")


@pytest.mark.parametrize("path", corpus_files(), ids=_key)
def test_corpus_file_matches_its_reference_reader(path: Path) -> None:
    if _key(path) in UNSUPPORTED:
        error, words = UNSUPPORTED[_key(path)]
        with pytest.raises(error) as caught:
            ia.load(path)
        assert words in str(caught.value) and str(path.name) in str(caught.value)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a file's own oddities (a second series, a stale tag) may warn
        array = ia.load(path)
        described = ia.info(path)
    expected, spacing = _reference(path)
    assert array.dtype == expected.dtype
    assert array.shape == expected.shape
    np.testing.assert_array_equal(array, expected)
    assert (described.shape, described.dtype) == (array.shape, array.dtype.name)
    if _key(path) in GREY_PALETTE:
        assert "c" not in described.axes
    for axis, value in spacing.items():
        if axis in described.axes and value != 1.0:
            assert described.spacing.get(axis) == pytest.approx(value, rel=1e-6), axis


def test_corpus_is_large_and_documented() -> None:
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "PROVENANCE"]
    listed = {line.split("\t")[0] for line in (CORPUS / "PROVENANCE").read_text().splitlines()
              if line and not line.startswith("#")}
    assert len(corpus_files()) >= 60
    assert listed == {_key(p) for p in files}
    assert all(len(line.split("\t")) == 5 for line in (CORPUS / "PROVENANCE").read_text().splitlines()
               if line and not line.startswith("#"))


def test_scaled_nifti_reads_as_nibabel_scales_it_and_records_the_scaling() -> None:
    described = ia.info(CORPUS / "nifti" / "functional.nii")  # int16 stored, scl_slope 0.0754, scl_inter 3100.76
    assert described.dtype == "float64"  # float32 cannot hold stored * slope + inter exactly
    assert described.metadata["scaling"]["stored_dtype"] == "int16"
    assert described.metadata["scaling"]["scl_slope"] == pytest.approx(0.0754069)


def test_a_file_imarray_cannot_read_is_unsupported_not_damaged() -> None:
    with pytest.raises(UnsupportedFeatureError, match="CMYK") as caught:
        ia.load(CORPUS / "jpeg" / "pil_sample_cmyk.jpg")
    assert not isinstance(caught.value, ia.errors.CorruptFileError)


@pytest.mark.parametrize("suffix", [".gif", ".mkv", ".mp4"])
def test_a_real_colour_picture_is_not_written_as_frames_of_grey(tmp_path, suffix) -> None:
    picture = ia.load(CORPUS / "png" / "rgb_trns.png")  # (64, 64, 3) uint8
    with pytest.raises(ia.errors.AxesError, match="colour picture"):
        ia.save(tmp_path / f"a{suffix}", picture)
    with pytest.raises(ia.errors.AxesError):
        ia.write(tmp_path / f"b{suffix}", ia.read(CORPUS / "png" / "rgb_trns.png"))
    assert not list(tmp_path.iterdir())
    ia.save(tmp_path / f"c{suffix}", picture[np.newaxis], frame_rate=5)  # one colour frame is what was meant
    assert ia.info(tmp_path / f"c{suffix}").shape == (1, 64, 64, 3)


def test_the_refusal_hint_for_a_label_image_never_suggests_a_scale(tmp_path) -> None:
    labels = ia.Image.from_label_array(np.array([[0, 70000], [3, 5]], np.uint32))
    with pytest.raises(ia.errors.UnsupportedDtypeError) as caught:
        ia.write(tmp_path / "labels.png", labels)
    assert "scale" not in (caught.value.hint or "") and ".tif" in caught.value.hint


@pytest.mark.parametrize("axes", ["qcyx", "tqyx", "qzyx"])
def test_tiff_keeps_the_axis_names_of_an_image(tmp_path, axes) -> None:
    stack = ia.load(CORPUS / "ome" / "2010-04_18x24y5z1t2c8b-text.ome.tiff")  # (5, 2, 24, 18) uint8
    ia.write(tmp_path / "a.tif", ia.Image(stack, axes=axes))
    assert ia.info(tmp_path / "a.tif").axes == axes and ia.read(tmp_path / "a.tif").axes == axes


@pytest.mark.parametrize("suffix", [".ome.tif", ".mha", ".nrrd", ".mhd"])
def test_a_scale_mapping_is_recorded_by_every_format_with_room_for_it(tmp_path, suffix) -> None:
    volume = ia.load(CORPUS / "nifti" / "reoriented_anat_moved.nii")  # float32
    path = ia.save(tmp_path / f"a{suffix}", volume, dtype="uint8", scale="minmax")
    record = ia.info(path).metadata["scale"]
    assert record["method"] == "minmax" and record["source_dtype"] == "float32"
    assert record["source_range"] == [float(np.nanmin(volume)), float(np.nanmax(volume))]


@pytest.mark.parametrize("name", ["pil168.tif", "tiff_16bit_RGB.tiff"])
def test_an_interleaved_rgb_tiff_converts_to_ome_tiff_exactly(tmp_path, name) -> None:
    image = ia.read(CORPUS / "tiff" / name)
    back = ia.read(ia.write(tmp_path / "a.ome.tif", image))
    assert back.axes == image.axes == "yxc"
    np.testing.assert_array_equal(back.array, image.array)


def test_screen_dpi_and_unitless_resolutions_are_not_physical_sizes(tmp_path) -> None:
    import tifffile

    # Pillow's 12in16bit.tif states 72 pixels per inch, a print setting, not a pixel size
    image = ia.read(CORPUS / "tiff" / "12in16bit.tif")
    assert image.units == (None, None) and image.spacing == (1.0, 1.0)
    assert ia.info(CORPUS / "tiff" / "12in16bit.tif").metadata["resolution"] == {"x": 72.0, "unit": "inch"}
    ome = ia.write(tmp_path / "a.ome.tif", image)
    with tifffile.TiffFile(ome) as tif:
        assert "PhysicalSize" not in tif.ome_metadata  # nothing invented, not even OME's default µm
    tifffile.imwrite(tmp_path / "none.tif", np.zeros((4, 6), np.uint8), resolution=(72, 72), resolutionunit="NONE")
    assert ia.read(tmp_path / "none.tif").units == (None, None)


@pytest.mark.parametrize(("unit", "symbol"), [("micrometer", "µm"), ("inch", "in"), ("angstrom", "Å"), ("um", "µm")])
def test_ome_tiff_writes_units_as_omes_symbols(tmp_path, unit, symbol) -> None:
    import tifffile

    picture = ia.load(CORPUS / "png" / "bw_gradient.png")
    path = ia.write(tmp_path / "a.ome.tif", ia.Image.from_array(picture, spacing=(0.5, 0.25), units=unit))
    with tifffile.TiffFile(path) as tif:
        assert f'PhysicalSizeXUnit="{symbol}"' in tif.ome_metadata


def test_ome_tiff_refuses_a_unit_ome_cannot_state_before_writing(tmp_path) -> None:
    picture = ia.load(CORPUS / "png" / "bw_gradient.png")
    with pytest.raises(ia.errors.UnsupportedDtypeError, match="furlong"):
        ia.write(tmp_path / "a.ome.tif", ia.Image.from_array(picture, spacing=(1.0, 1.0), units="furlong"))
    assert not list(tmp_path.iterdir())


def test_pillows_decompression_bomb_guard_does_not_refuse_a_genuine_large_png(tmp_path) -> None:
    from PIL import Image

    side = int(Image.MAX_IMAGE_PIXELS ** 0.5 * 1.5) + 1  # past Pillow's 2x limit, a few hundred MB at most
    if side * side > 600 * 2**20:
        pytest.skip("Pillow's limit is set higher here than this test affords")
    Image.new("L", (side, 1)).resize((side, side)).save(tmp_path / "large.png")
    assert ia.info(tmp_path / "large.png").shape == (side, side)


def test_tifffiles_log_lines_stay_off_stderr(tmp_path) -> None:
    import subprocess
    import sys

    code = ("import imarray as ia, sys\ntry:\n    ia.load(sys.argv[1])\nexcept ia.errors.ImarrayError as e:\n"
            "    print(type(e).__name__)\n")
    damaged = tmp_path / "a.tif"
    data = bytearray((CORPUS / "tiff" / "16bit.cropped.tif").read_bytes())
    damaged.write_bytes(bytes(data[: len(data) // 3]))
    result = subprocess.run([sys.executable, "-c", code, str(damaged)], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "CorruptFileError" and result.stderr == "", result.stderr


def test_a_size_capped_save_loads_by_the_name_it_was_saved_under(tmp_path) -> None:
    stack = ia.load(CORPUS / "ome" / "2010-04_18x24y1z5t1c8b-text.ome.tiff")  # (5, 24, 18) uint8
    written = ia.save(tmp_path / "capped.tif", stack, size_cap="1000B")
    assert written == tmp_path / "capped" and len(list(written.iterdir())) > 1
    np.testing.assert_array_equal(ia.load(tmp_path / "capped.tif"), stack)
    assert ia.info(tmp_path / "capped.tif").shape == stack.shape
