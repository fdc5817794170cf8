"""The correction page's settings, read from a JSON request and checked before any work.

Every field is checked for its type and range (numbers finite and of sane
size, boxes of four integers, strings short, names from fixed lists); a bad
one raises :class:`BadRequest`, which the server answers with status 400 and
the message. Unknown keys are refused too, so a misspelt setting is not
silently ignored. An axis's two points must be a pixel apart at least, with
different values, above 0 on a log axis; the message says what to click.

Examples
--------
>>> settings = parse_settings({"cmap": "viridis", "range": [0, 0.7], "box": [10, 50, 20, 90]})
>>> settings.cmap, settings.range, settings.box
('viridis', (0.0, 0.7), (10, 50, 20, 90))
>>> parse_settings({"x_axis": [50, 0, 250, 40], "y_axis": [20, 10, 20, 1000], "y_log": True})
Traceback (most recent call last):
...
imarray.digitize.serve.request.BadRequest: y axis: the two points are at row 20 and 20, less than a pixel apart...
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

__all__ = ["NORMS", "BadRequest", "Point", "Settings", "axis_points", "parse_axes", "parse_bar", "parse_settings",
           "parse_ticks"]

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
    """What the page asks :func:`~imarray.digitize.digitize` to do (None: not given).

    ``x_axis``/``y_axis`` are two reference points ``(PX1, V1, PX2, V2)`` as
    ``--x-axis``/``--y-axis`` take them (pixel column or row, and the value
    there), logarithmic with ``x_log``/``y_log``; ``bar_box`` is a colorbar's
    colour strip marked by hand (see :func:`~imarray.digitize.colorbar.colorbar_in`).
    """

    cmap: str | None = None
    norm: str = "linear"
    range: tuple[float, float] | None = None
    points: tuple[Point, ...] = ()
    center: float | None = None
    gamma: float | None = None
    linthresh: float | None = None
    boundaries: tuple[float, ...] | None = None
    box: tuple[int, int, int, int] | None = None
    x_axis: tuple[float, float, float, float] | None = None
    y_axis: tuple[float, float, float, float] | None = None
    x_log: bool = False
    y_log: bool = False
    bar_box: tuple[int, int, int, int] | None = None
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


def _box(value: Any, key: str = "box") -> tuple[int, int, int, int]:
    if not isinstance(value, list) or len(value) != 4:
        raise BadRequest(f"{key}: four integers [y0, y1, x0, x1] expected, got {_short(value)}")
    y0, y1, x0, x1 = (_integer(key, v) for v in value)
    return (y0, y1, x0, x1)


def _flag(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"{key}: true or false expected, got {_short(value)}")
    return value


def axis_points(name: str, value: Any, log: bool) -> tuple[float, float, float, float]:
    """Two reference points ``[PX1, V1, PX2, V2]`` of axis ``name``: distinct pixels, distinct values, log ones > 0."""
    pixel1, value1, pixel2, value2 = _numbers(f"{name}_axis", value, 4)
    where = "column" if name == "x" else "row"
    click = (f"click two distinct places along the {name} axis (two tick marks, say) and type the values written "
             "there")
    if abs(pixel2 - pixel1) < 1:
        raise BadRequest(f"{name} axis: the two points are at {where} {pixel1:g} and {pixel2:g}, less than a pixel "
                         "apart", hint=click)
    if value1 == value2:
        raise BadRequest(f"{name} axis: both points have the value {value1:g}", hint=click)
    if log and min(value1, value2) <= 0:
        raise BadRequest(f"{name} axis: a log axis has values above 0, got {value1:g} and {value2:g}",
                         hint=f"type positive values, or untick {name} log")
    return (pixel1, value1, pixel2, value2)


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
        elif key in ("box", "bar_box"):
            fields[key] = _box(value, key)
        elif key in ("x_log", "y_log"):
            fields[key] = _flag(key, value)
        elif key in ("x_axis", "y_axis"):
            fields[key] = value  # checked below, once the log flags are known
        else:  # center, gamma, linthresh, threshold
            fields[key] = _optional_number(key, value)
    for name in ("x", "y"):
        if f"{name}_axis" in fields:
            fields[f"{name}_axis"] = axis_points(name, fields[f"{name}_axis"], fields.get(f"{name}_log", False))
    return Settings(**fields)


def parse_ticks(body: Any) -> tuple[int, bool, tuple[int, int, int, int] | None]:
    """The colorbar (index) whose tick labels to read, whether it is logarithmic, and the colorbar drawn by hand.

    From ``{"bar", "norm", "bar_box"}``; the bar drawn by hand (if any) comes
    after the ones found.
    """
    if not isinstance(body, dict) or not set(body) <= {"bar", "norm", "bar_box"} or "bar" not in body:
        raise BadRequest(f"an object with keys bar (and norm, bar_box) expected, got {_short(body)}")
    drawn = None if body.get("bar_box") is None else _box(body["bar_box"], "bar_box")
    return (_integer("bar", body["bar"], 0, MAX_ITEMS), _name("norm", body.get("norm", "linear"), NORMS) == "log",
            drawn)


def parse_bar(body: Any) -> tuple[int, int, int, int]:
    """The rectangle ``{"box": [y0, y1, x0, x1]}`` drawn over a colorbar's colour strip."""
    if not isinstance(body, dict) or set(body) != {"box"}:
        raise BadRequest(f"an object with the key box expected, got {_short(body)}")
    return _box(body["box"])


def parse_axes(body: Any) -> tuple[tuple[int, int, int, int], bool, bool]:
    """The plot box whose axes' tick labels to read, and whether x and y are log (``{"box", "x_log", "y_log"}``)."""
    if not isinstance(body, dict) or "box" not in body or not set(body) <= {"box", "x_log", "y_log"}:
        raise BadRequest(f"an object with keys box (and x_log, y_log) expected, got {_short(body)}")
    return _box(body["box"]), _flag("x_log", body.get("x_log", False)), _flag("y_log", body.get("y_log", False))
