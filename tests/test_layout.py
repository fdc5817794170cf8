"""Layout classes from strides, and what a dense consumer must copy for each."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import imarray as ia
from imarray import Image
from imarray.layout import LayoutKind, classify, dense_planes, dense_volume

from helpers import assert_identical

BASE = np.arange(6 * 8 * 10, dtype=np.uint16).reshape(6, 8, 10)
RGB = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
PADDED_ROWS = Image.from_buffer(bytearray(6 * 8 * 32), (6, 8, 10), np.uint16, row_stride=32).array
PADDED_PLANES = Image.from_buffer(bytearray(6 * 200), (6, 8, 10), np.uint16, plane_stride=200).array


def copied_bytes(array: np.ndarray) -> int:
    return sum(plane.nbytes for plane in dense_planes(array) if not np.shares_memory(plane, array))


# (name, array, kind, planes in place)
LAYOUTS = [
    ("contiguous 3D", BASE, LayoutKind.CONTIGUOUS, True),
    ("contiguous 2D", BASE[0], LayoutKind.CONTIGUOUS, True),
    ("empty", BASE[:0], LayoutKind.CONTIGUOUS, True),
    ("Fortran order", np.asfortranarray(BASE), LayoutKind.PERMUTED, False),
    ("y and x swapped", BASE.transpose(0, 2, 1), LayoutKind.PERMUTED, False),
    ("every other plane", BASE[::2], LayoutKind.PLANE_PADDED, True),
    ("planes reversed", BASE[::-1], LayoutKind.PLANE_PADDED, True),
    ("planes padded (buffer)", PADDED_PLANES, LayoutKind.PLANE_PADDED, True),
    ("rows cropped", BASE[:, :, :7], LayoutKind.ROW_PADDED, False),
    ("rows padded (buffer)", PADDED_ROWS, LayoutKind.ROW_PADDED, False),
    ("every other row", BASE[:, ::2, :], LayoutKind.ROW_PADDED, False),
    ("one channel of RGB", RGB[..., 0], LayoutKind.INTERLEAVED, False),
    ("every other column", BASE[:, :, ::2], LayoutKind.INTERLEAVED, False),
    ("rows reversed", BASE[:, ::-1, :], LayoutKind.INTERLEAVED, False),
    ("one plane broadcast to a stack", np.broadcast_to(BASE[0], (6, 8, 10)), LayoutKind.BROADCAST, True),
    ("one row broadcast to a plane", np.broadcast_to(BASE[0, 0], (6, 8, 10)), LayoutKind.BROADCAST, False),
    ("outer axes swapped", BASE.reshape(2, 3, 8, 10).transpose(1, 0, 2, 3), LayoutKind.PERMUTED, True),
]


@pytest.mark.parametrize(("name", "array", "kind", "in_place"), LAYOUTS, ids=[row[0] for row in LAYOUTS])
def test_layout_table(name, array, kind, in_place):
    layout = classify(array)
    assert layout.kind is kind
    assert layout.planes_in_place is in_place
    planes = list(dense_planes(array))
    assert all(p.flags.c_contiguous for p in planes)
    assert_identical(np.stack(planes).reshape(array.shape) if planes else array, array)
    assert copied_bytes(array) == (0 if in_place else array.nbytes)
    assert layout.plane_copy_bytes == (0 if in_place else array.shape[-1] * array.shape[-2] * array.itemsize)
    dense = dense_volume(array)
    assert dense.flags.c_contiguous and np.array_equal(dense, array)
    assert (dense is array) == (kind is LayoutKind.CONTIGUOUS)


def test_permuted_arrays_relabel_without_copy():
    fortran = np.asfortranarray(BASE)
    layout = classify(fortran)
    view = fortran.transpose(layout.order)
    assert view.flags.c_contiguous and np.shares_memory(view, fortran)


@settings(max_examples=150, deadline=None)
@given(
    shape=st.tuples(*[st.integers(1, 5)] * 3),
    steps=st.tuples(*[st.sampled_from([1, 2, -1])] * 3),
    crop=st.booleans(),
    transpose=st.permutations([0, 1, 2]),
)
def test_classification_claims_hold(shape, steps, crop, transpose):
    base = np.zeros(tuple(s * 2 for s in shape), np.int32)
    array = base[tuple(slice(None, None, step) for step in steps)]
    if crop:
        array = array[..., : max(1, array.shape[-1] - 1)]
    array = array.transpose(transpose)
    layout = classify(array)
    assert (layout.kind is LayoutKind.CONTIGUOUS) == (array.flags.c_contiguous or array.size == 0)
    if layout.kind is LayoutKind.PERMUTED:
        assert array.transpose(layout.order).flags.c_contiguous
    if layout.planes_in_place:
        assert copied_bytes(array) == 0
    assert np.array_equal(dense_volume(array), array)


@pytest.mark.parametrize("name", ["padded.tif", "padded.bin"])
def test_writing_a_row_padded_volume_costs_about_one_plane(tmp_path, name):
    planes, rows, columns, padded = 40, 256, 250, 256
    buffer = np.zeros(planes * rows * padded, np.uint16)
    padded_volume = Image.from_buffer(buffer, (planes, rows, columns), np.uint16, row_stride=padded * 2).array
    padded_volume[...] = np.arange(columns, dtype=np.uint16)
    plane_bytes = rows * columns * 2
    ia.save(tmp_path / f"warm-up{name}", padded_volume[:1, :2], durable=False)  # imports outside the measure
    tracemalloc.start()
    try:
        ia.save(tmp_path / name, padded_volume, durable=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * plane_bytes, (peak, plane_bytes)
    assert_identical(ia.load(tmp_path / name), np.ascontiguousarray(padded_volume))


@pytest.mark.parametrize(("name", "options"), [("z.tif", {"compression": "zlib"}), ("c.bin", {"checksum": True})])
def test_plane_by_plane_writes_stay_exact(tmp_path, name, options):
    rng = np.random.default_rng(5)
    base = rng.integers(0, 2**16, (30, 64, 80), dtype=np.uint16)
    cropped = base[:, :, :77]  # row-padded: every plane goes through the reused buffer
    ia.save(tmp_path / name, cropped, **options)
    assert_identical(ia.load(tmp_path / name, **({"verify": True} if name.endswith(".bin") else {})),
                     np.ascontiguousarray(cropped))
