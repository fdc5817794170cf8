"""PNG, JPEG and BMP specifics: damage, animated PNG, what each format holds."""

from __future__ import annotations

import numpy as np
import pytest

import imarray as ia
from imarray.errors import CorruptFileError


@pytest.mark.parametrize("fraction", [0.02, 0.1, 0.3, 0.5, 0.7, 0.9])
def test_truncated_png_is_corrupt_file_error(tmp_path, fraction):
    rng = np.random.default_rng(0)
    path = ia.save(tmp_path / "noise.png", rng.integers(0, 255, (64, 80), dtype=np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    for call in (ia.load, ia.info):
        with pytest.raises(CorruptFileError, match=r"noise\.png"):
            call(path)
