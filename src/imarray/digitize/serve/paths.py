"""Output names from the page, confined to the one folder the user gave on the command line.

A name from a request is a relative path with no ``..`` part, no NUL and no
drive or root; it must resolve (symbolic links followed) inside the folder.
Anything else raises :class:`~imarray.digitize.serve.request.BadRequest`:
a page cannot make the server write anywhere else.

Examples
--------
>>> from pathlib import Path
>>> confined(Path("/data/figures"), "field.tif")
PosixPath('/data/figures/field.tif')
>>> confined(Path("/data/figures"), "../field.tif")
Traceback (most recent call last):
...
imarray.digitize.serve.request.BadRequest: output '../field.tif' leaves the folder /data/figures
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from .request import BadRequest

__all__ = ["confined"]


def confined(folder: Path, name: str, *, key: str = "output") -> Path:
    """``folder / name`` if ``name`` is a plain relative path that stays inside ``folder``, else :class:`BadRequest`."""
    hint = f"type a file name inside {folder}, e.g. field.tif"
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts or ".." in windows.parts:
        raise BadRequest(f"{key} {name!r} leaves the folder {folder}", hint=hint)
    if not posix.parts or posix.name in ("", "."):
        raise BadRequest(f"{key} {name!r} names no file", hint=hint)
    base = folder.resolve()
    target = (base / posix).resolve()  # a symbolic link inside the folder may point out of it
    if not target.is_relative_to(base) or target == base:
        raise BadRequest(f"{key} {name!r} leaves the folder {folder}", hint=hint)
    return folder / posix
