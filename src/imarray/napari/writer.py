"""napari's writer contributions: an Image or Labels layer saved with ``ia.write``.

The format comes from the file's extension; the pixels keep their dtype and
values, and a format that cannot hold them refuses before writing a byte, with
``save``'s message and hint. The layer's ``scale`` and ``translate`` are written
as spacing and origin, its ``rotate`` as the direction.

Examples
--------
>>> import numpy as np, tempfile, pathlib, imarray as ia
>>> labels = np.arange(24, dtype=np.uint32).reshape(2, 3, 4)
>>> with tempfile.TemporaryDirectory() as folder:
...     [written] = write_labels(str(pathlib.Path(folder) / "labels.tif"), labels, {"scale": (2.0, 1.0, 1.0)})
...     back = ia.read(written)
>>> back.kind, back.dtype, back.spacing
('label', dtype('uint32'), (2.0, 1.0, 1.0))
"""

from __future__ import annotations

from typing import Any

from .. import api
from ..errors import ImarrayError
from .layers import layer_image


class LayerRefusedError(ImarrayError, RuntimeError):
    """A layer imarray will not write as asked: the refusal of ``save`` (named first), with its hint.

    napari takes a ``ValueError`` from a writer for "this writer does not
    apply" and answers with a warning that no writer was found, dropping the
    message; so the writer's refusals that are ``ValueError`` (``AxesError``,
    ``PixelKindError``, ...) reach napari as this ``RuntimeError`` instead.
    """


def _write(path: str, data: Any, meta: dict[str, Any], *, labels: bool) -> list[str]:
    try:
        return [str(api.write(path, layer_image(data, meta, labels=labels)))]
    except ImarrayError as err:
        if not isinstance(err, ValueError):
            raise
        raise LayerRefusedError(f"{type(err).__name__}: {err.message}", path=err.path or path,
                                hint=err.hint) from err


def write_image(path: str, data: Any, meta: dict[str, Any]) -> list[str]:
    """Write an Image layer's data (``rgb`` layers as colour) to ``path``; return the paths written."""
    return _write(path, data, meta, labels=False)


def write_labels(path: str, data: Any, meta: dict[str, Any]) -> list[str]:
    """Write a Labels layer's data as a label image to ``path``; return the paths written."""
    return _write(path, data, meta, labels=True)
