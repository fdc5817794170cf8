"""A colorbar marked by hand: a rectangle over its colour strip, checked, sampled as a found one is.

When :func:`~imarray.digitize.colorbar.find_colorbars` misses a colorbar (or
finds the wrong thing), the user drags a rectangle over the bar's colour
strip on the page (or gives ``--colorbar-box Y0 Y1 X0 X1``). The bar runs
along the rectangle's longer side; its colours are sampled as a found bar's
are (the median of the middle half across, at each pixel along), and from
there it is an ordinary :class:`~imarray.digitize.colorbar.Colorbar`: its
ends and tick marks are clicked, its model built by
:meth:`~imarray.digitize.colorbar.Colorbar.model`.

A rectangle is refused (:class:`~imarray.digitize.serve.request.BadRequest`,
saying what to drag) when it leaves the figure, is thinner than
:data:`MIN_THICK` pixels, shorter than :data:`MIN_LONG` pixels or than
:data:`MIN_ASPECT` times its thickness, or holds one colour only.

Examples
--------
>>> import numpy as np
>>> from matplotlib import colormaps
>>> page = np.full((120, 60, 3), 255, np.uint8)
>>> page[10:110, 40:48] = colormaps["viridis"](np.linspace(1, 0, 100), bytes=True)[:, None, :3]
>>> bar = colorbar_in(page, (10, 110, 40, 48))
>>> bar.orientation, bar.box, [int(v) for v in bar.colors[0]]
('vertical', (10, 110, 40, 48), [68, 1, 84])
>>> colorbar_in(page, (10, 110, 40, 42))
Traceback (most recent call last):
...
imarray.digitize.serve.request.BadRequest: the colorbar rectangle (rows 10-110, columns 40-42) is 2 px thick: ...
"""

from __future__ import annotations

import numpy as np

from ..colorbar import Colorbar
from .request import BadRequest

__all__ = ["MIN_ASPECT", "MIN_LONG", "MIN_THICK", "colorbar_in"]

#: a hand-drawn bar is at least this many pixels thick (across), this long, and this many times longer than thick
MIN_THICK = 3
MIN_LONG = 20
MIN_ASPECT = 2.0
_HINT = "drag the rectangle over the colorbar's colour strip, from one end to the other, inside its outline"


def colorbar_in(rgb: np.ndarray, box: tuple[int, int, int, int]) -> Colorbar:
    """The colorbar whose colour strip fills ``box`` ``(y0, y1, x0, x1)`` of ``rgb``; :class:`BadRequest` if unfit.

    Vertical when the box is taller than wide (low end at the bottom, as
    :func:`~imarray.digitize.colorbar.find_colorbars` has it), else horizontal
    (low end at the left).
    """
    height, width = rgb.shape[:2]
    y0, y1, x0, x1 = box
    where = f"the colorbar rectangle (rows {y0}-{y1}, columns {x0}-{x1})"
    if not (0 <= y0 < y1 <= height and 0 <= x0 < x1 <= width):
        raise BadRequest(f"{where} is empty or leaves the {height} x {width} figure", hint=_HINT)
    vertical = y1 - y0 > x1 - x0
    long, thick = (y1 - y0, x1 - x0) if vertical else (x1 - x0, y1 - y0)
    if thick < MIN_THICK:
        raise BadRequest(f"{where} is {thick} px thick: at least {MIN_THICK} are needed", hint=_HINT)
    if long < max(MIN_LONG, MIN_ASPECT * thick):
        raise BadRequest(f"{where} is {long} px long and {thick} px thick: a colour strip at least {MIN_LONG} px "
                         f"long and {MIN_ASPECT:g} times longer than thick is needed", hint=_HINT)
    # as a found bar's colours (colorbar._bar): the median over the middle half across, at each pixel along
    quarter = thick // 4
    if vertical:
        colors = np.median(rgb[y0:y1, x0 + quarter : x1 - quarter], axis=1)[::-1]
        positions = np.arange(y0, y1)[::-1]
    else:
        colors = np.median(rgb[y0 + quarter : y1 - quarter, x0:x1], axis=0)
        positions = np.arange(x0, x1)
    colors = np.rint(colors).astype(np.uint8)
    if len(np.unique(colors, axis=0)) < 2:
        raise BadRequest(f"{where} holds one colour only, {tuple(int(c) for c in colors[0])}: no colour strip",
                         hint=_HINT)
    return Colorbar(box=(y0, y1, x0, x1), orientation="vertical" if vertical else "horizontal", colors=colors,
                    positions=positions.astype(np.float64))
