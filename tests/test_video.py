"""Video: FFV1 .mkv bit for bit, H.264 .mp4 within a documented error, frame rates, bad input."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest

import imarray as ia
from imarray import errors
from imarray.cli import main
from imarray.formats import video

from helpers import assert_identical, extreme_array, leftovers

av = pytest.importorskip("av")

# Documented in imarray.formats.video: mean absolute error of H.264 at the default crf on a smooth pattern.
GREY_MAE, RGB_MAE = 2.0, 4.5


def smooth(frames: int = 12, y: int = 48, x: int = 64) -> np.ndarray:
    """A smooth moving grey pattern, uint8 (frames, y, x)."""
    t, yy, xx = np.ogrid[:frames, :y, :x]
    return (127.5 + 100 * np.sin(xx / 9 + t / 5) * np.cos(yy / 7)).astype(np.uint8)


def smooth_rgb(frames: int = 12, y: int = 48, x: int = 64) -> np.ndarray:
    grey = smooth(frames, y, x)
    return np.stack([grey, grey[:, ::-1], 255 - grey], axis=-1)


def mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int64) - b).mean())


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
@pytest.mark.parametrize("shape", [(4, 7, 9), (3, 6, 5, 3)], ids=["grey", "rgb"])
def test_ffv1_is_bit_exact(tmp_path, dtype, shape):
    movie = extreme_array(dtype, shape)
    path = ia.save(tmp_path / "movie.mkv", movie, frame_rate=15)
    assert_identical(movie, ia.load(path))
    described = ia.info(path)
    assert described.shape == shape and described.dtype == dtype
    assert described.axes == ("tyx" if len(shape) == 3 else "tyxc")
    assert described.metadata["codec"] == "ffv1" and described.metadata["frame_rate"] == 15.0


@pytest.mark.parametrize("frame_rate", [30, 29.97, 12.5, 60])
@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_frame_rate_is_in_the_stream_and_reported(tmp_path, ext, frame_rate):
    path = ia.save(tmp_path / f"movie{ext}", smooth(4, 16, 16), frame_rate=frame_rate)
    assert ia.info(path).metadata["frame_rate"] == pytest.approx(frame_rate)
    with av.open(str(path)) as container:  # the stream itself says so, for every player
        assert float(container.streams.video[0].average_rate) == pytest.approx(frame_rate, rel=1e-3)


def test_default_frame_rate_is_30(tmp_path):
    assert ia.info(ia.save(tmp_path / "m.mp4", smooth(3, 8, 8))).metadata["frame_rate"] == 30.0


def test_mp4_grey_error_is_bounded_and_grey_stays_grey(tmp_path):
    movie = smooth()
    back = ia.load(ia.save(tmp_path / "grey.mp4", movie))
    assert back.shape == movie.shape and back.dtype == np.uint8
    assert mae(back, movie) < GREY_MAE


def test_mp4_rgb_error_is_bounded(tmp_path):
    movie = smooth_rgb()
    back = ia.load(ia.save(tmp_path / "rgb.mp4", movie))
    assert back.shape == movie.shape
    assert mae(back, movie) < RGB_MAE


def test_mp4_odd_sizes_are_padded_and_cropped_back(tmp_path):
    movie = smooth(5, 33, 47)
    path = ia.save(tmp_path / "odd.mp4", movie)
    assert ia.info(path).shape == (5, 33, 47)
    back = ia.load(path)
    assert back.shape == movie.shape and mae(back, movie) < GREY_MAE
    with av.open(str(path)) as container:
        assert (container.streams.video[0].height, container.streams.video[0].width) == (34, 48)


def test_one_pixel_frames(tmp_path):
    movie = np.full((3, 1, 1), 200, np.uint8)
    assert np.abs(ia.load(ia.save(tmp_path / "dot.mp4", movie)).astype(int) - 200).max() <= 2
    assert_identical(movie, ia.load(ia.save(tmp_path / "dot.mkv", movie)))


def test_display_format_hint_names_scale_and_lossless_alternatives(tmp_path):
    target = tmp_path / "movie.mp4"
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(target, smooth(2, 8, 8).astype(np.uint16) * 200)
    text = str(caught.value)
    assert "scale='minmax'" in text and "scale=(lo, hi)" in text and ".mkv" in text and ".tif" in text
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(target, smooth(2, 8, 8).astype(np.float32))
    text = str(caught.value)
    assert "scale='minmax'" in text and ".mkv" in text and ".tif" in text
    assert not target.exists() and leftovers(tmp_path) == []


def test_scale_maps_exactly_as_the_core_policy_and_is_recorded(tmp_path):
    data = np.linspace(-1.0, 3.0, 2 * 8 * 8).reshape(2, 8, 8)
    path = ia.save(tmp_path / "scaled.mkv", data, scale="minmax", dtype="uint8")
    expected = np.rint((data + 1.0) / 4.0 * 255).astype(np.uint8)
    assert_identical(expected, ia.load(path))
    record = ia.info(path).metadata["scale"]
    assert record["method"] == "minmax" and record["source_range"] == [-1.0, 3.0]
    wide = ia.load(ia.save(tmp_path / "wide.mkv", data, scale=(0, 1)))  # mkv's scale target is uint16
    assert wide.dtype == np.uint16 and wide.max() == 65535 and wide.min() == 0


def test_files_written_by_pyav_directly_load(tmp_path):
    frames = extreme_array("uint16", (3, 10, 12))
    path = tmp_path / "pyav.mkv"
    with av.open(str(path), "w") as container:  # no imarray tag: no frame count, no greyness note
        stream = container.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = 12, 10, "gray16le"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="gray16le")))
        container.mux(stream.encode(None))
    described = ia.info(path)
    assert described.shape == (3, 10, 12) and described.metadata["frame_rate"] == 24.0
    assert_identical(frames, ia.load(path))


def test_files_written_by_imageio_load(tmp_path):
    iio = pytest.importorskip("imageio.v3")
    movie = smooth_rgb(6, 32, 48)
    path = tmp_path / "imageio.mp4"
    iio.imwrite(path, movie, plugin="pyav", codec="libx264", fps=24)
    described = ia.info(path)
    assert described.shape == movie.shape and described.metadata["frame_rate"] == 24.0
    assert mae(ia.load(path), movie) < 2 * RGB_MAE  # imageio's limited-range default is coarser


def test_iter_frames_reads_one_frame_at_a_time(tmp_path):
    movie = extreme_array("uint8", (40, 64, 64))
    path = ia.save(tmp_path / "long.mkv", movie)
    tracemalloc.start()
    try:
        count = 0
        for index, frame in enumerate(ia.iter_frames(path)):
            assert_identical(movie[index], frame)
            count += 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 40
    assert peak < movie.nbytes / 4  # a few frames, never the whole movie
    with pytest.raises(errors.FormatNotFoundError, match="video and GIF"):
        ia.iter_frames(ia.save(tmp_path / "a.tif", movie[0]))


def test_truncated_mp4(tmp_path):
    path = ia.save(tmp_path / "cut.mp4", smooth(30, 64, 64))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(errors.CorruptFileError, match="truncated"):
        ia.load(path)
    path.write_bytes(data[:100])
    with pytest.raises(errors.CorruptFileError):
        ia.load(path)


def test_truncated_mkv(tmp_path):
    path = ia.save(tmp_path / "cut.mkv", extreme_array("uint8", (20, 32, 32)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(errors.CorruptFileError):
        ia.load(path)


def test_text_named_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video, just a note someone renamed")
    with pytest.raises(errors.CorruptFileError, match="content is not"):
        ia.load(path)


@pytest.mark.parametrize("frame_rate", [0, -5, float("nan"), float("inf"), "fast", True])
def test_bad_frame_rate_leaves_the_target_untouched(tmp_path, frame_rate):
    target = ia.save(tmp_path / "movie.mkv", smooth(2, 8, 8))
    before = target.read_bytes()
    with pytest.raises(errors.InvalidOptionError, match="frame_rate"):
        ia.save(target, smooth(3, 8, 8), frame_rate=frame_rate)
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_bad_crf(tmp_path):
    with pytest.raises(errors.InvalidOptionError, match="crf"):
        ia.save(tmp_path / "m.mp4", smooth(2, 8, 8), crf=60)
    with pytest.raises(TypeError, match="mkv takes no crf="):
        ia.save(tmp_path / "m.mkv", smooth(2, 8, 8), crf=20)
    low = ia.load(ia.save(tmp_path / "best.mp4", smooth(), crf=0))
    assert mae(low, smooth()) < 0.5


@pytest.mark.parametrize("shape", [(8, 8), (2, 2, 2, 8, 8), (2, 8, 8, 4)], ids=["2d", "5d", "rgba"])
def test_shapes_a_video_does_not_hold(tmp_path, shape):
    """2D input is refused, not guessed to be one frame; the hint says how to make it one."""
    target = tmp_path / "movie.mp4"
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(target, np.zeros(shape, np.uint8))
    assert str(target) in str(caught.value) and caught.value.hint
    if len(shape) == 2:
        assert "np.newaxis" in caught.value.hint
    assert not target.exists() and leftovers(tmp_path) == []


def test_interrupted_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = ia.save(tmp_path / "movie.mkv", smooth(2, 8, 8))
    before = target.read_bytes()
    real = video._ffv1_frames

    def dying(array, frame_format, av):
        for index, frame in enumerate(real(array, frame_format, av)):
            if index == 3:
                raise KeyboardInterrupt("power cut")
            yield frame

    monkeypatch.setattr(video, "_ffv1_frames", dying)
    with pytest.raises(KeyboardInterrupt):
        ia.save(target, smooth(8, 8, 8))
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_folder_of_videos_loads_in_natural_order(tmp_path):
    movie = extreme_array("uint8", (7, 6, 8))
    folder = tmp_path / "clips"
    for name, part in (("clip_1", movie[:2]), ("clip_2", movie[2:5]), ("clip_10", movie[5:])):
        ia.save(folder / f"{name}.mkv", part)
    assert_identical(movie, ia.load(folder))
    assert ia.info(folder).shape == (7, 6, 8)


def test_calscipy_names(tmp_path):
    movie = smooth(4)
    written = ia.save_video(tmp_path / "run", movie, frame_rate=90.0, name="example")
    assert written == tmp_path / "run" / "example.mp4"
    assert ia.info(written).metadata["frame_rate"] == 90.0
    assert mae(ia.load_video(tmp_path / "run"), movie) < 1.5 * GREY_MAE  # x264 spends fewer bits at 90 fps
    assert ia.save_video(tmp_path / "run", movie).name == "video.mp4"
    assert ia.load_video(tmp_path / "run" / "video").shape == movie.shape  # a bare stem, as CalSciPy allows
    assert ia.save_video(tmp_path / "clip.avi", movie) == tmp_path / "clip.mp4"  # CalSciPy's rule, documented
    assert not (tmp_path / "clip.avi").exists()
    lossless = ia.save_video(tmp_path / "exact.mkv", movie)
    assert_identical(movie, ia.load_video(lossless))
    with pytest.raises(errors.UnsupportedDtypeError, match="scale='minmax'"):
        ia.save_video(tmp_path / "deep.mp4", movie.astype(np.uint16))
    assert ia.load_video(ia.save_video(tmp_path / "deep.mp4", movie.astype(np.uint16), scale="minmax")).max() > 250


def test_cli_makes_a_movie_from_a_stack(tmp_path, capsys):
    stack = np.linspace(0, 4000, 6 * 16 * 16).reshape(6, 16, 16).astype(np.uint16)
    source = ia.save(tmp_path / "stack.tif", stack)
    assert main(["convert", str(source), str(tmp_path / "movie.mp4"), "--scale", "minmax", "--frame-rate", "20"]) == 0
    described = ia.info(tmp_path / "movie.mp4")
    assert described.shape == (6, 16, 16) and described.metadata["frame_rate"] == 20.0
    assert described.metadata["scale"]["source_range"] == [0.0, 4000.0]
    assert main(["convert", str(source), str(tmp_path / "bad.mp4")]) == 1  # a refusal: a failure, not a usage error
    assert "--scale minmax" in capsys.readouterr().err  # the hint as the command's flag


def test_missing_extra_names_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "av", None)
    with pytest.raises(errors.MissingDependencyError, match=r"imarray\[video\]"):
        ia.save(tmp_path / "m.mkv", smooth(2, 8, 8))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".mkv", ".gif"])
def test_geometry_travels_through_read_and_write(tmp_path, ext):
    """The frame rate is the t spacing; y/x spacing and the colour kind come back from ia.read."""
    movie = extreme_array("uint8", (3, 6, 8, 3)) // 64 * 64  # few colours, so the GIF is exact too
    image = ia.Image.from_rgb_array(movie, axes="tyxc", spacing=(0.05, 0.5, 0.25, 1), units=("s", "um", "um", None))
    path = ia.write(tmp_path / f"movie{ext}", image)
    assert ia.info(path).metadata["frame_rate"] == pytest.approx(20.0)
    back = ia.read(path)
    assert_identical(movie, back.array)
    assert back.axes == "tyxc" and back.kind == "rgb"
    assert back.spacing[:3] == pytest.approx((0.05, 0.5, 0.25)) and back.units[:3] == ("s", "um", "um")
    explicit = ia.write(tmp_path / f"fast{ext}", image, frame_rate=50)
    assert ia.info(explicit).metadata["frame_rate"] == 50.0


def _ffv1_by_pyav(path, pix_fmt: str, frames: np.ndarray) -> None:
    """An FFV1 .mkv written by PyAV directly (no imarray tag), frames handed over in ``pix_fmt`` itself."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = pix_fmt
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format=pix_fmt)))
        container.mux(stream.encode(None))


@pytest.mark.parametrize("pix_fmt", ["gray9le", "gray10le", "gray12le", "gray14le", "gray16le",
                                     "gbrp9le", "gbrp10le", "gbrp12le", "gbrp14le", "gbrp16le", "rgb48le", "gray"])
def test_high_bit_ffv1_by_other_tools_keeps_the_stored_values(tmp_path, pix_fmt):
    """gray10le 572 loads as 572, not 572 * 64 (what a detour through gray16le makes of it)."""
    bits = av.VideoFormat(pix_fmt).components[0].bits
    rgb = av.VideoFormat(pix_fmt).is_rgb
    rng = np.random.default_rng(bits)
    frames = rng.integers(0, 2**bits, (3, 10, 12, 3) if rgb else (3, 10, 12)).astype(
        np.uint16 if bits > 8 else np.uint8)
    frames.flat[0], frames.flat[1] = 2**bits - 1, 0
    if pix_fmt == "gray10le":
        frames[0, 0, 2] = 572
    path = tmp_path / f"{pix_fmt}.mkv"
    _ffv1_by_pyav(path, pix_fmt, frames)
    described = ia.info(path)
    assert described.shape == frames.shape and described.dtype == frames.dtype
    assert_identical(frames, ia.load(path))
    for expected, frame in zip(frames, ia.iter_frames(path), strict=True):
        assert_identical(expected, frame)


@pytest.mark.parametrize("pix_fmt", ["yuv420p10le", "yuv444p12le", "gbrap10le", "rgba64le", "bgra"])
def test_ffv1_that_cannot_be_read_exactly_is_refused(tmp_path, pix_fmt):
    """High-bit YUV would come back as converted, rescaled RGB and alpha would be dropped: refuse, clearly."""
    path = tmp_path / f"{pix_fmt}.mkv"
    source = tmp_path / "source.mkv"
    colours = np.random.default_rng(0).integers(0, 256, (2, 8, 10, 3), dtype=np.uint8)
    ia.save(source, colours)
    with av.open(str(source)) as reader, av.open(str(path), "w") as container:  # PyAV converts to pix_fmt
        stream = container.add_stream("ffv1", rate=25)
        stream.height, stream.width, stream.pix_fmt = 8, 10, pix_fmt
        for frame in reader.decode(video=0):
            container.mux(stream.encode(frame.reformat(format=pix_fmt)))
        container.mux(stream.encode(None))
    for reader in (ia.info, ia.load, lambda p: next(ia.iter_frames(p))):
        with pytest.raises(errors.UnsupportedDtypeError, match=pix_fmt) as caught:
            reader(path)
        assert str(path) in str(caught.value) and "PyAV" in caught.value.hint


@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_every_truncation_is_a_corrupt_file_error(tmp_path, ext):
    """Cut anywhere (a cut header leaves a stream with no codec context): CorruptFileError naming the file."""
    data = ia.save(tmp_path / f"whole{ext}", smooth(40, 64, 80)).read_bytes()
    path = tmp_path / f"cut{ext}"
    for length in range(8, len(data), max(29, len(data) // 150)):
        path.write_bytes(data[:length])
        for reader in (ia.info, ia.load, lambda p: sum(1 for _ in ia.iter_frames(p))):
            with pytest.raises(errors.CorruptFileError) as caught:
                reader(path)
            assert str(path) in str(caught.value), length


@pytest.mark.parametrize("frame_rate", [0.0004, 1 / 3600, 1 / 14400, 0.3])
@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_slow_frame_rates_are_stated_by_the_stream(tmp_path, ext, frame_rate):
    """Time lapse: 0.0004 fps became a stream rate of 0 and FFmpeg wrote 24 fps while the tag said 0.0004."""
    path = ia.save(tmp_path / f"lapse{ext}", smooth(3, 16, 16), frame_rate=frame_rate)
    assert ia.info(path).metadata["frame_rate"] == pytest.approx(frame_rate)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert float(stream.average_rate) == pytest.approx(frame_rate, rel=1e-3)
        times = [frame.time for frame in container.decode(stream)]
    assert np.diff(times) == pytest.approx([1 / frame_rate] * 2, rel=1e-3)


@pytest.mark.parametrize("frame_rate", [1 / 14500, 0.00001, 1e-9, 1001])
@pytest.mark.parametrize("ext", [".mp4", ".mkv"])
def test_frame_rates_the_container_cannot_state_are_refused(tmp_path, ext, frame_rate):
    target = ia.save(tmp_path / f"movie{ext}", smooth(2, 8, 8))
    before = target.read_bytes()
    with pytest.raises(errors.InvalidOptionError, match="frame_rate") as caught:
        ia.save(target, smooth(3, 8, 8), frame_rate=frame_rate)
    assert "6.944e-05" in str(caught.value) and "1000" in str(caught.value) and "4 hours" in str(caught.value)
    assert target.read_bytes() == before and leftovers(tmp_path) == []


@pytest.mark.parametrize("ext", [".mp4", ".gif"])
def test_bool_hint_names_the_exact_cast_not_a_scale(tmp_path, ext):
    """bool goes onto uint8 as 0/1 exactly; 'scale onto it with dtype=uint16' made no sense for it."""
    target = tmp_path / f"mask{ext}"
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(target, np.ones((2, 4, 4), bool))
    hint = caught.value.hint
    assert "uint16" not in hint and "scale" not in hint
    assert ".mkv with dtype='uint8'" in hint and "0 and 1" in hint
    assert not target.exists()
    mask = np.arange(32).reshape(2, 4, 4) % 3 == 0
    assert_identical(mask.astype(np.uint8), ia.load(ia.save(tmp_path / "mask.mkv", mask, dtype="uint8")))


@pytest.mark.parametrize("name", ["slow.mkv", "slow.mp4"])
def test_a_t_spacing_beyond_the_containers_rates_is_refused_before_writing(tmp_path, name, monkeypatch):
    image = ia.Image(extreme_array("uint8", (2, 16, 16)), axes="tyx", spacing=(1e6, 1, 1), units=("s", None, None))

    def writes(*args, **kwargs):
        raise AssertionError("the writer ran")

    monkeypatch.setattr(video, "write", writes)
    with pytest.raises(errors.InvalidOptionError, match=r"t spacing of 1e\+06 s") as caught:
        ia.write(tmp_path / name, image)
    assert caught.value.path == str(tmp_path / name) and "frame_rate=" in caught.value.hint
    assert leftovers(tmp_path) == [] and not (tmp_path / name).exists()


@pytest.mark.parametrize("step, unit, rate", [(0.5, "min", 1 / 30), (20000, "us", 50.0), (0.04, "s", 25.0)])
def test_the_frame_rate_comes_from_a_t_spacing_in_any_time_unit(tmp_path, step, unit, rate):
    image = ia.Image(extreme_array("uint8", (2, 16, 16)), axes="tyx", spacing=(step, 1, 1), units=(unit, None, None))
    assert ia.info(ia.write(tmp_path / "m.mkv", image)).metadata["frame_rate"] == pytest.approx(rate)
