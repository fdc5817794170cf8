"""``FileInfo``: what a file holds, learned from headers alone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .sources import Source


def human_bytes(count: int) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError  # pragma: no cover


@dataclass(frozen=True)
class FileInfo:
    """Format, shape, dtype, axes and geometry of an image file or folder.

    Attributes
    ----------
    path
        The file or folder described.
    format
        Format name from the registry (``"tiff"``, ``"raw"``, ...).
    shape, dtype
        What ``load`` returns.
    axes
        One lower-case letter per dimension: ``t z c y x`` where the file says
        so, ``q`` where it does not.
    spacing, units, origin
        Physical pixel size, unit and position per axis letter, where the file
        records them.
    files
        Every file that holds pixels (several for folders and series).
    disk_bytes
        Bytes on disk of ``files`` (and sidecars); ``None`` where not counted
        (a lazy folder, planned without a look at each file: ``info`` counts).
    metadata
        Format details: compression, ImageJ/OME flags, a recorded scale, ...

    Examples
    --------
    >>> info = FileInfo(Path("a.tif"), "tiff", (2, 3), "uint8", "yx", files=(Path("a.tif"),))
    >>> info.nbytes
    6
    """

    path: Path | Source  # a URL or a file object is a Source: its text, never a mangled path
    format: str
    shape: tuple[int, ...]
    dtype: str
    axes: str
    spacing: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    origin: dict[str, float] = field(default_factory=dict)
    files: Sequence[Path | Source] = ()
    disk_bytes: int | None = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        """Bytes of the array ``load`` returns."""
        import numpy as np

        count = 1
        for size in self.shape:
            count *= size
        return count * np.dtype(self.dtype).itemsize

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``imarray info --json``)."""
        return {
            "path": str(self.path),
            "format": self.format,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "axes": self.axes,
            "spacing": self.spacing,
            "units": self.units,
            "origin": self.origin,
            "files": len(self.files),
            "disk_bytes": self.disk_bytes,
            "array_bytes": self.nbytes,
            "metadata": self.metadata,
        }

    def __str__(self) -> str:
        def geometry(values: dict) -> str:
            return ", ".join(
                f"{axis}={values[axis]:g}{' ' + self.units.get(axis, '') if self.units.get(axis) else ''}"
                for axis in self.axes
                if axis in values
            )

        rows = [
            ("path", str(self.path)),
            ("format", self.format),
            ("shape", " x ".join(str(s) for s in self.shape) + f"  ({self.axes})"),
            ("dtype", self.dtype),
            ("spacing", geometry(self.spacing) or "-"),
            ("origin", geometry(self.origin) or "-"),
            ("files", str(len(self.files))),
            ("on disk", "not counted" if self.disk_bytes is None else human_bytes(self.disk_bytes)),
            ("in memory", human_bytes(self.nbytes)),
        ]
        for key, value in self.metadata.items():
            rows.append((key, value if isinstance(value, str) else json.dumps(value)))
        width = max(len(key) for key, _ in rows)
        return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)
