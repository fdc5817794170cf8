"""One figure being corrected by hand: what was found in it, digitize runs with the page's settings, and saves.

A :class:`Session` loads the figure once and finds its colorbars (with their
tick marks) and plot boxes; a colorbar the user marks by hand
(:meth:`Session.drawn`) joins them, after the ones found. :meth:`Session.run`
digitizes with the settings the page sends, the x and y axes calibrated from
the two points clicked on each (:meth:`Session.axes`) or read from their tick
labels (:meth:`Session.read_axes`); :meth:`Session.save` writes the files
``imarray digitize`` would write for the same settings (it refuses a doubtful
result as the command does) into the session's folder only. Runs are
serialised: the pipeline's warnings are gathered per run, and two cores are
shared anyway.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from matplotlib import colormaps
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rgb = colormaps["viridis"](np.tile(np.linspace(0, 1, 40), (30, 1)), bytes=True)[..., :3]
>>> Image.fromarray(rgb).save(folder / "fig.png")
>>> session = Session(folder / "fig.png", folder, Fixed(), Settings(cmap="viridis"))
>>> run = session.run(Settings(cmap="viridis", range=(0.0, 1.0)))
>>> run.result.box, run.range, run.warnings
((0, 30, 0, 40), (0.0, 1.0), [])
>>> session.save(Settings(cmap="viridis", range=(0, 1), output="field.tif"))[0][-1]
'values -> ...field.tif  (float32, 30 x 40, NaN where no data)'
>>> run = session.run(Settings(range=(0.0, 1.0), bar_box=(0, 10, 0, 40), x_axis=(0, 0.0, 39, 1.0)))
>>> run.result.colorbar.orientation, float(run.result.x[-1])
('horizontal', 1.0)
>>> run.command.split(" --range")[0]
'imarray digitize .../fig.png --colorbar-box 0 10 0 40'
"""

from __future__ import annotations

import shlex
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..calibrate import Axis
from ..colorbar import Colorbar, colorbar_in, find_colorbars
from ..mask import as_rgb
from ..paper import paper_colour
from ..pipeline import Digitized, DigitizeWarning, _reading_order, digitize, digitize_panels
from .paths import confined
from .request import BadRequest, Point, Settings, axis_points

__all__ = ["Fixed", "Refused", "Run", "Session"]

#: the sides of a bar where tick marks are looked for, in the order matplotlib puts them
_SIDES = {"vertical": ("right", "left"), "horizontal": ("below", "above")}


class Refused(BadRequest):
    """The result is doubtful (a :class:`~imarray.digitize.DigitizeWarning`): nothing is written, as the CLI does."""


@dataclass(frozen=True)
class Fixed:
    """Options given on the command line that the page does not change (alpha, denoise, dtype, ...)."""

    alpha: float | None = None
    median: int | None = None
    colorbar: str | None = None
    dtype: str = "float32"
    flags: tuple[str, ...] = ()  # the same options as command-line flags, for the equivalent command


@dataclass
class Run:
    """One digitize run: the result, the range used, the warnings it gave and the equivalent command."""

    result: Digitized
    range: tuple[float, float] | None
    warnings: list[str] = field(default_factory=list)
    doubtful: bool = False
    command: str = ""


def _tick_marks(rgb: np.ndarray, bar: Colorbar, page: np.ndarray) -> list[float]:
    """The major tick marks beside ``bar`` (pixels along it), on the side that has most."""
    from ..ticks import _tick_marks as marks_on

    found = [marks_on(rgb, bar, side, page)[0] for side in _SIDES[bar.orientation]]
    return [float(v) for v in max(found, key=len)]


def _ends(bar: Colorbar) -> tuple[float, float]:
    """Pixel positions of the bar's low and high ends (its outer edges, where vmin and vmax are)."""
    y0, y1, x0, x1 = bar.box
    return (y1 - 0.5, y0 - 0.5) if bar.orientation == "vertical" else (x0 - 0.5, x1 - 0.5)


def _described(bar: Colorbar, ticks: list[float]) -> dict[str, Any]:
    """A bar as the page draws it: box, orientation, the pixel positions of its ends and tick marks."""
    return {"box": list(bar.box), "orientation": bar.orientation, "ends": list(_ends(bar)), "ticks": ticks}


def _axis_words(name: str, points: tuple[float, ...] | None, log: bool) -> list[str]:
    """``--x-axis PX1 V1 PX2 V2 [--x-log]`` (and y), as the command takes them."""
    return ([f"--{name}-axis", *map(repr, points)] if points else []) + ([f"--{name}-log"] if log else [])


class Session:
    """A figure, the folder saves go to, the command line's fixed options and the page's first settings."""

    def __init__(self, figure: Path, folder: Path, fixed: Fixed, settings: Settings) -> None:
        from ...api import load

        self.figure, self.folder, self.fixed, self.initial = figure, folder, fixed, settings
        self.array = load(figure)
        self.rgb = as_rgb(self.array, None, path=str(figure))
        self.axes(settings)  # the command line's axes, checked before any work
        bars = find_colorbars(self.rgb)
        self.bars = [bars[i] for i in _reading_order([bar.box for bar in bars])]
        self.page = paper_colour(self.rgb)
        self.ticks = [_tick_marks(self.rgb, bar, self.page) for bar in self.bars]
        self._lock = threading.Lock()
        self._drawn: dict[tuple[int, int, int, int], tuple[Colorbar, list[float]]] = {}
        self.boxes = self._panels(settings)

    def _panels(self, settings: Settings) -> list[tuple[int, int, int, int]]:
        """The plot boxes digitize finds (the range does not move them: any one will do), or none."""
        if settings.box is not None:
            return [settings.box]
        drawn = None if settings.bar_box is None else self._marked(settings.bar_box)[0]  # checked here, first
        if settings.cmap is None and not self.bars and drawn is None:
            return []
        low, high = settings.range or (0.0, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                found = digitize_panels(self.array, cmap=settings.cmap, vmin=low, vmax=high,
                                        colorbar=(drawn or "auto") if settings.cmap is None else None,
                                        lines=settings.lines, alpha=self.fixed.alpha)
            except (ValueError, TypeError):  # an unknown colormap or another bad start: the user picks a box
                return []
        return [r.box for r in found]

    def state(self) -> dict[str, Any]:
        """What the page draws first: the figure's size, the colorbars and their ticks, the boxes, the settings."""
        from .._deps import need
        from ..seaborn_maps import SEABORN_MAPS

        names = sorted([*need("matplotlib").colormaps, *SEABORN_MAPS, *(f"{n}_r" for n in SEABORN_MAPS)])
        initial = self.initial
        return {
            "figure": self.figure.name, "folder": str(self.folder), "height": int(self.rgb.shape[0]),
            "width": int(self.rgb.shape[1]), "boxes": [list(b) for b in self.boxes],
            "bars": [_described(bar, ticks) for bar, ticks in zip(self.bars, self.ticks, strict=True)],
            "drawn": None if initial.bar_box is None else self.drawn(initial.bar_box),
            "cmaps": names, "fixed": list(self.fixed.flags),
            "settings": {"cmap": initial.cmap, "norm": initial.norm, "range": initial.range, "center": initial.center,
                         "gamma": initial.gamma, "linthresh": initial.linthresh, "boundaries": initial.boundaries,
                         "box": initial.box or (self.boxes[0] if self.boxes else None), "threshold": initial.threshold,
                         "lines": initial.lines, "output": initial.output, "preview": initial.preview,
                         "x_axis": initial.x_axis, "y_axis": initial.y_axis, "x_log": initial.x_log,
                         "y_log": initial.y_log},
        }

    def _marked(self, box: tuple[int, int, int, int]) -> tuple[Colorbar, list[float]]:
        """The colorbar marked by hand over ``box`` and its tick marks (built once per box)."""
        marked = self._drawn.get(box)
        if marked is None:
            bar = colorbar_in(self.rgb, box)
            marked = (bar, _tick_marks(self.rgb, bar, self.page))
            self._drawn = {box: marked}  # the last one drawn only
        return marked

    def drawn(self, box: tuple[int, int, int, int]) -> dict[str, Any]:
        """The colorbar whose colour strip the user marked with ``box``, as the page draws it (see
        :func:`~imarray.digitize.colorbar.colorbar_in`).

        It comes after the colorbars found: calibration points on it name it
        by the index ``len(self.bars)``.
        """
        return {**_described(*self._marked(box)), "index": len(self.bars)}

    def _bars(self, drawn: tuple[int, int, int, int] | None) -> list[Colorbar]:
        """The colorbars found, and the one marked by hand (if any) after them."""
        return self.bars + ([self._marked(drawn)[0]] if drawn is not None else [])

    def read_ticks(self, bar: int, log: bool, drawn: tuple[int, int, int, int] | None = None) -> dict[str, Any]:
        """Calibration points from colorbar ``bar``'s tick labels (OCR, the ``ocr`` extra), and what was read."""
        from ..ticks import read_ticks

        bars = self._bars(drawn)
        if not 0 <= bar < len(bars):
            raise BadRequest(f"no colorbar {bar}: {len(bars)} found or drawn",
                             hint="click a colorbar's ends instead, or draw the colorbar")
        with self._lock:
            reading = read_ticks(self.rgb, bars[bar], log=log, path=self.figure.name)
        points = [{"bar": bar, "at": float(at), "value": float(value)}
                  for at, value in zip(reading.positions, reading.values, strict=True)]
        return {"points": points, "reading": str(reading)}

    def range_from(self, points: tuple[Point, ...], norm: str,
                   drawn: tuple[int, int, int, int] | None = None) -> tuple[float, float]:
        """The values at the bar's ends from points clicked on it: a line (log10 for ``norm="log"``) through them.

        A point on an end, or within :data:`~imarray.digitize.ticks.END_SNAP`
        pixels of it (as the OCR reading of the labels does), gives that end
        its value as typed.
        """
        from ..ticks import END_SNAP

        bars = self._bars(drawn)
        which = {p.bar for p in points}
        if len(which) != 1 or not 0 <= next(iter(which)) < len(bars):
            raise BadRequest(f"calibration points must lie on one of the {len(bars)} colorbars found or drawn",
                             hint="click two places on one colorbar (its ends, or tick marks) and type their values")
        bar = bars[points[0].bar]
        at = np.array([p.at for p in points])
        values = np.array([p.value for p in points])
        if len(at) < 2 or np.ptp(at) < 1:
            raise BadRequest("two calibration points at least one pixel apart are needed",
                             hint="click the colorbar's two ends (or two tick marks) and type their values")
        log = norm == "log"
        if log and (values <= 0).any():
            raise BadRequest("a log colorbar's values are positive", hint="type values above 0, or choose norm linear")
        slope, offset = np.polyfit(at, np.log10(values) if log else values, 1)
        ends = []
        for end in _ends(bar):
            nearest = int(np.argmin(np.abs(at - end)))
            fitted = slope * end + offset
            ends.append(float(values[nearest]) if abs(at[nearest] - end) <= END_SNAP
                        else float(10.0**fitted if log else fitted))
        low, high = ends
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise BadRequest(f"the values typed give the bar's ends {low:g} (low end) and {high:g} (high end)",
                             hint="the low end (bottom of a vertical bar, left of a horizontal one) needs the lower "
                                  "value")
        return (low, high)

    def axes(self, settings: Settings) -> tuple[Axis | None, Axis | None]:
        """The x and y axes through the two points clicked on each: distinct, on the figure (log values above 0)."""
        height, width = self.rgb.shape[:2]
        made: list[Axis | None] = []
        for name, points, log, size, where in (("x", settings.x_axis, settings.x_log, width, "column"),
                                               ("y", settings.y_axis, settings.y_log, height, "row")):
            if points is None:
                made.append(None)
                continue
            points = axis_points(name, list(points), log)  # settings from the command line come unchecked
            for pixel in points[::2]:
                if not -0.5 <= pixel <= size - 0.5:
                    raise BadRequest(f"{name} axis: {where} {pixel:g} is off the figure ({where}s 0 to {size - 1})",
                                     hint=f"click two places on the figure along its {name} axis")
            made.append(Axis(*points, scale="log" if log else "linear"))
        return made[0], made[1]

    def read_axes(self, box: tuple[int, int, int, int], x_log: bool, y_log: bool) -> dict[str, Any]:
        """Each axis of plot box ``box`` from its tick labels (OCR, the ``ocr`` extra): points, scale and what was read.

        The two points are the outermost tick marks read and their labels, as
        a user would click and type them (the line through all the labels
        read is within the reading's residual of theirs). An axis that cannot
        be read gets ``{"error": why}`` (the other may still be read);
        ``x_log``/``y_log`` say the axis is logarithmic (otherwise its scale
        is log when the labels are powers of ten).
        """
        from ..axis_ticks import AxisTicksNotReadError, read_axis_ticks

        height, width = self.rgb.shape[:2]
        y0, y1, x0, x1 = box
        if not (0 <= y0 < y1 <= height and 0 <= x0 < x1 <= width):
            raise BadRequest(f"box {list(box)} is empty or outside the {height} x {width} figure",
                             hint="drag the plot box onto the plot first")
        answer: dict[str, Any] = {}
        for name, log in (("x", x_log), ("y", y_log)):
            try:
                with self._lock:
                    reading = read_axis_ticks(self.rgb, box, name, scale="log" if log else "auto",  # type: ignore[arg-type]
                                              path=self.figure.name)
            except AxisTicksNotReadError as err:
                answer[name] = {"error": " ".join(str(err).split())}
                continue
            ends = [float(v) for i in (0, -1) for v in (reading.positions[i], reading.values[i])]
            answer[name] = {"axis": ends, "log": reading.scale == "log", "reading": str(reading),
                            "confidence": reading.confidence}
        return answer

    def _options(self, settings: Settings, low: float | None, high: float | None) -> dict[str, Any]:
        x_axis, y_axis = self.axes(settings)
        if settings.cmap is not None:
            colorbar: Any = self.fixed.colorbar
        else:  # the colorbar's colours are the model: the one marked by hand, else those found
            colorbar = self._marked(settings.bar_box)[0] if settings.bar_box is not None else "auto"
        return dict(
            cmap=settings.cmap, vmin=low, vmax=high, norm=settings.norm, boundaries=settings.boundaries,
            center=settings.center, gamma=settings.gamma, linthresh=settings.linthresh, colorbar=colorbar,
            box=settings.box, threshold="auto" if settings.threshold is None else settings.threshold,
            lines=settings.lines, alpha=self.fixed.alpha, median=self.fixed.median, x_axis=x_axis, y_axis=y_axis,
        )

    def run(self, settings: Settings) -> Run:
        """Digitize with ``settings``; warnings are gathered, errors (bad settings) raised as the pipeline's."""
        if settings.points:
            span: tuple[float, float] | None = self.range_from(settings.points, settings.norm, settings.bar_box)
        else:
            span = settings.range
        if span is None and settings.norm not in ("boundary", "contourf"):
            raise BadRequest("no range yet", hint="click the colorbar's two ends (or two tick marks) and type their "
                                                  "values, or type the range")
        low, high = span if span is not None else (None, None)
        options = self._options(settings, low, high)
        with self._lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = digitize(self.array, **options)
        said = [w for w in caught if issubclass(w.category, UserWarning)]
        return Run(result=result, range=span, warnings=[" ".join(str(w.message).split()) for w in said],
                   doubtful=any(issubclass(w.category, DigitizeWarning) for w in said),
                   command=self.command(settings, span))

    def command(self, settings: Settings, span: tuple[float, float] | None, output: str | None = None) -> str:
        """The ``imarray digitize`` command that reads the figure as ``settings`` do."""
        words = ["imarray", "digitize", str(self.figure)]
        if settings.cmap:
            words += ["--cmap", settings.cmap]
        elif settings.bar_box is not None:
            words += ["--colorbar-box", *map(str, settings.bar_box)]
        else:
            words += ["--colorbar", "auto"]
        if span is not None:
            words += ["--range", repr(span[0]), repr(span[1])]
        if settings.norm != "linear":
            words += ["--norm", settings.norm]
        for name in ("center", "gamma", "linthresh", "threshold"):
            value = getattr(settings, name)
            if value is not None:
                words += [f"--{name}", repr(value)]
        if settings.boundaries:
            words += ["--boundaries", *map(repr, settings.boundaries)]
        if settings.box is not None:
            words += ["--box", *map(str, settings.box)]
        if settings.lines != "mask":
            words += ["--lines", settings.lines]
        words += _axis_words("x", settings.x_axis, settings.x_log) + _axis_words("y", settings.y_axis, settings.y_log)
        words += [*self.fixed.flags]
        target = output or settings.output
        if target:
            words += ["-o", str(self.folder / target)]
        if settings.preview:
            words += ["--preview", str(self.folder / settings.preview)]
        return shlex.join(words)

    def save(self, settings: Settings) -> tuple[list[str], str]:
        """Write the values (and the preview, if named) into the folder as the CLI would.

        Returns the lines the CLI prints, and the equivalent command.
        """
        from ..output import write_result
        from ..plot import preview_format

        if settings.output is None:
            raise BadRequest("no output name", hint=f"type a file name inside {self.folder}, e.g. field.tif")
        output = confined(self.folder, settings.output)
        preview = None if settings.preview is None else confined(self.folder, settings.preview, key="preview")
        if preview is not None:
            preview_format(preview)
        run = self.run(settings)
        if run.doubtful:
            raise Refused(f"{self.figure.name}: {'; '.join(run.warnings)}; nothing written",
                          hint="correct the box, colormap or range until the warning goes away")
        with self._lock:
            lines = write_result(run.result, output, figure=self.figure, dtype=self.fixed.dtype,
                                 preview_path=preview, log_axes=settings.x_log or settings.y_log)
        return lines, run.command
