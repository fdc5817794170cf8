"""Real servers for the remote-source tests, started by the tests on 127.0.0.1.

- :class:`RangeServer`: a threaded HTTP/1.1 server over a folder that honours single
  ``Range`` requests and ``HEAD``, counts the body bytes it sends per path, and can be
  told to misbehave per path: answer 403, stall (send nothing until stopped), or drop the
  connection halfway through a body.
- :func:`moto_server`: moto's S3-compatible server (``moto[server]``) in a thread on a
  free port, with a bucket; s3fs talks to it through ``endpoint_url``, directly or through
  a :class:`CountingProxy` that counts the bytes the server sends back.

Nothing here mocks a client library: fsspec, aiohttp, s3fs and botocore speak to
these servers over real sockets.
"""

from __future__ import annotations

import contextlib
import html
import re
import socket
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RangeServer:
    """An HTTP server over ``root`` on a free port of 127.0.0.1.

    ``forbidden``, ``stalled`` and ``dropped`` hold URL paths (``/a/b.tif``) that answer
    403, never answer (until :meth:`stop`), or send half their body and close.
    ``sent[path]`` counts the body bytes sent for each path, ``requests`` each request
    line as ``(method, path, range header)``.
    """

    root: Path
    forbidden: set[str] = field(default_factory=set)
    stalled: set[str] = field(default_factory=set)
    dropped: set[str] = field(default_factory=set)
    sent: Counter = field(default_factory=Counter)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="range-server", daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without a trailing slash."""
        return f"http://127.0.0.1:{self._httpd.server_port}"

    def start(self) -> RangeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget counts and failure modes (between tests sharing the server)."""
        with self._lock:
            self.sent.clear()
            self.requests.clear()
        self.forbidden.clear()
        self.stalled.clear()
        self.dropped.clear()

    def total_sent(self) -> int:
        with self._lock:
            return sum(self.sent.values())

    def _count(self, path: str, n: int) -> None:
        with self._lock:
            self.sent[path] += n

    def _log(self, method: str, path: str, byte_range: str | None) -> None:
        with self._lock:
            self.requests.append((method, path, byte_range))


def _handler_for(server: RangeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in separate writes: without this, Nagle's algorithm and the
            # client's delayed ACK hold each small answer back about 40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, *, body: bool) -> None:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            byte_range = self.headers.get("Range")
            server._log(self.command, path, byte_range)
            if path in server.stalled:
                server._release.wait(timeout=60)
                self.close_connection = True
                return
            if path in server.forbidden:
                self._plain(HTTPStatus.FORBIDDEN, b"forbidden\n", body)
                return
            target = (server.root / path.lstrip("/")).resolve()
            if server.root.resolve() not in (target, *target.parents) or not target.exists():
                self._plain(HTTPStatus.NOT_FOUND, b"not found\n", body)
                return
            if target.is_dir():
                self._listing(target, path, body)
                return
            size = target.stat().st_size
            start, stop = 0, size
            status = HTTPStatus.OK
            if byte_range is not None:
                match = _RANGE.match(byte_range.strip())
                if match is None or (not match[1] and not match[2]):
                    self._plain(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"bad range\n", body)
                    return
                if match[1]:
                    start = int(match[1])
                    stop = min(size, int(match[2]) + 1) if match[2] else size
                else:
                    start = max(0, size - int(match[2]))
                if start >= size or stop <= start:
                    self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = HTTPStatus.PARTIAL_CONTENT
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(stop - start))
            if status == HTTPStatus.PARTIAL_CONTENT:
                self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
            self.end_headers()
            if not body:
                return
            if path in server.dropped:
                stop = start + (stop - start) // 2
                self.close_connection = True
            self._send_file(target, path, start, stop)

        def _send_file(self, target: Path, path: str, start: int, stop: int) -> None:
            with open(target, "rb") as handle, contextlib.suppress(ConnectionError):
                handle.seek(start)
                left = stop - start
                while left:
                    block = handle.read(min(_CHUNK, left))
                    server._count(path, len(block))  # before the write: the client may act on the bytes at once
                    self.wfile.write(block)
                    left -= len(block)
                self.wfile.flush()

        def _listing(self, folder: Path, path: str, body: bool) -> None:
            base = path if path.endswith("/") else path + "/"
            links = "".join(
                f'<a href="{html.escape(base + p.name)}">{html.escape(p.name)}</a>\n' for p in sorted(folder.iterdir())
            )
            self._plain(HTTPStatus.OK, f"<html><body>\n{links}</body></html>\n".encode(), body, "text/html")

        def _plain(self, status: HTTPStatus, text: bytes, body: bool, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            if body:
                self.wfile.write(text)

    return Handler


@contextlib.contextmanager
def range_server(root: Path) -> Iterator[RangeServer]:
    """A started :class:`RangeServer` over ``root``, stopped on exit."""
    server = RangeServer(root).start()
    try:
        yield server
    finally:
        server.stop()


class CountingProxy:
    """A TCP proxy on a free port of 127.0.0.1 in front of ``target_port``, counting the bytes it relays.

    ``received`` counts what the server sent back (bodies and HTTP headers), so a test can measure
    what a client of moto's S3 server transfers.
    """

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self.received = 0
        self._thread = threading.Thread(target=self._accept, name="counting-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def reset(self) -> None:
        with self._lock:
            self.received = 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self._target)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            for source, sink, counted in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pump, args=(source, sink, counted), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(_CHUNK):
                if counted:  # before relaying: the client may act on the bytes at once
                    with self._lock:
                        self.received += len(data)
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@dataclass(frozen=True)
class S3Server:
    """A running moto S3 server: its endpoint, one empty bucket, and s3fs options to reach it."""

    endpoint: str
    bucket: str
    proxy: CountingProxy

    @property
    def counted_options(self) -> dict:
        """Options for s3fs through the byte-counting proxy (``proxy.received``)."""
        options = self.storage_options
        options["client_kwargs"] = {**options["client_kwargs"], "endpoint_url": self.proxy.url}
        return options

    @property
    def storage_options(self) -> dict:
        return {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": "eu-west-1"},
        }


@contextlib.contextmanager
def moto_server(bucket: str = "imarray-test") -> Iterator[S3Server]:
    """moto's S3 server on a free port of 127.0.0.1 with ``bucket`` made; stopped on exit."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    proxy = CountingProxy(port)
    try:
        s3 = S3Server(f"http://127.0.0.1:{port}", bucket, proxy)
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True, **s3.storage_options)
        fs.mkdir(bucket)
        yield s3
    finally:
        proxy.stop()
        server.stop()
