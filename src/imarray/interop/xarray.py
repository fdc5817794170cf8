"""xarray: ``to_xarray`` / ``from_xarray`` with named dims and coordinates from spacing and origin.

A DataArray made by ``to_xarray`` shares the Image's pixels. Its dims are the
axis letters (``"z", "y", "x"``; unnamed axes ``"q0", "q1", ...``), each
spatial or time axis gets a coordinate ``origin + spacing * index`` with its
unit in the coordinate's ``units`` attribute, and the pixel kind (and
direction, numpy order) are attributes. ``from_xarray`` reads the same back,
also from DataArrays made elsewhere whose dims are named ``t``/``time``,
``z``, ``c``/``channel``, ``y``, ``x``: spacing and origin come from evenly
spaced coordinates.

Examples
--------
>>> import numpy as np
>>> from imarray import Image
>>> img = Image.from_array(np.zeros((2, 3), np.uint8), spacing=(0.5, 0.25), units="um")
>>> data = img.to_xarray()                                   # doctest: +SKIP
>>> data.dims, data.x.values.tolist()                        # doctest: +SKIP
(('y', 'x'), [0.0, 0.25, 0.5])
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, cast

import numpy as np

from .._optional import import_optional
from ..dtypes import is_lazy
from ..errors import AxesError
from ..image import Channel, Image, Kind

_NAMES = {"t": "t", "time": "t", "z": "z", "c": "c", "channel": "c", "y": "y", "x": "x"}
_COORDINATE_AXES = "tzyx"


def xarray_module() -> ModuleType:
    """The xarray module, or ``MissingDependencyError`` naming the ``xarray`` extra."""
    return import_optional("xarray", extra="xarray", purpose="xarray DataArrays")


def to_xarray(image: Image) -> Any:
    """A DataArray sharing ``image``'s pixels, dims named by axis, coordinates from spacing and origin."""
    xr = xarray_module()
    dims = [letter if letter != "q" else f"q{index}" for index, letter in enumerate(image.axes)]
    coords = {}
    for index, letter in enumerate(image.axes):
        if letter in _COORDINATE_AXES:
            values = image.origin[index] + image.spacing[index] * np.arange(image.shape[index])
            unit = {"units": image.units[index]} if image.units[index] else {}
            coords[letter] = xr.Variable(letter, values, attrs=unit)
    if image.channels is not None:  # the c axis labelled by channel name; colours as an attribute
        names = [channel.name or f"c{index}" for index, channel in enumerate(image.channels)]
        colors = [channel.color or "" for channel in image.channels]
        coords["c"] = xr.Variable("c", names, attrs={"colors": colors} if any(colors) else {})
    attrs: dict[str, Any] = {"kind": image.kind}
    if image.direction is not None:
        attrs["direction"] = image.direction.tolist()
    return xr.DataArray(image.array, dims=dims, coords=coords, attrs=attrs).rename(None)  # not the dask key


def _step(values: np.ndarray, name: str) -> tuple[float, float]:
    """(origin, spacing) of evenly spaced coordinate ``values``."""
    origin = float(values[0]) if values.size else 0.0
    if values.size < 2:
        return origin, 1.0
    steps = np.diff(values.astype(np.float64))
    spacing = float(steps.mean())
    if not spacing > 0 or not np.allclose(steps, spacing, rtol=1e-6, atol=0):
        raise AxesError(
            f"the coordinate {name!r} is not evenly spaced and increasing, so it has no single spacing",
            hint="interpolate onto a regular grid first (DataArray.interp), or drop the coordinate",
        )
    return origin, spacing


def from_xarray(data: Any, *, kind: str | None = None) -> Image:
    """An Image sharing a DataArray's NumPy (or dask) pixels; axes from dim names, geometry from coordinates.

    Dims named other than t/time, z, c/channel, y, x become ``q``; ``kind``
    defaults to the DataArray's ``kind`` attribute, else ``intensity``.
    """
    xr = xarray_module()
    if not isinstance(data, xr.DataArray):
        raise TypeError(f"from_xarray takes an xarray.DataArray, not a {type(data).__name__}")
    if not isinstance(data.data, np.ndarray) and not is_lazy(data.data):
        raise TypeError(
            f"the DataArray holds a {type(data.data).__name__}, not a NumPy or dask array; call .to_numpy() first"
        )
    axes = "".join(_NAMES.get(str(dim).lower(), "q") for dim in data.dims)
    spacing, origin, units = [], [], []
    for dim, letter in zip(data.dims, axes, strict=True):
        coordinate = data.coords.get(dim)
        if letter in _COORDINATE_AXES and coordinate is not None and coordinate.ndim == 1:
            start, step = _step(np.asarray(coordinate.values), str(dim))
            unit = coordinate.attrs.get("units")
        else:
            start, step, unit = 0.0, 1.0, None
        origin.append(start)
        spacing.append(step)
        units.append(unit)
    return Image(data.data, axes=axes, spacing=spacing, origin=origin, units=units,
                 direction=data.attrs.get("direction"), kind=cast(Kind, kind or data.attrs.get("kind", "intensity")),
                 channels=_channels(data, axes))


def _channels(data: Any, axes: str) -> list[Channel] | None:
    """Channels from a c axis labelled with text (names), and its ``colors`` attribute, if any."""
    if "c" not in axes:
        return None
    coordinate = data.coords.get(data.dims[axes.index("c")])
    if coordinate is None or coordinate.ndim != 1 or coordinate.dtype.kind not in "UO":
        return None
    colors = list(coordinate.attrs.get("colors") or []) or [None] * coordinate.size
    return [Channel(str(name), color or None) for name, color in zip(coordinate.values, colors, strict=False)]
