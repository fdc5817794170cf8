"""The pictures the correction page shows: the figure, the recovered field and its error map, as PNG bytes.

The field is drawn back through the colour model it was read with (each
value in the colour whose interval holds it), so where the reading is right
it looks like the figure; pixels that are not data are transparent. The
error map shows each pixel's colour distance to the model (what the
threshold is compared with) on a dark-to-bright scale up to twice the
threshold; pixels left out as non-data are blue.

Examples
--------
>>> import numpy as np
>>> png(np.zeros((2, 3, 3), np.uint8))[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import base64
import io

import numpy as np

from .._deps import need
from ..colormap import ColorModel
from ..pipeline import Digitized

__all__ = ["data_url", "error_picture", "field_picture", "png"]

#: the colour of pixels left out as non-data in the error map
LEFT_OUT = (40, 110, 255)


def png(pixels: np.ndarray) -> bytes:
    """``(y, x, 3)`` or ``(y, x, 4)`` uint8 pixels as PNG bytes (fast compression: pictures for a screen)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def data_url(pixels: np.ndarray) -> str:
    """The pixels as a ``data:image/png;base64,...`` URL, for an ``<img>`` in a JSON answer."""
    return "data:image/png;base64," + base64.b64encode(png(pixels)).decode("ascii")


def recolor(values: np.ndarray, model: ColorModel) -> np.ndarray:
    """RGBA uint8: each finite value in the colour of the model's interval that holds it; NaN transparent."""
    order = np.argsort(model.low, kind="stable")
    low, colors = model.low[order], model.colors[order]
    finite = np.isfinite(values)
    index = np.clip(np.searchsorted(low, np.where(finite, values, low[0]), side="right") - 1, 0, len(low) - 1)
    rgba = np.zeros((*values.shape, 4), np.uint8)
    rgba[..., :3] = colors[index]
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def field_picture(result: Digitized) -> np.ndarray:
    """The recovered field drawn through its colour model (RGBA, transparent where no data)."""
    return recolor(result.values, result.model)


def error_picture(result: Digitized) -> np.ndarray:
    """Each pixel's colour distance to the model, dark (0) to bright (twice the threshold); non-data blue."""
    scale = max(2.0 * result.threshold, 1.0)
    shade = np.clip(result.distance / scale, 0.0, 1.0)
    rgb = need("matplotlib").colormaps["inferno"](shade, bytes=True)[..., :3]
    rgb[~result.mask] = LEFT_OUT
    return rgb
