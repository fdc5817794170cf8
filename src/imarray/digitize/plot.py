"""A preview figure: the source, the recovered field, the mask and a reconstruction, side by side.

Examples
--------
>>> import numpy as np
>>> from matplotlib import colormaps
>>> from imarray.digitize import digitize
>>> rgb = colormaps["viridis"](np.tile(np.linspace(0, 1, 40), (30, 1)), bytes=True)[..., :3]
>>> fig = preview(digitize(rgb, cmap="viridis", vmin=0, vmax=1))
>>> len(fig.axes)
5
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._atomic import atomic_file
from ..errors import InvalidOptionError
from ._deps import need
from .pipeline import Digitized
from .reduce import reconstruct, reduce

__all__ = ["preview", "preview_format"]


def preview_format(path: str | os.PathLike[str]) -> str:
    """The picture format matplotlib writes for ``path``'s extension, or an error naming the ones it knows.

    Examples
    --------
    >>> preview_format("preview.PNG")
    'png'
    """
    known = need("matplotlib.backend_bases").FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix not in known:
        raise InvalidOptionError(
            f"a preview cannot be saved as {suffix or 'a file without extension'!r}", path=path,
            hint=f"end the name with one of: {', '.join('.' + k for k in sorted(known))}",
        )
    return suffix


def _extent(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """imshow's extent: the outer edges of the first and last pixels (a one-pixel box has width too)."""
    dx = (x[-1] - x[0]) / (x.size - 1) if x.size > 1 else 1.0
    dy = (y[-1] - y[0]) / (y.size - 1) if y.size > 1 else 1.0
    return (x[0] - dx / 2, x[-1] + dx / 2, y[-1] + dy / 2, y[0] - dy / 2)


def preview(result: Digitized, path: str | os.PathLike[str] | None = None, *, n: int | None = None, dpi: int = 100):
    """Draw the preview; save it to ``path`` (atomically, format from the extension) if given.

    The reconstruction interpolates the default :func:`~imarray.digitize.reduce.reduce`
    (``n`` points) back onto the grid, so a poor one shows that the field
    needs more points than the figure's smoothness suggests.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot: no window opens.
    """
    picture = None if path is None else preview_format(path)
    figure_mod = need("matplotlib.figure")
    points = reduce(result.values, n=n)
    rebuilt = reconstruct(points, result.values.shape)
    extent = _extent(result.x, result.y) if result.values.size else None
    cmap = result.model.name if result.model.name != "colorbar" else "viridis"
    low, high = np.nanmin(result.model.low), np.nanmax(result.model.high)
    fig = figure_mod.Figure(figsize=(16, 4), dpi=dpi, layout="constrained")
    panels = fig.subplots(1, 4, sharex=True, sharey=True)
    panels[0].imshow(result.rgb, extent=extent, aspect="auto", interpolation="nearest")
    panels[0].set_title("source")
    field = panels[1].imshow(result.values, cmap=cmap, vmin=low, vmax=high, extent=extent, aspect="auto",
                             interpolation="nearest")
    panels[1].set_title(f"recovered ({result.mask.mean():.1%} of the box)")
    panels[2].imshow(result.mask, cmap="gray_r", vmin=0, vmax=1, extent=extent, aspect="auto",
                     interpolation="nearest")
    panels[2].set_title(f"mask (colour distance <= {result.threshold:.0f})")
    patches = need("matplotlib.patches")
    panels[2].legend(handles=[patches.Patch(facecolor="black", label="data"),
                              patches.Patch(facecolor="white", edgecolor="grey", label="dropped")],
                     loc="lower right", fontsize="small")
    panels[3].imshow(rebuilt, cmap=cmap, vmin=low, vmax=high, extent=extent, aspect="auto", interpolation="nearest")
    panels[3].plot(result.x[points.x], result.y[points.y], ",", color="k")
    panels[3].set_title(f"reconstruction from {len(points)} points")
    fig.colorbar(field, ax=panels, shrink=0.9)
    if path is not None:
        target = Path(path)
        with atomic_file(target) as temporary:
            fig.savefig(temporary, format=picture)
    return fig
