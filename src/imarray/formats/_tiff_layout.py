"""Slices laid out like the first one: a folder's TIFF planes read from their strips, checked tag by tag.

A folder of 10,000 slices written by one program holds 10,000 headers that
say the same thing. Reading each through the whole TIFF reader costs about a
millisecond of header parsing per file; here the first slice (read by the
full reader, with all its checks) gives a :class:`PlaneLayout`, and every
other slice is taken by :func:`read_like` only if its own header says the
same: the same byte order, one page, every tag that decides the pixels or
the geometry equal to the first's (compared by value, wherever the value is
stored), uncompressed strips that follow one another and lie inside the
file. Anything else (another shape, dtype, compression, resolution or
description; a second page; a tag past the end) makes :func:`read_like`
return ``False``, and the caller reads that file with the full reader, which
raises or warns as it always does. Nothing is guessed: a slice read here
decodes exactly as the full reader would decode it.

Examples
--------
>>> import tempfile, pathlib, numpy as np, tifffile
>>> with tempfile.TemporaryDirectory() as name:
...     a, b = pathlib.Path(name) / "a.tif", pathlib.Path(name) / "b.tif"
...     tifffile.imwrite(a, np.zeros((4, 5), np.uint16))
...     tifffile.imwrite(b, np.arange(20, dtype=np.uint16).reshape(4, 5))
...     layout = plane_layout(a, nbytes=40)
...     out = np.empty((4, 5), np.uint16)
...     read_like(layout, b, memoryview(out).cast("B")), int(out[3, 4])
(True, 19)
"""

from __future__ import annotations

import os
import struct
import sys
from typing import NamedTuple

# tags that neither decide the pixels nor the geometry: names, dates, the writing program
_IGNORED = frozenset({269, 285, 305, 306, 315, 316, 36867, 36868})
_STRIP_OFFSETS, _STRIP_BYTES, _DESCRIPTION = 273, 279, 270
_COMPRESSION, _BITS, _SAMPLES, _PLANAR = 259, 258, 277, 284
_TILES = frozenset({322, 323, 324, 325})
# bytes per item of each TIFF field type (BYTE ... IFD8)
_ITEM_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
_INTEGER = {3: "H", 4: "I", 16: "Q"}
_HEAD = 4096  # one read takes the header, and with most writers the page and its values too
_LARGEST_VALUE = 2**20  # a tag value larger than this is not a slice written like the first: the full reader decides
_NATIVE = "<" if sys.byteorder == "little" else ">"


class PlaneLayout(NamedTuple):
    """What the first slice's header says, for checking the others against it.

    Attributes
    ----------
    byteorder
        ``"<"`` or ``">"``.
    big
        BigTIFF.
    tags
        ``(code, type, count, value bytes)`` of every tag that decides the
        pixels or the geometry, in file order, strip offsets left out.
    nbytes
        Bytes of the plane's pixels.
    prefix
        The file's bytes before its pixels, when the header, the page and all
        its values lie there (as tifffile writes them): a slice that starts
        with the same bytes is read with one call, header and pixels together.
    """

    byteorder: str
    big: bool
    tags: tuple[tuple[int, int, int, bytes], ...]
    nbytes: int
    prefix: bytes = b""


class _Page(NamedTuple):
    byteorder: str
    big: bool
    tags: tuple[tuple[int, int, int, bytes], ...]
    strips: tuple[int, ...]
    file_size: int
    extent: int  # where the header, the page and its values end


def plane_layout(path: str | os.PathLike[str], *, nbytes: int) -> PlaneLayout | None:
    """The layout of a one-page, uncompressed TIFF of ``nbytes`` of pixels in one run; ``None`` for any other.

    ``path`` is the first slice, already read (and so checked) by the full reader.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        page = _page(fd)
        start = None if page is None else _run_start(nbytes, page)
        prefix = os.pread(fd, start, 0) if page is not None and start is not None and page.extent <= start <= _HEAD \
            else b""
    finally:
        os.close(fd)
    if page is None or start is None:
        return None
    values = {code: (kind, count, value) for code, kind, count, value in page.tags}
    if values.get(_COMPRESSION, (3, 1, b""))[2] not in (b"", _short(page.byteorder, 1)) or _TILES & values.keys():
        return None
    samples = _integers(page.byteorder, *values.get(_SAMPLES, (3, 1, _short(page.byteorder, 1))))
    planar = _integers(page.byteorder, *values.get(_PLANAR, (3, 1, _short(page.byteorder, 1))))
    bits = _integers(page.byteorder, *values[_BITS]) if _BITS in values else (1,)
    if not samples or not bits or (samples[0] > 1 and planar != (1,)) or any(b % 8 for b in bits):
        return None
    if bits[0] > 8 and page.byteorder != _NATIVE:  # pixels to swap: the full reader does that
        return None
    return PlaneLayout(page.byteorder, page.big, page.tags, nbytes, prefix)


def read_like(layout: PlaneLayout, path: str | os.PathLike[str], out: memoryview) -> bool:
    """Read the slice at ``path`` into ``out`` (``layout.nbytes`` bytes) if its header says what ``layout`` says.

    ``False`` (``out`` possibly written) when it does not, or when the file
    cannot be parsed here: the caller then reads it with the full reader.
    A missing file raises ``FileNotFoundError``.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        if layout.prefix:
            head = bytearray(len(layout.prefix))
            done = os.preadv(fd, [head, out[: layout.nbytes]], 0)
            if done == len(head) + layout.nbytes and head == layout.prefix:
                return True  # the same header, page and values: the pixels are where the first slice's were
        page = _page(fd)
        if page is None or (page.byteorder, page.big, page.tags) != layout[:3]:
            return False
        start = _run_start(layout.nbytes, page)
        if start is None:
            return False
        done = 0
        while done < layout.nbytes:
            count = os.preadv(fd, [out[done : layout.nbytes]], start + done)
            if not count:
                return False
            done += count
        return True
    finally:
        os.close(fd)


def _run_start(nbytes: int, page: _Page) -> int | None:
    """Where the pixels start, if the strips follow one another, hold exactly the plane and lie inside the file."""
    counts = next((_integers(page.byteorder, kind, count, value)
                   for code, kind, count, value in page.tags if code == _STRIP_BYTES), None)
    if not counts or len(counts) != len(page.strips) or sum(counts) != nbytes:
        return None
    position = page.strips[0]
    for offset, count in zip(page.strips, counts, strict=True):
        if offset != position:
            return None
        position += count
    return page.strips[0] if position <= page.file_size else None


def _page(fd: int) -> _Page | None:
    """The one page of an open TIFF: its compared tags and strip offsets; ``None`` if anything is unexpected."""
    file_size = os.fstat(fd).st_size
    head = os.pread(fd, _HEAD, 0)
    if len(head) < 8 or head[:2] not in (b"II", b"MM"):
        return None
    order = "<" if head[:2] == b"II" else ">"
    magic = struct.unpack_from(order + "H", head, 2)[0]
    if magic == 42:
        big, count_format, entry_format, offset_format = False, "H", "HHI4s", "I"
        first = struct.unpack_from(order + "I", head, 4)[0]
    elif magic == 43 and len(head) >= 16:
        big, count_format, entry_format, offset_format = True, "Q", "HHQ8s", "Q"
        first = struct.unpack_from(order + "Q", head, 8)[0]
    else:
        return None

    extent = 16 if big else 8

    def take(offset: int, size: int) -> bytes | None:
        nonlocal extent
        if offset + size > file_size or size > _LARGEST_VALUE:
            return None
        extent = max(extent, offset + size)
        if offset + size <= len(head):
            return head[offset : offset + size]
        data = os.pread(fd, size, offset)
        return data if len(data) == size else None

    count_size = struct.calcsize(count_format)
    raw_count = take(first, count_size)
    if raw_count is None:
        return None
    entries = struct.unpack(order + count_format, raw_count)[0]
    entry = struct.Struct(order + entry_format)
    table = take(first + count_size, entries * entry.size + struct.calcsize(offset_format))
    if table is None or struct.unpack_from(order + offset_format, table, entries * entry.size)[0] != 0:
        return None  # a second page: not a slice
    tags: list[tuple[int, int, int, bytes]] = []
    strips: tuple[int, ...] = ()
    field = 8 if big else 4
    for code, kind, count, inline in entry.iter_unpack(table[: entries * entry.size]):
        item = _ITEM_SIZE.get(kind)
        if item is None:
            return None
        size = item * count
        value = inline[:size] if size <= field else take(struct.unpack(order + offset_format, inline)[0], size)
        if value is None:
            return None
        if code == _STRIP_OFFSETS:
            strips = _integers(order, kind, count, value)
        elif code == _DESCRIPTION and value.startswith(b"ImageJ="):
            # ImageJ records each slice's display range: not its pixels nor its geometry
            lines = value.split(b"\n")
            tags.append((code, kind, -1, b"\n".join(x for x in lines if not x.startswith((b"min=", b"max=")))))
        elif code not in _IGNORED:
            tags.append((code, kind, count, value))
    return _Page(order, big, tuple(tags), strips, file_size, extent) if strips else None


def _integers(order: str, kind: int, count: int, value: bytes) -> tuple[int, ...]:
    """The values of an integer tag (SHORT, LONG, LONG8); empty for another type."""
    letter = _INTEGER.get(kind)
    return struct.unpack(f"{order}{count}{letter}", value) if letter else ()


def _short(order: str, number: int) -> bytes:
    return struct.pack(order + "H", number)
