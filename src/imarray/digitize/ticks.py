"""A colorbar's range from its tick labels, read by OCR (the ``ocr`` extra: RapidOCR on ONNX Runtime).

The labels beside a colorbar (right of a vertical bar, then left; below a
horizontal one, then above) are read from a crop of the figure; those that
parse as numbers are placed at their centres along the bar, moved onto the
tick mark beside them when there is one, and a line (in ``log10`` for a log
bar) is fitted through position and value. The bar's outer edges then give
its end values. How sure the reading is: the OCR engine's lowest score among
the labels used (and the offset text) and the largest distance (pixels) of a
label from the line.

matplotlib's offset text, written beyond the bar's high end (above a
vertical bar, at the right end of a horizontal one, beyond its labels), is
read and applied: a multiplier ``1e-7`` (a value is the label times 1e-7), an
offset ``+1e6`` or ``-1.5e3`` (the label plus it), both ``1e-5+1.2e1``, or a
mathtext multiplier ``x10^{-7}`` (its exponent read inline, ``x10-7``). It is
read at two sizes (three when they differ) and used only when two reads agree;
text there that does not read as one (a mathtext offset ``+10^{6}`` reads
``+106``, the same as a number) stops the reading.

The engine (its models ship inside the ``rapidocr-onnxruntime`` wheel, so
nothing is downloaded) is loaded once per process, on first use.

Examples
--------
>>> parse_number("\\u22120.25"), parse_number("1e\\u22123"), parse_number("Pa")
(-0.25, 0.001, None)
>>> parse_offset("1e\\u22125+1.2e1"), parse_offset("\\u00d710\\u22127"), parse_offset("+106")
((1e-05, 12.0), (1e-07, 0.0), None)
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

__all__ = ["OffsetText", "TickReading", "TicksNotReadError", "parse_number", "parse_offset", "read_ticks"]

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
#: the offset text: within this many rows of the bar's top (a vertical bar) or the labels (a horizontal one),
#: starting within OFFSET_EDGE pixels of the edge it is aligned on, at most OFFSET_LONG pixels long
OFFSET_ROWS = 24
OFFSET_EDGE = 11
OFFSET_LONG = 120
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
#: matplotlib's offset text (ScalarFormatter.get_offset): "1e-7", "+1e6", "-1.5e3", "1e-5+1.2e1" (the offset's
#: significand has one digit before its point: "+106" is no plain offset); with mathtext a
#: multiplier "x10^{-7}" (read "x10-7"), whose exponent is the only superscript OCR reads inline without doubt
_SCALED = re.compile(r"^(?:1e(?P<power>-?\d+))?(?P<offset>[+-]\d(?:\.\d+)?(?:e-?\d+)?)?$")  # one digit, then e
_MATH_MULTIPLIER = re.compile(r"^\u00d710(?P<power>-?\d{1,3})$")
_LOCK = threading.Lock()
_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


class TicksNotReadError(ImarrayError, ValueError):
    """The colorbar's tick labels could not be read (too few numbers, or numbers that do not line up)."""


@dataclass(frozen=True)
class OffsetText:
    """matplotlib's offset text beyond the tick labels, read: a value is ``label * multiplier + offset``.

    Attributes
    ----------
    text
        What the engine read (``"1e-7"``, ``"+1e6"``, ``"1e-5+1.2e1"``, ``"x10-7"``).
    multiplier, offset
        The power of ten the labels are multiplied by, and the number added.
    score
        The engine's lowest score among the reads that agree.

    Examples
    --------
    >>> OffsetText("1e-5+1.2e1", 1e-5, 12.0, 0.95).apply(np.array([0.0, 5.0]))
    array([12.     , 12.00005])
    """

    text: str
    multiplier: float
    offset: float
    score: float

    def apply(self, labels: np.ndarray) -> np.ndarray:
        """The values the ``labels`` (numbers as written) stand for."""
        return np.asarray(labels, np.float64) * self.multiplier + self.offset

    def __str__(self) -> str:
        parts = ([f"x {self.multiplier:g}"] if self.multiplier != 1 else []) + (
            [f"{self.offset:+.10g}"] if self.offset else [])
        return f"offset text {self.text!r} (labels {' '.join(parts)}, OCR confidence {self.score:.2f})"


@dataclass(frozen=True)
class TickReading:
    """What OCR read beside a colorbar.

    Attributes
    ----------
    positions, values
        Pixel positions along the bar (rows of a vertical bar, columns of a
        horizontal one) and the values the labels used state there (the
        offset text applied).
    texts, scores
        Every text the engine read beside the bar and its score (0-1).
    left_out
        Numbers read that lie off the line through the others (misread), not used.
    side
        Where the labels were: ``"right"``, ``"left"``, ``"below"`` or ``"above"``.
    low, high
        The values at the bar's low and high ends (from the fitted line).
    confidence
        The engine's lowest score among the labels used and the offset text.
    residual
        The largest distance, in pixels along the bar, of a label from the line.
    step
        The value one pixel along the bar stands for (near the low end for a log bar).
    offset
        matplotlib's offset or multiplier read beyond the bar's high end, applied
        to the labels; None when there is none.
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
    offset: OffsetText | None = None

    def __str__(self) -> str:
        written = self.values if self.offset is None else (self.values - self.offset.offset) / self.offset.multiplier
        values = " ".join(f"{v:.6g}" for v in written)
        where = f"{self.side} of" if self.side in ("left", "right") else self.side
        scaled = f", {self.offset}" if self.offset is not None else ""
        check = (f"on a line within {self.residual:.1f} px" if len(self.values) > 2
                 else "two labels only: no check of the line")
        dropped = f"; off the line, not used: {', '.join(map(repr, self.left_out))}" if self.left_out else ""
        return (f"{len(self.values)} tick labels {where} the colorbar ({values}){scaled}, OCR confidence "
                f"{self.confidence:.2f}, {check}{dropped}: range {self.low:.10g} to {self.high:.10g} "
                f"(one pixel = {self.step:.2g})")


def parse_number(text: str) -> float | None:
    """The number a tick label states (unicode minus, exponents, thousands commas), or None."""
    cleaned = text.strip().replace("\u2212", "-").replace("\u2013", "-").replace(" ", "").replace(",", "")
    if cleaned.startswith("$") and cleaned.endswith("$"):
        cleaned = cleaned[1:-1]
    return float(cleaned) if _NUMBER.match(cleaned) else None


def parse_offset(text: str) -> tuple[float, float] | None:
    """The ``(multiplier, offset)`` matplotlib's offset text states, or None (see the module's examples).

    Plain text as ScalarFormatter writes it (``1e-7``, ``+1e6``, ``-1.5e3``,
    ``1e-5+1.2e1``; ``l`` read for ``1``), or a mathtext multiplier alone
    (``x10^{-7}`` read inline, ``x10-7``). Spaces inside a number, a mathtext
    offset (``+10^{6}`` reads ``+106``, a number too) and anything else: None.
    """
    cleaned = text.strip().replace("\u2212", "-").replace("\u2013", "-").replace("l", "1").replace("E", "e")
    cleaned = re.sub(r"\s*[x\u00d7X]\s*", "\u00d7", cleaned)
    plain = _SCALED.match(cleaned)
    if plain and (plain["power"] or plain["offset"]):
        return 10.0 ** int(plain["power"] or 0), float(plain["offset"] or 0.0)
    math = _MATH_MULTIPLIER.match(cleaned)
    return (10.0 ** int(math["power"]), 0.0) if math else None


class _OffsetNotRead(TicksNotReadError):
    """Text where the offset text stands that does not read as one with confidence (its reads in ``texts``)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__("the offset text does not read as one")
        self.texts = texts


def read_offset(crop: np.ndarray, page: np.ndarray) -> OffsetText | None:
    """matplotlib's offset text in ``crop`` (the text alone), read at twice and once its size, and three times
    when those two differ: two reads must agree and none state another value.

    None when the text has no digits (a title, a unit: no offset text).
    Raises ``_OffsetNotRead`` (a :class:`TicksNotReadError`) with the texts read otherwise.
    """
    texts: list[str] = []
    parsed: list[tuple[tuple[float, float], str, float]] = []
    for k in (2, 1, 3):
        found = sorted(_ocr(crop if k == 1 else np.kron(crop, np.ones((k, k, 1), np.uint8)), page),
                       key=lambda f: f[1])  # left to right: the detector splits a text now and then
        text = "".join(f[2] for f in found)
        texts.append(text or "(unreadable)")
        scale = parse_offset(text) if text else None
        parsed += [(scale, text, min(f[3] for f in found))] if scale is not None else []
        if len(parsed) >= 2:
            break
    if len(parsed) < 2 or len({p[0] for p in parsed}) > 1:
        if not any(c.isdigit() for t in texts for c in t) and any(t != "(unreadable)" for t in texts):
            return None
        raise _OffsetNotRead(texts)
    (multiplier, offset), text, _ = parsed[0]
    return OffsetText(text, multiplier, offset, min(p[2] for p in parsed))


def text_at_edge(zone: np.ndarray, page: np.ndarray) -> np.ndarray | None:
    """The text in ``zone`` that starts near its column 0 (within :data:`OFFSET_EDGE` pixels): its columns up to
    twice :data:`BLANK` blank ones after it, and its rows; None when no ink starts there (a centred title does not).

    A wide gap ends the text, never a narrow one: cut short, ``1e-5+1.2e1``
    would state an offset alone (``x10^{-5} + 1.2x10^{1}`` has spaces: all of
    it is read, and refused). Text closer than that (a title) is read with it,
    and stops the reading.
    """
    ink = _ink(zone, page) if zone.size else np.zeros((0, 0), bool)
    columns = ink.any(axis=0)
    if not columns.any() or int(columns.argmax()) > OFFSET_EDGE:
        return None
    gap = 2 * BLANK
    blank = np.convolve(~columns, np.ones(gap), mode="valid") == gap  # that many blank columns from here on
    after = np.flatnonzero(blank & (np.arange(blank.size) > columns.argmax()))
    stop = int(after[0]) + BLANK if after.size else columns.size
    rows = np.flatnonzero(ink[:, :stop].any(axis=1))
    return zone[max(int(rows[0]) - 3, 0) : int(rows[-1]) + 4, :stop]


def read_offset_at_edge(zone: np.ndarray, page: np.ndarray, *, right: bool) -> OffsetText | None:
    """matplotlib's offset text in ``zone`` aligned on its left edge (or its ``right`` one: ``zone`` reaches a few
    blank columns past the edge matplotlib aligns it on); None when there is none.

    A text that runs on past that edge is not where matplotlib writes one: cut
    there, ``1e-12`` reads ``1e-1``; with digits it stops the reading (raises
    ``_OffsetNotRead``), without (a title over the bar) it is no offset text.
    """
    text = text_at_edge(zone[:, ::-1] if right else zone, page)
    if text is None:
        return None
    found = read_offset(text[:, ::-1] if right else text, page)
    if found is not None and _ink(text[:, :1], page).any():
        raise _OffsetNotRead([f"{found.text} (cut: the text runs on past the edge it would be aligned on)"])
    return found


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
    longest = np.maximum.reduceat(length, runs[:, 0]) if runs.size else np.zeros(0, int)
    # a tick is longer (outward) than thick: a label's first stroke next to the bar is not one (the labels
    # are read from before it)
    dash = longest >= runs[:, 1] - runs[:, 0] if runs.size else np.zeros(0, bool)
    runs, longest = runs[dash], longest[dash]
    if not runs.size:
        across = (x0, x1) if vertical else (y0, y1)
        return _inner_marks(image[start:stop], across, outward) + start, 0
    runs = runs[longest >= MAJOR * longest.max()]  # major ticks: minor ones (log bars) are shorter
    reach = int(max(end[a:b].max() for a, b in runs))
    return start + (runs[:, 0] + runs[:, 1] - 1) / 2.0, reach


def _inner_marks(image: np.ndarray, across: tuple[int, int], outward: bool) -> np.ndarray:
    """Centres (lines of ``image``, the bar's lines) of tick marks drawn on the bar by its edge (plotnine's, white on
    the colours): short runs of lines where a strip by that edge differs from the bar's middle."""
    c0, c1 = across
    if c1 - c0 < 8:
        return np.zeros(0)
    strip = image[:, c1 - 4 : c1 - 1] if outward else image[:, c0 + 1 : c0 + 4]  # not the outermost column
    middle = image[:, (c0 + c1) // 2][:, None].astype(np.int16)
    differs = (np.abs(strip.astype(np.int16) - middle).sum(axis=2) > INK).any(axis=1)
    runs = true_runs(differs)
    runs = runs[runs[:, 1] - runs[:, 0] <= 3] if runs.size else runs  # a tick is thin; an outline runs all along
    return (runs[:, 0] + runs[:, 1] - 1) / 2.0 if runs.size >= 4 else np.zeros(0)


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


def _offset_text(rgb: np.ndarray, labels: list[tuple[float, str, float]], bar: Colorbar, side: str,
                 window: tuple[slice, slice], page: np.ndarray, log: bool) -> OffsetText | None:
    """matplotlib's offset text beyond the bar's high end, read; None when there is none.

    A vertical bar's is above it, right-aligned on the bar's right edge
    (labels on the right) or left-aligned on its left; a horizontal bar's
    beyond its labels (below or above them), right-aligned on the bar's right
    end. Text there that does not read as one, or digits among the labels
    beyond the bar's ends, stop the reading.
    """
    y0, y1, x0, x1 = bar.box
    width = rgb.shape[1]
    if bar.orientation == "vertical":
        start, stop = y0, y1
        rows = slice(max(y0 - OFFSET_ROWS, 0), max(y0 - 3, 0))
        right = side == "right"
    else:
        start, stop = x0, x1
        labels_rows = window[0]
        rows = (slice(max(labels_rows.stop - BLANK, 0), labels_rows.stop + OFFSET_ROWS) if side == "below"
                else slice(max(labels_rows.start - OFFSET_ROWS, 0), labels_rows.start + BLANK))
        right = True
    edge = min(x1 + 3, width) if right else max(x0 - 3, 0)
    zone = rgb[rows, max(edge - OFFSET_LONG, 0) : edge] if right else rgb[rows, edge : edge + OFFSET_LONG]
    beyond = [t for at, t, _ in labels if (at < start - OFFSET_GAP or at > stop - 1 + OFFSET_GAP)
              and any(c.isdigit() for c in t)]
    try:
        found = read_offset_at_edge(zone, page, right=right)
    except _OffsetNotRead as err:
        beyond = err.texts + beyond
        found = None
    if found is not None and log:
        beyond = [found.text, *beyond]
    if beyond:
        raise TicksNotReadError(
            f"text beyond the end of the colorbar at {bar.box} ({', '.join(map(repr, beyond))}) looks like an offset "
            "or a multiplier of its tick labels (matplotlib writes '1e7' or '+1e5' there) but does not read as one "
            "with confidence (two reads must agree; a mathtext offset such as '+10^{6}' reads as the number '+106')",
            hint="pass --range LO HI (the values at the bar's ends)")
    return found


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
        Fewer than two numbers beside the bar, numbers that do not lie on a
        line, or text beyond the bar's high end that does not read as
        matplotlib's offset text with confidence (one read is applied).
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
    offset = _offset_text(rgb, labels, bar, side, window, page, log)
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
    confidence = min(n[3] for n, u in zip(numbers, used, strict=True) if u)
    values = values[used]
    if offset is not None:  # labels as written, then what they stand for
        low, high = offset.apply(np.array([low, high]))
        values, step, confidence = offset.apply(values), step * offset.multiplier, min(confidence, offset.score)
    return TickReading(
        positions=positions[used], values=values, texts=tuple(texts),
        scores=tuple(score for _, _, score in labels), left_out=left_out, side=side, low=float(low), high=float(high),
        confidence=float(confidence), residual=residual, step=float(step), offset=offset,
    )
