"""Pyramids and series: pyramid= on OME-TIFF writes (SubIFDs), level= and series= on reads, lazily too."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray.errors import InvalidOptionError

from helpers import assert_identical

STACK = (np.arange(2 * 600 * 500) % 65521).astype(np.uint16).reshape(2, 600, 500)


@pytest.fixture
def image():
    return ia.Image.from_array(STACK, axes="zyx", spacing=(2.0, 0.5, 0.5), units="um")


def test_ome_tiff_pyramid_levels_read_back_with_their_spacing(tmp_path, image):
    written = ia.write(tmp_path / "p.ome.tif", image, pyramid=True)
    described = ia.info(written)
    assert described.metadata["level_shapes"] == [[2, 600, 500], [2, 300, 250], [2, 150, 125]]
    assert_identical(STACK, ia.load(written))
    for level in (1, 2):
        step = 2**level
        assert_identical(STACK[:, ::step, ::step], tifffile.imread(written, level=level))  # an independent reader
        back = ia.read(written, level=level)
        assert back.spacing == (2.0, 0.5 * step, 0.5 * step)
        assert_identical(STACK[:, ::step, ::step], back.array)
        assert_identical(STACK[:, ::step, ::step], ia.load(written, level=level, lazy=True).compute())
    assert ia.info(written, level=2).shape == (2, 150, 125)


def test_a_lazy_image_streams_into_a_pyramid(tmp_path):
    da = pytest.importorskip("dask.array")
    written = ia.save(tmp_path / "p.ome.tif", da.from_array(STACK, chunks=(1, 600, 500)), pyramid=2, axes="zyx")
    assert_identical(STACK[:, ::2, ::2], ia.load(written, level=1))


def test_ome_zarr_levels(tmp_path, image):
    pytest.importorskip("zarr")
    written = ia.write(tmp_path / "p.ome.zarr", image, pyramid=3)
    level = ia.read(written, level=2)
    assert level.spacing == (8.0, 2.0, 2.0) and level.shape == (1, 150, 125)
    assert_identical(ia.load(written, level=1), ia.load(written, level=1, lazy=True).compute())


def test_a_series_of_a_multi_series_tiff_is_chosen(tmp_path):
    first, second = STACK[0, :8, :9], STACK[1, :5, :4]
    with tifffile.TiffWriter(tmp_path / "two.tif") as tif:
        tif.write(first, metadata=None)
        tif.write(second, metadata=None)
    assert ia.info(tmp_path / "two.tif").metadata["series_shapes"] == [[8, 9], [5, 4]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a chosen series is no surprise: no MultiSeriesWarning
        assert_identical(second, ia.load(tmp_path / "two.tif", series=1))
    assert ia.info(tmp_path / "two.tif", series=1).shape == (5, 4)


def test_levels_and_series_that_do_not_exist_are_refused(tmp_path, image):
    written = ia.write(tmp_path / "p.ome.tif", image, pyramid=2)
    with pytest.raises(InvalidOptionError, match=r"level=5: the series holds 2 pyramid level\(s\)"):
        ia.load(written, level=5)
    with pytest.raises(InvalidOptionError, match="series=3"):
        ia.load(written, series=3)
    png = ia.save(tmp_path / "a.png", STACK[0, :4, :4].astype(np.uint8))
    with pytest.raises(TypeError, match="png takes none"):
        ia.load(png, level=1)
    with pytest.raises(TypeError, match="tiff takes no pyramid="):
        ia.save(tmp_path / "b.tif", STACK, pyramid=True)
