"""GIF: every frame kept, grey and <= 256-colour frames exact, frame rate and loop, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import imarray as ia
from imarray import errors
from imarray.cli import main
from imarray.formats import gif

from helpers import assert_identical, extreme_array, leftovers


def few_colours(frames: int, y: int, x: int, colours: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (colours, 3), dtype=np.uint8)
    return palette[rng.integers(0, colours, (frames, y, x))]


def test_grey_stack_is_exact(tmp_path):
    stack = extreme_array("uint8", (5, 9, 11))
    path = ia.save(tmp_path / "grey.gif", stack)
    assert_identical(stack, ia.load(path))
    assert ia.info(path).shape == (5, 9, 11) and ia.info(path).axes == "tyx"


def test_identical_frames_all_survive(tmp_path):
    """Pillow's save_all would merge these into one frame of triple length."""
    stack = np.repeat(extreme_array("uint8", (1, 6, 7)), 3, axis=0)
    stack = np.concatenate([stack, stack[:1] // 2, stack[:1] // 2])
    path = ia.save(tmp_path / "same.gif", stack, frame_rate=10)
    assert_identical(stack, ia.load(path))
    with Image.open(path) as image:  # other readers see every frame too, each with the same delay
        assert image.n_frames == 5
        delays = []
        for index in range(5):
            image.seek(index)
            delays.append(image.info["duration"])
    assert delays == [100] * 5


def test_colour_frames_of_up_to_256_colours_are_exact(tmp_path):
    movie = few_colours(4, 20, 24, 256)
    movie[1] = movie[0]
    assert_identical(movie, ia.load(ia.save(tmp_path / "colour.gif", movie)))


def test_more_than_256_colours_need_quantize(tmp_path):
    movie = extreme_array("uint8", (3, 32, 32, 3))
    target = ia.save(tmp_path / "movie.gif", few_colours(3, 32, 32, 4))
    before = target.read_bytes()
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(target, movie)
    assert "256 colours" in str(caught.value) and "quantize=True" in caught.value.hint
    assert ".mkv" in caught.value.hint and ".tif" in caught.value.hint
    assert caught.value.path == str(target)  # the file asked for, not the writer's temporary
    assert target.read_bytes() == before and leftovers(tmp_path) == []
    back = ia.load(ia.save(target, movie, quantize=True))
    assert back.shape == movie.shape and back.dtype == np.uint8
    assert len(np.unique(back[0].reshape(-1, 3), axis=0)) <= 256


def test_quantize_keeps_frames_that_fit_exact(tmp_path):
    movie = np.concatenate([few_colours(1, 16, 16, 3), extreme_array("uint8", (1, 16, 16, 3))])
    back = ia.load(ia.save(tmp_path / "mixed.gif", movie, quantize=True))
    assert_identical(movie[0], back[0])


@pytest.mark.parametrize(("frame_rate", "delay"), [(30, 30), (25, 40), (10, 100), (0.5, 2000), (100, 10)])
def test_frame_rate_and_loop_round_trip(tmp_path, frame_rate, delay):
    path = ia.save(tmp_path / "timed.gif", extreme_array("uint8", (2, 4, 4)), frame_rate=frame_rate, loop=3)
    described = ia.info(path)
    assert described.metadata["frame_rate"] == frame_rate and described.metadata["loop"] == 3
    with Image.open(path) as image:  # what players use: the delay in the file, in 1/100 s
        assert image.info["duration"] == delay and image.info["loop"] == 3


def test_default_loops_forever(tmp_path):
    assert ia.info(ia.save(tmp_path / "a.gif", extreme_array("uint8", (2, 4, 4)))).metadata["loop"] == 0


@pytest.mark.parametrize(("option", "value"), [("frame_rate", 0), ("frame_rate", -1), ("frame_rate", 150),
                                               ("loop", -1), ("loop", 70000), ("loop", 1.5)])
def test_bad_options_leave_the_target_untouched(tmp_path, option, value):
    target = ia.save(tmp_path / "a.gif", extreme_array("uint8", (2, 4, 4)))
    before = target.read_bytes()
    with pytest.raises(errors.InvalidOptionError, match=option):
        ia.save(target, extreme_array("uint8", (3, 4, 4)), **{option: value})
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_gif_with_zero_frames(tmp_path):
    path = tmp_path / "empty.gif"
    path.write_bytes(b"GIF89a" + bytes([4, 0, 4, 0, 0, 0, 0]) + b";")
    with pytest.raises(errors.CorruptFileError):
        ia.load(path)
    with pytest.raises(errors.CorruptFileError):
        ia.info(path)


def test_truncated_gif(tmp_path):
    path = ia.save(tmp_path / "cut.gif", extreme_array("uint8", (6, 32, 32)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(errors.CorruptFileError):
        ia.load(path)


@pytest.mark.parametrize("shape", [(8, 8), (2, 2, 2, 8, 8), (2, 8, 8, 4)], ids=["2d", "5d", "rgba"])
def test_shapes_a_gif_does_not_hold(tmp_path, shape):
    target = tmp_path / "a.gif"
    with pytest.raises(errors.UnsupportedDtypeError):
        ia.save(target, np.zeros(shape, np.uint8))
    assert not target.exists() and leftovers(tmp_path) == []


def test_uint16_hint_names_scale_and_lossless_formats(tmp_path):
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(tmp_path / "a.gif", np.full((2, 4, 4), 1000, np.uint16))
    text = str(caught.value)
    assert "scale='minmax'" in text and "scale=(lo, hi)" in text and ".mkv" in text and ".tif" in text
    scaled = ia.load(ia.save(tmp_path / "a.gif", np.arange(32, dtype=np.uint16).reshape(2, 4, 4) * 1000,
                             scale="minmax"))
    assert scaled[0, 0, 0] == 0 and scaled[-1, -1, -1] == 255


def test_gifs_by_other_tools_load_as_rgb(tmp_path):
    iio = pytest.importorskip("imageio.v3")
    movie = few_colours(3, 12, 14, 16, seed=3)
    path = tmp_path / "imageio.gif"
    iio.imwrite(path, movie, plugin="pillow", duration=50, loop=0)
    described = ia.info(path)
    assert described.shape == (3, 12, 14, 3) and described.metadata["frame_rate"] == 20.0
    assert_identical(movie, ia.load(path))


def test_interrupted_write_leaves_old_file(tmp_path, monkeypatch):
    target = ia.save(tmp_path / "a.gif", extreme_array("uint8", (2, 4, 4)))
    before = target.read_bytes()
    calls = []

    def dying(frame, quantize, index):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("power cut")
        return real(frame, quantize, index)

    real = gif._paletted
    monkeypatch.setattr(gif, "_paletted", dying)
    with pytest.raises(KeyboardInterrupt):
        ia.save(target, extreme_array("uint8", (5, 4, 4)))
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_folder_of_gifs_and_iter_frames(tmp_path):
    movie = extreme_array("uint8", (5, 6, 7))
    ia.save(tmp_path / "gifs" / "part_2.gif", movie[3:])
    ia.save(tmp_path / "gifs" / "part_1.gif", movie[:3])
    assert_identical(movie, ia.load(tmp_path / "gifs"))
    frames = list(ia.iter_frames(tmp_path / "gifs" / "part_1.gif"))
    assert len(frames) == 3
    for expected, frame in zip(movie[:3], frames, strict=True):
        assert_identical(expected, frame)


def test_calscipy_save_gif(tmp_path):
    movie = extreme_array("uint8", (3, 5, 5))
    written = ia.save_gif(tmp_path / "out", movie, frame_rate=5.0)
    assert written == tmp_path / "out" / "images.gif"
    assert ia.info(written).metadata["frame_rate"] == 5.0
    assert_identical(movie, ia.load_gif(written))
    assert_identical(movie, ia.load_gif(tmp_path / "out" / "images"))
    assert ia.save_gif(tmp_path / "out", movie, name="example").name == "example.gif"


def _frame_starts(data: bytes) -> list[int]:
    """Offsets of the graphic control extensions that open imarray's frames."""
    return [index for index in range(len(data) - 1) if data[index : index + 2] == b"!\xf9"]


def test_gif_cut_at_a_frame_boundary_is_corrupt(tmp_path):
    """A cut between frames leaves valid frames: the missing trailer and imarray's frame count tell."""
    path = ia.save(tmp_path / "cut.gif", extreme_array("uint8", (6, 16, 16)))
    data = path.read_bytes()
    boundary = _frame_starts(data)[4]
    path.write_bytes(data[:boundary])  # four whole frames, no trailer
    for reader in (ia.load, ia.info, lambda p: list(ia.iter_frames(p))):
        with pytest.raises(errors.CorruptFileError, match="trailer") as caught:
            reader(path)
        assert str(path) in str(caught.value)
    path.write_bytes(data[:boundary] + b";")  # trailer restored, but imarray recorded six frames
    with pytest.raises(errors.CorruptFileError, match="6 frames") as caught:
        ia.load(path)
    assert str(path) in str(caught.value)


def test_gif_by_another_tool_cut_at_a_frame_boundary_is_corrupt(tmp_path):
    movie = few_colours(4, 12, 14, 16, seed=5)
    path = tmp_path / "pillow.gif"
    frames = [Image.fromarray(frame) for frame in movie]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert_identical(movie, ia.load(path))
    data = path.read_bytes()
    assert data.endswith(b";")
    path.write_bytes(data[:-1])  # every frame there, only the trailer missing
    with pytest.raises(errors.CorruptFileError, match="trailer"):
        ia.load(path)
    path.write_bytes(data + b"\x00padding")  # bytes after the trailer are ignored, as every reader does
    assert_identical(movie, ia.load(path))


@pytest.mark.parametrize("frame_rate", [0.001, 100 / 65536, 1e-9, 101])
def test_frame_rates_beyond_a_gif_delay_are_refused_before_writing(tmp_path, capsys, frame_rate):
    """A GIF delay is 0..65535 hundredths of a second: slower rates were a raw OverflowError mid-write."""
    target = ia.save(tmp_path / "a.gif", extreme_array("uint8", (2, 4, 4)))
    before = target.read_bytes()
    with pytest.raises(errors.InvalidOptionError, match="frame_rate") as caught:
        ia.save(target, extreme_array("uint8", (3, 4, 4)), frame_rate=frame_rate)
    assert "65535" in str(caught.value) and "0.001526" in str(caught.value) and "100" in str(caught.value)
    assert str(target) in str(caught.value)
    assert target.read_bytes() == before and leftovers(tmp_path) == []
    source = ia.save(tmp_path / "stack.tif", extreme_array("uint8", (3, 4, 4)))
    assert main(["convert", str(source), str(target), "--frame-rate", str(frame_rate)]) == 2
    assert "65535" in capsys.readouterr().err and target.read_bytes() == before


def test_slowest_gif_rate_is_the_longest_delay(tmp_path):
    path = ia.save(tmp_path / "slow.gif", extreme_array("uint8", (2, 4, 4)), frame_rate=100 / 65535)
    with Image.open(path) as image:
        assert image.info["duration"] == 655350
    assert ia.info(path).metadata["frame_rate"] == pytest.approx(100 / 65535)


def test_a_t_spacing_beyond_a_gif_delay_is_refused(tmp_path):
    """ia.write of an Image takes the frame rate from its t spacing: the same limits, named as the spacing."""
    image = ia.Image(extreme_array("uint8", (2, 4, 4)), axes="tyx", spacing=(2000, 1, 1), units=("s", None, None))
    with pytest.raises(errors.InvalidOptionError, match="t spacing of 2000 s") as caught:
        ia.write(tmp_path / "slow.gif", image)
    assert "0.001526" in str(caught.value) and "frame_rate=" in caught.value.hint
    assert caught.value.path == str(tmp_path / "slow.gif")  # refused before writing, named like every check
    assert leftovers(tmp_path) == [] and not (tmp_path / "slow.gif").exists()


def test_every_gif_truncation_is_a_corrupt_file_error(tmp_path):
    data = ia.save(tmp_path / "whole.gif", extreme_array("uint8", (4, 12, 12))).read_bytes()
    path = tmp_path / "cut.gif"
    for length in range(0, len(data), 5):
        path.write_bytes(data[:length])
        for reader in (ia.info, ia.load, lambda p: list(ia.iter_frames(p))):
            with pytest.raises(errors.CorruptFileError) as caught:
                reader(path)
            assert str(path) in str(caught.value), length
