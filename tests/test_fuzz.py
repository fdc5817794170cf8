"""A bounded mutation-fuzzing campaign over every readable format, fixed seed: each damaged file must load as an
array or fail with an imarray error; no foreign exception, signal, timeout or unbounded allocation.

``make fuzz`` runs the long campaign (``tests/fuzzing.py``) and prints its table.
"""

from __future__ import annotations

import os
import sys

import pytest

import fuzzing

CASES_PER_FORMAT = 40  # about 520 cases, 30 s on 2 cores


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="the fuzzer forks a child per case")
def test_bounded_fuzz_campaign_finds_no_foreign_error(tmp_path):
    table = fuzzing.run(CASES_PER_FORMAT, seed=2026, workers=2, folder=tmp_path)
    counts = table.counts()
    assert len(counts) >= 13, sorted(counts)  # every readable format took part
    assert all(sum(row.values()) == CASES_PER_FORMAT for row in counts.values())
    failures = "\n".join(f"{r.format} {r.outcome}: {r.detail}" for r in table.failures())
    assert not failures, f"\n{table.markdown()}\n{failures}"
