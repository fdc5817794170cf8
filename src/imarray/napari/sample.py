"""napari's sample data: the demo's uint32 label stack (labels 1..36, and 70000 and 4e9)."""

from __future__ import annotations

from ..demo import label_stack as _label_stack
from .layers import LayerData


def label_stack() -> list[LayerData]:
    """The label stack ``imarray demo`` writes, as one Labels layer.

    Examples
    --------
    >>> [(data.dtype, data.shape, kind) for data, _, kind in label_stack()]
    [(dtype('uint32'), (6, 96, 96), 'labels')]
    """
    stack = _label_stack()
    return [(stack, {"name": "imarray demo labels", "axis_labels": ("z", "y", "x"),
                     "metadata": {"imarray": {"axes": "zyx", "kind": "label"}}}, "labels")]
