"""Image: zero-copy construction, typed constructors, geometry, protocols."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import imarray as ia
from imarray import Geometry, Image
from imarray.errors import AxesError, CopyRequiredError, PixelKindError


def test_from_array_shares_the_array_both_ways():
    volume = np.zeros((3, 4, 5), np.float32)
    img = Image.from_array(volume)
    assert img.array is volume and img.axes == "zyx"
    img.array[0, 0, 0] = 7
    volume[2, 3, 4] = 9
    assert volume[0, 0, 0] == 7 and img.at(z=2, y=3, x=4) == 9


def test_memmaps_stay_memmaps(tmp_path):
    mapped = np.memmap(tmp_path / "m.bin", dtype=np.uint8, mode="w+", shape=(4, 4))
    assert Image.from_array(mapped).array is mapped


def test_copy_semantics_follow_numpy_2():
    nested = [[1, 2], [3, 4]]
    with pytest.raises(CopyRequiredError, match="list holds no buffer") as caught:
        Image.from_array(nested, copy=False)
    assert "copy=None" in caught.value.hint and isinstance(caught.value, ValueError)
    assert Image.from_array(nested).array.tolist() == nested
    source = np.ones((2, 2))
    assert not np.shares_memory(Image.from_array(source, copy=True).array, source)


def test_array_protocol():
    source = np.arange(6, dtype=np.int16).reshape(2, 3)
    img = Image.from_array(source)
    assert np.shares_memory(np.asarray(img), source)
    assert np.asarray(img, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="copy"):
        np.asarray(img, dtype=np.float64, copy=False)
    assert not np.shares_memory(np.array(img, copy=True), source)


@pytest.mark.parametrize("make", [
    lambda: np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    lambda: np.arange(24, dtype=np.float32).reshape(2, 3, 4)[:, :, :3],  # row-padded
    lambda: np.arange(24, dtype=np.uint8).reshape(2, 3, 4)[::2],  # stepped
])
def test_dlpack_round_trip_shares_memory(make):
    source = make()
    back = np.from_dlpack(Image.from_array(source))
    assert np.shares_memory(back, source) and np.array_equal(back, source)
    assert Image.from_array(source).__dlpack_device__() == source.__dlpack_device__()


def test_a_view_outlives_its_image_and_source():
    img = Image.from_array(np.arange(1000, dtype=np.int64).reshape(10, 100))
    view = img.at(y=3)
    del img
    gc.collect()
    garbage = [np.full(1000, -1, dtype=np.int64) for _ in range(50)]
    assert view.tolist() == list(range(300, 400)) and garbage


def test_higher_dimensions_need_axes_or_geometry():
    data = np.zeros((2, 5, 6, 7))
    with pytest.raises(AxesError, match="nothing is guessed") as caught:
        Image.from_array(data)
    assert "geometry=" in caught.value.hint
    assert Image.from_array(data, axes="tzyx").axes == "tzyx"
    geometry = Geometry(size_x=7, size_y=6, size_z=5, size_t=2)
    assert Image.from_array(data, geometry=geometry).geometry == geometry


def test_geometry_refuses_orders_it_cannot_tell_apart():
    with pytest.raises(AxesError, match="alike"):
        Geometry(size_x=3, size_y=3, size_c=3).axes_for((3, 3, 3))
    with pytest.raises(AxesError, match="fits no dimension order"):
        Geometry(size_x=7, size_y=6).axes_for((7, 6))
    with pytest.raises(AxesError, match="2 axes"):
        Geometry(size_x=7, size_y=6).axes_for((1, 6, 7))


def test_spacing_in_toolkit_order_and_named_access():
    img = Image.from_array(np.zeros((5, 6, 7)), spacing=(3.0, 2.0, 1.0), origin=(30, 20, 10), units="mm")
    assert img.spacing_in("xyz") == (1.0, 2.0, 3.0)
    assert img.origin_in("xyz") == (10.0, 20.0, 30.0)
    assert img.units == ("mm", "mm", "mm")
    assert img.at(x=1).shape == (5, 6)
    with pytest.raises(AxesError, match="no axis t"):
        img.at(t=0)
    assert "spacing (3, 2, 1) mm" in repr(img)
    moved = img.replace(origin=0)
    assert moved.array is img.array and moved.origin == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("bad", [(1.0, 0.0, 1.0), (1.0, 1.0)])
def test_bad_spacing(bad):
    with pytest.raises(AxesError):
        Image.from_array(np.zeros((2, 3, 4)), spacing=bad)


def test_direction_must_be_orthonormal_and_spatial():
    img = Image.from_array(np.zeros((2, 3, 4)), direction=np.eye(3)[::-1])
    assert img.direction.shape == (3, 3)
    with pytest.raises(AxesError, match="orthonormal"):
        Image.from_array(np.zeros((2, 3, 4)), direction=np.ones((3, 3)))
    with pytest.raises(AxesError, match="3x3"):
        Image.from_array(np.zeros((2, 3, 4)), direction=np.eye(2))


# ------------------------------------------------------------------ rgb
@pytest.mark.parametrize(("shape", "axes"), [((6, 7, 3), "yxc"), ((3, 6, 7), "cyx"), ((6, 7, 4), "yxc"),
                                             ((2, 6, 7, 3), "zyxc"), ((4, 2, 6, 7), "czyx")])
def test_rgb_first_or_last_in_place(shape, axes):
    data = np.zeros(shape, np.uint8)
    img = Image.from_rgb_array(data)
    assert img.axes == axes and img.kind == "rgb" and img.array is data


def test_rgb_refusals_name_the_fix():
    with pytest.raises(PixelKindError) as caught:
        Image.from_rgb_array(np.zeros((3, 5, 3), np.uint8))
    assert "channel_axis" in caught.value.hint
    assert Image.from_rgb_array(np.zeros((3, 5, 3), np.uint8), channel_axis=0).axes == "cyx"
    with pytest.raises(PixelKindError) as caught:
        Image.from_rgb_array(np.zeros((5, 6, 7), np.uint8))
    assert "Image.from_array" in caught.value.hint
    with pytest.raises(AxesError):
        Image.from_rgb_array(np.zeros((5, 6), np.uint8))
    with pytest.raises(PixelKindError, match="3 \\(RGB\\) or 4"):
        Image.from_rgb_array(np.zeros((5, 6, 3), np.uint8), channel_axis=1)
    with pytest.raises(PixelKindError, match="colour axis"):
        Image.from_array(np.zeros((5, 6, 7), np.uint8), kind="rgb")


# ------------------------------------------------------------------ binary
@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8"])
def test_binary_dtypes(dtype):
    mask = np.array([[0, 1], [1, 0]], dtype=dtype)
    img = Image.from_binary_array(mask)
    assert img.kind == "binary" and img.array is mask


def test_binary_refusals():
    with pytest.raises(PixelKindError, match="from 0 to 2") as caught:
        Image.from_binary_array(np.array([[0, 2]], np.uint8))
    assert "array != 0" in caught.value.hint
    with pytest.raises(PixelKindError, match="from -1 to 1"):
        Image.from_binary_array(np.array([[-1, 1]], np.int8))
    assert Image.from_binary_array(np.array([[0, 2]], np.uint8), validate=False).kind == "binary"
    with pytest.raises(PixelKindError, match="not float32"):
        Image.from_binary_array(np.zeros((2, 2), np.float32))
    with pytest.raises(AxesError, match="2D or 3D"):
        Image.from_binary_array(np.zeros((2, 2, 2, 2), bool))


# ------------------------------------------------------------------ labels
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64"])
def test_unsigned_labels_as_they_are(dtype):
    labels = np.arange(6, dtype=dtype).reshape(2, 3)
    assert Image.from_label_array(labels).array is labels


@pytest.mark.parametrize("dtype", ["int16", "int32", "int64", ">i4"])
def test_signed_labels_viewed_as_unsigned(dtype):
    labels = np.array([[0, 5], [70, 127]], dtype=dtype)
    img = Image.from_label_array(labels)
    assert img.dtype.kind == "u" and img.dtype.itemsize == labels.dtype.itemsize
    assert np.shares_memory(img.array, labels) and img.array.tolist() == labels.tolist()


@pytest.mark.parametrize(("data", "words"), [
    (np.array([[-1, 3]], np.int32), "relabel_sequential"),
    (np.array([[1.0, 2.0]]), "astype(np.uint32)"),
    (np.array([[True, False]]), "from_binary_array"),
])
def test_label_refusals_name_the_fix(data, words):
    with pytest.raises(PixelKindError) as caught:
        Image.from_label_array(data)
    assert words in caught.value.hint


# ------------------------------------------------------------------ buffers
def test_from_buffer_reads_padded_rows_in_place():
    rows, columns, stride = 4, 5, 16  # 5 uint16 pixels = 10 bytes, padded to 16
    raw = bytearray(2 * rows * stride)
    for plane in range(2):
        for row in range(rows):
            start = (plane * rows + row) * stride
            raw[start : start + 10] = np.arange(5, dtype=np.uint16).tobytes()
            raw[start + 10 : start + 16] = b"\xff" * 6
    img = Image.from_buffer(raw, (2, rows, columns), np.uint16, row_stride=stride)
    assert img.array.tolist() == [[list(range(5))] * rows] * 2
    img.array[0, 0, 0] = 99
    assert raw[0] == 99  # in place
    assert img.layout.kind == "row-padded"


def test_from_buffer_refusals():
    with pytest.raises(AxesError, match="needs"):
        Image.from_buffer(bytearray(100), (2, 4, 5), np.uint16, row_stride=16)
    with pytest.raises(AxesError, match="shorter"):
        Image.from_buffer(bytearray(1000), (2, 4, 5), np.uint16, row_stride=8)


@pytest.mark.parametrize(
    "geometry",
    [{"spacing": float("inf")}, {"spacing": (1.0, float("nan"), 1.0)}, {"origin": (0.0, float("nan"), 0.0)},
     {"origin": float("-inf")}, {"units": 5}, {"units": ("um", 5, "um")}],
)
def test_non_finite_geometry_and_non_text_units_are_refused(geometry):
    with pytest.raises(AxesError) as caught:
        Image.from_array(np.zeros((2, 3, 4)), **geometry)
    assert caught.value.hint


@pytest.mark.parametrize("axes", ["xyz", "zxy", "yzx", "xy"])
def test_axes_out_of_numpy_order_are_refused(axes):
    with pytest.raises(AxesError, match="numpy order") as caught:
        Image.from_array(np.zeros((2, 3, 4)[: len(axes)]), axes=axes)
    assert "zyx"[-len(axes):] in caught.value.hint


@pytest.mark.parametrize("axes", ["tzyx", "tyx", "czyx", "zyxc", "tcyx", "qyx"])
def test_axes_in_numpy_order_are_taken(axes):
    assert Image.from_array(np.zeros((2,) * len(axes)), axes=axes).axes == axes


@pytest.mark.parametrize("shape", [(6, 5, 3), (3, 4, 6)])
def test_colour_images_take_geometry_for_their_spatial_axes_alone(shape):
    img = Image.from_rgb_array(np.zeros(shape, np.uint8), spacing=(0.5, 0.25), origin=(1.0, 2.0), units="um")
    c = img.axes.index("c")
    assert img.spacing[c] == 1.0 and img.origin[c] == 0.0 and img.units[c] is None
    assert [v for i, v in enumerate(img.spacing) if i != c] == [0.5, 0.25]
    assert [v for i, v in enumerate(img.origin) if i != c] == [1.0, 2.0]
    assert [v for i, v in enumerate(img.units) if i != c] == ["um", "um"]
    full = Image.from_rgb_array(np.zeros(shape, np.uint8), spacing=(0.5, 0.25, 1.0) if c == 2 else (1.0, 0.5, 0.25))
    assert full.spacing_in("yx") == (0.5, 0.25)


def test_image_holds_an_ndarray_or_a_dask_array_only():
    with pytest.raises(TypeError, match=r"Image\.from_array"):
        Image([[1, 2]], axes="yx")
    da = pytest.importorskip("dask.array")
    lazy = Image(da.ones((2, 3), dtype=np.uint8, chunks=1), axes="yx", kind="binary")
    assert lazy.lazy and lazy.kind == "binary"
    computed = lazy.compute().array
    assert isinstance(computed, np.ndarray) and computed.dtype == np.uint8 and computed.sum() == 6
    assert np.asarray(lazy).sum() == 6
    with pytest.raises(CopyRequiredError, match="lazy"):
        np.asarray(lazy, copy=False)


def test_dask_labels_and_masks_stay_lazy_and_are_checked_when_computed():
    da = pytest.importorskip("dask.array")

    def never(block):
        raise AssertionError("computed while wrapping")

    signed = da.from_array(np.array([[0, 3], [70000, 1]], np.int32), chunks=1)
    labels = Image.from_label_array(signed)
    assert labels.lazy and labels.dtype == np.uint32 and "lazy" in repr(labels)
    assert labels.compute().array.tolist() == [[0, 3], [70000, 1]]
    assert Image.from_label_array(signed.map_blocks(never, dtype=np.int32)).lazy  # nothing read to wrap it
    with pytest.raises(PixelKindError, match="non-negative"):
        Image.from_label_array(da.from_array(np.array([[0, -2]], np.int32), chunks=1)).compute()
    mask = Image.from_binary_array(da.from_array(np.array([[0, 1], [1, 2]], np.uint8), chunks=1))
    with pytest.raises(PixelKindError, match="values from 2 to 2"):  # the block holding 2
        mask.compute()
    assert Image.from_binary_array(da.zeros((2, 2), np.uint8, chunks=1).map_blocks(never, dtype=np.uint8)).lazy


def test_channels_name_the_c_axis_and_travel_through_replace_and_xarray():
    from imarray import Channel

    pixels = np.zeros((2, 4, 5), np.uint16)
    img = ia.Image(pixels, axes="cyx", channels=["DAPI", Channel("GFP", "00ff00")])
    assert img.channels == (Channel("DAPI"), Channel("GFP", "#00FF00"))
    assert img.replace(spacing=(1, 2, 2)).channels == img.channels
    pytest.importorskip("xarray")
    data = img.to_xarray()
    assert list(data.coords["c"].values) == ["DAPI", "GFP"]
    assert ia.Image.from_xarray(data).channels == img.channels


@pytest.mark.parametrize(("axes", "channels", "message"), [
    ("zyx", ["a", "b"], "have none"),
    ("cyx", ["only one"], "one entry per index"),
    ("cyx", [("a", "red"), "b"], "six hex digits"),
])
def test_channels_that_do_not_fit_are_refused(axes, channels, message):
    with pytest.raises(ValueError, match=message):
        ia.Image(np.zeros((2, 4, 5), np.uint8), axes=axes, channels=channels)
