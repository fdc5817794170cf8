"""Raw binary + JSON sidecar, and CalSciPy's names and binaries."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

import imarray as ia
from imarray.compat.calscipy import load_binary, load_images, save_binary, save_images
from imarray.errors import (
    CorruptFileError,
    ImageFileNotFoundError,
    InvalidOptionError,
    SidecarError,
    TargetError,
    UnsupportedDtypeError,
)

from helpers import assert_identical, extreme_array, leftovers


def test_big_endian_is_kept(tmp_path):
    data = extreme_array("int32", (3, 4, 5)).astype(">i4")
    path = ia.save(tmp_path / "be.bin", data)
    assert json.loads(path.with_suffix(".json").read_text())["byte_order"] == "big"
    assert_identical(data, ia.load(path))


def test_mmap_reads_nothing_and_maps_the_file(tmp_path):
    data = extreme_array("uint16", (4, 8, 8))
    path = ia.save(tmp_path / "m.bin", data)
    mapped = ia.load(path, mmap=True)
    assert isinstance(mapped, np.memmap) and str(mapped.filename) == str(path)
    writable = load_binary(path, mapped=True, mode="r+")
    writable[0, 0, 0] = 12345
    writable.flush()
    assert ia.load(path, mmap=True)[0, 0, 0] == 12345


def test_lost_sidecar_infers_the_missing_size(tmp_path):
    data = extreme_array("float32", (7, 6, 5))
    path = ia.save(tmp_path / "lost.bin", data)
    path.with_suffix(".json").unlink()
    assert_identical(data, ia.load(path, dtype="float32", y=6, x=5))
    assert_identical(data, ia.load(path, dtype="float32", frames=7, x=5))
    with pytest.raises(CorruptFileError, match="do not divide"):
        ia.load(path, dtype="float32", y=4, x=4)
    with pytest.raises(SidecarError, match="dtype="):
        ia.load(path)


def test_bad_sidecars(tmp_path):
    path = ia.save(tmp_path / "s.bin", np.zeros((2, 3, 4), np.uint8))
    sidecar = path.with_suffix(".json")
    sidecar.write_text("{not json")
    with pytest.raises(SidecarError, match="not JSON") as caught:
        ia.load(path)
    assert "s.json" in str(caught.value)
    sidecar.write_text(json.dumps({"shape": [2, 3, 4]}))
    with pytest.raises(SidecarError, match="lacks dtype"):
        ia.info(path)
    sidecar.write_text(json.dumps({"shape": [2, 3, 5], "dtype": "uint8"}))
    with pytest.raises(CorruptFileError, match="but the file has 24"):
        ia.load(path)


def test_verify_detects_a_flipped_byte(tmp_path):
    path = ia.save(tmp_path / "v.bin", extreme_array("uint16", (3, 16, 16)))
    assert ia.load(path, verify=True).shape == (3, 16, 16)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="checksum"):
        ia.load(path, verify=True)


def test_interrupted_write_keeps_the_old_pair(tmp_path, monkeypatch):
    path = ia.save(tmp_path / "keep.bin", extreme_array("int16", (2, 8, 8)))
    before = (path.read_bytes(), path.with_suffix(".json").read_bytes())

    def broken_dumps(*args, **kwargs):
        raise OSError("simulated crash after the pixels were written")

    monkeypatch.setattr(json, "dumps", broken_dumps)
    with pytest.raises(OSError, match="simulated"):
        ia.save(path, extreme_array("int16", (2, 8, 8), seed=5))
    assert (path.read_bytes(), path.with_suffix(".json").read_bytes()) == before
    assert leftovers(tmp_path) == []


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=1, max_dims=4, max_side=5)))
def test_any_array_round_trips(tmp_path_factory, array):
    if array.dtype.kind not in "biufc":
        return
    path = ia.save(tmp_path_factory.mktemp("h") / "a.bin", array)
    assert_identical(array, ia.load(path))


# --- CalSciPy --------------------------------------------------------------


def test_calscipy_written_binary_loads(tmp_path):
    folder = tmp_path / "session 1 - mouse-a"
    folder.mkdir()
    images = extreme_array("uint16", (5, 6, 7))
    images.tofile(folder / "binary_video.bin")
    (folder / "binary_video.json").write_text(json.dumps({"frames": 5, "y": 6, "x": 7, "dtype": "uint16"}))
    assert_identical(images, ia.load(folder))
    assert_identical(images, load_binary(folder))
    assert_identical(images, np.asarray(load_binary(folder / "binary_video", mapped=True)))
    (folder / "binary_video.json").unlink()
    assert_identical(images, load_binary(folder / "binary_video.bin",
                                         missing_metadata={"frames": 5, "y": 6, "dtype": np.uint16}))


def test_save_binary_writes_what_calscipy_reads(tmp_path):
    images = extreme_array("uint32", (3, 4, 5))
    path = save_binary(tmp_path / "out dir", images)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert set(meta) == {"frames", "y", "x", "dtype"}
    # CalSciPy's reader: np.fromfile with the dtype, reshaped to (frames, y, x)
    back = np.fromfile(path, dtype=meta["dtype"]).reshape(meta["frames"], meta["y"], meta["x"])
    assert_identical(images, back)


@pytest.mark.parametrize("dtype", ["uint32", "int8", "float64", "bool"])
def test_save_images_keeps_what_calscipy_loses(tmp_path, dtype):
    images = extreme_array(dtype, (4, 6, 5))
    save_images(tmp_path / "run", images, name="stack")
    assert_identical(images, load_images(tmp_path / "run" / "stack.tif"))


def test_save_images_splits_at_size_cap(tmp_path, labels):
    save_images(tmp_path / "big.tif", labels, size_cap=labels[0].nbytes * 2 / 1e9)
    parts = sorted(p.name for p in (tmp_path / "big").iterdir())
    assert parts == ["big_00000.tif", "big_00001.tif"]
    assert_identical(labels, load_images(tmp_path / "big"))


# --- each data file owns its sidecar --------------------------------------


def test_a_sidecar_belongs_to_one_data_file(tmp_path):
    first = np.arange(6, dtype=np.uint8).reshape(2, 3)
    path = ia.save(tmp_path / "scan.raw", first)
    assert json.loads(path.with_suffix(".json").read_text())["data_file"] == "scan.raw"
    with pytest.raises(TargetError, match=r"scan\.raw") as caught:
        ia.save(tmp_path / "scan.bin", first * 2)  # would take scan.raw's sidecar
    assert caught.value.hint and not (tmp_path / "scan.bin").exists()
    assert_identical(first, ia.load(path))
    ia.save(path, first + 1)  # its own file: replaced as before
    assert_identical(first + 1, ia.load(path))


def test_loading_through_another_files_sidecar_is_refused(tmp_path):
    path = ia.save(tmp_path / "scan.raw", np.zeros((2, 3), np.uint8))
    path.with_suffix(".bin").write_bytes(bytes(6))  # same size: only the recorded name tells them apart
    with pytest.raises(SidecarError, match=r"describes scan\.raw, not scan\.bin") as caught:
        ia.load(tmp_path / "scan.bin")
    assert caught.value.hint


def test_a_json_that_is_no_sidecar_is_not_overwritten(tmp_path):
    (tmp_path / "settings.json").write_text('{"lens": "20x"}')
    with pytest.raises(TargetError, match="not a sidecar"):
        ia.save(tmp_path / "settings.bin", np.zeros((2, 3), np.uint8))
    assert (tmp_path / "settings.json").read_text() == '{"lens": "20x"}'


def test_metaimage_and_raw_do_not_take_each_others_data_file(tmp_path):
    pytest.importorskip("SimpleITK")
    data = np.arange(12, dtype=np.uint16).reshape(3, 4)
    ia.save(tmp_path / "s.raw", data * 10)
    with pytest.raises(TargetError, match=r"s\.raw") as caught:
        ia.save(tmp_path / "s.mhd", data)  # its data file s.raw is the imarray raw's
    assert caught.value.hint
    assert_identical(data * 10, ia.load(tmp_path / "s.raw"))
    other = tmp_path / "o"
    other.mkdir()
    ia.save(other / "v.mhd", data)
    with pytest.raises(TargetError, match=r"v\.mhd"):
        ia.save(other / "v.raw", data * 3)  # v.raw is v.mhd's pixels
    assert_identical(data, ia.load(other / "v.mhd"))
    ia.save(other / "v.mhd", data + 1)  # the .mhd replaces its own data file
    assert_identical(data + 1, ia.load(other / "v.mhd"))


def test_calscipy_layout_still_reads_and_writes_with_exactly_its_keys(tmp_path):
    images = extreme_array("uint16", (3, 4, 5))
    path = save_binary(tmp_path, images)
    assert path.name == "binary_video.bin"
    assert set(json.loads(path.with_suffix(".json").read_text())) == {"frames", "y", "x", "dtype"}
    again = save_binary(tmp_path, images + 1)  # replacing its own CalSciPy pair is allowed
    assert_identical(images + 1, load_binary(again))
    assert_identical(images + 1, ia.load(tmp_path / "binary_video.bin"))


def test_save_images_split_into_a_named_folder_loads_from_that_folder(tmp_path, labels):
    written = save_images(tmp_path / "cap", labels, name="cap", size_cap=labels[0].nbytes * 2 / 1e9)
    assert written == tmp_path / "cap" / "cap"
    assert_identical(labels, load_images(tmp_path / "cap"))
    save_images(tmp_path / "run", labels, name="stack", size_cap=labels[0].nbytes / 1e9)
    assert_identical(labels, load_images(tmp_path / "run"))
    save_images(tmp_path / "run", labels[:2], name="other", size_cap=labels[0].nbytes / 1e9)
    with pytest.raises(ImageFileNotFoundError, match=r"other, stack"):
        load_images(tmp_path / "run")  # two series: which one is meant is the caller's to say


@pytest.mark.parametrize(("key", "value", "match"), [("byte_order", "middle", "byte_order"),
                                                       ("axes", "abcdef", "axes"), ("axes", "zy", "axes")])
def test_sidecar_byte_order_and_axes_are_checked(tmp_path, key, value, match):
    path = ia.save(tmp_path / "s.bin", np.zeros((2, 3, 4), np.uint8))
    sidecar = path.with_suffix(".json")
    sidecar.write_text(json.dumps({**json.loads(sidecar.read_text()), key: value}))
    for call in (ia.info, ia.load, ia.read):
        with pytest.raises(SidecarError, match=match):
            call(path)


def test_calscipy_load_binary_refuses_bad_modes_and_dtypes(tmp_path):
    path = save_binary(tmp_path, np.arange(24, dtype=np.uint16).reshape(2, 3, 4))
    before = path.read_bytes()
    for mode in ("zz", "w+"):  # w+ would zero the file it maps
        with pytest.raises(InvalidOptionError, match="mode") as caught:
            load_binary(path, mapped=True, mode=mode)
        assert caught.value.hint
    assert path.read_bytes() == before
    path.with_suffix(".json").unlink()
    with pytest.raises(UnsupportedDtypeError, match="bogus"):
        load_binary(path, missing_metadata={"frames": 2, "y": 3, "dtype": "bogus"})


def test_partial_writes_are_continued_until_every_byte_is_written(tmp_path):
    """An unbuffered write may take fewer bytes than asked (Linux stops near 2 GiB a call); none may be lost."""
    import io

    from imarray.formats.raw import _write_all

    class ShortWrites(io.FileIO):
        def write(self, data):
            return super().write(memoryview(data)[:1000])

    payload = np.arange(10_000, dtype=np.uint32)
    with ShortWrites(tmp_path / "short.bin", "wb") as handle:
        _write_all(handle, memoryview(payload.view(np.uint8)))
    assert np.array_equal(np.fromfile(tmp_path / "short.bin", dtype=np.uint32), payload)
