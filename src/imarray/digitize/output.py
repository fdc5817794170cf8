"""Write a digitized field as ``imarray digitize`` does: the files, and the lines that say what was written.

The command line and the correction page (:mod:`imarray.digitize.serve`)
both write through :func:`write_result`, so a field saved from the page is the
file the command would write for the same parameters.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from matplotlib import colormaps
>>> from imarray.digitize import digitize
>>> rgb = colormaps["viridis"](np.tile(np.linspace(0, 1, 40), (30, 1)), bytes=True)[..., :3]
>>> result = digitize(rgb, cmap="viridis", vmin=0, vmax=1)
>>> with tempfile.TemporaryDirectory() as folder:
...     lines = write_result(result, pathlib.Path(folder) / "field.tif", figure="fig.png")
>>> lines[0]
'fig.png: plot box rows 0-30, columns 0-40; 100.0% data (colour distance <= ...)'
"""

from __future__ import annotations

import os
from pathlib import Path

from .pipeline import Digitized

__all__ = ["write_result"]


def write_result(result: Digitized, output: Path | None, *, figure: str | os.PathLike[str], dtype: str = "float32",
                 preview_path: Path | None = None, log_axes: bool = False) -> list[str]:
    """Save ``result``'s values to ``output`` (and a preview) atomically; return the report, one line per item.

    Parameters
    ----------
    result
        What :func:`~imarray.digitize.digitize` recovered.
    output
        The values' file (``.tif`` keeps float exactly, with spacing and
        origin from the axes), or None for none.
    figure
        The figure's name, as the report names it.
    dtype
        ``"float32"`` or ``"float64"``.
    preview_path
        Where the preview picture goes (see :func:`~imarray.digitize.preview`), or None.
    log_axes
        An axis is logarithmic (``--x-log``/``--y-log``): no constant
        spacing, so the values are saved alone and the coordinates reported
        (so too when an axis read from the tick labels is logarithmic).

    What was read from the axes' tick labels (``axes_ocr``) is reported too.
    """
    y0, y1, x0, x1 = result.box
    lines = [f"{figure}: plot box rows {y0}-{y1}, columns {x0}-{x1}; {result.mask.mean():.1%} data "
             f"(colour distance <= {result.threshold:.1f})"]
    lines += [f"{figure}: {reading} (--{reading.name}-axis overrides)"
              for reading in (result.x_reading, result.y_reading) if reading is not None]
    log_axes = log_axes or any(axis is not None and axis.scale == "log" for axis in (result.x_axis, result.y_axis))
    if output is not None:
        from .. import api

        if log_axes:  # no constant spacing: the values alone, coordinates reported below
            written = api.save(output, result.values.astype(dtype), axes="yx")
        else:  # spacing and origin from the axes (or figure pixels) travel with the values
            image = result.to_image(dtype)
            written = api.write(output, image)
            up = result.y_axis is not None and result.y_axis.spacing < 0
            lines.append(f"geometry (y, x): spacing {image.spacing}, origin {image.origin}"
                         + (" (rows flipped: y increases down the file)" if up else ""))
        lines.append(f"values -> {written}  ({dtype}, {y1 - y0} x {x1 - x0}, NaN where no data)")
    for name, axis, coords in (("x", result.x_axis, result.x), ("y", result.y_axis, result.y)):
        if axis is not None:
            lines.append(f"{name}: {coords[0]:.6g} .. {coords[-1]:.6g} over {coords.size} pixels "
                         "(in the figure's order)")
    if preview_path is not None:
        from .plot import preview

        preview(result, preview_path)
        lines.append(f"preview -> {preview_path}")
    return lines
