"""Known fields rendered by matplotlib (Agg) in the test session, with the truth per figure pixel."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from PIL import Image as PILImage


def smooth_field(shape: tuple[int, int], lo: float = 0.0, hi: float = 0.7, seed: int = 0) -> np.ndarray:
    """A smooth field spanning [lo, hi]: a few Gaussian bumps and a tilt."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : 1 : shape[0] * 1j, 0 : 1 : shape[1] * 1j]
    f = 0.6 * x + 0.3 * y
    for _ in range(4):
        cy, cx, w, a = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.25), rng.uniform(-1, 1)
        f += a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * w**2))
    f = (f - f.min()) / (f.max() - f.min())
    return lo + (hi - lo) * f


def clean_render(field: np.ndarray, cmap: str, vmin: float, vmax: float) -> np.ndarray:
    """What plt.imsave writes: the colormap's bytes per value, no axes."""
    return colormaps[cmap](Normalize(vmin, vmax)(field), bytes=True)[..., :3]


def encode(rgb: np.ndarray, fmt: str = "png", quality: int = 75) -> np.ndarray:
    """Round-trip through a PNG or JPEG file in memory."""
    buffer = io.BytesIO()
    PILImage.fromarray(rgb).save(buffer, format=fmt, **({"quality": quality} if fmt == "jpeg" else {}))
    buffer.seek(0)
    return np.asarray(PILImage.open(buffer).convert("RGB"))


@dataclass
class Rendered:
    rgb: np.ndarray  # the figure as read back from PNG
    truth: np.ndarray  # per figure pixel the value drawn there, NaN off the image
    inside: np.ndarray  # bool: pixel lies inside the image extent (shrunk by 1 px)
    outside: np.ndarray  # bool: pixel lies outside the image extent (grown by 1 px): text, ticks, paper, bar
    extent_px: tuple[float, float, float, float]  # x0, x1, y0(top), y1(bottom) in figure pixels
    tick_px: np.ndarray  # colorbar ticks: pixel index positions along the bar (row or column)
    tick_values: np.ndarray
    bar_px: tuple[float, float, float, float]  # the colorbar's body (without extend triangles): y0, y1, x0, x1

    def pixel(self, display: float) -> float:
        """A display x coordinate (or a row counted from the top) as a pixel index, centres at integers."""
        return display - 0.5


def figure_render(field: np.ndarray, cmap: str, vmin: float, vmax: float, *, size=(4.0, 3.0), dpi=100,
                  extent=(0.0, 40.0, 0.0, 30.0), alpha: float | None = None, norm=None,
                  orientation: str = "vertical", coastline: bool = False, extend: str = "neither",
                  bar_formatter=None) -> Rendered:
    """imshow with axes, ticks, labels, title and a colorbar, saved to PNG and read back.

    ``bar_formatter``: a matplotlib tick formatter for the colorbar's labels (and its offset text).
    """
    fig = Figure(figsize=size, dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    kwargs = {"norm": norm} if norm is not None else {"vmin": vmin, "vmax": vmax}
    im = ax.imshow(field, cmap=cmap, interpolation="nearest", origin="lower", extent=extent, aspect="auto",
                   alpha=alpha, **kwargs)
    if coastline:  # a black wiggly line across the field, as a map's coast
        t = np.linspace(0, 1, 200)
        ax.plot(extent[0] + (extent[1] - extent[0]) * t,
                extent[2] + (extent[3] - extent[2]) * (0.5 + 0.3 * np.sin(9 * t) * np.cos(4 * t)), "k-", lw=1)
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
    ax.set_title("A known field")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    bar = fig.colorbar(im, ax=ax, orientation=orientation, extend=extend)
    if bar_formatter is not None:
        bar.formatter = bar_formatter
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    buffer.seek(0)
    rgb = np.asarray(PILImage.open(buffer).convert("RGB"))
    height = rgb.shape[0]
    (x0, y0), (x1, y1) = ax.transData.transform([(extent[0], extent[2]), (extent[1], extent[3])])
    top, bottom = height - y1, height - y0
    canvas.draw()
    ticks = np.array([t for t in bar.get_ticks() if vmin <= t <= vmax])
    if orientation == "vertical":
        tick_px = height - bar.ax.transData.transform(np.column_stack([np.zeros_like(ticks), ticks]))[:, 1] - 0.5
    else:
        tick_px = bar.ax.transData.transform(np.column_stack([ticks, np.zeros_like(ticks)]))[:, 0] - 0.5
    rows, cols = np.indices(rgb.shape[:2]) + 0.5
    iy = np.floor((bottom - rows) / (bottom - top) * field.shape[0]).astype(int)  # origin="lower"
    ix = np.floor((cols - x0) / (x1 - x0) * field.shape[1]).astype(int)
    on = (iy >= 0) & (iy < field.shape[0]) & (ix >= 0) & (ix < field.shape[1])
    truth = np.full(rgb.shape[:2], np.nan)
    truth[on] = field[iy[on], ix[on]]
    inside = (cols > x0 + 1) & (cols < x1 - 1) & (rows > top + 1) & (rows < bottom - 1)
    outside = ~((cols > x0 - 1) & (cols < x1 + 1) & (rows > top - 1) & (rows < bottom + 1))
    body = bar.ax.get_window_extent()
    bar_px = (height - body.y1, height - body.y0, body.x0, body.x1)
    return Rendered(rgb, truth, inside, outside, (x0, x1, top, bottom), tick_px, ticks, bar_px)


@dataclass
class Panel:
    truth: np.ndarray  # per figure pixel the value drawn there, NaN off this panel's field
    inside: np.ndarray  # bool: inside the field (shrunk by 1 px)
    box: tuple[float, float, float, float]  # x0, x1, top, bottom in figure pixels


def _panel_truth(ax, field: np.ndarray, shape: tuple[int, int]) -> Panel:
    """Truth per figure pixel for a field drawn over extent (0, w, 0, h) with row 0 at the bottom."""
    height = shape[0]
    (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (field.shape[1], field.shape[0])])
    top, bottom = height - y1, height - y0
    rows, cols = np.indices(shape) + 0.5
    iy = np.floor((bottom - rows) / (bottom - top) * field.shape[0]).astype(int)
    ix = np.floor((cols - x0) / (x1 - x0) * field.shape[1]).astype(int)
    on = (iy >= 0) & (iy < field.shape[0]) & (ix >= 0) & (ix < field.shape[1])
    truth = np.full(shape, np.nan)
    truth[on] = field[iy[on], ix[on]]
    inside = (cols > x0 + 1) & (cols < x1 - 1) & (rows > top + 1) & (rows < bottom - 1)
    return Panel(truth, inside, (x0, x1, top, bottom))


def styled_render(fields: list[np.ndarray], cmap: str, ranges: list[tuple[float, float]], *, kind: str = "imshow",
                  style: str = "default", grid: bool = False, spines: bool = True, norm=None,
                  size=(5.0, 4.0), dpi=100, linewidth: float = 0.5) -> tuple[np.ndarray, list[Panel]]:
    """Figures people have: one panel per field side by side, each with its own colorbar.

    ``kind``: "imshow" (nearest), "pcolormesh", "edges" (pcolormesh with white cell edges, as seaborn's
    ``heatmap(linewidths=...)``). ``style``: a matplotlib style ("dark_background", "ggplot", ...).
    ``norm``: a callable (vmin, vmax) -> matplotlib norm, for norms other than linear.
    """
    import matplotlib.style

    with matplotlib.style.context(style):
        fig = Figure(figsize=size, dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        axes = [fig.add_subplot(1, len(fields), i + 1) for i in range(len(fields))]
        for ax, field, (vmin, vmax) in zip(axes, fields, ranges, strict=True):
            scale = {"norm": norm(vmin, vmax)} if norm is not None else {"vmin": vmin, "vmax": vmax}
            if kind == "imshow":
                im = ax.imshow(field, cmap=cmap, interpolation="nearest", origin="lower", aspect="auto",
                               extent=(0, field.shape[1], 0, field.shape[0]), **scale)
            else:
                edges = {"edgecolors": "w", "linewidth": linewidth} if kind == "edges" else {}
                im = ax.pcolormesh(field, cmap=cmap, **edges, **scale)
            if grid:
                ax.grid(True)
            if not spines:
                for spine in ax.spines.values():
                    spine.set_visible(False)
            fig.colorbar(im, ax=ax)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi)
        buffer.seek(0)
        rgb = np.asarray(PILImage.open(buffer).convert("RGB"))
        canvas.draw()
        return rgb, [_panel_truth(ax, field, rgb.shape[:2]) for ax, field in zip(axes, fields, strict=True)]
