"""How an array's pixels lie in memory, from its strides alone, and plane-by-plane compaction.

Acquisition software and GPU-friendly allocators pad rows or planes to an
alignment; slicing steps over planes; transposing reverses the order of
strides. A consumer that needs dense memory (a file writer, ITK, a DLPack
importer) should copy only what it cannot read in place:

=============  ==========================================  =============================
kind           what the strides say                        a dense consumer needs
=============  ==========================================  =============================
contiguous     C order, no gaps                            nothing: the array itself
permuted       dense, but axes in another order (Fortran)  nothing: relabel the axes
plane-padded   each plane dense, gaps between planes       nothing per plane
row-padded     each row dense, gaps between rows           one plane copied at a time
interleaved    pixels of a row not adjacent                one plane gathered at a time
broadcast      a stride of 0 (one value seen many times)   planes in place if the stride
                                                           is outside them, else one copy
=============  ==========================================  =============================

"Plane" means the last two dimensions (a y-x slice). A whole-volume consumer
(ITK) still needs one full copy for the last four kinds: one, never two.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = ["Layout", "LayoutKind", "classify", "dense_planes", "dense_volume"]


class LayoutKind(StrEnum):
    """The memory layout classes, from cheapest to most expensive to make dense."""

    CONTIGUOUS = "contiguous"
    PERMUTED = "permuted"
    PLANE_PADDED = "plane-padded"
    ROW_PADDED = "row-padded"
    INTERLEAVED = "interleaved"
    BROADCAST = "broadcast"


@dataclass(frozen=True)
class Layout:
    """What :func:`classify` found.

    Attributes
    ----------
    kind
        The layout class.
    order
        For ``permuted``: the axis order that makes the array C-contiguous
        (``array.transpose(order)`` is a dense view); otherwise ``None``.
    planes_in_place
        Whether every y-x plane is dense, so it can be handed over without a copy
        (true for plane-padded arrays, for arrays broadcast along an outer axis,
        and for arrays permuted only in their outer axes).
    plane_copy_bytes
        Bytes one plane copy takes when planes are not in place (0 otherwise):
        the extra memory of a plane-by-plane consumer.
    """

    kind: LayoutKind
    order: tuple[int, ...] | None
    planes_in_place: bool
    plane_copy_bytes: int


def _plane_bytes(array: np.ndarray) -> int:
    if array.ndim < 2:
        return array.nbytes
    return array.shape[-1] * array.shape[-2] * array.itemsize


def _dense_in_order(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    expected = itemsize
    for size, stride in zip(reversed(shape), reversed(strides), strict=True):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def classify(array: np.ndarray) -> Layout:
    """Classify the memory layout of ``array`` from its shape, strides and itemsize.

    Examples
    --------
    >>> volume = np.zeros((4, 6, 10), np.uint16)
    >>> classify(volume).kind.value
    'contiguous'
    >>> classify(volume.T).kind.value, classify(volume.T).order
    ('permuted', (2, 1, 0))
    >>> classify(volume[::2]).kind.value
    'plane-padded'
    >>> classify(volume[:, :, :8]).kind.value
    'row-padded'
    >>> classify(volume[:, :, ::2]).kind.value
    'interleaved'
    """
    shape, strides, itemsize = array.shape, array.strides, array.itemsize
    if array.size == 0 or array.flags.c_contiguous:
        return Layout(LayoutKind.CONTIGUOUS, None, True, 0)
    in_place = array.ndim >= 2 and _dense_in_order(shape[-2:], strides[-2:], itemsize)
    copy_bytes = 0 if in_place else _plane_bytes(array)

    def found(kind: LayoutKind, order: tuple[int, ...] | None = None) -> Layout:
        return Layout(kind, order, in_place, copy_bytes)

    if any(stride == 0 and size > 1 for size, stride in zip(shape, strides, strict=True)):
        return found(LayoutKind.BROADCAST)
    order = tuple(sorted(range(array.ndim), key=lambda axis: (-abs(strides[axis]), axis)))
    if all(s >= 0 for s in strides) and _dense_in_order(
        tuple(shape[a] for a in order), tuple(strides[a] for a in order), itemsize
    ):
        return found(LayoutKind.PERMUTED, order)
    if in_place:
        return found(LayoutKind.PLANE_PADDED)
    if array.ndim < 2 or (shape[-1] > 1 and strides[-1] != itemsize) or (shape[-2] > 1 and strides[-2] < 0):
        return found(LayoutKind.INTERLEAVED)
    return found(LayoutKind.ROW_PADDED)


def dense_planes(array: np.ndarray, *, plane_ndim: int = 2, reuse: bool = False) -> Iterator[np.ndarray]:
    """Yield the planes (last ``plane_ndim`` dimensions) of ``array`` in C order, each C-contiguous.

    Planes that are dense already are yielded as views; others are copied one
    at a time. With ``reuse=True`` every copy goes into one buffer, so each
    yielded plane is valid only until the next one is requested, and a
    consumer that writes each plane out holds exactly one plane of extra memory.

    Examples
    --------
    >>> padded = np.zeros((3, 4, 8), np.uint8)[:, :, :5]        # rows padded from 5 to 8 bytes
    >>> planes = list(dense_planes(padded))
    >>> len(planes), planes[0].shape, planes[0].flags.c_contiguous
    (3, (4, 5), True)
    """
    if array.ndim <= plane_ndim:
        yield np.ascontiguousarray(array)
        return
    buffer = None
    for index in np.ndindex(*array.shape[:-plane_ndim]):
        plane = array[index]
        if plane.flags.c_contiguous:
            yield plane
        elif reuse:
            if buffer is None:
                buffer = np.empty(plane.shape, plane.dtype)
            np.copyto(buffer, plane)
            yield buffer
        else:
            yield np.ascontiguousarray(plane)


def dense_volume(array: np.ndarray) -> np.ndarray:
    """The array itself if C-contiguous; otherwise one dense, page-aligned copy.

    This is what a whole-volume consumer (ITK) needs: at most one copy,
    straight into place, with no intermediate.

    Examples
    --------
    >>> a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)[:, :, :3]
    >>> b = dense_volume(a)
    >>> b.flags.c_contiguous, np.array_equal(a, b)
    (True, True)
    """
    if array.flags.c_contiguous:
        return array
    from ._memory import aligned_empty

    out = aligned_empty(array.shape, array.dtype)
    np.copyto(out, array)
    return out
