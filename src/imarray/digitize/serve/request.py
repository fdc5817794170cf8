"""The correction page's settings, read from a JSON request and checked before any work.

Every field is checked for its type and range (numbers finite and of sane
size, boxes of four integers, strings short, names from fixed lists); a bad
one raises :class:`BadRequest`, which the server answers with status 400 and
the message. Unknown keys are refused too, so a misspelt setting is not
silently ignored.

Examples
--------
>>> settings = parse_settings({"cmap": "viridis", "range": [0, 0.7], "box": [10, 50, 20, 90]})
>>> settings.cmap, settings.range, settings.box
('viridis', (0.0, 0.7), (10, 50, 20, 90))
>>> parse_settings({"range": [0, 1e400]})
Traceback (most recent call last):
...
imarray.digitize.serve.request.BadRequest: range: a finite number of magnitude below 1e+300 expected, got inf
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ...errors import InvalidOptionError

__all__ = ["NORMS", "BadRequest", "Point", "Settings", "parse_settings", "parse_ticks"]

NORMS = ("linear", "log", "symlog", "power", "twoslope", "boundary", "contourf")
LINES = ("mask", "fill", "keep")
#: larger magnitudes are refused: their differences overflow
LARGEST = 1e300
#: at most this many calibration points and boundaries, and characters in a name
MAX_ITEMS = 64
MAX_NAME = 200


class BadRequest(InvalidOptionError):
    """A request's settings are malformed or out of range (answered with status 400)."""


@dataclass(frozen=True)
class Point:
    """A calibration point: ``at`` a pixel position along colorbar ``bar`` (row or column), ``value`` written there."""

    bar: int
    at: float
    value: float


@dataclass(frozen=True)
class Settings:
    """What the page asks :func:`~imarray.digitize.digitize` to do (None: not given)."""

    cmap: str | None = None
    norm: str = "linear"
    range: tuple[float, float] | None = None
    points: tuple[Point, ...] = ()
    center: float | None = None
    gamma: float | None = None
    linthresh: float | None = None
    boundaries: tuple[float, ...] | None = None
    box: tuple[int, int, int, int] | None = None
    threshold: float | None = None
    lines: Literal["mask", "fill", "keep"] = "mask"
    output: str | None = None
    preview: str | None = None


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRequest(f"{key}: a number expected, got {type(value).__name__}")
    if not (math.isfinite(value) and abs(value) < LARGEST):
        raise BadRequest(f"{key}: a finite number of magnitude below {LARGEST:g} expected, got {value!r}")
    return float(value)


def _optional_number(key: str, value: Any) -> float | None:
    return None if value is None else _number(key, value)


def _numbers(key: str, value: Any, count: int | None = None) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS or (count is not None and len(value) != count):
        size = f"{count}" if count is not None else f"at most {MAX_ITEMS}"
        raise BadRequest(f"{key}: a list of {size} numbers expected, got {_short(value)}")
    return tuple(_number(key, v) for v in value)


def _integer(key: str, value: Any, low: int = 0, high: int = 1 << 31) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"{key}: an integer from {low} to {high} expected, got {_short(value)}")
    return value


def _name(key: str, value: Any, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME or "\0" in value:
        raise BadRequest(f"{key}: a name of 1 to {MAX_NAME} characters expected, got {_short(value)}")
    if choices is not None and value not in choices:
        raise BadRequest(f"{key}: one of {', '.join(choices)} expected, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _point(value: Any) -> Point:
    if not isinstance(value, dict) or set(value) != {"bar", "at", "value"}:
        raise BadRequest(f"points: objects with keys bar, at and value expected, got {_short(value)}")
    return Point(bar=_integer("points.bar", value["bar"], 0, MAX_ITEMS), at=_number("points.at", value["at"]),
                 value=_number("points.value", value["value"]))


def _box(value: Any) -> tuple[int, int, int, int]:
    if not isinstance(value, list) or len(value) != 4:
        raise BadRequest(f"box: four integers [y0, y1, x0, x1] expected, got {_short(value)}")
    y0, y1, x0, x1 = (_integer("box", v) for v in value)
    return (y0, y1, x0, x1)


def parse_settings(body: Any) -> Settings:
    """:class:`Settings` from a decoded JSON object; :class:`BadRequest` naming the first bad field."""
    if not isinstance(body, dict):
        raise BadRequest(f"a JSON object of settings expected, got {type(body).__name__}")
    unknown = sorted(set(body) - set(Settings.__dataclass_fields__))
    if unknown:
        raise BadRequest(f"unknown settings: {', '.join(map(_short, unknown))}",
                         hint=f"known: {', '.join(Settings.__dataclass_fields__)}")
    fields: dict[str, Any] = {}
    for key, value in body.items():
        if value is None:
            continue
        if key in ("cmap", "output", "preview"):
            fields[key] = _name(key, value)
        elif key == "norm":
            fields[key] = _name(key, value, NORMS)
        elif key == "lines":
            fields[key] = _name(key, value, LINES)
        elif key == "range":
            low, high = _numbers(key, value, 2)
            fields[key] = (low, high)
        elif key == "points":
            if not isinstance(value, list) or len(value) > MAX_ITEMS:
                raise BadRequest(f"points: a list of at most {MAX_ITEMS} points expected, got {_short(value)}")
            fields[key] = tuple(_point(v) for v in value)
        elif key == "boundaries":
            fields[key] = _numbers(key, value)
        elif key == "box":
            fields[key] = _box(value)
        else:  # center, gamma, linthresh, threshold
            fields[key] = _optional_number(key, value)
    return Settings(**fields)


def parse_ticks(body: Any) -> tuple[int, bool]:
    """The colorbar (index) whose tick labels to read and whether it is logarithmic, from ``{"bar", "norm"}``."""
    if not isinstance(body, dict) or not set(body) <= {"bar", "norm"} or "bar" not in body:
        raise BadRequest(f"an object with keys bar (and norm) expected, got {_short(body)}")
    return _integer("bar", body["bar"], 0, MAX_ITEMS), _name("norm", body.get("norm", "linear"), NORMS) == "log"
