"""ITK, SimpleITK and xarray: shared pixels where the toolkit allows, geometry in the right order, lifetimes."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from imarray import Geometry, Image
from imarray.errors import AxesError, CopyRequiredError, PixelKindError, UnsupportedDtypeError

from helpers import assert_identical

sitk = pytest.importorskip("SimpleITK")
itk = pytest.importorskip("itk")
xr = pytest.importorskip("xarray")

SPACING = (3.0, 0.5, 0.25)  # numpy (z, y, x)
ORIGIN = (30.0, -20.0, 10.0)
SWAP_ZY = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # numpy order


def volume(dtype="float32", shape=(4, 6, 8)) -> np.ndarray:
    return np.arange(np.prod(shape), dtype=dtype).reshape(shape)


def row_padded(shape=(4, 6, 8), pad=5, dtype="float32") -> np.ndarray:
    planes, rows, columns = shape
    padded = np.zeros((planes, rows, columns + pad), dtype)
    padded[:, :, :columns] = volume(dtype, shape)
    return padded[:, :, :columns]


def geometric(array: np.ndarray) -> Image:
    return Image.from_array(array, spacing=SPACING, origin=ORIGIN, units="mm", direction=SWAP_ZY)


LAYOUTS = {
    "contiguous": lambda: volume(),
    "row-padded": lambda: row_padded(),
    "fortran": lambda: np.asfortranarray(volume()),
    "every other plane": lambda: volume(shape=(8, 6, 8))[::2],
}


# ------------------------------------------------------------------ SimpleITK
@pytest.mark.parametrize("layout", LAYOUTS)
def test_to_sitk_geometry_in_xyz_order(layout):
    array = LAYOUTS[layout]()
    simple = geometric(array).to_sitk()
    assert simple.GetSize() == (8, 6, 4)
    assert simple.GetSpacing() == (0.25, 0.5, 3.0)
    assert simple.GetOrigin() == (10.0, -20.0, 30.0)
    assert simple.GetDirection() == tuple(SWAP_ZY[::-1, ::-1].ravel())
    assert_identical(np.ascontiguousarray(array), sitk.GetArrayFromImage(simple))
    # a point's physical position agrees: index (x=1, y=2, z=3)
    expected = np.array(ORIGIN[::-1]) + SWAP_ZY[::-1, ::-1] @ (np.array([1, 2, 3]) * np.array(SPACING[::-1]))
    np.testing.assert_allclose(simple.TransformIndexToPhysicalPoint((1, 2, 3)), expected)


def test_to_sitk_copies_a_padded_volume_once_without_an_intermediate():
    padded = row_padded((16, 256, 250), pad=6)
    plane = padded.shape[1] * padded.shape[2] * padded.itemsize
    Image.from_array(padded[:1]).to_sitk()  # imports outside the measure
    tracemalloc.start()
    try:
        simple = Image.from_array(padded).to_sitk()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < plane, (peak, plane)  # the only copy is SimpleITK's own buffer
    assert_identical(np.ascontiguousarray(padded), sitk.GetArrayViewFromImage(simple))


def test_to_sitk_keeps_4d_scalar_and_rgb_as_vector():
    movie = np.zeros((2, 3, 4, 5), np.uint16)  # SimpleITK's GetImageFromArray makes this a 3D 5-vector image
    assert sitk.GetImageFromArray(movie).GetNumberOfComponentsPerPixel() == 5
    simple = Image.from_array(movie, axes="tzyx").to_sitk()
    assert simple.GetDimension() == 4 and simple.GetNumberOfComponentsPerPixel() == 1
    rgb = Image.from_rgb_array(np.arange(6 * 5 * 3, dtype=np.uint8).reshape(6, 5, 3)).to_sitk()
    assert rgb.GetDimension() == 2 and rgb.GetNumberOfComponentsPerPixel() == 3
    back = Image.from_sitk(rgb)
    assert back.kind == "rgb" and back.axes == "yxc"


def test_from_sitk_is_a_view_that_keeps_the_image_alive():
    simple = sitk.Image([50, 40, 30], sitk.sitkFloat32)
    simple.SetSpacing((0.25, 0.5, 3.0))
    simple.SetOrigin((10.0, -20.0, 30.0))
    simple.SetDirection(tuple(SWAP_ZY[::-1, ::-1].ravel()))
    simple[1, 2, 3] = 7.0  # (x, y, z)
    img = Image.from_sitk(simple)
    assert img.spacing == SPACING and img.origin == ORIGIN
    np.testing.assert_array_equal(img.direction, SWAP_ZY)
    assert img.at(z=3, y=2, x=1) == 7.0
    img.array[0, 0, 0] = 5.0
    assert simple[0, 0, 0] == 5.0  # the same memory
    del simple
    gc.collect()
    garbage = [np.full(60_000, -1.0, np.float32) for _ in range(50)]
    assert img.array[0, 0, 0] == 5.0 and img.at(z=3, y=2, x=1) == 7.0 and float(img.array.sum()) == 12.0
    assert garbage


def test_from_sitk_survives_simpleitk_copy_on_write():
    simple = sitk.Image([300, 300, 30], sitk.sitkFloat32) + 5.0
    img = Image.from_sitk(simple)
    shallow = sitk.Image(simple)  # shares the buffer until one of them is written
    simple[0, 0, 0] = 1.0  # SimpleITK moves `simple` to a buffer of its own
    assert simple[0, 0, 0] == 1.0 and shallow[0, 0, 0] == 5.0
    del simple, shallow  # holding `simple` alone left the array on freed memory here (a segfault)
    gc.collect()
    garbage = [np.full(300 * 300 * 30, -9.0, np.float32) for _ in range(4)]
    assert float(img.array.min()) == float(img.array.max()) == 5.0 and garbage


def test_sitk_round_trip_keeps_label_kind_and_bool_masks():
    labels = Image.from_label_array(np.arange(12, dtype=np.uint32).reshape(3, 4))
    assert Image.from_sitk(labels.to_sitk()).kind == "label"
    mask = Image.from_binary_array(np.eye(4, dtype=bool))
    simple = mask.to_sitk()
    assert simple.GetPixelIDValue() == sitk.sitkUInt8
    back = Image.from_sitk(simple)
    assert back.kind == "binary" and back.array.tolist() == np.eye(4, dtype=np.uint8).tolist()


def test_sitk_refusals_name_the_fix():
    with pytest.raises(UnsupportedDtypeError) as caught:
        Image.from_array(np.zeros((2, 3), np.float16)).to_sitk()
    assert "float32" in caught.value.hint
    with pytest.raises(AxesError) as caught:
        Image.from_array(np.zeros((2, 3, 4)), axes="qyx").to_sitk()
    assert caught.value.hint


# ------------------------------------------------------------------ ITK
def test_to_itk_of_a_contiguous_array_is_a_view():
    array = volume()
    view = geometric(array).to_itk()
    assert np.shares_memory(itk.array_view_from_image(view), array)
    assert tuple(view.GetSpacing()) == (0.25, 0.5, 3.0)
    assert tuple(view.GetOrigin()) == (10.0, -20.0, 30.0)
    np.testing.assert_array_equal(itk.array_from_matrix(view.GetDirection()), SWAP_ZY[::-1, ::-1])
    array[3, 2, 1] = -1.0
    assert view.GetPixel((1, 2, 3)) == -1.0


@pytest.mark.parametrize("layout", ["row-padded", "fortran", "every other plane"])
def test_to_itk_of_other_layouts_copies_once(layout):
    array = LAYOUTS[layout]()
    Image.from_array(volume()).to_itk()  # imports outside the measure
    tracemalloc.start()
    try:
        view = Image.from_array(array).to_itk()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert array.nbytes <= peak < array.nbytes + 3 * 4096  # one dense copy (page-aligned), never two
    pixels = itk.array_view_from_image(view)
    assert not np.shares_memory(pixels, array)
    assert_identical(np.ascontiguousarray(array), np.asarray(pixels))


@pytest.mark.parametrize("layout", ["contiguous", "row-padded"])
def test_itk_image_stays_valid_after_array_and_image_are_gone(layout):
    array = LAYOUTS[layout]()
    expected = np.ascontiguousarray(array).reshape(2, 2, 3, 2, 4, 2).mean(axis=(1, 3, 5))  # 2x2x2 bins
    img = Image.from_array(array, spacing=SPACING)
    view = img.to_itk()
    del array, img
    gc.collect()
    garbage = [np.full(4 * 6 * 8, -7.0, np.float32) for _ in range(200)]  # reuse any freed memory
    shrink = itk.BinShrinkImageFilter.New(view)
    shrink.SetShrinkFactors(2)
    shrink.Update()
    np.testing.assert_allclose(itk.array_from_image(shrink.GetOutput()), expected)
    assert tuple(shrink.GetOutput().GetSpacing()) == (0.5, 1.0, 6.0) and garbage


class Tracked(np.ndarray):
    """An ndarray that can be watched with a weak reference."""


def test_itk_image_inside_a_filter_keeps_the_pixels_after_its_wrapper_is_gone():
    import weakref

    array = volume(shape=(8, 64, 64)).view(Tracked)
    expected = np.asarray(array).reshape(4, 2, 32, 2, 32, 2).mean(axis=(1, 3, 5))
    alive = weakref.ref(array)
    shrink = itk.BinShrinkImageFilter.New(Image.from_array(array).to_itk())  # the wrapper is a temporary
    shrink.SetShrinkFactors(2)
    del array
    gc.collect()
    assert alive() is not None  # held by the ITK image the filter holds (itk.image_view_from_array: freed)
    garbage = [np.full(8 * 64 * 64, -7.0, np.float32) for _ in range(20)]
    shrink.Update()
    np.testing.assert_allclose(itk.array_from_image(shrink.GetOutput()), expected)
    del shrink
    gc.collect()
    assert alive() is None and garbage  # and released when ITK destroys the image: no leak


def test_from_itk_is_a_view_that_keeps_the_image_alive():
    source = itk.image_from_array(volume())
    source.SetSpacing((0.25, 0.5, 3.0))
    source.SetOrigin((10.0, -20.0, 30.0))
    img = Image.from_itk(source)
    assert img.spacing == SPACING and img.origin == ORIGIN and img.direction is None
    assert np.shares_memory(img.array, itk.array_view_from_image(source))
    del source
    gc.collect()
    garbage = [np.full(4 * 6 * 8, -7.0, np.float32) for _ in range(200)]
    assert_identical(volume(), img.array)
    assert garbage


def test_itk_dtypes_bool_as_uint8_and_refusals():
    mask = np.eye(5, dtype=bool)
    view = Image.from_binary_array(mask).to_itk()
    assert np.shares_memory(itk.array_view_from_image(view), mask)
    for dtype, words in [("int8", "int16"), ("int64", "int32"), ("float16", "float32")]:
        with pytest.raises(UnsupportedDtypeError) as caught:
            Image.from_array(np.zeros((2, 3), dtype)).to_itk()
        assert words in caught.value.hint


def test_itk_rgb_and_4d():
    rgb = Image.from_rgb_array(np.arange(6 * 5 * 3, dtype=np.uint8).reshape(6, 5, 3))
    back = Image.from_itk(rgb.to_itk())
    assert back.kind == "rgb" and back.axes == "yxc"
    assert_identical(rgb.array, back.array)
    movie = Image.from_array(volume(shape=(2, 3, 4, 5)),
                             geometry=Geometry(size_x=5, size_y=4, size_z=3, size_t=2), spacing=(10, 3, 2, 1))
    view = movie.to_itk()
    assert view.GetImageDimension() == 4 and tuple(view.GetSpacing()) == (1.0, 2.0, 3.0, 10.0)
    assert Image.from_itk(view).axes == "tzyx"


# ------------------------------------------------------------------ xarray
def test_to_xarray_shares_pixels_with_named_dims_and_coordinates():
    array = volume()
    data = geometric(array).to_xarray()
    assert data.dims == ("z", "y", "x") and np.shares_memory(data.values, array)
    np.testing.assert_allclose(data.x.values, 10.0 + 0.25 * np.arange(8))
    np.testing.assert_allclose(data.z.values, 30.0 + 3.0 * np.arange(4))
    assert data.y.attrs["units"] == "mm" and data.attrs["kind"] == "intensity"
    back = Image.from_xarray(data)
    assert np.shares_memory(back.array, array)
    assert back.spacing == pytest.approx(SPACING) and back.origin == pytest.approx(ORIGIN)
    assert back.units == ("mm", "mm", "mm")
    np.testing.assert_array_equal(back.direction, SWAP_ZY)


def test_from_xarray_made_elsewhere():
    data = xr.DataArray(np.zeros((3, 4, 5), np.uint16), dims=("time", "y", "x"),
                        coords={"time": [0.0, 0.5, 1.0], "x": np.arange(5) * 0.2})
    img = Image.from_xarray(data, kind="label")
    assert img.axes == "tyx" and img.spacing == pytest.approx((0.5, 1.0, 0.2)) and img.kind == "label"
    uneven = data.assign_coords(time=[0.0, 0.5, 2.0])
    with pytest.raises(AxesError) as caught:
        Image.from_xarray(uneven)
    assert "interp" in caught.value.hint
    with pytest.raises(TypeError, match="DataArray"):
        Image.from_xarray(np.zeros((2, 2)))


def test_unnamed_axes_get_unique_dims():
    data = Image.from_array(np.zeros((2, 3, 4, 5)), axes="qqyx").to_xarray()
    assert data.dims == ("q0", "q1", "y", "x")
    assert Image.from_xarray(data).axes == "qqyx"


# ------------------------------------------------------------------ refusals
REFUSALS = [
    (lambda: Image.from_array(np.zeros((2, 3, 4, 5))), AxesError),
    (lambda: Image.from_array(np.zeros((2, 3)), axes="yx", geometry=Geometry(size_x=3, size_y=2)), AxesError),
    (lambda: Image.from_array([[1, 2]], copy=False), CopyRequiredError),
    (lambda: Image.from_array(np.zeros((2, 3)), spacing=(1.0,)), AxesError),
    (lambda: Image.from_array(np.zeros((2, 3)), spacing=(1.0, -1.0)), AxesError),
    (lambda: Image.from_array(np.zeros((2, 3)), direction=np.ones((2, 2))), AxesError),
    (lambda: Image.from_array(np.zeros((2, 3)), direction=np.eye(3)), AxesError),
    (lambda: Image.from_array(np.zeros((2, 3)), kind="mask"), PixelKindError),
    (lambda: Image.from_array(np.zeros((2, 3)), kind="rgb"), PixelKindError),
    (lambda: Image.from_array(np.zeros((2, 3)), kind="binary"), PixelKindError),
    (lambda: Image.from_rgb_array(np.zeros((5, 6), np.uint8)), AxesError),
    (lambda: Image.from_rgb_array(np.zeros((3, 5, 3), np.uint8)), PixelKindError),
    (lambda: Image.from_rgb_array(np.zeros((5, 6, 7), np.uint8)), PixelKindError),
    (lambda: Image.from_rgb_array(np.zeros((5, 6, 3), np.uint8), channel_axis=1), PixelKindError),
    (lambda: Image.from_binary_array(np.zeros((2, 2), np.float32)), PixelKindError),
    (lambda: Image.from_binary_array(np.full((2, 2), 2, np.uint8)), PixelKindError),
    (lambda: Image.from_binary_array(np.zeros((2, 2, 2, 2), bool)), AxesError),
    (lambda: Image.from_label_array(np.array([[-1]], np.int32)), PixelKindError),
    (lambda: Image.from_label_array(np.zeros((2, 2))), PixelKindError),
    (lambda: Image.from_label_array(np.zeros((2, 2), bool)), PixelKindError),
    (lambda: Image.from_buffer(bytearray(8), (8,), np.uint8), AxesError),
    (lambda: Image.from_buffer(bytearray(8), (2, 8), np.uint8), AxesError),
    (lambda: Image.from_buffer(bytearray(64), (2, 8), np.uint16, row_stride=8), AxesError),
]


@pytest.mark.parametrize(("make", "error"), REFUSALS)
def test_every_constructor_refusal_names_the_fix(make, error):
    with pytest.raises(error) as caught:
        make()
    assert caught.value.hint, str(caught.value)
    assert any(word in caught.value.hint for word in ("pass", "use", "give", "choose", "check", "shift", "put",
                                                      "rows are")), caught.value.hint
