"""A plot's x and y axes calibrated from their tick labels, read by OCR (the ``ocr`` extra).

Along a plot box's bottom edge (x) and left edge (y) the tick marks are
found as short runs of ink leaving the frame at right angles, the first ink
met going outward from the box (past the frame line, or past a ggplot panel's
grey, which is not ink); the labels beyond them are read by OCR, each assigned
to the tick mark it stands at, and a line (in ``log10`` for a log axis) is fitted
through tick position and value. How sure the reading is: the engine's lowest
score among the labels used and the largest distance (pixels) of a tick from
the line.

The reading is refused (:class:`AxisTicksNotReadError`), never guessed, when
fewer than two ticks carry numbers, when most labels are not numbers (dates,
categories), when the numbers do not lie on a line, when x falls to the right
(an inverted axis, or minus signs the engine did not see), or when text
stands beyond the labels that does not read as matplotlib's offset text.

matplotlib's offset text (x: below the labels, right-aligned on the box's
right edge; y: above the box, left-aligned on its left edge) is read and
applied as for a colorbar (:func:`~imarray.digitize.ticks.read_offset`): a
multiplier ``1e7`` or ``x10^{7}``, an offset ``+1e5``, or both.

Examples
--------
>>> from imarray.digitize.axis_ticks import power_of_ten
>>> power_of_ten("10\\u22122"), power_of_ten("100"), power_of_ten("0.5")
(0.01, 1.0, None)
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..errors import ImarrayError, InvalidOptionError
from .calibrate import Axis
from .lines import true_runs
from .paper import paper_colour
from .ticks import (
    _POWER,
    BLANK,
    MAX_RESIDUAL,
    OFFSET_LONG,
    OFFSET_ROWS,
    OffsetText,
    TicksNotReadError,
    _fit,
    _ink,
    _ocr,
    _OffsetNotRead,
    parse_number,
    read_offset_at_edge,
    runs_from_edge,
)

__all__ = ["AxisReading", "AxisTicksNotReadError", "AxisTicksWarning", "check_scales", "read_axes", "read_axis_ticks"]

Scale = Literal["auto", "linear", "log"]

#: how far out from the box (pixels) the tick marks are looked for, and further by this share of the box's size
#: across the axis (ggplot expands a panel 5% beyond the data on each side)
SEARCH = 30
SEARCH_SHARE = 0.06
#: tick marks start within this many pixels of the first ink met going outward
TICK_GAP = 1
#: a tick mark is at most this long (pixels, outward) and this wide (along the axis)
TICK_LONG = 16
TICK_WIDE = 4
#: tick marks at least this share of the longest are major ticks (the labelled ones)
MAJOR = 0.75
#: how far beyond the box's ends (share of its length, and pixels at least) ticks and labels are looked for
MARGIN = 0.1
MARGIN_PX = 8
#: how far past the tick marks the labels may reach (pixels, outward)
LABEL_DEPTH = 60
#: a tick beyond the box's span continues the ticks inside within this share of their spacing
SPACING_SLACK = 0.15
#: a label is centred within this many pixels of its tick mark (after the labels' common shift)
LABEL_SNAP = 6.0
#: a text whose centre lies this many pixels off the labels' line is not a tick label (an offset, a multiplier)
OFF_LINE = 5.0


class AxisTicksNotReadError(ImarrayError, ValueError):
    """An axis's tick labels could not be turned into a calibration (see the message for why)."""


class AxisTicksWarning(UserWarning):
    """An axis was not calibrated from its tick labels: its coordinates are pixel indices."""


@dataclass(frozen=True)
class AxisReading:
    """What OCR read along one axis of a plot box.

    Attributes
    ----------
    name
        ``"x"`` (the box's bottom edge) or ``"y"`` (its left edge).
    positions, values
        Pixel positions of the tick marks used (columns for x, rows for y) and
        the numbers written at them.
    texts
        Every text read beside the axis.
    left_out
        Numbers read that lie off the line through the others (misread), not used.
    scale
        ``"linear"`` or ``"log"``.
    confidence
        The engine's lowest score among the labels used and the offset text.
    residual
        The largest distance, in pixels along the axis, of a tick from the line.
    axis
        The calibration: pixel position to data coordinate.
    scale
        matplotlib's offset or multiplier read beyond the labels, applied to
        them (``values`` are what the labels stand for); None when there is none.
    """

    name: str
    positions: np.ndarray
    values: np.ndarray
    texts: tuple[str, ...]
    left_out: tuple[str, ...]
    scale: str
    confidence: float
    residual: float
    axis: Axis
    offset: OffsetText | None = None

    def __str__(self) -> str:
        written = self.values if self.offset is None else (self.values - self.offset.offset) / self.offset.multiplier
        values = " ".join(f"{v:.6g}" for v in written)
        where = "below the plot box (x)" if self.name == "x" else "left of the plot box (y)"
        scaled = f", {self.offset}" if self.offset is not None else ""
        check = (f"on a {self.scale} line within {self.residual:.1f} px" if len(self.values) > 2
                 else f"two labels only, {self.scale}: no check of the line")
        dropped = f"; off the line, not used: {', '.join(map(repr, self.left_out))}" if self.left_out else ""
        unit = "log10 units" if self.scale == "log" else "units"
        return (f"{len(self.values)} tick labels {where} ({values}){scaled}, OCR confidence {self.confidence:.2f}, "
                f"{check}{dropped}: one pixel = {abs(self.axis.spacing):.3g} {unit}")


def power_of_ten(text: str) -> float | None:
    """The power of ten a log axis's label states (``10`` and an exponent, superscript read inline), or None."""
    match = _POWER.match(text.strip().replace("\u2212", "-").replace("\u2013", "-").replace(" ", ""))
    return 10.0 ** int(match.group(1)) if match else None


def _view(rgb: np.ndarray, box: tuple[int, int, int, int], name: str, depth: int) -> tuple[np.ndarray, int]:
    """The figure beside the axis as ``(along, outward)``, index 0 outward the first line outside the box (the
    frame, for matplotlib's axes), and the first index along."""
    height, width = rgb.shape[:2]
    y0, y1, x0, x1 = box
    lo, hi = (x0, x1) if name == "x" else (y0, y1)
    margin = max(int(MARGIN * (hi - lo)), MARGIN_PX)
    a0, a1 = max(lo - margin, 0), min(hi + margin, width if name == "x" else height)
    if name == "x":
        return rgb[y1 : min(y1 + depth, height), a0:a1].transpose(1, 0, 2), a0
    return rgb[a0:a1, max(x0 - depth, 0) : x0][:, ::-1], a0


def _outward(box: tuple[int, int, int, int], name: str, near: int, far: int) -> slice:
    """Figure rows (x) or columns (y) from ``near`` to ``far`` pixels outward of the box's edge."""
    if name == "x":
        return slice(box[1] + near, box[1] + far)
    return slice(max(box[2] - far, 0), max(box[2] - near, 0))


def _marks(ink: np.ndarray, search: int, span: slice) -> tuple[np.ndarray, int, int]:
    """Centres (index along) of the major tick marks in ``ink`` ``(along, outward)``, their start and reach outward;
    none when the first ink lies ``search`` pixels or more outward.

    Lines along the axis (the frame, the axis line, the field's last rows)
    are ink over most of the length and are left out first. The ticks start
    where the first ink does along the box's ``span`` (in the margins beyond
    it, the other axis's labels may come closer).
    """
    ink = ink & (ink.mean(axis=0) < 0.5)
    has = np.asarray(ink.any(axis=1))
    if not has.any():
        return np.zeros(0), 0, 0
    first, end = runs_from_edge(ink)
    start = int(first[span].min()) if has[span].any() else int(first[has].min())
    if start >= search:
        return np.zeros(0), 0, 0
    length = np.where(first <= start + TICK_GAP, end - first, 0)
    length = np.where(length <= TICK_LONG, length, 0)
    runs = true_runs(length >= 2)
    runs = runs[runs[:, 1] - runs[:, 0] <= TICK_WIDE] if runs.size else runs
    if not runs.size:
        return np.zeros(0), start, start
    longest = np.maximum.reduceat(length, runs[:, 0])
    centres = (runs[:, 0] + runs[:, 1] - 1) / 2.0
    within = (centres >= span.start - 3) & (centres < span.stop + 3)
    major = longest[within].max() if within.any() else longest.max()  # a label's stroke in the margin is longer
    keep = (longest >= MAJOR * major) & (longest <= major / MAJOR)
    if not keep.any():
        return np.zeros(0), start, start
    reach = int(max(end[a:b].max() for a, b in runs[keep]))
    return centres[keep], start, reach


def _read_labels(rgb: np.ndarray, box: tuple[int, int, int, int], name: str, marks: np.ndarray, a0: int,
                 length: int, reach: int, page: np.ndarray) -> list[tuple[float, float, str, float]]:
    """(along, across, text, score) of every text beyond the tick marks, in figure pixels.

    Labels under an x axis stand close on one line, where the detector joins
    them: each is read from its own piece (between the midpoints to the
    neighbouring ticks), and so are those left of a y axis. The detector
    misses or misreads a small label ("0", "10^0") now and then: a piece with
    ink and no number is read again, cropped to its ink, at twice and three
    times the size.
    """
    view, _ = _view(rgb, box, name, reach + LABEL_DEPTH)
    b0, b1 = _band(view[:, reach:], page)
    if b1 <= b0:
        return []
    across = _outward(box, name, reach + b0, reach + b1)
    cuts = np.concatenate([[0], (marks[1:] + marks[:-1]) / 2 + 0.5, [length]]).round().astype(int)
    found = []
    for start, stop in itertools.pairwise(cuts):
        crop = rgb[across, a0 + start : a0 + stop] if name == "x" else rgb[a0 + start : a0 + stop, across]
        found += [(col + a0 + start, row + across.start, text, score) if name == "x"
                  else (row + a0 + start, col + across.start, text, score)
                  for row, col, text, score in _read_piece(crop, page)]
    return found


def _read_piece(crop: np.ndarray, page: np.ndarray) -> list[tuple[float, float, str, float]]:
    """Texts ``(row, column, text, score)`` in one label's piece; read again larger when none is a number."""
    texts = _joined(_ocr(crop, page))
    ink = _ink(crop, page)
    if any(_numeric(t[2]) for t in texts) or not ink.any():
        return texts
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    r0, c0 = max(int(rows[0]) - 4, 0), max(int(cols[0]) - 4, 0)
    tight = crop[r0 : int(rows[-1]) + 5, c0 : int(cols[-1]) + 5]
    first = texts
    for k in (2, 3):
        again = _joined([(r0 + row / k, c0 + col / k, text, score)
                         for row, col, text, score in _ocr(np.kron(tight, np.ones((k, k, 1), np.uint8)), page)])
        if any(_numeric(t[2]) for t in again):
            return again
        first = first or again
    return first


def _numeric(text: str) -> bool:
    return parse_number(text) is not None or power_of_ten(text) is not None


def _joined(texts: list[tuple[float, float, str, float]]) -> list[tuple[float, float, str, float]]:
    """Texts ``(row, column, text, score)`` of one piece on one line (rows within :data:`OFF_LINE`) joined left to
    right: the detector splits a label now and then (``10^{-2}`` as ``1`` and ``0-2``, a minus sign apart);
    texts on other lines (an offset below the labels) stay apart."""
    lines: list[list[tuple[float, float, str, float]]] = []
    for text in sorted(texts):
        if lines and abs(text[0] - lines[-1][0][0]) <= OFF_LINE:
            lines[-1].append(text)
        else:
            lines.append([text])
    out = []
    for line in lines:
        line.sort(key=lambda t: t[1])
        out.append((float(np.mean([t[0] for t in line])), (line[0][1] + line[-1][1]) / 2,
                    "".join(t[2] for t in line), min(t[3] for t in line)))
    return out


def _band(region: np.ndarray, page: np.ndarray) -> tuple[int, int]:
    """Where the labels lie outward in ``region`` ``(along, outward)`` (index 0 right past the tick marks): up
    to the first run of :data:`BLANK` lines without ink after them (an axis title lies beyond).

    The band starts at index 0, where a ggplot label may touch its tick mark, never before it (a tick
    beside a label reads as a minus sign).
    """
    ink = _ink(region, page).any(axis=0) if region.size else np.zeros(0, bool)
    if not ink.any():
        return 0, 0
    blank = np.convolve(~ink, np.ones(BLANK), mode="valid") == BLANK
    after = np.flatnonzero(blank & (np.arange(blank.size) > int(ink.argmax())))
    return 0, min(int(after[0]) + BLANK // 2, ink.size) if after.size else ink.size  # a margin: the detector needs it


def _spaced(marks: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``marks`` without those outside ``lo``-``hi`` (the box's span) that do not continue the ticks' spacing: a
    label's stroke or a neighbour axis's tick seen in the margin, not a tick of this axis (a ggplot panel's
    ticks beyond the data do continue it)."""
    inside = (marks >= lo - 3) & (marks <= hi + 3)  # the frame (and the ticks on it) may lie just outside
    within = marks[inside]
    if within.size < 2:
        return marks
    spacing = float(np.median(np.diff(within)))
    beyond = np.where(marks < within[0], within[0] - marks, marks - within[-1]) / spacing
    return marks[inside | (np.abs(beyond - np.round(beyond)) <= SPACING_SLACK) & (beyond >= 0.5)]


def _offset_text(rgb: np.ndarray, box: tuple[int, int, int, int], name: str, label_end: int,
                 page: np.ndarray) -> OffsetText | None:
    """matplotlib's offset text of an axis, read; None when there is none (raises ``_OffsetNotRead`` when text
    stands there that does not read as one).

    x: below the labels, right-aligned on the box's right edge; y: above the
    box's top, left-aligned on its left edge. Only ink that starts at that edge
    counts (a centred title or axis label does not).
    """
    width = rgb.shape[1]
    y0, _, x0, x1 = box
    if name == "x":
        rows = _outward(box, name, label_end, label_end + OFFSET_ROWS)
        edge = min(x1 + MARGIN_PX, width)
        return read_offset_at_edge(rgb[rows, max(edge - OFFSET_LONG, x0) : edge], page, right=True)
    zone = rgb[max(y0 - OFFSET_ROWS, 0) : max(y0 - 3, 0), max(x0 - 3, 0) : min(x0 + OFFSET_LONG, x1)]
    return read_offset_at_edge(zone, page, right=False)


def _scale(texts: list[str], scale: Scale) -> str:
    """``"log"`` when asked, or (``"auto"``) when every numeric label is a power of ten written ``10^k``."""
    if scale != "auto":
        return scale
    powers = [t for t in texts if power_of_ten(t) is not None]
    numeric = [t for t in texts if power_of_ten(t) is not None or parse_number(t) is not None]
    # "10^1" reads "101", a number too: a log axis's labels are all of that form, and at least one is not
    # a plain decade ("101", "10-1")
    return "log" if len(powers) >= 2 and len(powers) == len(numeric) and any(
        parse_number(t) is None or parse_number(t) not in (1.0, 10.0, 100.0, 1000.0) for t in powers) else "linear"


def _number(text: str, scale: str) -> float | None:
    if scale == "log":
        power = power_of_ten(text)
        value = power if power is not None else parse_number(text)
        return value if value is not None and value > 0 else None
    return parse_number(text)


def read_axis_ticks(rgb: np.ndarray, box: tuple[int, int, int, int], name: Literal["x", "y"], *,
                    scale: Scale = "auto", path: object = None) -> AxisReading:
    """Read the tick labels along the bottom (``name="x"``) or left (``"y"``) edge of ``box`` and calibrate the axis.

    Parameters
    ----------
    rgb
        The figure, ``(y, x, 3)`` uint8.
    box
        The plot box ``(y0, y1, x0, x1)`` (a :class:`~imarray.digitize.Digitized`'s ``box``).
    name
        Which axis.
    scale
        ``"linear"``, ``"log"`` (the line is fitted to ``log10`` of the
        values), or ``"auto"``: log when the labels are powers of ten (``10^k``).
    path
        The figure's file, named in errors.

    Raises
    ------
    AxisTicksNotReadError
        No tick marks, fewer than two numbers, labels that are not numbers
        (dates, categories), numbers off a line, x falling to the right, or
        text beyond the labels that does not read as matplotlib's offset text
        with confidence (an offset or multiplier read is applied).

    Examples
    --------
    >>> reading = read_axis_ticks(rgb, result.box, "x")  # doctest: +SKIP
    >>> reading.axis(result.box[2]), reading.confidence, reading.residual  # doctest: +SKIP
    (0.08, 0.99, 0.4)
    """
    if name not in ("x", "y"):
        raise InvalidOptionError(f"the axis must be 'x' or 'y', got {name!r}", hint="pass 'x' (bottom) or 'y' (left)")
    check_scales((scale, "auto"))
    try:
        return _read(rgb, box, name, scale)
    except (AxisTicksNotReadError, TicksNotReadError) as err:
        raise AxisTicksNotReadError(err.message, path=path, hint=err.hint) from None


def check_scales(scales: object) -> None:
    """Refuse anything but an ``(x, y)`` pair of ``"auto"``, ``"linear"`` or ``"log"`` (before any work)."""
    pair = tuple(scales) if isinstance(scales, tuple | list) else ()
    if len(pair) != 2 or any(scale not in ("auto", "linear", "log") for scale in pair):
        raise InvalidOptionError(f"axis scales must be an (x, y) pair of 'auto', 'linear' or 'log', got {scales!r}",
                                 hint="pass e.g. ('auto', 'log'): 'auto' is log when the labels are powers of ten")


def _refuse(name: str, box: tuple[int, int, int, int], why: str) -> AxisTicksNotReadError:
    flag = f"--{name}-axis PX1 V1 PX2 V2"
    return AxisTicksNotReadError(f"the {name} axis of the plot box at {box}: {why}",
                                 hint=f"pass {flag} (x_axis=/y_axis= in Python); coordinates stay pixel indices")


def _read(rgb: np.ndarray, box: tuple[int, int, int, int], name: str, scale: Scale) -> AxisReading:
    page = paper_colour(rgb)
    size = box[1] - box[0] if name == "x" else box[3] - box[2]  # the box's size across the axis
    search = SEARCH + int(SEARCH_SHARE * size)
    view, a0 = _view(rgb, box, name, search + TICK_LONG)
    lo, hi = (box[2], box[3]) if name == "x" else (box[0], box[1])
    marks, _, reach = _marks(_ink(view, page), search, slice(lo - a0, hi - a0))
    marks = _spaced(marks, lo - a0, hi - 1 - a0)
    if marks.size < 2:
        raise _refuse(name, box, "fewer than two tick marks found along its edge")
    labels = _read_labels(rgb, box, name, marks, a0, view.shape[0], reach, page)
    texts = [text for _, _, text, _ in labels]
    kind = _scale(texts, scale)
    if kind == "linear" and _scale(texts, "auto") == "log":  # 10^1 read as the number 101: a line, and wrong
        raise _refuse(name, box, f"its tick labels read as powers of ten ({texts}) but the axis was said to be linear")
    ticks = a0 + marks
    at = np.array([label[0] for label in labels])
    owner = np.abs(at[:, None] - ticks[None]).argmin(axis=1) if labels else np.zeros(0, int)
    # labels stand a few pixels off their ticks (matplotlib centres a y label's baseline): their common shift
    shift = float(np.median(at - ticks[owner])) if labels else 0.0
    close = np.abs(at - shift - ticks[owner]) <= min(LABEL_SNAP, float(np.median(np.diff(ticks))) / 2)
    numbers: dict[int, list[tuple[float, str, float, float]]] = {}
    words: dict[int, list[str]] = {}
    stray = []
    for (along, across, text, score), i, near in zip(labels, owner, close, strict=True):
        value = _number(text, kind)
        if not near:  # between ticks inside the box: not a tick label; outside it: a neighbour's
            stray += [text] if lo <= along < hi and any(c.isdigit() for c in text) else []
        elif value is not None:
            numbers.setdefault(int(i), []).append((value, text, score, across))
        elif any(c.isalnum() for c in text):
            words.setdefault(int(i), []).append(text)
    worded = [i for i in words if i not in numbers]
    if len(worded) >= max(len(numbers), 1):
        raise _refuse(name, box, f"its tick labels are not numbers (dates or categories?): {texts}")
    if len(numbers) < 2:
        raise _refuse(name, box, f"fewer than two tick labels read as numbers ({texts})")
    beyond = stray + [n[1] for group in numbers.values() if len(group) > 1 for n in group]
    if name == "x":  # labels under an x axis share a line (those left of a y axis are right-aligned)
        line = float(np.median([n[3] for group in numbers.values() for n in group]))
        beyond += [n[1] for group in numbers.values() for n in group if abs(n[3] - line) > OFF_LINE]
    label_end = reach + _band(_view(rgb, box, name, reach + LABEL_DEPTH)[0][:, reach:], page)[1]
    try:
        offset = _offset_text(rgb, box, name, label_end, page)
    except _OffsetNotRead as err:
        beyond, offset = err.texts + beyond, None
    if offset is not None and kind == "log":  # a log axis's labels have no offset text: not one read right
        beyond, offset = [offset.text, *beyond], None
    if beyond:
        raise _refuse(name, box, f"text beyond its tick labels ({', '.join(map(repr, beyond))}) looks like an offset "
                      "or a multiplier (matplotlib writes '1e7' or '+1e5' there) but does not read as one with "
                      "confidence (two reads must agree; a mathtext offset such as '+10^{6}' reads as the number "
                      "'+106')")
    order = sorted(numbers)
    positions = ticks[order]
    values = np.array([numbers[i][0][0] for i in order], np.float64)
    coef, residual, used = _fit(positions, values, kind == "log")
    shown = ", ".join(numbers[i][0][1] for i in order)
    if residual > MAX_RESIDUAL:
        raise _refuse(name, box, f"its tick labels ({shown}) do not lie on a {kind} scale ({residual:.1f} px off)")
    if name == "x" and coef[0] < 0:
        raise _refuse(name, box, f"its tick labels ({shown}) fall to the right: an inverted axis, or minus signs "
                      "the OCR engine did not see")
    first, last = float(positions[used][0]), float(positions[used][-1])
    fitted = np.polyval(coef, [first, last])
    if kind == "log":
        fitted = 10.0**fitted
    values, confidence = values[used], min(numbers[i][0][2] for i, u in zip(order, used, strict=True) if u)
    if offset is not None:  # the labels as written, then what they stand for
        fitted, values, confidence = offset.apply(fitted), offset.apply(values), min(confidence, offset.score)
    axis = Axis(first, float(fitted[0]), last, float(fitted[1]), scale="log" if kind == "log" else "linear")
    return AxisReading(
        name=name, positions=positions[used], values=values, texts=tuple(texts),
        left_out=tuple(numbers[i][0][1] for i, u in zip(order, used, strict=True) if not u), scale=kind,
        confidence=float(confidence), residual=residual, axis=axis, offset=offset,
    )


def read_axes(rgb: np.ndarray, box: tuple[int, int, int, int], *, x_axis: Axis | None = None,
              y_axis: Axis | None = None, scales: tuple[Scale, Scale] = ("auto", "auto"),
              path: object = None) -> tuple[Axis | None, Axis | None, AxisReading | None, AxisReading | None]:
    """The axes not given, read from the figure's tick labels around ``box``; a warning for each one refused.

    Returns ``(x_axis, y_axis, x_reading, y_reading)``: an axis given is kept
    (its reading None); one that cannot be read stays None, with an
    :class:`AxisTicksWarning` saying why.

    Examples
    --------
    >>> x_axis, y_axis, x_read, y_read = read_axes(rgb, result.box)  # doctest: +SKIP
    >>> print(x_read)  # doctest: +SKIP
    5 tick labels below the plot box (x) (0 10 20 30 40), OCR confidence 0.99, on a linear line within 0.4 px: ...
    """
    axes: dict[str, Axis | None] = {"x": x_axis, "y": y_axis}
    readings: dict[str, AxisReading | None] = {"x": None, "y": None}
    for name, scale in zip(("x", "y"), scales, strict=True):
        if axes[name] is not None:
            continue
        try:
            readings[name] = read_axis_ticks(rgb, box, name, scale=scale, path=path)  # type: ignore[arg-type]
        except AxisTicksNotReadError as err:
            warnings.warn(f"{err}", AxisTicksWarning, stacklevel=4)
            continue
        axes[name] = readings[name].axis  # type: ignore[union-attr]
    return axes["x"], axes["y"], readings["x"], readings["y"]
