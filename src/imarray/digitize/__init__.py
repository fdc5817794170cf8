"""Pictures back to numbers: read the values behind a colour-mapped figure.

Needs the ``digitize`` extra (matplotlib, scipy, numba), imported on
first use. The pieces: :mod:`.colormap` (colour models and
:func:`colormap_report`), :mod:`.lookup` (per-colour matching), :mod:`.mask`
(distance threshold, plot boxes and panels, connectivity), :mod:`.paper` (the background
colour), :mod:`.lines` (grid lines and cell edges), :mod:`.colorbar` (find bars),
:mod:`.calibrate` (pixel to data coordinates), :mod:`.ticks` and
:mod:`.axis_ticks` (colorbar and axis tick labels read by OCR), :mod:`.reduce` (fewer points,
and back), :mod:`.plot` (preview) and :mod:`.pipeline` (:func:`digitize`).

Examples
--------
>>> from imarray.digitize import colormap_report
>>> colormap_report("bwr").contains_page_colour
True
"""

from __future__ import annotations

# Each module imports only numpy at the top; matplotlib, scipy and numba load on first use.
from .axis_ticks import AxisReading, AxisTicksNotReadError, AxisTicksWarning, read_axis_ticks
from .calibrate import Axis, CalibrationError
from .colorbar import Colorbar, ColorbarNotFoundError, find_colorbar, find_colorbars
from .colormap import ColormapError, ColorModel, colormap_report, from_cmap, from_samples
from .lines import fill_lines, line_bands
from .lookup import lookup, refine_runs
from .mask import auto_threshold, data_mask, data_masks, denoise, unblend
from .paper import paper_colour
from .pipeline import (
    Digitized,
    DigitizeWarning,
    NothingFoundWarning,
    PanelRangeWarning,
    PanelsWarning,
    PlotBoxWarning,
    digitize,
    digitize_panels,
)
from .plot import preview
from .reduce import Points, reconstruct, reduce
from .stray import StrayDataWarning
from .ticks import TickReading, TicksNotReadError, read_ticks

__all__ = [
    "Axis", "AxisReading", "AxisTicksNotReadError", "AxisTicksWarning",
    "CalibrationError", "ColorModel", "Colorbar", "ColorbarNotFoundError", "ColormapError", "DigitizeWarning",
    "Digitized", "NothingFoundWarning", "PanelRangeWarning", "PanelsWarning", "PlotBoxWarning", "Points",
    "StrayDataWarning",
    "TickReading", "TicksNotReadError",
    "auto_threshold", "colormap_report", "data_mask", "data_masks", "denoise", "digitize", "digitize_panels",
    "fill_lines", "find_colorbar", "find_colorbars", "from_cmap", "from_samples", "line_bands", "lookup",
    "paper_colour", "preview", "read_axis_ticks", "read_ticks", "reconstruct", "reduce", "refine_runs", "unblend",
]
