"""A folder's TIFF slices read from the first slice's layout (formats/_tiff_layout.py), and every way out of it.

Each slice is read straight from its strips only when its header says what the
first one's says; any other slice goes through the full TIFF reader, with its
checks, warnings and errors. Folders written by tifffile, Pillow and imarray
itself, in the test session, are loaded and compared with tifffile's own reading.
"""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

import imarray as ia
from imarray.errors import CorruptFileError, ImarrayError
from imarray.formats import _tiff_layout as layout_module
from imarray.formats.folder import MixedGeometryWarning

from helpers import assert_identical, extreme_array


@pytest.fixture
def fast_reads(monkeypatch):
    """Which slices read_like took (True) and handed to the full reader (False), in file order."""
    taken: dict[str, bool] = {}
    real = layout_module.read_like

    def counting(layout, path, out):
        taken[str(path)] = real(layout, path, out)
        return taken[str(path)]

    from imarray.formats import tiff

    monkeypatch.setattr(tiff, "read_like", counting)

    class Taken:
        def __eq__(self, expected: object) -> bool:
            return [taken[name] for name in sorted(taken)] == expected

        def __repr__(self) -> str:
            return repr(dict(sorted(taken.items())))

    return Taken()


def _slices(folder, stack, **options):
    folder.mkdir()
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"slice_{index:03d}.tif", plane, **options)
    return folder


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint16", "float32", "float64", "int64", "complex64"])
def test_tifffile_slices_are_read_from_the_first_ones_layout(tmp_path, dtype, fast_reads):
    stack = extreme_array(dtype, (6, 9, 7))
    folder = _slices(tmp_path / "s", stack)
    assert_identical(ia.load(folder), stack)
    assert fast_reads == [True] * 6


def test_rgb_slices_and_strips_split_in_many_rows(tmp_path, fast_reads):
    stack = np.random.default_rng(1).integers(0, 256, (4, 33, 17, 3), dtype=np.uint8)
    folder = _slices(tmp_path / "s", stack, rowsperstrip=5)
    assert_identical(ia.load(folder), stack)
    assert fast_reads == [True] * 4


def test_a_date_and_a_program_name_that_differ_are_not_the_pixels(tmp_path, fast_reads):
    stack = extreme_array("uint16", (3, 8, 8))
    folder = tmp_path / "s"
    folder.mkdir()
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"s_{index}.tif", plane, datetime=f"2026:12:0{index + 1} 10:00:00",
                         software=f"scope v{index}")
    assert_identical(ia.load(folder), stack)
    assert fast_reads == [True] * 3


def test_imagej_display_ranges_that_differ_per_slice_are_not_the_pixels(tmp_path, fast_reads):
    stack = np.stack([np.full((6, 5), 10 * index, np.uint16) for index in range(4)])
    folder = tmp_path / "s"
    folder.mkdir()
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"s_{index}.tif", plane, imagej=True, resolution=(2.0, 2.0),
                         metadata={"unit": "um", "min": float(plane.min()), "max": float(plane.max())})
    image = ia.read(folder)
    assert_identical(image.array, stack)
    assert image.spacing[1:] == (0.5, 0.5) and fast_reads == [True] * 4


def test_a_slice_of_other_resolution_goes_to_the_full_reader_and_warns(tmp_path, fast_reads):
    folder = tmp_path / "s"
    folder.mkdir()
    for index in range(4):
        spacing = 0.5 if index != 2 else 0.25
        ia.write(folder / f"s_{index}.tif", ia.Image.from_array(np.full((4, 5), index, np.uint16), spacing=spacing,
                                                                units="um"))
    with pytest.warns(MixedGeometryWarning, match=r"s_2\.tif records spacing"):
        image = ia.read(folder)
    assert image.spacing[1:] == (0.5, 0.5) and [int(p[0, 0]) for p in image.array] == [0, 1, 2, 3]
    assert fast_reads == [True, True, False, True]


@pytest.mark.parametrize("odd", ["compressed", "big-endian", "two pages", "pillow"])
def test_slices_laid_out_otherwise_go_to_the_full_reader(tmp_path, odd, fast_reads):
    stack = extreme_array("uint16", (4, 10, 6))
    folder = _slices(tmp_path / "s", stack)
    path = folder / "slice_002.tif"
    if odd == "compressed":
        tifffile.imwrite(path, stack[2], compression="zlib")
    elif odd == "big-endian":
        tifffile.imwrite(path, stack[2], byteorder=">")
    elif odd == "pillow":  # the page after the pixels, Pillow's own tags
        PILImage.fromarray(stack[2]).save(path)
    else:
        tifffile.imwrite(path, np.stack([stack[2], stack[2]]))
    if odd == "two pages":  # then a folder of stacks: planned again from every header, read by the full reader
        assert_identical(ia.load(folder), np.concatenate([stack[:3], stack[2:]]))
        return
    assert_identical(ia.load(folder), stack)
    assert fast_reads == [True, True, False, True]


def test_a_first_slice_of_another_layout_reads_every_slice_with_the_full_reader(tmp_path, fast_reads):
    stack = extreme_array("uint16", (3, 10, 6))
    folder = _slices(tmp_path / "s", stack, compression="zlib")
    assert_identical(ia.load(folder), stack)
    assert fast_reads == []


@pytest.mark.parametrize("cut", [100, 130, 180])
def test_a_cut_slice_with_the_same_header_is_refused_by_name(tmp_path, cut, fast_reads):
    stack = extreme_array("uint16", (3, 10, 6))
    folder = _slices(tmp_path / "s", stack)
    damaged = folder / "slice_001.tif"
    data = damaged.read_bytes()
    damaged.write_bytes(data[: len(data) - cut])
    with pytest.raises(CorruptFileError, match="slice_001") as caught:
        ia.load(folder)
    assert "truncated" in str(caught.value) or "ended" in str(caught.value)


def test_a_lazy_folder_reads_its_chunks_from_the_first_slices_layout(tmp_path, fast_reads):
    dask = pytest.importorskip("dask")
    stack = extreme_array("float32", (7, 12, 5))
    folder = _slices(tmp_path / "s", stack)
    with dask.config.set(scheduler="synchronous"):
        assert_identical(ia.load(folder, lazy=True).compute(), stack)
    assert fast_reads == [True] * 7


@settings(max_examples=25, deadline=None)
@given(
    dtype=st.sampled_from(["uint8", "int8", "uint16", "int32", "float32", "float64"]),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 40), st.integers(1, 40)),
    rows=st.integers(1, 41),
    bigtiff=st.booleans(),
    damage=st.one_of(st.none(), st.integers(0, 400)),
)
def test_any_slices_read_as_tifffile_reads_them_or_the_damage_is_named(tmp_path_factory, dtype, shape, rows, bigtiff,
                                                                       damage):
    folder = tmp_path_factory.mktemp("slices")
    stack = np.random.default_rng(sum(shape)).integers(0, 100, shape).astype(dtype)
    for index, plane in enumerate(stack):
        tifffile.imwrite(folder / f"s_{index}.tif", plane, rowsperstrip=rows, bigtiff=bigtiff)
    if damage is None:
        assert_identical(ia.load(folder), stack)
        return
    path = folder / f"s_{len(stack) - 1}.tif"  # the last slice: its header was read when planning, then cut
    data = bytearray(path.read_bytes())
    data[damage % len(data)] ^= 0xFF
    path.write_bytes(bytes(data))
    try:
        expected = np.stack([tifffile.imread(p) for p in sorted(folder.glob("*.tif"), key=lambda p: int(p.stem[2:]))])
    except Exception:  # tifffile refuses the damage (or reads another shape): imarray must refuse it
        with pytest.raises(ImarrayError):
            ia.load(folder)
        return
    try:
        loaded = ia.load(folder)
    except ImarrayError as error:
        assert "s_" in str(error)  # refused, naming a file: imarray checks more than tifffile does
        return
    assert_identical(loaded, expected)
