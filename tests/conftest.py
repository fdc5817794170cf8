"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def labels() -> np.ndarray:
    """A seed-style uint32 label stack: 1..36 and a few values above 65535."""
    stack = np.zeros((4, 24, 24), dtype=np.uint32)
    for label in range(1, 37):
        z, rest = divmod(label - 1, 9)
        y, x = divmod(rest, 3)
        stack[z, y * 8 : y * 8 + 5, x * 8 : x * 8 + 5] = label
    stack[3, 20:, 20:] = 70000
    stack[3, 0, 0] = 2**32 - 1
    return stack
