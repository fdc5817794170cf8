"""The correction page's HTTP server: 127.0.0.1 only, one random token per session, JSON in and out.

Routes (each needs the session's token, as ``?token=`` or the
``X-Imarray-Token`` header; requests whose ``Host`` is not this server's
address are refused, so a web page that rebinds its own name to 127.0.0.1
cannot reach it, and neither can a page that does not know the token):

``GET /``
    The page (one HTML file with its script and style inline).
``GET /figure.png``
    The figure as the pipeline sees it (RGB).
``GET /api/state``
    What was found: colorbars and their tick marks, plot boxes, the first settings.
``POST /api/digitize``
    Settings in (see :mod:`.request`), the recovered field and its error map out.
``POST /api/save``
    Settings with ``output`` in; the files written (inside the session's folder only).
``POST /api/ticks``
    ``{"bar": N, "norm": ..., "bar_box": ...}``: calibration points from the bar's tick labels, read by OCR
    (the ``ocr`` extra); ``bar_box``: the colorbar drawn by hand, numbered after those found.
``POST /api/bar``
    ``{"box": [y0, y1, x0, x1]}``: the colorbar whose colour strip the user dragged a rectangle over
    (checked, its ends and tick marks), see :func:`~imarray.digitize.colorbar.colorbar_in`.
``POST /api/axes``
    ``{"box": ..., "x_log": ..., "y_log": ...}``: the plot box's x and y axes from their tick labels (OCR):
    two points each, the scale, what was read and how sure, or why not.

Bad input gets status 400 and ``{"error": message}``; an unexpected failure
500 with a one-line message. Neither stops the server.

Examples
--------
>>> import json, tempfile, pathlib, threading, urllib.request
>>> import numpy as np
>>> from matplotlib import colormaps
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rgb = colormaps["viridis"](np.tile(np.linspace(0, 1, 40), (30, 1)), bytes=True)[..., :3]
>>> Image.fromarray(rgb).save(folder / "fig.png")
>>> server = DigitizeServer(Session(folder / "fig.png", folder, Fixed(), Settings(cmap="viridis")))
>>> thread = threading.Thread(target=server.serve_forever, daemon=True); thread.start()
>>> ask = urllib.request.Request(server.address + "/api/state", headers={"X-Imarray-Token": server.token})
>>> json.load(urllib.request.urlopen(ask))["boxes"]
[[0, 30, 0, 40]]
>>> server.shutdown(); server.server_close()
"""

from __future__ import annotations

import hmac
import json
import secrets
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ...errors import ImarrayError
from .pictures import data_url, error_picture, field_picture, png
from .request import BadRequest, parse_axes, parse_bar, parse_settings, parse_ticks
from .session import Fixed, Refused, Session, Settings

__all__ = ["DigitizeServer", "Fixed", "Session", "Settings"]

#: the largest request body read (bytes): settings are a few hundred
MAX_BODY = 64 * 1024
#: only this address is listened on
HOST = "127.0.0.1"
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the token is in the page's address
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
                               "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
}


class DigitizeServer(ThreadingHTTPServer):
    """A :class:`Session` served on 127.0.0.1 (``port=0``: a free port) with a fresh random token."""

    daemon_threads = True

    def __init__(self, session: Session, port: int = 0) -> None:
        super().__init__((HOST, port), _Handler)
        self.session = session
        self.token = secrets.token_urlsafe(24)
        self.figure_png = png(session.rgb)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that failed outside the handler's own answers (the page went away): one line, no traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            print(f"imarray: warning: a request to the page failed: {type(error).__name__}: {error}", file=sys.stderr)

    @property
    def address(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self.server_address[1]}"

    @property
    def url(self) -> str:
        """The page's address, token included: what the user opens."""
        return f"{self.address}/?token={self.token}"


class _Handler(BaseHTTPRequestHandler):
    server: DigitizeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the command prints what was saved; requests are not news."""

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, answer: dict[str, Any]) -> None:
        self._send(status, json.dumps(answer, allow_nan=False).encode(), "application/json")

    def _fail(self, status: int, message: str) -> None:
        self.close_connection = True  # a body may be left unread: the connection cannot serve another request
        self._json(status, {"error": message})

    def _allowed(self) -> bool:
        """The Host is this server's (no DNS rebinding), the Origin too if sent, and the token is right."""
        port = self.server.server_address[1]
        hosts = {f"{HOST}:{port}", f"localhost:{port}"}
        if self.headers.get("Host", "") not in hosts:
            self._fail(HTTPStatus.FORBIDDEN, "unknown Host: this server answers only as 127.0.0.1")
            return False
        origin = self.headers.get("Origin")
        if origin is not None and origin not in {f"http://{h}" for h in hosts}:
            self._fail(HTTPStatus.FORBIDDEN, "requests from other pages are refused")
            return False
        given = self.headers.get("X-Imarray-Token") or parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            self._fail(HTTPStatus.FORBIDDEN, "missing or wrong token: open the address the command printed")
            return False
        return True

    def do_GET(self) -> None:
        if not self._allowed():
            return
        route = urlsplit(self.path).path
        if route == "/":
            page = resources.files(__package__).joinpath("page.html").read_bytes()
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
        elif route == "/figure.png":
            self._send(HTTPStatus.OK, self.server.figure_png, "image/png")
        elif route == "/api/state":
            self._answer(lambda: self.server.session.state())
        else:
            self._fail(HTTPStatus.NOT_FOUND, f"no such page: {route}")

    def do_POST(self) -> None:
        if not self._allowed():
            return
        route = urlsplit(self.path).path
        session = self.server.session
        actions = {"/api/digitize": (parse_settings, self._digitize), "/api/save": (parse_settings, self._save),
                   "/api/ticks": (parse_ticks, lambda asked: session.read_ticks(*asked)),
                   "/api/bar": (parse_bar, session.drawn),
                   "/api/axes": (parse_axes, lambda asked: session.read_axes(*asked))}
        if route not in actions:
            self._fail(HTTPStatus.NOT_FOUND, f"no such action: {route}")
            return
        parse, act = actions[route]
        try:
            asked = parse(self._body())
        except BadRequest as err:
            self._fail(HTTPStatus.BAD_REQUEST, str(err))
            return
        self._answer(lambda: act(asked))

    def _body(self) -> Any:
        """The request's JSON, at most :data:`MAX_BODY` bytes."""
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise BadRequest("the body must be JSON (Content-Type: application/json)")
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise BadRequest("a Content-Length header is needed") from None
        if not 0 <= length <= MAX_BODY:
            raise BadRequest(f"the body has {length} bytes; at most {MAX_BODY} are read")
        try:
            return json.loads(self.rfile.read(length), parse_constant=_no_constant)
        except (ValueError, RecursionError) as err:
            raise BadRequest(f"the body is not JSON: {err}") from None

    def _answer(self, work) -> None:
        """Run ``work`` and send its answer; bad settings are a 400, a refusal a 409, anything else a 500."""
        try:
            answer = work()
        except Refused as err:
            self._fail(HTTPStatus.CONFLICT, str(err))
        except (ImarrayError, ValueError, TypeError, OverflowError, ImportError) as err:
            self._fail(HTTPStatus.BAD_REQUEST, " ".join(str(err).split()))
        except Exception as err:  # a bug: one line to the page, the server goes on
            self._fail(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(err).__name__}: {' '.join(str(err).split())}")
        else:
            self._json(HTTPStatus.OK, answer)

    def _digitize(self, settings: Settings) -> dict[str, Any]:
        run = self.server.session.run(settings)
        result = run.result
        finite = result.values[result.mask]
        return {
            "box": list(result.box), "range": list(run.range) if run.range else None,
            "data": float(result.mask.mean()), "threshold": float(result.threshold),
            "low": float(finite.min()) if finite.size else None, "high": float(finite.max()) if finite.size else None,
            "median_distance": float(np.median(result.distance[result.mask])) if finite.size else None,
            "warnings": run.warnings, "doubtful": run.doubtful, "command": run.command,
            # the box's first and last pixel centres in axis coordinates (pixel indices where no axis is given)
            "x": [float(result.x[0]), float(result.x[-1])], "y": [float(result.y[0]), float(result.y[-1])],
            "calibrated": [result.x_axis is not None, result.y_axis is not None],
            "field": data_url(field_picture(result)), "error": data_url(error_picture(result)),
        }

    def _save(self, settings: Settings) -> dict[str, Any]:
        lines, command = self.server.session.save(settings)
        return {"lines": lines, "command": command}


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")
