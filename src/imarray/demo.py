"""``imarray demo``: the label stack that other tools rescale, saved and loaded exactly.

A uint32 label stack like the one in the classic question ("values equal to 5
now equal 255") goes through every lossless route imarray has, and comes back
bit for bit; the one save that cannot be exact is refused with its message.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .fileinfo import human_bytes


def label_stack() -> np.ndarray:
    """Labels 1..36 as blobs in a (6, 96, 96) uint32 stack, plus a few above 65535.

    Examples
    --------
    >>> stack = label_stack()
    >>> stack.dtype, int(stack.max()) > 65535
    (dtype('uint32'), True)
    """
    stack = np.zeros((6, 96, 96), dtype=np.uint32)
    yy, xx = np.mgrid[0:96, 0:96]
    for label in range(1, 37):
        z, cell = divmod(label - 1, 6)
        cy, cx = 16 + (cell // 3) * 48, 16 + (cell % 3) * 32
        stack[z][(yy - cy) ** 2 + (xx - cx) ** 2 <= 100] = label
    stack[5, 80:90, 80:90] = 70_000
    stack[5, 90:, 90:] = 4_000_000_000
    return stack


def _row(route: str, written: Path, original: np.ndarray, loaded: np.ndarray, files: int) -> list[str]:
    exact = (
        loaded.dtype == original.dtype
        and loaded.shape == original.shape
        and np.array_equal(loaded, original)
    )
    size = sum(p.stat().st_size for p in ([written] if written.is_file() else written.rglob("*")))
    return [
        route,
        written.name + ("/" if written.is_dir() else ""),
        str(files),
        f"{original.dtype} -> {loaded.dtype}",
        "x".join(map(str, loaded.shape)),
        "yes" if exact else "NO",
        human_bytes(size),
    ]


def _saved(written: object) -> Path:
    """What ``ia.save`` returns for a local target: its path."""
    assert isinstance(written, Path), written
    return written


def run(out: Path) -> bool:
    """Write the demo files into ``out`` and print the table; True if every round trip is exact."""
    from . import api
    from .compat import calscipy
    from .errors import ImarrayError

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    labels = label_stack()
    first_plane = labels[0]  # labels 1..6 only: an exact uint8 cast fits
    rows: list[list[str]] = []

    path = _saved(api.save(out / "labels.tif", labels))
    rows.append(_row("TIFF stack", path, labels, api.load(path), 1))

    slices = out / "slices"
    for i, plane in enumerate(labels):
        api.save(slices / f"slice_{i + 1}.tif", plane)
    rows.append(_row("folder of TIFF slices", slices, labels, api.load(slices), len(labels)))

    series = _saved(api.save(out / "series.tif", labels, size_cap=labels[0].nbytes * 2))
    rows.append(_row("size-capped TIFF series", series, labels, api.load(series), len(list(series.iterdir()))))

    raw = _saved(api.save(out / "labels.bin", labels))
    rows.append(_row("raw binary + JSON", raw, labels, api.load(raw, verify=True), 2))
    rows.append(_row("raw binary, memory-mapped", raw, labels, api.load(raw, mmap=True), 2))

    calscipy_dir = out / "calscipy-style"
    calscipy.save_binary(calscipy_dir, labels)
    rows.append(_row("CalSciPy save_binary", calscipy_dir, labels, calscipy.load_binary(calscipy_dir), 2))

    png = _saved(api.save(out / "plane.png", first_plane, dtype="uint8"))
    rows.append(_row("PNG, dtype='uint8' (checked)", png, first_plane.astype(np.uint8), api.load(png), 1))

    try:
        api.save(out / "refused.png", labels[5])
        refusal = "NOT REFUSED (bug)"
    except ImarrayError as err:
        refusal = str(err).replace(str(out) + "/", "")

    header = ["route", "written", "files", "dtype", "shape", "exact", "on disk"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(f"imarray demo: a uint32 label stack (labels 1..36, and 70000 and 4e9) in {out}\n")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    print("\nRefused, before writing a byte (plane 5 holds 70000 and 4e9):")
    print(f"  ia.save('refused.png', labels[5])\n  -> {refusal}")
    exact = all(row[5] == "yes" for row in rows)
    print("\nEvery round trip exact." if exact else "\nSOME ROUND TRIP WAS NOT EXACT.")
    return exact and not (out / "refused.png").exists()
