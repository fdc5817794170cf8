"""Exceptions raised by imarray.

Every error is an :class:`ImarrayError` and also the built-in exception that
fits it (``ValueError``, ``TypeError``, ``FileNotFoundError``, ``OSError``, ``ImportError``),
so existing ``except ValueError`` blocks keep working. Each carries the
``path`` it is about and a ``hint`` that names the way out, and each pickles,
so errors raised on a dask worker reach the caller unchanged.

Examples
--------
>>> from imarray.errors import LossyCastError
>>> err = LossyCastError("value 300 does not fit uint8", path="a.png", hint="pass dtype='uint16'")
>>> print(err)
a.png: value 300 does not fit uint8. Hint: pass dtype='uint16'
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

import io
import os

__all__ = [
    "AxesError",
    "ChangedWhileReadingError",
    "CopyRequiredError",
    "CorruptFileError",
    "FormatNotFoundError",
    "FormatPluginError",
    "ImageFileNotFoundError",
    "ImarrayError",
    "InterruptedSaveError",
    "InvalidOptionError",
    "LazyImageError",
    "LossyCastError",
    "MissingDependencyError",
    "PixelKindError",
    "SidecarError",
    "SourceConnectionError",
    "SourceError",
    "SourceNotSeekableError",
    "SourcePermissionError",
    "SourceTimeoutError",
    "TargetError",
    "TargetPermissionError",
    "UnsupportedDtypeError",
    "UnsupportedSourceError",
]


class ImarrayError(Exception):
    """Base class of every error imarray raises on purpose.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    path
        The file or folder the error is about, if any.
    hint
        What the caller can do instead.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | object | None = None,
        hint: str | None = None,
    ) -> None:
        where = None if path is None else os.fspath(path) if isinstance(path, str | os.PathLike) else str(path)
        text = message if where is None else f"{where}: {message}"
        super().__init__(text + (f". Hint: {hint}" if hint else ""))
        # set after the built-in's __init__, which may define its own ``path`` (ImportError)
        self.message = message
        self.path = where  # a URL or a file object's description: the source as the caller wrote it
        self.hint = hint

    def __str__(self) -> str:
        text = self.message if self.path is None else f"{self.path}: {self.message}"
        if self.hint:
            text = f"{text}. Hint: {self.hint}"
        return text

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.path, self.hint))


def _rebuild(cls: type[ImarrayError], message: str, path: str | None, hint: str | None):
    return cls(message, path=path, hint=hint)


class ImageFileNotFoundError(ImarrayError, FileNotFoundError):
    """The path does not exist, or a folder holds no image file."""


class FormatNotFoundError(ImarrayError, ValueError):
    """No known format matches the file's content, extension or ``format=``."""


class UnsupportedDtypeError(ImarrayError, TypeError):
    """The chosen format cannot hold the array's dtype, shape or kind exactly."""


class InvalidOptionError(ImarrayError, ValueError):
    """An option's value is outside what the format allows (``frame_rate=0``, ``crf=99``)."""


class LossyCastError(ImarrayError, ValueError):
    """An exact cast (``dtype=`` without ``scale=``) would change a value (at ``index`` of the array, if known)."""

    index: tuple[int, ...] | None = None


class PixelKindError(ImarrayError, ValueError):
    """An array does not satisfy the rules of the pixel kind asked for."""


class AxesError(ImarrayError, ValueError):
    """Axes letters do not match the array's dimensions."""


class CorruptFileError(ImarrayError, ValueError):
    """The file is empty, truncated, or its header contradicts its size."""


class InterruptedSaveError(CorruptFileError):
    """A save of the file was interrupted while renaming its set of files into place (see ``imarray clean``)."""


class ChangedWhileReadingError(CorruptFileError):
    """Another process replaced the file (or one of its set) again and again while it was being read."""


class SidecarError(ImarrayError, ValueError):
    """A raw binary's JSON sidecar is missing, unreadable or contradicts the data."""


class TargetError(ImarrayError, OSError):
    """A file cannot be written where asked: a folder stands there, its folder is a file, the disk is full."""


class TargetPermissionError(TargetError, PermissionError):
    """The operating system refuses to write the file or its folder."""


class MissingDependencyError(ImarrayError, ImportError):
    """An optional dependency (an extra) is needed and not installed."""


class CopyRequiredError(ImarrayError, ValueError):
    """``copy=False`` was asked for but the operation needs a copy."""


class LazyImageError(ImarrayError, TypeError):
    """An operation needs the pixels in memory, and the Image holds a dask array (``ia.read(lazy=True)``)."""


class SourceError(ImarrayError, OSError):
    """A source (a URL, an object store, a file object) cannot be read or written as asked.

    ``path`` is the source as the caller wrote it (``https://host/x.tif``, never a mangled path).
    """


class SourcePermissionError(SourceError, PermissionError):
    """The server refuses access (HTTP 401/403, S3 ``AccessDenied``) or the store is read-only."""


class SourceTimeoutError(SourceError, TimeoutError):
    """The server sent nothing for longer than the timeout (``timeout=`` seconds)."""


class SourceConnectionError(SourceError, ConnectionError):
    """The connection failed or dropped before the whole answer arrived."""


class SourceNotSeekableError(SourceError, io.UnsupportedOperation):
    """A file object cannot seek, and the format needs to (read it into ``bytes`` first)."""


class UnsupportedSourceError(ImarrayError, TypeError):
    """The format cannot be read from (or written to) this kind of source: a URL, bytes or a file object."""


class FormatPluginError(ImarrayError, ImportError):
    """A format contributed by a plugin cannot be used (its module fails to import)."""


class UnsupportedFeatureError(ImarrayError, ValueError):
    """A valid file that uses a feature imarray does not read (an encoding, a colour model); it is not damaged."""
