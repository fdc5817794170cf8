"""PNG, JPEG and BMP specifics: damage, animated PNG, what each format holds."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import imarray as ia
from imarray.errors import CorruptFileError

from helpers import assert_identical


@pytest.mark.parametrize("fraction", [0.02, 0.1, 0.3, 0.5, 0.7, 0.9])
def test_truncated_png_is_corrupt_file_error(tmp_path, fraction):
    rng = np.random.default_rng(0)
    path = ia.save(tmp_path / "noise.png", rng.integers(0, 255, (64, 80), dtype=np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    for call in (ia.load, ia.info):
        with pytest.raises(CorruptFileError, match=r"noise\.png"):
            call(path)


def _apng(path, frames, mode):
    images = [Image.fromarray(frame, mode=mode) for frame in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=100, loop=0, disposal=0, blend=0)


@pytest.mark.parametrize(("shape", "mode"), [((3, 6, 7), "L"), ((2, 6, 7, 3), "RGB")])
def test_animated_png_loads_every_frame(tmp_path, shape, mode):
    frames = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    path = tmp_path / "anim.png"
    _apng(path, frames, mode)
    info = ia.info(path)
    assert info.shape == shape
    assert info.axes == ("tyx" if mode == "L" else "tyxc")
    assert_identical(frames, ia.load(path))
