"""The dtype promise: exact casts check every value; scaling happens only on request."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from imarray.dtypes import exact_cast, scale_to, smallest_fitting
from imarray.errors import LossyCastError, UnsupportedDtypeError

INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize(
    ("values", "source", "target"),
    [
        ([0, 1, 36, 255], "uint32", "uint8"),
        ([-128, 127], "int64", "int8"),
        ([0.0, 3.0, 65535.0], "float64", "uint16"),
        ([1.5, -0.0, np.inf, np.nan], "float64", "float32"),
        ([2**24], "int64", "float32"),
        ([0, 1], "uint8", "bool"),
        ([1 + 0j, 5 + 0j], "complex128", "uint8"),
    ],
)
def test_exact_casts_that_fit(values, source, target):
    array = np.array(values, dtype=source)
    result = exact_cast(array, target)
    assert result.dtype == np.dtype(target)
    assert np.array_equal(result.astype(source), array, equal_nan=array.dtype.kind in "fc")


@pytest.mark.parametrize(
    ("values", "source", "target", "bad"),
    [
        ([5, 256], "uint32", "uint8", "256"),
        ([-1, 3], "int16", "uint16", "-1"),
        ([1.5], "float64", "int32", "1.5"),
        ([np.nan], "float32", "uint8", "nan"),
        ([np.inf], "float32", "int64", "inf"),
        ([0.1], "float64", "float32", "0.1"),
        ([1e300], "float64", "float32", "1e+300"),
        ([2**24 + 1], "int64", "float32", "16777217"),
        ([0, 2], "uint8", "bool", "2"),
        ([1 + 1j], "complex64", "float32", "(1+1j)"),
    ],
)
def test_lossy_casts_name_the_value_and_index(values, source, target, bad):
    array = np.array(values, dtype=source)
    with pytest.raises(LossyCastError) as caught:
        exact_cast(array, target, path="x.png")
    message = str(caught.value)
    assert bad in message and "index" in message and "x.png" in message
    assert "scale=" in caught.value.hint


def test_negative_zero_survives():
    result = exact_cast(np.array([-0.0], np.float64), "float16")
    assert np.signbit(result[0])


@given(hnp.arrays(st.sampled_from(INTS), hnp.array_shapes(max_dims=3, max_side=6)), st.sampled_from(INTS))
def test_exact_cast_never_changes_a_value(array, target):
    try:
        result = exact_cast(array, target)
    except LossyCastError:
        info = np.iinfo(target)
        assert array.min() < info.min or array.max() > info.max
    else:
        assert np.array_equal(result.astype(np.float64), array.astype(np.float64))
        assert np.array_equal(result.astype(object), array.astype(object))


def test_scale_minmax_and_range():
    data = np.array([[-1.0, 0.0], [1.0, 3.0]])
    out, record = scale_to(data, "uint8", "minmax")
    assert out.tolist() == [[0, 64], [128, 255]]
    assert record.method == "minmax" and record.source_range == (-1.0, 3.0)
    out, _ = scale_to(data, "uint8", (0.0, 1.0))
    assert out.tolist() == [[0, 0], [255, 255]]
    out, _ = scale_to(np.array([-5, 300]), "uint8", "clip")
    assert out.tolist() == [0, 255]
    out, _ = scale_to(np.array([2, 4, 6]), "float32", "minmax")
    assert out.tolist() == [0.0, 0.5, 1.0]


def test_scale_refuses_nan_and_bad_requests():
    with pytest.raises(LossyCastError, match="NaN"):
        scale_to(np.array([np.nan, 1.0]), "uint8", "minmax")
    with pytest.raises(ValueError, match="lo < hi"):
        scale_to(np.array([1.0]), "uint8", (2, 1))
    with pytest.raises(ValueError, match="clip"):
        scale_to(np.array([1.0]), "uint8", "log")
    with pytest.raises(UnsupportedDtypeError):
        scale_to(np.array([1 + 1j]), "uint8", "minmax")


def test_scale_of_a_constant_image_maps_to_the_bottom():
    out, _ = scale_to(np.full((2, 2), 7.0), "uint16", "minmax")
    assert out.tolist() == [[0, 0], [0, 0]]


def test_smallest_fitting():
    assert smallest_fitting(np.array([1, 36], np.uint32), ["bool", "uint8", "uint16"]) == "uint8"
    assert smallest_fitting(np.array([1, 70000], np.uint32), ["uint8", "uint16"]) is None
    assert smallest_fitting(np.array([0.0, 1.0]), ["uint8"]) == "uint8"
    assert smallest_fitting(np.array([0.5]), ["uint8"]) is None
