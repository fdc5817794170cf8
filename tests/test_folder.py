"""Folders of slices and stacks, and size-capped series."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray.errors import CorruptFileError, FormatNotFoundError, ImageFileNotFoundError, UnsupportedDtypeError

from helpers import as_nobody, assert_identical, extreme_array, leftovers


def test_slices_load_in_natural_order(tmp_path, labels):
    folder = tmp_path / "slices"
    folder.mkdir()
    for i, plane in enumerate(labels):
        tifffile.imwrite(folder / f"slice_{i * 5}.tif", plane)  # slice_0, slice_5, slice_10, slice_15
    (folder / "notes.txt").write_text("acquisition notes are not an image")
    (folder / ".hidden.tif").write_bytes(b"not even a tiff")
    assert_identical(labels, ia.load(folder))
    info = ia.info(folder)
    assert info.shape == labels.shape and len(info.files) == 4
    assert [p.name for p in info.files] == ["slice_0.tif", "slice_5.tif", "slice_10.tif", "slice_15.tif"]


def test_folder_of_stacks_concatenates(tmp_path):
    stack = extreme_array("float32", (7, 9, 11))
    folder = tmp_path / "stacks"
    folder.mkdir()
    tifffile.imwrite(folder / "part_1.tif", stack[:3], photometric="minisblack")
    tifffile.imwrite(folder / "part_2.tif", stack[3:4], photometric="minisblack")
    tifffile.imwrite(folder / "part_10.tif", stack[4:], photometric="minisblack")
    assert_identical(stack, ia.load(folder))


def test_mixed_shapes_name_the_odd_file(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    tifffile.imwrite(folder / "a_1.tif", np.zeros((8, 8), np.uint16))
    tifffile.imwrite(folder / "a_2.tif", np.zeros((8, 9), np.uint16))
    with pytest.raises(CorruptFileError, match=r"a_2\.tif"):
        ia.load(folder)


def test_mixed_dtypes_name_the_odd_file(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    tifffile.imwrite(folder / "a_1.tif", np.zeros((8, 8), np.uint16))
    tifffile.imwrite(folder / "a_2.tif", np.zeros((8, 8), np.uint8))
    with pytest.raises(CorruptFileError, match=r"a_2\.tif holds uint8"):
        ia.info(folder)


def test_empty_folder_and_mixed_formats(tmp_path):
    with pytest.raises(ImageFileNotFoundError):
        ia.load(tmp_path)
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((4, 4), np.uint8))
    ia.save(tmp_path / "b.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(FormatNotFoundError, match="mixes formats"):
        ia.load(tmp_path)


def test_size_capped_series_round_trips(tmp_path, labels):
    folder = ia.save(tmp_path / "labels.tif", labels, size_cap=labels[0].nbytes * 2)
    assert folder == tmp_path / "labels"
    assert sorted(p.name for p in folder.iterdir()) == ["labels_00000.tif", "labels_00001.tif"]
    assert_identical(labels, ia.load(folder))
    info = ia.info(folder)
    assert info.shape == labels.shape and len(info.files) == 2


def test_series_replaces_a_longer_previous_series(tmp_path):
    big = extreme_array("uint16", (10, 8, 8))
    ia.save(tmp_path / "s.tif", big, size_cap=big[0].nbytes)  # ten parts
    small = extreme_array("uint16", (4, 8, 8), seed=3)
    folder = ia.save(tmp_path / "s.tif", small, size_cap=big[0].nbytes * 2)  # two parts
    assert sorted(p.name for p in folder.iterdir()) == ["s_00000.tif", "s_00001.tif"]
    assert_identical(small, ia.load(folder))


def test_series_size_cap_accepts_text(tmp_path):
    stack = extreme_array("uint8", (6, 100, 100))
    folder = ia.save(tmp_path / "t.tif", stack, size_cap="20kB")
    assert len(list(folder.iterdir())) == 3
    assert_identical(stack, ia.load(folder))


def test_series_of_a_2d_image_is_refused(tmp_path):
    with pytest.raises(UnsupportedDtypeError, match="cannot be split"):
        ia.save(tmp_path / "p.tif", np.zeros((4, 4), np.uint8), size_cap=10)


def test_failed_series_write_leaves_previous_series(tmp_path, monkeypatch):
    old = extreme_array("uint16", (4, 8, 8))
    folder = ia.save(tmp_path / "s.tif", old, size_cap=old[0].nbytes)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    from imarray.formats import tiff

    real = tiff.write
    calls = {"n": 0}

    def third_part_fails(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("simulated crash on part 3")
        return real(*args, **kwargs)

    monkeypatch.setattr(tiff, "write", third_part_fails)
    with pytest.raises(OSError, match="simulated"):
        ia.save(tmp_path / "s.tif", extreme_array("uint16", (4, 8, 8), seed=9), size_cap=old[0].nbytes)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_series_load_peak_memory_is_about_the_data(tmp_path):
    """Measured in a fresh process: peak RSS growth while loading a 64 MB series."""
    stack = np.random.default_rng(0).integers(0, 2**16, (64, 512, 1024), dtype=np.uint16)
    folder = ia.save(tmp_path / "big.tif", stack, size_cap=stack.nbytes // 8)
    del stack
    script = f"""
import json, numpy, imarray, imarray.api, imarray.formats.tiff, imarray.formats.folder
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM'):
            return int(line.split()[1]) * 1024
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) * 1024
base = rss()
a = imarray.load({str(folder)!r})
print(json.dumps({{"base": base, "peak": hwm(), "nbytes": a.nbytes}}))
"""
    result = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                       check=True).stdout)
    growth = result["peak"] - result["base"]
    assert growth < 1.2 * result["nbytes"], result


def test_uniform_folder_opens_each_file_once(tmp_path, monkeypatch):
    stack = extreme_array("uint16", (12, 5, 7))
    for index, plane in enumerate(stack):
        tifffile.imwrite(tmp_path / f"s_{index}.tif", plane)
    opened = []
    real_init = tifffile.TiffFile.__init__

    def counting_init(self, arg, *args, **kwargs):
        opened.append(str(arg))
        real_init(self, arg, *args, **kwargs)

    monkeypatch.setattr(tifffile.TiffFile, "__init__", counting_init)
    assert_identical(ia.load(tmp_path), stack)
    assert len(opened) <= len(stack) + 2  # first and last headers, then one open per file


@pytest.mark.parametrize("counts", [(3, 1, 3), (2, 3, 3), (1, 1, 2)])
def test_stacks_of_differing_lengths_fall_back_to_planning(tmp_path, counts):
    stack = extreme_array("int16", (sum(counts), 4, 6))
    start = 0
    for index, count in enumerate(counts):
        tifffile.imwrite(tmp_path / f"part_{index}.tif", stack[start : start + count], photometric="minisblack")
        start += count
    assert_identical(ia.load(tmp_path), stack)


def test_folder_of_one_mhd_and_its_raw_is_one_image(tmp_path):
    pytest.importorskip("SimpleITK")
    volume = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
    ia.save(tmp_path / "vol" / "scan.mhd", volume)
    assert sorted(p.name for p in (tmp_path / "vol").iterdir()) == ["scan.mhd", "scan.raw"]
    assert_identical(volume, ia.load(tmp_path / "vol"))
    assert ia.info(tmp_path / "vol").shape == (3, 4, 5)
    ia.save(tmp_path / "vol" / "extra.bin", volume)  # a raw binary of its own: a real mix
    with pytest.raises(FormatNotFoundError, match="mixes formats"):
        ia.load(tmp_path / "vol")


def test_unreadable_file_in_a_folder_is_named_as_unreadable_not_damaged(tmp_path):
    import shutil
    import tempfile

    nobody = as_nobody()
    folder = Path(tempfile.mkdtemp(prefix="imarray-perm-"))
    try:
        folder.chmod(0o755)
        for i in range(3):
            ia.save(folder / f"s{i}.tif", np.full((4, 4), i, np.uint8)).chmod(0o644)
        (folder / "s1.tif").chmod(0o600)
        code = ("import imarray as ia, sys\n"
                "try:\n    ia.load(sys.argv[1])\n"
                "except Exception as e:\n    print(type(e).__name__, e)\n")
        result = subprocess.run([*nobody, sys.executable, "-c",
                                 code, str(folder)], capture_output=True, text=True, timeout=120)
        assert "ImageFileNotFoundError" in result.stdout and "s1.tif" in result.stdout, result.stdout + result.stderr
        assert "permission denied" in result.stdout and "damaged" not in result.stdout
    finally:
        shutil.rmtree(folder)


def test_size_capped_series_keeps_kind_and_geometry(tmp_path, labels):
    image = ia.Image.from_label_array(labels, spacing=(2.0, 0.5, 0.5), units="um")
    folder = ia.write(tmp_path / "ser.tif", image, size_cap="3000B")
    assert len(list(folder.iterdir())) > 1
    back = ia.read(folder)
    assert back.kind == "label"
    assert back.axes == "zyx"
    assert back.spacing == pytest.approx((2.0, 0.5, 0.5))
    assert ia.info(folder).metadata["kind"] == "label"


def test_slices_with_different_geometry_warn_and_take_the_first(tmp_path):
    from imarray.formats.folder import MixedGeometryWarning

    for index in range(4):
        spacing, units = ((0.5, 0.25), "um") if index < 2 else ((0.7, 0.7), "mm")
        ia.write(tmp_path / f"s_{index}.ome.tif",
                 ia.Image.from_array(np.full((4, 5), index, np.uint16), spacing=spacing, units=units))
    with pytest.warns(MixedGeometryWarning, match=r"s_2\.ome\.tif records spacing"):
        image = ia.read(tmp_path)
    assert image.spacing == (1.0, 0.5, 0.25) and image.units == (None, "um", "um")


def test_a_size_cap_below_one_frame_is_refused_and_a_failed_series_leaves_no_folder(tmp_path):
    from imarray.errors import InvalidOptionError, LossyCastError

    stack = np.arange(16 * 10 * 10, dtype=np.uint16).reshape(16, 10, 10)
    with pytest.raises(InvalidOptionError, match="less than one frame"):
        ia.save(tmp_path / "cap.tif", stack, size_cap=100)
    with pytest.raises(LossyCastError):
        ia.save(tmp_path / "cap.tif", stack, size_cap=800, dtype="uint8")
    assert list(tmp_path.iterdir()) == []


def test_a_series_is_not_written_into_a_folder_holding_other_images(tmp_path):
    from imarray.errors import TargetError

    stack = np.arange(6 * 4 * 5, dtype=np.uint16).reshape(6, 4, 5)
    first = ia.save(tmp_path / "cap.tif", stack, size_cap=2 * stack[0].nbytes)
    (first / "notes.txt").write_text("not an image: ignored")
    with pytest.raises(TargetError, match="other file") as caught:
        ia.save(tmp_path / "cap.ome.tif", stack, size_cap=2 * stack[0].nbytes)  # the same folder, cap/
    assert caught.value.path == str(first)
    assert_identical(stack, ia.load(first))
    assert_identical(stack[:4], ia.load(ia.save(tmp_path / "cap.tif", stack[:4], size_cap=2 * stack[0].nbytes)))


def test_the_current_folder_loads_by_its_dot(tmp_path, monkeypatch):
    stack = extreme_array("uint16", (3, 4, 5))
    for index, plane in enumerate(stack):
        tifffile.imwrite(tmp_path / f"s_{index}.tif", plane)
    (tmp_path / "inner").mkdir()
    monkeypatch.chdir(tmp_path)
    assert_identical(ia.load("."), stack)
    monkeypatch.chdir(tmp_path / "inner")
    assert_identical(ia.load(".."), stack)
