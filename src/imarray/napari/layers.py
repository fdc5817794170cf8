"""An :class:`~imarray.image.Image` as napari layer data, and a napari layer back as an Image.

napari places a layer with ``scale`` and ``translate`` in its data's axis
order, as the Image keeps spacing and origin, so they pass over unchanged;
the direction becomes ``rotate`` (napari composes translate, rotate, scale as
ITK composes origin, direction, spacing). Axis letters become
``axis_labels``. What the layer type is comes from the Image's kind, never
from the dtype: ``label`` images are Labels layers, ``rgb`` images colour
Image layers, and an intensity image with a ``c`` axis is split into one
Image layer per channel (``channel_axis``).

Examples
--------
>>> import numpy as np, imarray as ia
>>> img = ia.Image.from_label_array(np.zeros((4, 8, 8), np.uint32), spacing=(2.0, 0.5, 0.5))
>>> [(kind, data.dtype, meta["scale"]) for data, meta, kind in layer_data(img, name="cells")]
[('labels', dtype('uint32'), (2.0, 0.5, 0.5))]
>>> layer_image(np.zeros((4, 8, 8), np.uint32), {"scale": (2.0, 0.5, 0.5), "axis_labels": ("z", "y", "x")},
...             labels=True).kind
'label'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from ..errors import AxesError
from ..image import Image, Kind

LayerData = tuple[Any, dict[str, Any], str]

#: napari's name for "no unit": an axis whose unit the file does not give.
_NO_UNIT = "pixel"


def _labels(axes: str) -> tuple[str, ...]:
    """Axis labels: the letters, with unnamed (``q``) axes numbered so that no two labels are equal."""
    return tuple(f"q{index}" if letter == "q" else letter for index, letter in enumerate(axes))


def _unit(text: str) -> Any:
    """The pint unit napari makes of ``text``."""
    import pint

    return pint.get_application_registry().Unit(text)


def _units(units: Sequence[str | None]) -> tuple[str, ...] | None:
    """Units napari understands (it parses them with pint), or ``None`` to leave napari's default."""
    if not any(units):
        return None
    import pint

    try:
        for unit in units:
            if unit:
                _unit(unit)
    except (pint.errors.UndefinedUnitError, ValueError, AttributeError, TypeError):
        return None  # a unit pint does not know: kept in the layer's metadata, not shown as napari's unit
    return tuple(unit or _NO_UNIT for unit in units)


def _rotate(image: Image, keep: Sequence[int]) -> np.ndarray | None:
    """The direction as napari's ``rotate`` over the layer's axes ``keep``, ``None`` when it is the identity."""
    if image.direction is None or np.allclose(image.direction, np.eye(len(image.direction))):
        return None
    matrix = np.eye(len(keep))
    spatial = [keep.index(i) for i, letter in enumerate(image.axes) if letter in "zyx" and i in keep]
    if len(spatial) != len(image.direction):
        return None
    matrix[np.ix_(spatial, spatial)] = image.direction
    return matrix


def layer_data(image: Image, *, name: str, levels: Sequence[Any] | None = None,
               source: dict[str, Any] | None = None) -> list[LayerData]:
    """napari layer data for ``image``: one layer, or one per channel of an intensity image with a ``c`` axis.

    Parameters
    ----------
    image
        The image (its array NumPy or dask).
    name
        The layer's name; channels are named ``name [channel name]``, or ``name [c=i]`` when unnamed.
    levels
        Lower-resolution levels of a pyramid, full resolution first
        (``levels[0]`` is ``image.array``): the layer is multiscale.
    source
        What to keep in ``layer.metadata["imarray"]`` besides the Image's axes,
        units and kind (the path and format read).

    Returns
    -------
    list of (data, kwargs, layer_type)
        What a napari reader returns.
    """
    data: Any = list(levels) if levels is not None and len(levels) > 1 else image.array
    axes = image.axes
    record = {**(source or {}), "axes": axes, "units": list(image.units), "kind": image.kind}
    if image.channels is not None:
        record["channels"] = [list(entry) for entry in image.channels]
    if image.kind == "rgb":  # the colour axis last, as napari wants it
        colour = axes.index("c")
        data = [np.moveaxis(level, colour, -1) for level in data] if isinstance(data, list) \
            else np.moveaxis(data, colour, -1)
        keep = [i for i in range(image.ndim) if i != colour]
        return [(data, {**_placement(image, keep), "name": name, "rgb": True,
                        "metadata": {"imarray": record}}, "image")]
    keep = list(range(image.ndim))
    if "c" in axes and image.kind == "intensity":
        channel = axes.index("c")
        keep.remove(channel)
        count = image.shape[channel]
        channels = image.channels or (None,) * count
        placement = _placement(image, keep)
        placement.pop("rotate", None)  # napari applies one rotate to all channels only as a matrix per channel
        if any(entry is not None and entry.color for entry in channels):  # black to the file's colour
            placement["colormap"] = [entry.color if entry is not None and entry.color else "gray"
                                     for entry in channels]
        return [(data, {**placement, "channel_axis": channel,
                        "name": [f"{name} [{entry.name if entry is not None and entry.name else f'c={index}'}]"
                                 for index, entry in enumerate(channels)],
                        "metadata": [{"imarray": {**record, "channel": index}} for index in range(count)]},
                 "image")]
    kind = "labels" if image.kind == "label" else "image"
    return [(data, {**_placement(image, keep), "name": name, "metadata": {"imarray": record}}, kind)]


def _placement(image: Image, keep: Sequence[int]) -> dict[str, Any]:
    """``scale``, ``translate``, ``axis_labels``, ``units`` and ``rotate`` over the layer's axes ``keep``."""
    labels = _labels(image.axes)
    placement: dict[str, Any] = {
        "scale": tuple(image.spacing[i] for i in keep),
        "translate": tuple(image.origin[i] for i in keep),
        "axis_labels": tuple(labels[i] for i in keep),
    }
    units = _units([image.units[i] for i in keep])
    if units is not None:
        placement["units"] = units
    rotate = _rotate(image, list(keep))
    if rotate is not None:
        placement["rotate"] = rotate
    return placement


def _axes(meta: dict[str, Any], ndim: int) -> str | None:
    """The layer's axis letters: those imarray read it with, else its axis labels if they are letters."""
    read = (meta.get("metadata") or {}).get("imarray") or {}
    axes = read.get("axes")
    if isinstance(axes, str) and len(axes) == ndim:
        return axes
    labels = [str(label) for label in meta.get("axis_labels") or ()]
    letters = "".join("q" if label.startswith("q") and label[1:].isdigit() else label for label in labels)
    if len(labels) == ndim and len(letters) == ndim and set(letters) <= set("tzcyxq") \
            and all(letters.count(letter) <= 1 for letter in "tzcyx"):
        return letters
    return None


def _image_units(meta: dict[str, Any], ndim: int) -> list[str | None] | None:
    """Units per axis: those imarray read, while napari shows the same; else napari's own (none for pixel)."""
    given = [str(unit) for unit in meta.get("units") or ()]
    read = ((meta.get("metadata") or {}).get("imarray") or {}).get("units")
    if isinstance(read, list) and len(read) == ndim:
        shown = _units(read)
        if shown is None or given == [str(_unit(unit)) for unit in shown]:
            return read  # napari shows what was read ("um" as micrometer): keep the file's own spelling
    if len(given) != ndim or all(unit == _NO_UNIT for unit in given):
        return None
    return [None if unit == _NO_UNIT else unit for unit in given]


def layer_image(data: Any, meta: dict[str, Any], *, labels: bool) -> Image:
    """The Image a napari layer holds: its data (full resolution of a pyramid) and its placement.

    ``meta`` is what napari hands a writer (the layer's state: ``scale``,
    ``translate``, ``rotate``, ``axis_labels``, ``units``, ``rgb``,
    ``metadata``). A Labels layer of unsigned integers is a ``label`` image;
    one of signed integers keeps its dtype and is written as ``intensity``
    (a label image is unsigned, and the dtype does not change on the way).
    """
    if meta.get("multiscale") or (isinstance(data, list | tuple) and data and hasattr(data[0], "shape")):
        data = data[0]
    array = data if hasattr(data, "dask") else np.asarray(data)
    rgb = bool(meta.get("rgb")) and not labels
    ndim = array.ndim - 1 if rgb else array.ndim  # napari's scale and translate leave out the colour axis
    scale = [float(value) for value in meta.get("scale") or [1.0] * ndim]
    translate = [float(value) for value in meta.get("translate") or [0.0] * ndim]
    axes = _axes(meta, array.ndim)
    units = _image_units(meta, ndim)
    if rgb:
        scale, translate = [*scale, 1.0], [*translate, 0.0]
        units = None if units is None else [*units, None]
        if axes is None or not axes.endswith("c"):
            axes = ("zyx"[3 - ndim:] if ndim <= 3 else "q" * (ndim - 3) + "zyx") + "c"
    _refuse_unheld(meta, ndim)
    direction = _direction(meta.get("rotate"), axes)
    if labels:
        kind = "label" if array.dtype.kind == "u" else "intensity"
    elif rgb:
        kind = "rgb"
    else:
        read = ((meta.get("metadata") or {}).get("imarray") or {}).get("kind")
        kind = "binary" if read == "binary" and array.dtype.kind in "bu" else "intensity"
    try:
        return Image.from_array(array, axes=axes, spacing=scale, origin=translate, units=units, direction=direction,
                                kind=cast("Kind", kind))
    except AxesError as err:
        if axes is not None:
            raise
        raise AxesError(err.message, hint="name the layer's axes with letters of tzcyx, e.g. "
                        "layer.axis_labels = ('t', 'z', 'y', 'x')") from err


_UNHELD = "an image file holds spacing, origin and a rotation of its z, y, x axes"


def _refuse_unheld(meta: dict[str, Any], ndim: int) -> None:
    """Refuse a shear or an extra affine transform: no image file holds them, and dropping them moves the image."""
    shear = meta.get("shear")
    if shear is not None and np.any(np.asarray(shear, dtype=np.float64) != 0):
        raise AxesError(f"the layer is sheared ({list(np.ravel(shear))}); {_UNHELD}",
                        hint="set layer.shear to zeros before saving, or resample the image")
    affine = meta.get("affine")
    matrix = getattr(affine, "affine_matrix", affine)
    if matrix is not None and not np.allclose(np.asarray(matrix, dtype=np.float64), np.eye(ndim + 1)):
        raise AxesError(f"the layer has an affine transform besides scale and translate; {_UNHELD}",
                        hint="set layer.affine to the identity before saving, or resample the image")


def _direction(rotate: Any, axes: str | None) -> np.ndarray | None:
    """The direction (numpy order) from napari's ``rotate``; ``None`` for no rotation; refused if not held."""
    if rotate is None:
        return None
    matrix = np.asarray(rotate, dtype=np.float64)
    if np.allclose(matrix, np.eye(len(matrix))):
        return None
    layer_axes = (axes or "").replace("c", "") if axes is None or len(axes) != len(matrix) else axes
    spatial = [i for i, letter in enumerate(layer_axes) if letter in "zyx"]
    other = [i for i in range(len(layer_axes)) if i not in spatial]
    if axes is None or matrix.shape != (len(layer_axes), len(layer_axes)) or len(spatial) < 2 or \
            not np.allclose(matrix[np.ix_(other, other)], np.eye(len(other))) or \
            not np.allclose(matrix[np.ix_(spatial, other)], 0) or not np.allclose(matrix[np.ix_(other, spatial)], 0):
        raise AxesError(f"the layer's rotation turns axes other than z, y, x (axes {axes or 'unknown'}); {_UNHELD}",
                        hint="name the layer's axes with axis_labels ('z', 'y', 'x'), or reset layer.rotate")
    return matrix[np.ix_(spatial, spatial)]
