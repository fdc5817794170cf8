"""A colorbar's range from its tick labels, read by OCR (the ``ocr`` extra: RapidOCR on ONNX Runtime).

The labels beside a colorbar (right of a vertical bar, then left; below a
horizontal one, then above) are read from a crop of the figure; those that
parse as numbers are placed at their centres along the bar, moved onto the
tick mark beside them when there is one, and a line (in ``log10`` for a log
bar) is fitted through position and value. The bar's outer edges then give
its end values. How sure the reading is: the OCR engine's lowest score among
the labels used and the largest distance (pixels) of a label from the line.

The engine (its models ship inside the ``rapidocr-onnxruntime`` wheel, so
nothing is downloaded) is loaded once per process, on first use.

Examples
--------
>>> parse_number("\\u22120.25"), parse_number("1e\\u22123"), parse_number("Pa")
(-0.25, 0.001, None)
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._optional import import_optional
from ..errors import ImarrayError
from .colorbar import Colorbar
from .lines import true_runs
from .paper import paper_colour

__all__ = ["TickReading", "TicksNotReadError", "parse_number", "read_ticks"]

#: how far beside the bar (pixels) the labels are looked for, and beyond its ends
LABEL_REACH = 150
LABEL_DEPTH = 50
END_MARGIN = 20
#: a label lying farther than this (pixels) from the line through the others is misread
MAX_RESIDUAL = 2.0
#: tick marks are looked for within this many pixels of a label's centre along the bar (after the labels'
#: common shift from their ticks)
TICK_SNAP = 4
#: a text centred farther than this (pixels) beyond the bar's ends is no tick label (an offset, a title):
#: with digits in it, the reading is refused
OFFSET_GAP = 6
#: this many blank lines (columns beside a vertical bar) after the labels end them
BLANK = 6
#: a pixel this far (sum of channel differences) from the page colour is ink
INK = 96
#: tick marks are looked for this far (pixels) from the bar, starting at most TICK_GAP pixels off it
TICK_STRIP = 10
TICK_GAP = 3
#: tick marks at least this share of the longest are major ticks (the labelled ones)
MAJOR = 0.75
#: a label whose tick lies within this many pixels of the bar's end states the end's value
END_SNAP = 1.0
#: crops are padded with the page colour by this many pixels before OCR
PAD = 16
#: the OCR detector's longest side (pixels): the crops are small, upscaling them costs seconds and gains nothing
DETECT_SIDE = 480

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_POWER = re.compile(r"^10(-?\d+)$")
_LOCK = threading.Lock()
_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


class TicksNotReadError(ImarrayError, ValueError):
    """The colorbar's tick labels could not be read (too few numbers, or numbers that do not line up)."""


@dataclass(frozen=True)
class TickReading:
    """What OCR read beside a colorbar.

    Attributes
    ----------
    positions, values
        Pixel positions along the bar (rows of a vertical bar, columns of a
        horizontal one) and the numbers written there, the labels used.
    texts, scores
        Every text the engine read beside the bar and its score (0-1).
    left_out
        Numbers read that lie off the line through the others (misread), not used.
    side
        Where the labels were: ``"right"``, ``"left"``, ``"below"`` or ``"above"``.
    low, high
        The values at the bar's low and high ends (from the fitted line).
    confidence
        The engine's lowest score among the labels used.
    residual
        The largest distance, in pixels along the bar, of a label from the line.
    step
        The value one pixel along the bar stands for (near the low end for a log bar).
    """

    positions: np.ndarray
    values: np.ndarray
    texts: tuple[str, ...]
    scores: tuple[float, ...]
    left_out: tuple[str, ...]
    side: str
    low: float
    high: float
    confidence: float
    residual: float
    step: float

    def __str__(self) -> str:
        values = " ".join(f"{v:g}" for v in self.values)
        where = f"{self.side} of" if self.side in ("left", "right") else self.side
        check = (f"on a line within {self.residual:.1f} px" if len(self.values) > 2
                 else "two labels only: no check of the line")
        dropped = f"; off the line, not used: {', '.join(map(repr, self.left_out))}" if self.left_out else ""
        return (f"{len(self.values)} tick labels {where} the colorbar ({values}), OCR confidence "
                f"{self.confidence:.2f}, {check}{dropped}: range {self.low:.6g} to {self.high:.6g} "
                f"(one pixel = {self.step:.2g})")


def parse_number(text: str) -> float | None:
    """The number a tick label states (unicode minus, exponents, thousands commas), or None."""
    cleaned = text.strip().replace("\u2212", "-").replace("\u2013", "-").replace(" ", "").replace(",", "")
    if cleaned.startswith("$") and cleaned.endswith("$"):
        cleaned = cleaned[1:-1]
    return float(cleaned) if _NUMBER.match(cleaned) else None


@lru_cache(maxsize=1)
def _engine():
    # OpenCV (imported by RapidOCR) points Qt at its own plugins through the environment, which breaks a Qt
    # application started later in this process (napari): the variables are put back as they were
    saved = {name: os.environ.get(name) for name in _QT_VARIABLES}
    try:
        module = import_optional("rapidocr_onnxruntime", extra="ocr", purpose="reading colorbar tick labels")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return module.RapidOCR(det_limit_type="max", det_limit_side_len=DETECT_SIDE)


def _ocr(crop: np.ndarray, page: np.ndarray) -> list[tuple[float, float, str, float]]:
    """(row, column) centre, text and score of every text in ``crop``, padded by :data:`PAD` pixels of ``page``.

    The detector misses text near a crop's edge (a minus sign, a short label
    filling a small crop); the margin finds it.
    """
    if crop.shape[0] < 8 or crop.shape[1] < 8:
        return []
    engine = _engine()
    padded = np.empty((crop.shape[0] + 2 * PAD, crop.shape[1] + 2 * PAD, 3), np.uint8)
    padded[:] = page
    padded[PAD:-PAD, PAD:-PAD] = crop
    with _LOCK:  # one inference at a time: the sessions are shared
        found, _ = engine(padded, use_cls=False)
    out = []
    for corners, text, score in found or []:
        corners = np.asarray(corners, np.float64) - PAD
        out.append((float(corners[:, 1].mean()), float(corners[:, 0].mean()), str(text), float(score)))
    return out


def _crops(rgb: np.ndarray, bar: Colorbar, page: np.ndarray) -> list[tuple[str, tuple[slice, slice]]]:
    """Where the labels may be, by side: past the bar's outline and tick marks, up to the first wide blank after
    the labels (a neighbour panel lies beyond), and a few blank lines more (the detector needs a margin)."""
    height, width = rgb.shape[:2]
    y0, y1, x0, x1 = bar.box
    if bar.orientation == "vertical":
        rows = slice(max(y0 - END_MARGIN, 0), min(y1 + END_MARGIN, height))
        r0, r1 = _span(rgb[y0:y1, x1 : min(x1 + LABEL_REACH, width)], page, axis=1)  # the bar's rows: not the axes'
        l0, l1 = _span(rgb[y0:y1, max(x0 - LABEL_REACH, 0) : x0][:, ::-1], page, axis=1)  # tick labels below it
        return [("right", (rows, slice(x1 + r0, x1 + r1))), ("left", (rows, slice(x0 - l1, x0 - l0)))]
    cols = slice(max(x0 - END_MARGIN, 0), min(x1 + END_MARGIN, width))
    b0, b1 = _span(rgb[y1 : min(y1 + LABEL_DEPTH, height), x0:x1], page, axis=0)
    a0, a1 = _span(rgb[max(y0 - LABEL_DEPTH, 0) : y0, x0:x1][::-1], page, axis=0)
    return [("below", (slice(y1 + b0, y1 + b1), cols)), ("above", (slice(y0 - a1, y0 - a0), cols))]


def runs_from_edge(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per line of ``ink`` ``(lines, depth)``: where its first ink lies, and where the run of ink from there ends
    (``depth`` for a line with none)."""
    depth = np.arange(ink.shape[1])
    first = np.where(ink.any(axis=1), ink.argmax(axis=1), ink.shape[1])
    gap = ~ink & (depth >= first[:, None])
    return first, np.where(gap.any(axis=1), gap.argmax(axis=1), ink.shape[1])


def _span(region: np.ndarray, page: np.ndarray, axis: int) -> tuple[int, int]:
    """Where the labels lie along ``axis`` of ``region`` (the bar at index 0): after the ink touching the bar
    (outline, tick marks) and up to :data:`BLANK` lines into the first run of that many lines without ink."""
    if not region.size:
        return 0, 0
    ink = np.asarray(_ink(region, page).any(axis=1 - axis))
    start = int(np.argmin(ink)) if ink[0] else 0  # past the outline and ticks
    change = true_runs(~ink[start:])  # runs of blank lines
    after = change[(change[:, 0] > 0) & (change[:, 1] - change[:, 0] >= BLANK)] if change.size else change
    stop = start + int(after[0, 0]) + BLANK if after.size else ink.size
    return start, min(stop, ink.size)


def _labels(rgb: np.ndarray, bar: Colorbar, window: tuple[slice, slice], marks: np.ndarray,
            page: np.ndarray) -> list[tuple[float, str, float]]:
    """Position along the bar, text and score of each text in ``window``.

    Labels along a horizontal bar stand close on one line, where the detector
    joins them into one text: with tick marks, each label is read from its
    own piece of the window (between the midpoints to the neighbouring ticks).
    """
    rows, cols = window
    if bar.orientation == "vertical":
        return [(row + rows.start, text, score) for row, _, text, score in _ocr(rgb[rows, cols], page)]
    if marks.size < 2:
        return [(col + cols.start, text, score) for _, col, text, score in _ocr(rgb[rows, cols], page)]
    cuts = np.concatenate([[cols.start], (marks[1:] + marks[:-1]) / 2, [cols.stop]]).round().astype(int)
    found = []
    for start, stop in itertools.pairwise(cuts):
        found += [(col + start, text, score) for _, col, text, score in _ocr(rgb[rows, start:stop], page)]
    return found


def _value(text: str, log: bool) -> float | None:
    """The number a label states; on a log bar ``10`` and an exponent (``10^{-2}``, read as ``10-2``) is a power."""
    power = _POWER.match(text.strip().replace("\u2212", "-")) if log else None
    return 10.0 ** int(power.group(1)) if power else parse_number(text)


def _tick_marks(rgb: np.ndarray, bar: Colorbar, side: str, page: np.ndarray) -> tuple[np.ndarray, int]:
    """Centres (pixels along the bar) of the major tick marks on ``side``, and how far from the bar they reach.

    A tick is a short run of ink (any colour off the page: dark on white,
    light on dark paper) that starts at the bar or a pixel or two off it (ggplot);
    a label beside it starts past a gap and is not part of the run.
    """
    y0, y1, x0, x1 = bar.box
    vertical = bar.orientation == "vertical"
    image = rgb if vertical else rgb.transpose(1, 0, 2)
    start, stop = (max(y0, 3) - 3, y1 + 3) if vertical else (max(x0, 3) - 3, x1 + 3)  # end ticks on the outline
    outward = side in ("right", "below")
    edge = (x1 if vertical else y1) if outward else (x0 if vertical else y0)
    lo, hi = (edge, edge + TICK_STRIP) if outward else (max(edge - TICK_STRIP, 0), edge)
    ink = _ink(image[start:stop, lo:hi], page)
    ink = ink if outward else ink[:, ::-1]  # column 0 next to the bar
    if not ink.size:
        return np.zeros(0), 0
    ink = ink & (ink.mean(axis=0) < 0.5)  # the bar's outline is ink all along: not a tick
    first, end = runs_from_edge(ink)
    length = np.where(first <= TICK_GAP, end - first, 0)  # the run of ink from (next to) the bar
    runs = true_runs(length >= 2)
    if not runs.size:
        return np.zeros(0), 0
    longest = np.maximum.reduceat(length, runs[:, 0])
    runs = runs[longest >= MAJOR * longest.max()]  # major ticks: minor ones (log bars) are shorter
    reach = int(max(end[a:b].max() for a, b in runs))
    return start + (runs[:, 0] + runs[:, 1] - 1) / 2.0, reach


def _beyond_ticks(window: tuple[slice, slice], bar: Colorbar, side: str, reach: int) -> tuple[slice, slice]:
    """``window`` without the tick marks' strip next to the bar (a tick beside a label reads as a minus sign)."""
    rows, cols = window
    y0, y1, x0, x1 = bar.box
    if side == "right":
        return rows, slice(max(cols.start, x1 + reach), max(cols.stop, x1 + reach))
    if side == "left":
        return rows, slice(min(cols.start, x0 - reach), min(cols.stop, x0 - reach))
    if side == "below":
        return slice(max(rows.start, y1 + reach), max(rows.stop, y1 + reach)), cols
    return slice(min(rows.start, y0 - reach), min(rows.stop, y0 - reach)), cols


def _fit(positions: np.ndarray, values: np.ndarray, log: bool) -> tuple[np.ndarray, float, np.ndarray]:
    """Line through (position, value) and the labels on it; (coef, residual in pixels, used).

    The labels used are the largest set within :data:`MAX_RESIDUAL` pixels of
    a line through two of them (misread labels, "1002." for a clipped
    "1002.5", lie off it whatever their number), at least three; fewer, and
    all are used (the residual then says the labels do not line up).
    """
    target = np.log10(values) if log else values

    def line(keep: np.ndarray) -> tuple[np.ndarray, float]:
        coef = np.polyfit(positions[keep], target[keep], 1)
        if coef[0] == 0:
            raise TicksNotReadError("the tick labels read are all one number", hint="pass --range LO HI")
        return coef, float(np.abs((target[keep] - np.polyval(coef, positions[keep])) / coef[0]).max())  # pixels

    best: tuple[tuple[int, float], np.ndarray] | None = None
    for i, j in itertools.combinations(range(positions.size), 2):
        if positions[i] == positions[j] or target[i] == target[j]:
            continue
        slope = (target[j] - target[i]) / (positions[j] - positions[i])
        off = np.abs((target - target[i]) / slope - (positions - positions[i]))
        inside = off <= MAX_RESIDUAL
        key = (int(inside.sum()), -float(off[inside].max()))
        if best is None or key > best[0]:
            best = (key, inside)
    used = best[1] if best is not None and best[1].sum() >= 3 else np.ones(positions.size, bool)
    coef, residual = line(used)
    return coef, residual, used


def _check_offset(rgb: np.ndarray, labels: list[tuple[float, str, float]], bar: Colorbar, page: np.ndarray) -> None:
    """Refuse when digits stand beyond the bar's high end: matplotlib's offset or multiplier (``1e7``, ``+1e5``).

    Looked for among the labels read and in the zone past the high end (above
    a vertical bar, right of a horizontal one), where matplotlib writes it:
    ink there that reads as digits, or cannot be read, stops the reading (a
    title without digits does not).
    """
    y0, y1, x0, x1 = bar.box
    height, width = rgb.shape[:2]
    if bar.orientation == "vertical":  # above the bar, not above the labels beside it (their tops reach up there)
        start, stop = y0, y1
        zone = rgb[max(y0 - END_MARGIN - 10, 0) : max(y0 - 3, 0), max(x0 - 10, 0) : min(x1 + OFFSET_GAP, width)]
    else:  # right of the bar's end, past the last label
        start, stop = x0, x1
        zone = rgb[max(y0 - END_MARGIN, 0) : min(y1 + LABEL_DEPTH, height), min(x1 + 2 * OFFSET_GAP, width) :
                   min(x1 + 80, width)]
    beyond = []
    if zone.size and _ink(zone, page).any():  # the detector misses small texts now and then: read it twice
        texts = {text for _, _, text, _ in _ocr(zone, page) + _ocr(np.kron(zone, np.ones((2, 2, 1), np.uint8)), page)}
        beyond += sorted(texts) if texts else ["(unreadable)"]
    beyond += [text for at, text, _ in labels if at < start - OFFSET_GAP or at > stop - 1 + OFFSET_GAP]
    beyond = [text for text in beyond if text == "(unreadable)" or any(c.isdigit() for c in text)]
    if beyond:
        raise TicksNotReadError(
            f"text beyond the end of the colorbar at {bar.box} ({', '.join(map(repr, beyond))}) looks like an offset "
            "or a multiplier of its tick labels (matplotlib writes '1e7' or '+1e5' there), which OCR does not read "
            "reliably", hint="pass --range LO HI (the values at the bar's ends)")


def _ink(region: np.ndarray, page: np.ndarray) -> np.ndarray:
    """bool per pixel of ``region``: far from the ``page`` colour: text, lines, a neighbour's field."""
    return np.abs(region.astype(np.int16) - page.astype(np.int16)).sum(axis=2) > INK


def _stated(end: float, fitted: float, positions: np.ndarray, values: np.ndarray) -> float:
    """The value a label states at the bar's ``end`` (its tick within :data:`END_SNAP`), else the fitted one."""
    on_end = np.abs(positions - end) <= END_SNAP
    return float(values[on_end][0]) if on_end.any() else float(fitted)


def read_ticks(rgb: np.ndarray, bar: Colorbar, *, log: bool = False, path: object = None) -> TickReading:
    """Read the tick labels beside ``bar`` in ``rgb`` and the bar's end values they imply.

    Parameters
    ----------
    rgb
        The figure, ``(y, x, 3)`` uint8.
    bar
        The colorbar, from :func:`~imarray.digitize.colorbar.find_colorbars`.
    log
        The bar is logarithmic: the line is fitted to ``log10`` of the values.
    path
        The figure's file, named in errors.

    Raises
    ------
    TicksNotReadError
        Fewer than two numbers beside the bar, or numbers that do not lie on a line.
    MissingDependencyError
        The ``ocr`` extra is not installed.

    Examples
    --------
    >>> from imarray.digitize import find_colorbar  # doctest: +SKIP
    >>> reading = read_ticks(rgb, find_colorbar(rgb))  # doctest: +SKIP
    >>> reading.low, reading.high, reading.confidence  # doctest: +SKIP
    (0.0, 0.7, 0.996)
    """
    try:
        return _read(rgb, bar, log)
    except TicksNotReadError as err:
        if path is None:
            raise
        raise TicksNotReadError(err.message, path=path, hint=err.hint) from None


def _read(rgb: np.ndarray, bar: Colorbar, log: bool) -> TickReading:
    page = paper_colour(rgb)
    tried = []
    for side, window in _crops(rgb, bar, page):
        marks, reach = _tick_marks(rgb, bar, side, page)
        labels = _labels(rgb, bar, _beyond_ticks(window, bar, side, reach), marks, page)
        texts = [text for _, text, _ in labels]
        numbers = [(at, _value(text, log), text, score) for at, text, score in labels]
        numbers = [n for n in numbers if n[1] is not None and (not log or n[1] > 0)]
        tried.append(f"{side}: {texts}")
        if len({n[1] for n in numbers}) >= 2:
            break
    else:
        raise TicksNotReadError(
            f"fewer than two tick labels read as numbers beside the colorbar at {bar.box} ({'; '.join(tried)})",
            hint="pass --range LO HI (the values at the bar's ends)")
    _check_offset(rgb, labels, bar, page)
    positions = np.array([n[0] for n in numbers])
    if marks.size:  # labels sit a few pixels off their ticks (matplotlib centres the baseline); the marks are exact
        shift = np.median(positions - marks[np.abs(positions[:, None] - marks[None]).argmin(axis=1)])
        nearest = np.abs((positions - shift)[:, None] - marks[None]).argmin(axis=1)
        close = np.abs(marks[nearest] - (positions - shift)) <= TICK_SNAP
        positions = np.where(close, marks[nearest], positions - shift)
    values = np.array([n[1] for n in numbers], np.float64)
    coef, residual, used = _fit(positions, values, log)
    if residual > MAX_RESIDUAL:
        raise TicksNotReadError(
            f"the tick labels read beside the colorbar at {bar.box} do not lie on a "
            f"{'log' if log else 'linear'} scale ({', '.join(n[2] for n in numbers)}; {residual:.1f} px off)",
            hint="pass --range LO HI, or --norm log for a log colorbar")
    if (coef[0] < 0) != (bar.orientation == "vertical"):  # values rise up a vertical bar, right along a horizontal
        raise TicksNotReadError(
            f"the tick labels read beside the colorbar at {bar.box} fall where the bar's values rise "
            f"({', '.join(n[2] for n in numbers)}): a tick mark read as a minus sign, or an inverted bar",
            hint="pass --range LO HI")
    y0, y1, x0, x1 = bar.box
    low_end, high_end = (y1 - 0.5, y0 - 0.5) if bar.orientation == "vertical" else (x0 - 0.5, x1 - 0.5)
    ends = np.polyval(coef, [low_end, high_end])
    low, high = (10.0 ** ends) if log else ends
    low, high = (_stated(at, fitted, positions[used], values[used])
                 for at, fitted in ((low_end, low), (high_end, high)))
    step = abs(coef[0]) * (low * np.log(10) if log else 1.0)
    left_out = tuple(n[2] for n, u in zip(numbers, used, strict=True) if not u)
    return TickReading(
        positions=positions[used], values=values[used], texts=tuple(texts),
        scores=tuple(score for _, _, score in labels), left_out=left_out, side=side, low=float(low), high=float(high),
        confidence=float(min(n[3] for n, u in zip(numbers, used, strict=True) if u)), residual=residual,
        step=float(step),
    )
