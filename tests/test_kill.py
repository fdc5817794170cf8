"""SIGKILL at random instants of a large save, a few trials per writer: the old or the new version, whole."""

from __future__ import annotations

import random

import pytest

from kill_cases import WRITERS, save_duration, trial


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_killed_save_leaves_old_or_new_and_the_next_save_sweeps_its_temporaries(tmp_path, writer):
    if writer in ("mhd", "nifti"):
        pytest.importorskip("SimpleITK")
    if writer == "zarr":
        pytest.importorskip("zarr")
    rng = random.Random(17)
    within = save_duration(writer, tmp_path / "timing") * 1.2
    for index in range(3):
        result = trial(writer, tmp_path / str(index), within, rng)
        assert result["outcome"] in ("old", "new"), result
        assert result["left_after_next_save"] == 0, result
