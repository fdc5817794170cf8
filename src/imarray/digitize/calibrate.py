"""Axis calibration: pixel positions to data coordinates from two reference points.

Pixel positions are indices into the figure image (column for x, row for
y), pixel centres at whole numbers, as image viewers show them.

Examples
--------
>>> x = Axis(100, 0.0, 500, 40.0)          # column 100 is x=0, column 500 is x=40
>>> float(x(300)), x.spacing
(20.0, 0.1)
>>> y = Axis(50, 1e3, 250, 1e1, scale="log")
>>> float(y(150))
100.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import ImarrayError

__all__ = ["Axis", "CalibrationError"]


class CalibrationError(ImarrayError, ValueError):
    """Reference points that cannot define an axis."""


@dataclass(frozen=True)
class Axis:
    """A linear or log axis through two reference points ``(pixel, value)``."""

    pixel1: float
    value1: float
    pixel2: float
    value2: float
    scale: Literal["linear", "log"] = "linear"

    def __post_init__(self) -> None:
        if self.scale not in ("linear", "log"):
            raise CalibrationError(f"axis scale must be linear or log, got {self.scale!r}")
        if self.pixel1 == self.pixel2 or self.value1 == self.value2:
            raise CalibrationError(
                "the two reference points of an axis need different pixels and different values",
                hint="give PX1 V1 PX2 V2 from two distinct tick marks",
            )
        if self.scale == "log" and min(self.value1, self.value2) <= 0:
            raise CalibrationError("a log axis needs positive reference values", hint="use scale='linear'")

    def _space(self, value: float) -> float:
        return float(np.log10(value)) if self.scale == "log" else float(value)

    @property
    def spacing(self) -> float:
        """Data units per pixel (``log10`` units for a log axis); negative when values fall with the index."""
        return (self._space(self.value2) - self._space(self.value1)) / (self.pixel2 - self.pixel1)

    def __call__(self, pixels) -> np.ndarray:
        """Data coordinates of pixel positions."""
        t = self._space(self.value1) + (np.asarray(pixels, np.float64) - self.pixel1) * self.spacing
        return 10.0**t if self.scale == "log" else t
