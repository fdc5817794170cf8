"""Data left outside every plot box: said, never dropped silently.

A plot box is grown from the largest group of colour-matching pieces; a
piece of the field standing apart (plotnine's raster with an empty row between
two rows of cells, a panel much smaller than the others) is left out of it.
Such pieces, when large and not shaped like a colorbar, are named in a
:class:`StrayDataWarning` with the box that would take them in.

Examples
--------
>>> import numpy as np
>>> near = np.zeros((100, 100), bool)
>>> near[60:90, 10:90] = True      # the plot box's field
>>> near[10:30, 40:60] = True      # a row of cells above it, across an empty row
>>> [piece.box for piece in stray_pieces(near, [(60, 90, 10, 90)])]
[(10, 30, 40, 60)]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["StrayDataWarning", "stray_pieces", "warn_stray"]

#: a piece outside every box with at least this share of the smallest box's area is data, not a legend key
MIN_SHARE = 0.02
#: ... and at least this many pixels
MIN_PIXELS = 64
#: pieces this many times longer than wide are colorbars (plotnine draws short, wide ones; parts of a bar near
#: the page colour or its outline do not match, so it need not be solid)
BAR_ASPECT = 3


class StrayDataWarning(UserWarning):
    """Colour-matching data lie outside every plot box and were not read (pass ``box=`` to take them in)."""


@dataclass(frozen=True)
class StrayPiece:
    """A connected piece of colour-matching pixels outside every plot box: its ``box`` and ``pixels``."""

    box: tuple[int, int, int, int]
    pixels: int


def stray_pieces(near: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[StrayPiece]:
    """Large pieces of ``near`` (bool per pixel: colour-matching, not paper) outside every box, colorbars left out."""
    outside = near.copy()
    for y0, y1, x0, x1 in boxes:
        outside[max(y0 - 2, 0) : y1 + 2, max(x0 - 2, 0) : x1 + 2] = False
    smallest = min(((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in boxes), default=near.size)
    least = max(MIN_SHARE * smallest, MIN_PIXELS)
    if np.count_nonzero(outside) < least:
        return []
    from ._kernels import piece_boxes

    found, sizes, _ = piece_boxes(outside)
    pieces = []
    for (y0, y1, x0, x1), size in zip(found.tolist(), sizes.tolist(), strict=True):
        if size < least:
            continue
        height, width = y1 - y0, x1 - x0
        if max(height, width) >= BAR_ASPECT * min(height, width):
            continue  # a colorbar
        pieces.append(StrayPiece((y0, y1, x0, x1), size))
    return pieces


def warn_stray(near: np.ndarray, boxes: list[tuple[int, int, int, int]], stacklevel: int = 3) -> None:
    """Warn (:class:`StrayDataWarning`) about the pieces :func:`stray_pieces` finds, with the box taking them in."""
    pieces = stray_pieces(near, boxes)
    if not pieces:
        return
    every = [piece.box for piece in pieces] + list(boxes)
    union = (min(b[0] for b in every), max(b[1] for b in every), min(b[2] for b in every), max(b[3] for b in every))
    named = ", ".join(f"rows {p.box[0]}-{p.box[1]}, columns {p.box[2]}-{p.box[3]} ({p.pixels} pixels)"
                      for p in pieces)
    warnings.warn(
        f"colour-matching data outside the plot box(es) {boxes} were not read: {named} (a row or column of cells "
        f"apart from the rest, or a small panel); pass box={union} (--box {' '.join(map(str, union))}) to read "
        "them with the rest", StrayDataWarning, stacklevel=stacklevel,
    )
