"""The round-trip matrix: dtype x shape x format, generated from the registry.

Every cell either round-trips bit for bit or raises the declared error and
leaves nothing behind. The expectation comes from the registry's declared
capabilities (``dtypes`` and ``ndim``), not from the writer's own checks.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import imarray as ia
from imarray.errors import UnsupportedDtypeError
from imarray.registry import ALL_DTYPES, FORMATS

from helpers import assert_identical, extreme_array, leftovers

SHAPES = [(5,), (4, 6), (3, 4, 6), (2, 3, 4, 6), (2, 2, 3, 4, 6), (2, 2, 2, 3, 4, 6)]
# the module each extra's formats need
EXTRA_MODULES = {"medical": "SimpleITK", "video": "av", "zarr": "zarr", "dicom": "pydicom"}
LOSSLESS = [spec for spec in FORMATS if not spec.lossy and spec.can("write")]


def _installed(spec) -> bool:
    return spec.extra is None or importlib.util.find_spec(EXTRA_MODULES[spec.extra]) is not None


def _target(tmp_path, spec):
    ext = spec.extensions[0] if spec.extensions else ".tif"
    return tmp_path / f"cell{ext}"


def _holds(spec, shape) -> bool:
    low, high = spec.ndim
    if not low <= len(shape) <= high:
        return False
    # Pillow formats hold 3 dimensions only as colour (last axis 3 or 4), video and GIF hold 4 only
    # as (frames, y, x, 3): the rows' colour_ndim; these shapes end in 6.
    return len(shape) not in spec.colour_ndim


@pytest.mark.parametrize("spec", LOSSLESS, ids=lambda s: s.name)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_cell(tmp_path, spec, shape, dtype):
    if not _installed(spec):
        pytest.skip(f"the {spec.extra} extra is not installed")
    array = extreme_array(dtype, shape)
    target = _target(tmp_path, spec)
    if dtype in spec.dtypes and _holds(spec, shape):
        written = ia.save(target, array, format=spec.name)
        assert_identical(array, ia.load(written))
        info = ia.info(written)
        assert info.shape == shape and info.dtype == dtype
    else:
        with pytest.raises(UnsupportedDtypeError) as caught:
            ia.save(target, array, format=spec.name)
        assert str(target) in str(caught.value)
        assert caught.value.hint
        assert list(tmp_path.iterdir()) == []
    assert leftovers(tmp_path) == []


def test_matrix_covers_every_dtype_somewhere():
    held = {dtype for spec in LOSSLESS for dtype in spec.dtypes}
    assert held == set(ALL_DTYPES)


def test_labels_survive_every_lossless_format_that_holds_uint32(tmp_path, labels):
    for spec in LOSSLESS:
        if "uint32" not in spec.dtypes or not _installed(spec):
            continue
        target = _target(tmp_path, spec)
        assert_identical(labels, ia.load(ia.save(target, labels, format=spec.name)))
        assert np.unique(ia.load(target)).tolist()[:6] == [0, 1, 2, 3, 4, 5]
