"""The napari plugin in napari's real viewer: every kind of image imarray reads, the writers and the sample.

The viewer needs OpenGL: Qt's offscreen platform draws through GLX on the X
display that pytest-xvfb starts (``make test`` installs Xvfb where it can).
Without a display the viewer tests skip and the reader and writer functions
are still tested on their own.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import imarray as ia
from imarray import registry
from imarray.errors import CorruptFileError, UnsupportedDtypeError

from helpers import assert_identical

napari = pytest.importorskip("napari", reason="the napari extra is not installed (pip install 'imarray[napari]')")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the first QApplication: no window, GLX from Xvfb

from imarray.napari import budget, reader, writer  # noqa: E402
from imarray.napari.layers import layer_data  # noqa: E402


@pytest.fixture
def viewer(request):
    """napari's own viewer fixture, skipped with the reason where no X display gives it OpenGL.

    The check comes before ``make_napari_viewer`` is set up: its teardown fails on a test skipped in setup.
    """
    if not os.environ.get("DISPLAY"):
        pytest.skip("no X display for napari's OpenGL canvas: install Xvfb (apt-get install xvfb) for pytest-xvfb")
    return request.getfixturevalue("make_napari_viewer")()


def _volume() -> ia.Image:
    labels = np.zeros((3, 20, 24), np.uint32)
    labels[0, 2:8, 3:9] = 1
    labels[1, 5:15, 5:15] = 70_000
    labels[2, -1, -1] = 4_000_000_000
    return ia.Image.from_label_array(labels, spacing=(2.0, 0.5, 0.25), origin=(10.0, -3.0, 4.0), units="um")


def _open(viewer, path: Path) -> list:
    return viewer.open(str(path), plugin="imarray")


def _tiff_labels_open_as_labels_with_their_placement(viewer, tmp_path):
    image = _volume()
    [layer] = _open(viewer, ia.write(tmp_path / "cells.tif", image))
    assert type(layer).__name__ == "Labels"
    assert_identical(image.array, np.asarray(layer.data))
    assert layer.name == "cells.tif"
    assert tuple(layer.scale) == (2.0, 0.5, 0.25)
    assert tuple(layer.translate) == (10.0, -3.0, 4.0)
    assert tuple(layer.axis_labels) == ("z", "y", "x")
    assert [str(unit) for unit in layer.units] == ["micrometer"] * 3
    assert layer.metadata["imarray"]["format"] == "tiff"


def _folder_of_slices_and_size_capped_series(viewer, tmp_path):
    stack = _volume().array
    for index, plane in enumerate(stack):
        ia.save(tmp_path / "slices" / f"slice_{index + 1}.tif", plane)
    series = ia.save(tmp_path / "series.tif", stack, size_cap=stack[0].nbytes)
    assert len(list(series.iterdir())) == 3
    for path in (tmp_path / "slices", series):
        [layer] = _open(viewer, path)
        assert_identical(stack, np.asarray(layer.data))
        assert layer.name == path.name


def _raw_binary_with_sidecar(viewer, tmp_path):
    data = np.arange(2 * 5 * 6, dtype=">f8").reshape(2, 5, 6) - 7.5
    path = ia.save(tmp_path / "run1.bin", data, axes="tyx")
    [layer] = _open(viewer, path)
    assert type(layer).__name__ == "Image"
    assert_identical(data.astype("=f8"), np.asarray(layer.data))
    assert tuple(layer.axis_labels) == ("t", "y", "x")


def _ome_zarr_pyramid_opens_multiscale(viewer, tmp_path):
    image = _volume()
    path = ia.write(tmp_path / "cells.ome.zarr", image, pyramid=2)
    [layer] = _open(viewer, path)
    assert type(layer).__name__ == "Labels"
    assert layer.multiscale
    assert [level.shape for level in layer.data] == [(3, 20, 24), (2, 10, 12)]
    assert_identical(image.array, np.asarray(layer.data[0]))
    assert_identical(image.array[::2, ::2, ::2], np.asarray(layer.data[1]))
    assert tuple(layer.scale) == (2.0, 0.5, 0.25)
    assert tuple(layer.translate) == (10.0, -3.0, 4.0)


def _plain_zarr_store(viewer, tmp_path):
    data = np.arange(4 * 6, dtype=np.int16).reshape(4, 6) - 12
    [layer] = _open(viewer, ia.save(tmp_path / "plain.zarr", data))
    assert_identical(data, np.asarray(layer.data))


def _channels_split_into_layers(viewer, tmp_path):
    data = np.stack([np.full((5, 6), value, np.uint16) for value in (1, 300, 65535)])
    path = ia.write(tmp_path / "channels.tif", ia.Image.from_array(data, axes="cyx", spacing=(1.0, 0.3, 0.4)))
    layers = _open(viewer, path)
    assert [layer.name for layer in layers] == [f"channels.tif [c={index}]" for index in range(3)]
    for index, layer in enumerate(layers):
        assert_identical(data[index], np.asarray(layer.data))
        assert tuple(layer.scale) == (0.3, 0.4)
        assert tuple(layer.axis_labels) == ("y", "x")
    viewer.layers.clear()
    # no format records channel names and colours yet (issue 15, item 3): the reader's layer data, given to napari
    named = ia.Image(data, axes="cyx", channels=[ia.Channel("DAPI", "0000FF"), "GFP", ia.Channel(None, "FF0000")])
    [(pixels, meta, kind)] = layer_data(named, name="named.tif")
    assert kind == "image"
    layers = viewer.add_image(pixels, **meta)
    assert [layer.name for layer in layers] == ["named.tif [DAPI]", "named.tif [GFP]", "named.tif [c=2]"]
    assert np.allclose(layers[0].colormap.colors[-1], (0, 0, 1, 1))
    assert layers[1].colormap.name == "gray"
    assert np.allclose(layers[2].colormap.colors[-1], (1, 0, 0, 1))


def _rgb_and_gif_and_video(viewer, tmp_path):
    rgb = np.zeros((5, 6, 3), np.uint8)
    rgb[..., 0], rgb[1, 2] = 200, (1, 2, 3)
    [layer] = _open(viewer, ia.save(tmp_path / "colour.png", rgb))
    assert layer.rgb and tuple(layer.axis_labels) == ("y", "x")
    assert_identical(rgb, np.asarray(layer.data))
    frames = (np.arange(4 * 16 * 16) % 251).astype(np.uint8).reshape(4, 16, 16)
    for name in ("frames.gif", "frames.mkv"):
        [layer] = _open(viewer, ia.save(tmp_path / name, frames))
        assert_identical(frames, np.asarray(layer.data))
        assert layer.axis_labels[0] == "t"


def _medical_volume_keeps_spacing_origin_and_direction(viewer, tmp_path):
    if importlib.util.find_spec("SimpleITK") is None:
        return  # the itk extra is not installed: medical formats are tested where it is
    direction = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
    image = _volume().replace(direction=direction)
    [layer] = _open(viewer, ia.write(tmp_path / "scan.nrrd", image))
    assert type(layer).__name__ == "Labels"
    assert_identical(image.array, np.asarray(layer.data))
    assert tuple(layer.scale) == (2.0, 0.5, 0.25)
    assert np.allclose(layer.rotate, direction)
    assert np.allclose(layer.translate, (10.0, -3.0, 4.0))


def test_large_image_opens_lazily(viewer, tmp_path, monkeypatch):
    data = np.arange(8 * 32 * 32, dtype=np.uint16).reshape(8, 32, 32)
    path = ia.save(tmp_path / "big.tif", data)
    monkeypatch.setenv(budget.BUDGET_VARIABLE, f"{data.nbytes - 1}")
    [layer] = _open(viewer, path)
    assert hasattr(layer.data, "dask")  # a dask array: napari reads the planes it shows
    assert layer.metadata["imarray"]["lazy"]
    assert_identical(data, np.asarray(layer.data))
    monkeypatch.setenv(budget.BUDGET_VARIABLE, f"{data.nbytes}")
    [layer] = _open(viewer, path)
    assert isinstance(layer.data, np.ndarray)


def _what_imarray_does_not_read_is_left_to_other_readers(viewer, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    (tmp_path / "empty-folder").mkdir()
    assert reader.get_reader(str(notes)) is None
    assert reader.get_reader(str(tmp_path / "empty-folder")) is None
    assert reader.get_reader(str(tmp_path / "missing.tif")) is None
    with pytest.raises(ValueError, match="imarray"):
        _open(viewer, notes)


def _damaged_file_raises_imarrays_error(viewer, tmp_path):
    path = ia.save(tmp_path / "cut.tif", np.zeros((4, 64, 64), np.uint16))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptFileError, match=r"cut\.tif"):
        _open(viewer, path)


READ_CHECKS = [_tiff_labels_open_as_labels_with_their_placement, _folder_of_slices_and_size_capped_series,
               _raw_binary_with_sidecar, _ome_zarr_pyramid_opens_multiscale, _plain_zarr_store,
               _channels_split_into_layers, _rgb_and_gif_and_video, _medical_volume_keeps_spacing_origin_and_direction,
               _what_imarray_does_not_read_is_left_to_other_readers, _damaged_file_raises_imarrays_error]


def test_viewer_opens_every_kind_imarray_reads(viewer, tmp_path):
    """One viewer for every kind (a viewer costs seconds): each check gets an empty viewer and its own folder."""
    for check in READ_CHECKS:
        viewer.layers.clear()
        folder = tmp_path / check.__name__.strip("_")
        folder.mkdir()
        check(viewer, folder)


def test_layers_round_trip_through_the_writers(viewer, tmp_path):
    image = _volume()
    layer = viewer.add_labels(image.array, scale=image.spacing, translate=image.origin, axis_labels=("z", "y", "x"))
    for name in ("labels.tif", "labels.ome.zarr", "labels.nrrd", "labels.bin"):
        [written] = layer.save(str(tmp_path / name), plugin="imarray")
        back = ia.read(written)
        assert_identical(image.array, back.array)
        assert back.kind == "label", name
        assert (back.spacing, back.origin, back.axes) == (image.spacing, image.origin, "zyx"), name
    _image_layer_round_trip_keeps_dtype_and_read_geometry(viewer, tmp_path)
    _rgb_layer_round_trip(viewer, tmp_path)
    _writer_refuses_as_save_does(viewer, tmp_path)


def _image_layer_round_trip_keeps_dtype_and_read_geometry(viewer, tmp_path):
    data = np.linspace(-1, 1, 3 * 4 * 5).reshape(3, 4, 5).astype(np.float32)
    data[0, 0, 0] = np.nan
    source = ia.write(tmp_path / "in.ome.tif", ia.Image.from_array(data, axes="zyx", spacing=(3.0, 0.2, 0.2),
                                                                  units="um"))
    [layer] = _open(viewer, source)
    [written] = layer.save(str(tmp_path / "out.tif"), plugin="imarray")
    back = ia.read(written)
    assert_identical(data, back.array)
    assert back.axes == "zyx" and back.spacing == (3.0, 0.2, 0.2) and back.units == ("um", "um", "um")


def _rgb_layer_round_trip(viewer, tmp_path):
    rgb = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    layer = viewer.add_image(rgb, rgb=True)
    [written] = layer.save(str(tmp_path / "out.png"), plugin="imarray")
    back = ia.read(written)
    assert back.kind == "rgb"
    assert_identical(rgb, back.array)


def _writer_refuses_as_save_does(viewer, tmp_path):
    layer = viewer.add_labels(_volume().array)
    with pytest.raises(UnsupportedDtypeError, match="png holds") as refused:
        layer.save(str(tmp_path / "labels.png"), plugin="imarray")
    assert refused.value.hint
    assert not (tmp_path / "labels.png").exists()
    layer.shear = (0.5, 0.0, 0.0)  # a ValueError would make napari report "no writer": it arrives as RuntimeError
    with pytest.raises(writer.LayerRefusedError, match="AxesError: the layer is sheared") as refused:
        layer.save(str(tmp_path / "sheared.tif"), plugin="imarray")
    assert isinstance(refused.value.__cause__, ia.errors.AxesError) and refused.value.hint
    four = viewer.add_image(np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(writer.LayerRefusedError, match="axes named") as refused:
        four.save(str(tmp_path / "four.tif"), plugin="imarray")
    assert "axis_labels" in refused.value.hint
    four.axis_labels = ("t", "z", "y", "x")
    [written] = four.save(str(tmp_path / "four.tif"), plugin="imarray")
    assert ia.read(written).axes == "tzyx"


def test_signed_labels_keep_their_dtype(tmp_path):
    labels = np.array([[0, 1], [2, 70_000]], np.int32)
    [written] = writer.write_labels(str(tmp_path / "signed.tif"), labels, {})
    assert_identical(labels, ia.load(written))


def test_sample_data_is_the_demo_label_stack(viewer):
    from imarray.demo import label_stack

    [layer] = viewer.open_sample("imarray", "labels")
    assert type(layer).__name__ == "Labels"
    assert_identical(label_stack(), np.asarray(layer.data))


def test_reader_functions_without_a_viewer(tmp_path):
    """What napari receives, checked without Qt: the layer tuples themselves."""
    image = _volume()
    path = ia.write(tmp_path / "cells.tif", image)
    [(data, meta, kind)] = reader.get_reader(str(path))(str(path))
    assert kind == "labels" and meta["scale"] == (2.0, 0.5, 0.25) and meta["axis_labels"] == ("z", "y", "x")
    assert_identical(image.array, data)
    channels = ia.Image.from_array(np.zeros((2, 3, 4), np.uint8), axes="cyx")
    [(data, meta, kind)] = layer_data(channels, name="c")
    assert meta["channel_axis"] == 0 and meta["name"] == ["c [c=0]", "c [c=1]"] and kind == "image"


def test_urls_open_through_range_requests_lazily_when_large(http_root, http_server, monkeypatch):
    pytest.importorskip("fsspec", reason="URLs need the remote extra")
    image = _volume()
    ia.write(http_root / "napari-cells.ome.tif", image)
    url = f"{http_server.url}/napari-cells.ome.tif"
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "1")  # larger than the budget: a lazy layer
    [(data, meta, kind)] = reader.get_reader(url)(url)
    assert hasattr(data, "dask") and meta["metadata"]["imarray"]["path"] == url
    assert kind == "labels" and meta["scale"] == (2.0, 0.5, 0.25) and meta["name"] == "napari-cells.ome.tif"
    assert_identical(image.array, np.asarray(data))
    assert reader.get_reader(f"{http_server.url}/no-such.tif") is None


def test_budget_variable_is_checked(monkeypatch):
    monkeypatch.setenv(budget.BUDGET_VARIABLE, "lots")
    with pytest.raises(ia.errors.InvalidOptionError, match=budget.BUDGET_VARIABLE):
        budget.memory_budget()


def test_manifest_writers_cover_every_built_in_format_that_writes():
    import yaml

    manifest = yaml.safe_load((Path(reader.__file__).parent / "napari.yaml").read_text())
    expected = [ext for spec in registry.BUILTIN if spec.can("write") for ext in spec.extensions]
    for contribution in manifest["contributions"]["writers"]:
        assert contribution["filename_extensions"] == expected


def test_import_imarray_does_not_import_napari():
    code = "import sys, imarray, imarray.napari; print('napari' in sys.modules, 'qtpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
