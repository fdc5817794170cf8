"""Pictures back to numbers: read the values behind a colour-mapped figure.

Needs the ``digitize`` extra (matplotlib, scipy, scikit-learn), imported on
first use. The pieces: :mod:`.colormap` (colour models and
:func:`colormap_report`), :mod:`.lookup` (per-colour matching), :mod:`.mask`
(distance threshold, plot box, connectivity), :mod:`.colorbar` (find a bar),
:mod:`.calibrate` (pixel to data coordinates), :mod:`.reduce` (fewer points,
and back), :mod:`.plot` (preview) and :mod:`.pipeline` (:func:`digitize`).

Examples
--------
>>> from imarray.digitize import colormap_report
>>> colormap_report("bwr").contains_page_colour
True
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ColorModel": "colormap",
    "from_cmap": "colormap",
    "from_samples": "colormap",
    "colormap_report": "colormap",
    "lookup": "lookup",
    "refine_runs": "lookup",
    "data_mask": "mask",
    "auto_threshold": "mask",
    "denoise": "mask",
    "unblend": "mask",
    "find_colorbar": "colorbar",
    "Colorbar": "colorbar",
    "Axis": "calibrate",
    "digitize": "pipeline",
    "Digitized": "pipeline",
    "NothingFoundWarning": "pipeline",
    "reduce": "reduce",
    "reconstruct": "reduce",
    "Points": "reduce",
    "preview": "plot",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'imarray.digitize' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
