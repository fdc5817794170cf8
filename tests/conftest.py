"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def labels() -> np.ndarray:
    """A seed-style uint32 label stack: 1..36 and a few values above 65535."""
    stack = np.zeros((4, 24, 24), dtype=np.uint32)
    for label in range(1, 37):
        z, rest = divmod(label - 1, 9)
        y, x = divmod(rest, 3)
        stack[z, y * 8 : y * 8 + 5, x * 8 : x * 8 + 5] = label
    stack[3, 20:, 20:] = 70000
    stack[3, 0, 0] = 2**32 - 1
    return stack


@pytest.fixture(scope="session")
def http_root(tmp_path_factory) -> Path:
    """The folder the test HTTP server serves (files written by the tests)."""
    return tmp_path_factory.mktemp("http-root")


@pytest.fixture(scope="session")
def _http_server(http_root):
    pytest.importorskip("aiohttp", reason="the remote-source tests need imarray[remote]")
    pytest.importorskip("fsspec", reason="the remote-source tests need imarray[remote]")
    from servers import range_server

    with range_server(http_root) as server:
        yield server


@pytest.fixture
def http_server(_http_server):
    """A threaded HTTP server on 127.0.0.1 with Range requests, byte counts and failure modes, reset per test."""
    _http_server.reset()
    yield _http_server
    _http_server.reset()


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free port of 127.0.0.1 with one bucket; stopped at the end of the session."""
    pytest.importorskip("moto.server", reason="the S3 tests need moto[server] (the test extra)")
    pytest.importorskip("s3fs", reason="the S3 tests need imarray[remote]")
    from servers import moto_server

    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def ocr_engine():
    """The OCR engine (the ``ocr`` extra), loaded once; a test using it skips, saying why, if it cannot load here."""
    from imarray.digitize.ticks import _engine

    try:
        return _engine()
    except Exception as err:  # a missing package, or a native library the wheels need (libGL for OpenCV)
        pytest.skip(f"the OCR engine (rapidocr-onnxruntime) cannot load here: {type(err).__name__}: {err}")
