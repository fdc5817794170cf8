"""Where pixels come from and go to: local paths, fsspec URLs, bytes and file objects.

:func:`as_source` turns what a caller passes into a :class:`Source`:

- a ``str`` or ``os.PathLike`` path, or a plain ``file://`` URL: a *local* source; formats
  keep their fast path-based code (``source.path``);
- a URL that fsspec handles (``s3://``, ``gs://``, ``http(s)://``, ``memory://``, chained ones
  such as ``simplecache::s3://bucket/key``), with ``storage_options`` passed to fsspec: a
  *remote* source, read with range requests;
- ``bytes``, ``io.BytesIO`` or an open binary file: an *in-memory* source (file object).

A source keeps the text the caller wrote (``source.text``) for every message, never a
mangled path such as ``https:/host/x.tif``. Failures of the network or the server become
:mod:`imarray.errors` exceptions that name that text and give a hint: a missing object is an
:class:`~imarray.errors.ImageFileNotFoundError`, HTTP 401/403 or S3 ``AccessDenied`` a
:class:`~imarray.errors.SourcePermissionError`, a server that stalls a
:class:`~imarray.errors.SourceTimeoutError` (after ``timeout`` seconds without a byte,
:data:`DEFAULT_TIMEOUT` unless given), a connection that drops mid-answer a
:class:`~imarray.errors.SourceConnectionError`, a file object that cannot seek a
:class:`~imarray.errors.SourceNotSeekableError`.

fsspec (and s3fs, aiohttp) come with ``pip install 'imarray[remote]'`` and are imported only
when a remote source is used.

Examples
--------
>>> import io
>>> src = as_source(io.BytesIO(b"II*\\x00rest of a TIFF"))
>>> src.kind, src.head(4)
('memory', b'II*\\x00')
>>> as_source("scans/cells.tif").is_local
True
>>> as_source("s3://bucket/cells.tif").text
's3://bucket/cells.tif'
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeAlias, cast

from ._atomic import atomic_files
from ._optional import import_optional
from .errors import (
    CorruptFileError,
    ImageFileNotFoundError,
    ImarrayError,
    SourceConnectionError,
    SourceError,
    SourceNotSeekableError,
    SourcePermissionError,
    SourceTimeoutError,
)

if TYPE_CHECKING:
    from zarr.abc.store import Store

__all__ = ["DEFAULT_TIMEOUT", "READ_BLOCK", "S3_ATTEMPTS", "Source", "SourceLike", "as_source", "writing_all"]

DEFAULT_TIMEOUT = 30.0
"""Seconds a remote server may stay silent (connecting, or between bytes) before a read fails."""

READ_BLOCK = 8 * 1024
"""Read-ahead of a remote file opened with :meth:`Source.open`: each miss fetches the bytes
asked for plus this much, so scattered header reads cost one small request each and a
page's data one request of about its own size."""

S3_ATTEMPTS = 2
"""Attempts botocore makes of an S3 request that timed out or failed to connect: a silent server
fails a read after about ``S3_ATTEMPTS * timeout`` seconds."""

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*(://|::)")
_HTTP = ("http", "https")
_S3 = ("s3", "s3a")

Kind = Literal["local", "remote", "memory"]


def as_source(
    obj: SourceLike,
    *,
    storage_options: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Source:
    """The :class:`Source` for a path, URL, ``bytes`` or binary file object.

    Parameters
    ----------
    obj
        What the caller passed. A :class:`Source` is returned as it is (unless options
        are given with it).
    storage_options
        Passed to fsspec for a URL (credentials, ``endpoint_url`` in ``client_kwargs``, ...).
        Refused for anything else.
    timeout
        Seconds a remote server may stay silent before a read fails with
        :class:`~imarray.errors.SourceTimeoutError`; :data:`DEFAULT_TIMEOUT` if None.
        Options the caller sets in ``storage_options`` (aiohttp's ``client_kwargs["timeout"]``,
        botocore's ``config_kwargs``) win over it.

    Examples
    --------
    >>> as_source(b"\\x89PNG\\r\\n\\x1a\\n...").kind
    'memory'
    >>> as_source("memory://a/b.tif", timeout=5).timeout
    5.0
    """
    if isinstance(obj, Source):
        if storage_options is None and timeout is None:
            return obj
        if storage_options is None and obj.is_remote:
            storage_options = obj.storage_options
        obj = obj.original()
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
    seconds = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if isinstance(obj, str | os.PathLike):
        text = os.fspath(obj)
        if isinstance(text, bytes):
            raise TypeError(f"a path must be text, not bytes ({text!r}); for file contents pass bytes, not a path")
        if _URL.match(text):
            local = _plain_file_url(text)
            if local is None:
                return Source("remote", text, url=text, storage_options=storage_options, timeout=seconds)
            _no_options(storage_options, text)
            return Source("local", text, path=local, timeout=seconds)
        _no_options(storage_options, text)
        return Source("local", text, path=Path(text), timeout=seconds)
    _no_options(storage_options, "a file object")
    if isinstance(obj, bytes):
        return Source("memory", "<bytes>", data=obj, timeout=seconds)
    if isinstance(obj, bytearray | memoryview):
        raise TypeError(
            f"pass bytes or io.BytesIO, not {type(obj).__name__}: "
            "bytes(obj) or io.BytesIO(obj) make the copy explicit"
        )
    if hasattr(obj, "read"):
        if isinstance(obj, io.TextIOBase):
            raise TypeError(f"{_file_text(obj)} is open in text mode; open it with 'rb'")
        return Source("memory", _file_text(obj), fileobj=obj, timeout=seconds)
    raise TypeError(
        f"cannot read images from a {type(obj).__name__}: pass a path, a URL, bytes, or a binary file object"
    )


class Source:
    """A place to read an image from or write one to; make one with :func:`as_source`.

    Attributes
    ----------
    kind
        ``"local"`` (a path of this machine), ``"remote"`` (an fsspec URL) or ``"memory"``
        (``bytes`` or a file object).
    text
        The source as the caller wrote it, for messages.
    timeout
        Seconds a remote server may stay silent before a read fails.

    A local or remote source pickles (dask workers reopen it); so do ``bytes`` and
    ``io.BytesIO`` (their content travels along). Other file objects do not.
    """

    def __init__(
        self,
        kind: Kind,
        text: str,
        *,
        path: Path | None = None,
        url: str | None = None,
        storage_options: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        fileobj: IO[bytes] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.kind: Kind = kind
        self.text = text
        self.timeout = timeout
        self._path = path
        self._url = url
        self._options = dict(storage_options or {})
        self._data = data
        self._fileobj = fileobj
        self._lock = threading.Lock()
        self._fs: tuple[Any, str] | None = None

    # -- identity -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Source({self.text!r})"

    def __str__(self) -> str:
        return self.text

    def __reduce__(self):
        if self._fileobj is not None and not isinstance(self._fileobj, io.BytesIO):
            raise SourceError(
                "an open file object cannot be sent to another process",
                path=self.text,
                hint="pass its path or URL, or its bytes, to read it on dask workers",
            )
        fileobj = None if self._fileobj is None else io.BytesIO(self._fileobj.getvalue())
        state = {"path": self._path, "url": self._url, "storage_options": self._options,
                 "data": self._data, "fileobj": fileobj, "timeout": self.timeout}
        return (_rebuild, (self.kind, self.text, state))

    @property
    def is_local(self) -> bool:
        """A path of this machine: ``source.path`` works and formats may use their path-based code."""
        return self.kind == "local"

    @property
    def is_remote(self) -> bool:
        """A URL read through fsspec."""
        return self.kind == "remote"

    @property
    def is_memory(self) -> bool:
        """``bytes`` or a file object."""
        return self.kind == "memory"

    @property
    def path(self) -> Path:
        """The local path; :class:`TypeError` for a remote or in-memory source."""
        if self._path is None:
            raise TypeError(f"{self.text} is not a local path (it is a {self.kind} source)")
        return self._path

    @property
    def url(self) -> str:
        """The URL of a remote source, as written; :class:`TypeError` for others."""
        if self._url is None:
            raise TypeError(f"{self.text} is not a URL (it is a {self.kind} source)")
        return self._url

    @property
    def storage_options(self) -> dict[str, Any]:
        """The caller's fsspec options (a copy), without the timeouts added to them."""
        return dict(self._options)

    @property
    def name(self) -> str:
        """The last component of the path or URL (``cells.ome.tif``); for ``bytes``, ``""``.

        A URL's query (``?X-Amz-Signature=...``) is not part of the name, so the
        extension can choose the format.
        """
        if self._path is not None:
            return self._path.name
        if self._url is not None:
            last = self._url.split("::")[-1]
            return urllib.parse.urlsplit(last).path.rstrip("/").rsplit("/", 1)[-1]
        name = getattr(self._fileobj, "name", None)
        return Path(name).name if isinstance(name, str) else ""

    def original(self) -> str | bytes | IO[bytes]:
        """What :func:`as_source` was given (the text, the bytes or the file object)."""
        if self._data is not None:
            return self._data
        if self._fileobj is not None:
            return self._fileobj
        return self.text

    # -- what is there ------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the file, object or folder is there (a 403 or a timeout raises, it does not say no)."""
        if self.kind == "memory":
            return True
        if self._path is not None:
            return self._path.exists()
        fs, path = self._filesystem()
        try:
            with self.translating("look for it"):
                fs.info(path)
        except ImageFileNotFoundError:
            return False
        return True

    def is_dir(self) -> bool:
        """Whether this is a folder (a prefix in an object store; an HTML index over HTTP).

        HTTP has no folders: an ``http(s)`` URL is a folder when it ends with ``/`` or its
        server answers with an HTML page (the index fsspec lists links from).
        """
        if self.kind == "memory":
            return False
        if self._path is not None:
            return self._path.is_dir()
        fs, path = self._filesystem()
        if self._protocol() in _HTTP and str(self._url).endswith("/"):
            return True
        try:
            with self.translating("look for it"):
                info = fs.info(path)
        except ImageFileNotFoundError:
            return False
        if self._protocol() in _HTTP:
            return str(info.get("mimetype", "")).startswith("text/html")
        return info.get("type") == "directory"

    def size(self) -> int:
        """The size in bytes, from the file system or the server's headers (no data read)."""
        if self._data is not None:
            return len(self._data)
        if self._fileobj is not None:
            with self._borrowed("measure it") as handle:
                return handle.seek(0, os.SEEK_END)
        if self._path is not None:
            with self.translating("measure it"):
                return self._path.stat().st_size
        fs, path = self._filesystem()
        with self.translating("measure it"):
            size = fs.info(path).get("size")
        if size is None:
            raise SourceError("the server does not say how large it is (no Content-Length)", path=self.text,
                              hint="serve it with a Content-Length header, or download it first")
        return int(size)

    def head(self, n: int = 512) -> bytes:
        """The first ``n`` bytes (fewer if the source is shorter): enough for magic bytes."""
        return self.read_range(0, n, exact=False)

    def listdir(self) -> list[str]:
        """Names (not paths) of what a folder holds, sorted."""
        if self._path is not None:
            with self.translating("list it"):
                return sorted(p.name for p in self._path.iterdir())
        self._not_memory("list it")
        fs, path = self._filesystem()
        with self.translating("list it"):
            entries = fs.ls(path, detail=False)
        prefix = path.rstrip("/") + "/"
        names = {e.rstrip("/")[len(prefix):] for e in entries if e.rstrip("/").startswith(prefix)}
        return sorted(n for n in names if n and "/" not in n)

    def child(self, name: str) -> Source:
        """The source ``name`` inside this folder or store, with the same options and timeout."""
        self._not_memory("name a file inside it")
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"{name!r} is not a name inside {self.text}")
        text = self.text.rstrip("/") + "/" + name
        if self._path is not None:
            return Source("local", text, path=self._path / name, timeout=self.timeout)
        return Source("remote", text, url=self.url.rstrip("/") + "/" + name,
                      storage_options=self._options, timeout=self.timeout)

    def sibling(self, name: str) -> Source:
        """The source ``name`` beside this one (a raw binary's sidecar), with the same options and timeout.

        A URL keeps its scheme, host and folder; its query (a signature made for
        this object alone) is not carried over.

        >>> as_source("s3://bucket/run1/cells.bin").sibling("cells.json").text
        's3://bucket/run1/cells.json'
        """
        self._not_memory("name a file beside it")
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"{name!r} is not a file name")
        if self._path is not None:
            return Source("local", str(self._path.with_name(name)), path=self._path.with_name(name),
                          timeout=self.timeout)
        chain, _, last = self.url.rpartition("::")
        parts = urllib.parse.urlsplit(last)
        folder = parts.path.rsplit("/", 1)[0]
        url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{folder}/{name}", "", ""))
        url = f"{chain}::{url}" if chain else url
        text = self.text.rsplit("/", 1)[0] + "/" + name if "?" not in self.text else url
        return Source("remote", text, url=url, storage_options=self._options, timeout=self.timeout)

    # -- reading ------------------------------------------------------------------------------

    def open(self) -> IO[bytes]:
        """A seekable binary file over the source; closing it leaves a caller's file object open.

        A remote file reads ahead :data:`READ_BLOCK` bytes past each miss, so tifffile
        reading one page transfers about that page's bytes. Read errors raise
        :mod:`imarray.errors` exceptions naming the source.

        Examples
        --------
        >>> with as_source(b"0123456789").open() as handle:
        ...     _ = handle.seek(4)
        ...     handle.read(3)
        b'456'
        """
        if self._path is not None:
            with self.translating("open it"):
                return _file(open(self._path, "rb"), self, owns=True)
        if self._data is not None:
            return _file(io.BytesIO(self._data), self, owns=True)
        if self._fileobj is not None:
            self._check_seekable("open it")
            self._fileobj.seek(0)
            return _file(self._fileobj, self, owns=False)
        fs, path = self._filesystem()
        with self.translating("open it"):
            handle = fs.open(path, "rb", block_size=READ_BLOCK, cache_type="readahead")
        if not handle.seekable():  # fsspec's HTTP stream: no Content-Length or no Range support
            handle.close()
            raise SourceNotSeekableError(
                "cannot open it: the server does not allow range requests (or does not say the size)",
                path=self.text, hint="download it first, or read it through 'simplecache::' + the URL")
        return _file(handle, self, owns=True)

    def read_range(self, offset: int, length: int, *, exact: bool = True) -> bytes:
        """``length`` bytes from ``offset``: one range request for a remote source.

        With ``exact`` (the default) a source that ends before ``offset + length`` raises
        :class:`~imarray.errors.CorruptFileError`; without it, the bytes there are returned.
        Safe to call from several threads; a local or remote source pickles, so dask tasks
        on other machines call it too.
        """
        if offset < 0 or length < 0:
            raise ValueError(f"offset and length must not be negative ({offset}, {length})")
        if length == 0:
            return b""
        if self._data is not None:
            data = self._data[offset : offset + length]
        elif self._fileobj is not None:
            with self._borrowed("read it") as handle:
                handle.seek(offset)
                data = handle.read(length)
        elif self._path is not None:
            with self.translating("read it"), open(self._path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        else:
            fs, path = self._filesystem()
            with self.translating("read it"):
                data = fs.cat_file(path, start=offset, end=offset + length)
            data = data[:length]  # a server that ignores Range sends everything from offset 0
        if exact and len(data) != length:
            raise CorruptFileError(
                f"it ends before byte {offset + length} (asked for {length} bytes at offset {offset}, "
                f"got {len(data)})",
                path=self.text, hint="the file is truncated, or its header is wrong",
            )
        return data

    def read_into(self, offset: int, buffer: memoryview | bytearray) -> None:
        """Fill ``buffer`` (e.g. ``memoryview(array).cast('B')``) with the bytes from ``offset``.

        A local file is read straight into the buffer; a short source raises
        :class:`~imarray.errors.CorruptFileError`.
        """
        view = memoryview(buffer).cast("B")
        if self._path is None:
            view[:] = self.read_range(offset, len(view))
            return
        with self.translating("read it"), open(self._path, "rb", buffering=0) as handle:
            handle.seek(offset)
            done = 0
            while done < len(view):
                n = handle.readinto(view[done:])
                if not n:
                    raise CorruptFileError(
                        f"it ends before byte {offset + len(view)} (got {done} of {len(view)} bytes "
                        f"at offset {offset})",
                        path=self.text, hint="the file is truncated, or its header is wrong",
                    )
                done += n

    # -- zarr ---------------------------------------------------------------------------------

    def zarr_store(self, *, mode: Literal["r", "w"] = "r") -> Store:
        """A Zarr store over this folder or prefix: ``LocalStore`` or zarr's ``FsspecStore``.

        With ``mode="w"`` the store is writable and a save writes it chunk by chunk. Errors
        from the store while zarr reads or writes are fsspec's: wrap those calls in
        :meth:`translating`.
        """
        self._not_memory("open it as a Zarr store")
        zarr_storage = import_optional("zarr.storage", extra="zarr", purpose="Zarr")
        read_only = mode == "r"
        if self._path is not None:
            return zarr_storage.LocalStore(self._path, read_only=read_only)
        if not read_only:
            self._check_writable()
        with self.translating("open it as a Zarr store"):
            return zarr_storage.FsspecStore.from_url(self.url, storage_options=self._fs_options(), read_only=read_only)

    # -- writing ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """Yield a local temporary path for a whole-file writer; the file lands when the block succeeds.

        Local: an atomic rename (:mod:`imarray._atomic`). Remote: the file is written whole
        to a local temporary, then put in one upload (S3 multipart parts stay invisible
        until complete), so no partial object ever shows under the final key. A writable
        file object receives the bytes from its current position. If the block raises,
        nothing is put and the temporary is removed.
        """
        with writing_all([self]) as (path,):
            yield path

    # -- errors -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def translating(self, action: str) -> Iterator[None]:
        """Raise failures in the block as :mod:`imarray.errors` exceptions naming this source.

        ``action`` completes "cannot ..." in the message (``"read it"``).

        Examples
        --------
        >>> src = as_source("missing-folder/x.tif")
        >>> with src.translating("read it"):
        ...     open("missing-folder/x.tif", "rb")
        Traceback (most recent call last):
        imarray.errors.ImageFileNotFoundError: missing-folder/x.tif: cannot read it: not found...
        """
        try:
            yield
        except ImarrayError:
            raise
        except Exception as exc:
            raise self.error(exc, action) from None

    def error(self, exc: BaseException, action: str) -> ImarrayError:
        """The :mod:`imarray.errors` exception for ``exc`` raised while doing ``action`` on this source."""
        cls, reason = _classify(exc)
        if cls is ImageFileNotFoundError:
            hint = ("check the path" if self.kind == "local" else
                    "check the URL (bucket and key for an object store); credentials go in storage_options=")
            return ImageFileNotFoundError(f"cannot {action}: not found ({reason})", path=self.text, hint=hint)
        if cls is SourcePermissionError:
            hint = ("pass credentials in storage_options= (e.g. key=, secret=, token=), or check the URL"
                    if self.kind == "remote" else "check the file's permissions")
            return SourcePermissionError(f"cannot {action}: access refused ({reason})", path=self.text, hint=hint)
        if cls is SourceTimeoutError:
            return SourceTimeoutError(
                f"cannot {action}: no answer within {self.timeout:g} s ({reason})", path=self.text,
                hint="pass timeout= (seconds) to wait longer, or check that the server is up")
        if cls is SourceConnectionError:
            return SourceConnectionError(
                f"cannot {action}: the connection failed or dropped ({reason})", path=self.text,
                hint="try again; check the network and the server")
        return SourceError(f"cannot {action} ({reason})", path=self.text,
                           hint="check the path or URL and storage_options=")

    # -- internals ----------------------------------------------------------------------------

    def _protocol(self) -> str:
        return self.url.split("::")[-1].split("://", 1)[0].lower()

    def _fs_options(self) -> dict[str, Any]:
        """The caller's storage options with imarray's timeouts under them (the caller's win)."""
        options = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in self._options.items()}
        protocol = self._protocol()
        layer = options.setdefault(protocol, {}) if "::" in self.url else options
        if protocol in _HTTP:
            aiohttp = import_optional("aiohttp", extra="remote", purpose="Reading http(s) URLs")
            client = dict(layer.get("client_kwargs", {}))
            client.setdefault("timeout", aiohttp.ClientTimeout(
                total=None, connect=self.timeout, sock_connect=self.timeout, sock_read=self.timeout))
            layer["client_kwargs"] = client
        elif protocol in _S3:
            config = dict(layer.get("config_kwargs", {}))
            config.setdefault("connect_timeout", self.timeout)
            config.setdefault("read_timeout", self.timeout)
            config.setdefault("retries", {"total_max_attempts": S3_ATTEMPTS, "mode": "standard"})
            layer["config_kwargs"] = config
        return options

    def _filesystem(self) -> tuple[Any, str]:
        """fsspec's file system and the path in it (made once per source)."""
        if self._fs is None:
            fsspec_core = import_optional("fsspec.core", extra="remote", purpose=f"Reading {self._protocol()}:// URLs")
            try:
                fs, path = fsspec_core.url_to_fs(self.url, **self._fs_options())
            except ImportError as exc:
                raise _missing_backend(self, exc) from None
            except ImarrayError:
                raise
            except Exception as exc:
                raise self.error(exc, "reach it") from None
            if self._protocol() in _S3 and "::" not in self.url:
                # botocore retries (S3_ATTEMPTS); s3fs's own loops (5 tries each, nested twice for reads)
                # would make a stalled server cost 25 timeouts. The instance is imarray's: fsspec caches
                # file systems per options, and these carry imarray's timeouts
                fs.retries = 1
            self._fs = (fs, path)
        return self._fs

    def _not_memory(self, action: str) -> None:
        if self.kind == "memory":
            raise SourceError(f"cannot {action}: it is a file object, not a folder or URL", path=self.text,
                              hint="pass a path or URL for folders and stores")

    def _check_seekable(self, action: str) -> None:
        handle = self._fileobj
        seekable = getattr(handle, "seekable", None)
        if handle is not None and not (callable(seekable) and seekable()):
            raise SourceNotSeekableError(
                f"cannot {action}: the file object cannot seek, and reading images needs to",
                path=self.text, hint="read it into memory first and pass the bytes: ia.load(stream.read())")

    @contextlib.contextmanager
    def _borrowed(self, action: str) -> Iterator[IO[bytes]]:
        """The caller's file object under a lock, its position put back afterwards."""
        self._check_seekable(action)
        handle = self._fileobj
        assert handle is not None  # only memory sources borrow
        with self._lock, self.translating(action):
            position = handle.tell()
            try:
                yield handle
            finally:
                handle.seek(position)

    def _check_writable(self) -> None:
        if self.kind == "remote" and self._protocol() in _HTTP:
            raise SourceError("cannot write to an http(s) URL", path=self.text,
                              hint="save to a local path or an object store (s3://, gs://, ...) instead")


SourceLike: TypeAlias = str | os.PathLike[str] | bytes | IO[bytes] | Source
"""What :func:`as_source` accepts."""


def _rebuild(kind: Kind, text: str, state: dict[str, Any]) -> Source:
    return Source(kind, text, **state)


def _missing_backend(source: Source, exc: ImportError) -> ImarrayError:
    """The MissingDependencyError for a URL whose fsspec backend (s3fs, gcsfs, aiohttp) is missing."""
    from .errors import MissingDependencyError

    return MissingDependencyError(
        f"reading {source._protocol()}:// URLs needs a package that is not installed ({exc})",
        path=source.text, hint="pip install 'imarray[remote]' (gcsfs for gs://, adlfs for az://)")


@contextlib.contextmanager
def writing_all(sources: Sequence[Source]) -> Iterator[list[Path]]:
    """Yield local temporary paths for files written together (a ``.bin`` and its sidecar).

    Local targets are renamed into place all or none (:func:`imarray._atomic.atomic_files`).
    Remote targets are put one after the other once every file is complete; each object
    appears whole or not at all (an object store has no rename of several keys at once).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = as_source(f"{folder}/a.txt")
    ...     with writing_all([target]) as (tmp,):
    ...         _ = tmp.write_text("hello")
    ...     target.read_range(0, 5)
    b'hello'
    """
    kinds = {s.kind for s in sources}
    if len(kinds) != 1:
        raise ValueError("files written together must all be local, all remote, or all file objects")
    if kinds == {"local"}:
        with atomic_files([s.path for s in sources]) as temporaries:
            yield temporaries
        return
    for source in sources:
        if source.kind == "memory" and (source._data is not None or not _writable(source._fileobj)):
            raise SourceError("cannot write to it: it is not a writable file object", path=source.text,
                              hint="pass io.BytesIO() or a file opened with 'wb'")
        if source.kind == "remote":
            source._check_writable()
    with tempfile.TemporaryDirectory(prefix="imarray-put-") as folder:
        temporaries = [Path(folder) / f"{i}-{s.name or 'data'}" for i, s in enumerate(sources)]
        yield temporaries
        for source, tmp in zip(sources, temporaries, strict=True):
            if not tmp.exists():
                raise FileNotFoundError(f"writer did not create {source.text}")
            if source.kind == "memory":
                with open(tmp, "rb") as handle, source.translating("write it"):
                    shutil.copyfileobj(handle, cast(IO[bytes], source._fileobj))
                continue
            fs, path = source._filesystem()
            with source.translating("write it"):
                fs.put_file(os.fspath(tmp), path)


def _file(inner: IO[bytes], source: Source, *, owns: bool) -> IO[bytes]:
    """A :class:`_SourceFile` as the binary file it is to its readers."""
    return cast(IO[bytes], _SourceFile(inner, source, owns=owns))


class _SourceFile(io.RawIOBase):
    """A binary file over a source whose errors name the source; may leave the inner file open."""

    def __init__(self, inner: IO[bytes], source: Source, *, owns: bool) -> None:
        super().__init__()
        self._inner = inner
        self._source = source
        self._owns = owns

    @property
    def name(self) -> str:
        return self._source.text

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        with self._source.translating("read it"):
            return self._inner.read(-1 if size is None else size)

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        with self._source.translating("read it"):
            if hasattr(self._inner, "readinto"):
                return self._inner.readinto(buffer)
            view = memoryview(buffer).cast("B")
            data = self._inner.read(len(view))
            view[: len(data)] = data
            return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        with self._source.translating("seek in it"):
            return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        if not self.closed and self._owns:
            with contextlib.suppress(Exception):
                self._inner.close()
        super().close()


def _writable(handle: Any) -> bool:
    writable = getattr(handle, "writable", None)
    return callable(writable) and bool(writable())


def _plain_file_url(text: str) -> Path | None:
    """The local path of an unchained ``file://`` URL, else None."""
    if not text.lower().startswith("file://") or "::" in text:
        return None
    parts = urllib.parse.urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        return None
    if os.name == "nt":  # pragma: no cover - drive letters; urllib.request is slow to import
        from urllib.request import url2pathname

        return Path(url2pathname(parts.path))
    return Path(urllib.parse.unquote(parts.path))


def _no_options(storage_options: Mapping[str, Any] | None, text: str) -> None:
    if storage_options:
        raise ValueError(f"storage_options= is for URLs handled by fsspec, not for {text}")


def _file_text(handle: Any) -> str:
    name = getattr(handle, "name", None)
    return f"<file {name}>" if isinstance(name, str) else f"<{type(handle).__name__}>"


_MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "404", "NotFound"}
_DENIED_CODES = {"AccessDenied", "403", "401", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"}
_TIMEOUT_NAMES = {"ReadTimeoutError", "ConnectTimeoutError", "ServerTimeoutError", "FSTimeoutError",
                  "ConnectionTimeoutError", "SocketTimeoutError", "timeout"}
_DROP_NAMES = {"ClientPayloadError", "ClientConnectionError", "ServerDisconnectedError", "EndpointConnectionError",
               "IncompleteRead", "ConnectionClosedError", "ProtocolError", "ResponseStreamingError",
               "ClientOSError", "ContentLengthError", "TransferEncodingError"}


def _classify(exc: BaseException) -> tuple[type[ImarrayError], str]:
    """The imarray error class for ``exc`` (its causes and contexts looked at too), and a short reason."""
    reason = _reason(exc)
    seen: set[int] = set()
    chain: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        chain.append(item)
        todo += [item.__cause__, item.__context__]
    found: set[type[ImarrayError]] = set()
    for item in chain:
        names = {c.__name__ for c in type(item).__mro__}
        status = _status(item)
        if isinstance(item, PermissionError) or status in _DENIED_CODES:
            found.add(SourcePermissionError)
        elif isinstance(item, TimeoutError) or names & _TIMEOUT_NAMES:
            found.add(SourceTimeoutError)
        elif isinstance(item, ConnectionError) or names & _DROP_NAMES:
            found.add(SourceConnectionError)
        elif isinstance(item, FileNotFoundError) or status in _MISSING_CODES:
            found.add(ImageFileNotFoundError)
        elif isinstance(item, IsADirectoryError):
            return SourceError, "it is a folder"
    # fsspec words several failures as FileNotFoundError (HTTP: any failed HEAD and GET); the cause decides
    for cls in (SourcePermissionError, SourceTimeoutError, SourceConnectionError, ImageFileNotFoundError):
        if cls in found:
            return cls, reason
    return SourceError, reason


def _status(exc: BaseException) -> str | None:
    """An HTTP status (aiohttp) or S3 error code (botocore) carried by ``exc``, as text."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return str(status)
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        error = response.get("Error", {})
        code = error.get("Code") if isinstance(error, Mapping) else None
        if code:
            return str(code)
    return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."
