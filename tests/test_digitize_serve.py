"""``imarray digitize --serve``: the correction page's server over real HTTP, and one calibration in a real browser.

The server runs in a thread of the test process on a free port of 127.0.0.1;
requests go through urllib. The browser test drives Debian's chromium
(``make test`` installs it as root, see ``make chromium``) with Playwright:
drag the plot box's edge, click the colorbar's two ends, type their values,
press Save, and compare the saved file with the field the figure was drawn from.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from PIL import Image as PILImage

import imarray as ia
from digitize_render import figure_render, smooth_field
from imarray.cli import main
from imarray.digitize.serve import DigitizeServer, Fixed, Session, Settings

LO, HI = 0.0, 0.7
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rmse(error: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(error))))


@pytest.fixture(scope="module")
def rendered():
    return figure_render(smooth_field((60, 80)), "viridis", LO, HI, coastline=True)  # a line the error map shows


@pytest.fixture(scope="module")
def served(rendered, tmp_path_factory):
    """A server for the figure in a folder of its own (where saves may go), running in a thread."""
    folder = tmp_path_factory.mktemp("serve") / "figures"
    folder.mkdir()
    PILImage.fromarray(rendered.rgb).save(folder / "fig.png")
    server = DigitizeServer(Session(folder / "fig.png", folder, Fixed(), Settings(cmap="viridis", output="field.tif")))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


def ask(server: DigitizeServer, path: str, body=None, *, token: str | None = "", headers: dict | None = None,
        raw: bytes | None = None) -> tuple[int, dict]:
    """Status and JSON answer of a request (``token=""``: the server's own; None: none sent)."""
    sent = {} if token is None else {"X-Imarray-Token": token or server.token}
    if body is not None or raw is not None:
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(server.address + path, data=data, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read()
    return status, json.loads(text) if text.startswith(b"{") else {"text": text}


def ends(server: DigitizeServer, low: float = LO, high: float = HI) -> list[dict]:
    """Calibration points on the colorbar's two ends, as the page sends them."""
    bar = ask(server, "/api/state")[1]["bars"][0]
    return [{"bar": 0, "at": bar["ends"][0], "value": low}, {"bar": 0, "at": bar["ends"][1], "value": high}]


def picture(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return np.asarray(PILImage.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))


def test_state_shows_the_bar_its_ticks_and_the_plot_box(served, rendered):
    status, state = ask(served, "/api/state")
    assert status == 200 and (state["height"], state["width"]) == rendered.rgb.shape[:2]
    (bar,) = state["bars"]
    assert bar["orientation"] == "vertical"
    assert np.allclose(bar["box"], rendered.bar_px, atol=1.5)
    assert np.abs(np.subtract.outer(bar["ticks"], rendered.tick_px)).min(axis=0).max() <= 1.0  # every tick found
    (box,) = state["boxes"]
    x0, x1, top, bottom = rendered.extent_px
    assert np.allclose(box, (top, bottom, x0, x1), atol=2)
    assert "viridis" in state["cmaps"] and state["settings"]["box"] == box


def test_clicked_ends_give_the_truth_and_save_writes_what_the_command_writes(served, rendered, capsys):
    status, run = ask(served, "/api/digitize", {"cmap": "viridis", "points": ends(served)})
    assert status == 200, run
    assert run["range"] == [LO, HI] and run["warnings"] == [] and run["data"] > 0.95
    y0, y1, x0, x1 = run["box"]
    assert picture(run["field"]).shape == (y1 - y0, x1 - x0, 4)
    assert picture(run["error"]).shape == (y1 - y0, x1 - x0, 3)
    status, saved = ask(served, "/api/save", {"cmap": "viridis", "points": ends(served), "box": run["box"],
                                              "output": "field.tif"})
    assert status == 200, saved
    assert saved["lines"][-1].startswith("values -> ")
    values = ia.load(served.session.folder / "field.tif")
    truth = rendered.truth[y0:y1, x0:x1]
    kept = np.isfinite(values) & np.isfinite(truth)
    assert kept.mean() > 0.9 and rmse(values[kept] - truth[kept]) <= 1.5 * (HI - LO) / 256 / np.sqrt(12)
    command = shlex.split(saved["command"].replace("field.tif", "again.tif"))
    assert main(command[1:]) == 0  # the command the page shows writes the same file
    again = ia.read(served.session.folder / "again.tif")
    assert np.array_equal(again.array, ia.read(served.session.folder / "field.tif").array, equal_nan=True)
    assert "values ->" in capsys.readouterr().out


@pytest.mark.parametrize(("body", "says"), [
    ([1, 2], "JSON object"),
    ({"box": "abc"}, "box"),
    ({"range": [0, 0.7], "box": [0, 10**9, 0, 5]}, "outside"),
    ({"range": [0, 0.7], "box": [5, 2, 0, 5]}, "empty"),
    ({"range": [0, 0.7], "box": [0, 2**40, 0, 5]}, "box"),
    ({"range": [0, True]}, "number"),
    ({"range": [0, "1"]}, "number"),
    ({"range": [0]}, "range"),
    ({"cmap": "no-such-map", "range": [0, 1]}, "unknown colormap"),
    ({"cmap": "x" * 5000}, "name"),
    ({"range": [0, 0.7], "threshold": -5}, "threshold"),
    ({"range": [0, 0.7], "norm": "cubic"}, "norm"),
    ({"points": [{"bar": 3, "at": 1, "value": 0}, {"bar": 3, "at": 9, "value": 1}]}, "colorbar"),
    ({"points": [{"bar": 0, "at": 50, "value": 0}, {"bar": 0, "at": 50, "value": 1}]}, "apart"),
    ({"points": [{"bar": 0, "at": 50, "value": 1}] * 100}, "at most"),
    ({"shell": "rm -rf /"}, "unknown settings"),
    ({}, "no range"),
])
def test_bad_settings_are_a_400_naming_the_field(served, body, says):
    status, answer = ask(served, "/api/digitize", body)
    assert status == 400 and says in answer["error"], answer
    assert "Traceback" not in answer["error"]


@pytest.mark.parametrize(("raw", "says"), [
    (b"{not json", "not JSON"),
    (b'{"range": [0, 1e400]}', "finite"),
    (b'{"range": [0, NaN]}', "not JSON"),
    (b"[" * 50_000 + b"]" * 50_000, "at most"),
    (b"[" * 20_000 + b"]" * 20_000, "not JSON"),  # nested past the JSON decoder's recursion limit
])
def test_hostile_bodies_are_a_400_and_the_server_goes_on(served, raw, says):
    status, answer = ask(served, "/api/digitize", raw=raw)
    assert status == 400 and says in answer["error"], answer
    assert ask(served, "/api/digitize", {"cmap": "viridis", "points": ends(served)})[0] == 200


def test_a_body_announced_huge_is_not_read(served):
    status, answer = ask(served, "/api/digitize", raw=b"{}", headers={"Content-Length": str(10**12)})
    assert status == 400 and "at most" in answer["error"]


def test_garbage_and_clients_that_hang_up_do_not_stop_the_server(served, capfd):
    port = served.server_address[1]
    host = f"Host: 127.0.0.1:{port}\r\nX-Imarray-Token: {served.token}\r\n"
    truncated = (f"POST /api/digitize HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
                 "Content-Length: 5000\r\n\r\n{\"range\": [0,").encode()
    for raw in (b"GARBAGE\r\n\r\n", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n", truncated):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            reply = b""
            with contextlib.suppress(OSError):  # the server may answer and close before all is sent
                client.sendall(raw)
                client.shutdown(socket.SHUT_WR)  # hang up before the body is complete
                while chunk := client.recv(4096):  # the server closes the connection after an error
                    reply += chunk
            if raw is truncated:
                assert reply.startswith(b"HTTP/1.1 400") and b"not JSON" in reply, reply[:300]
    assert ask(served, "/api/digitize", {"cmap": "viridis", "points": ends(served)})[0] == 200
    assert "Traceback" not in capfd.readouterr().err


def test_save_stays_inside_the_folder(served):
    base = served.session.folder.parent
    outside = base / "outside"
    outside.mkdir()
    (served.session.folder / "link").symlink_to(outside)
    good = {"cmap": "viridis", "points": ends(served)}
    for name in ("../escaped.tif", str(outside / "escaped.tif"), "sub/../../escaped.tif", "link/escaped.tif", ".",
                 "..", "/etc/passwd", "C:\\escaped.tif", "..\\escaped.tif"):
        status, answer = ask(served, "/api/save", {**good, "output": name})
        assert status == 400 and ("leaves the folder" in answer["error"] or "names no file" in answer["error"]), name
        status, answer = ask(served, "/api/save", {**good, "output": "ok.tif", "preview": name})
        assert status == 400, name
    assert not list(base.rglob("escaped.tif")) and not list(outside.iterdir())
    status, answer = ask(served, "/api/save", {**good, "output": "sub.tif", "preview": "look.png"})
    assert status == 200 and (served.session.folder / "look.png").stat().st_size > 1000


def test_tick_labels_read_by_ocr_become_calibration_points(served):
    pytest.importorskip("rapidocr_onnxruntime", reason="the ocr extra is not installed")
    status, read = ask(served, "/api/ticks", {"bar": 0})
    assert status == 200, read
    assert sorted(p["value"] for p in read["points"]) == pytest.approx(list(np.arange(0, 0.75, 0.1)))
    assert "tick labels" in read["reading"]
    status, run = ask(served, "/api/digitize", {"cmap": "viridis", "points": read["points"]})
    assert status == 200 and run["range"] == [LO, HI]  # labels on the bar's ends give them their values
    for body in ({"bar": 1}, {"bar": -1}, {"bar": 0, "norm": "cubic"}, {"norm": "log"}, {"bar": 0, "x": 1}):
        assert ask(served, "/api/ticks", body)[0] == 400, body


def test_a_doubtful_result_is_not_saved(served):
    body = {"cmap": "jet_r", "points": ends(served), "output": "doubt.tif"}
    status, run = ask(served, "/api/digitize", body)
    assert status == 200 and run["doubtful"] and run["warnings"]
    status, answer = ask(served, "/api/save", body)
    assert status == 409 and "nothing written" in answer["error"]
    assert not (served.session.folder / "doubt.tif").exists()


def test_token_host_and_origin_are_checked(served):
    for token in (None, "wrong"):
        status, answer = ask(served, "/api/state", token=token)
        assert status == 403 and "token" in answer["error"]
        assert ask(served, "/api/save", {"output": "x.tif"}, token=token)[0] == 403
    port = served.server_address[1]
    for host in (f"attacker.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}"):
        status, answer = ask(served, "/api/state", headers={"Host": host})
        assert status == 403 and "Host" in answer["error"]
    assert ask(served, "/api/state", headers={"Origin": "http://attacker.example"})[0] == 403
    assert ask(served, "/api/state", headers={"Host": f"localhost:{port}"})[0] == 200
    status, page = ask(served, f"/?token={served.token}", token=None)
    assert status == 200 and b"<script>" in page["text"]
    assert not re.search(rb"""(src|href)\s*=\s*["']?(https?:)?//""", page["text"])  # no external assets
    assert ask(served, "/figure.png", token=None)[0] == 403
    assert ask(served, "/nothing")[0] == 404


def test_cli_serve_prints_the_address_and_stops_on_ctrl_c(rendered, tmp_path):
    figure = tmp_path / "fig.png"
    PILImage.fromarray(rendered.rgb).save(figure)
    command = [sys.executable, "-m", "imarray", "digitize", str(figure), "--serve", "--no-browser",
               "--cmap", "viridis", "--range", "0", "0.7", "-o", str(tmp_path / "out.tif")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("open http://127.0.0.1:"), line + process.stderr.read()
        url = line.split()[1]
        with urllib.request.urlopen(url, timeout=30) as page:
            assert b"imarray digitize" in page.read()
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert main(["digitize", str(figure), "--serve", "--ticks", "1", "0", "9", "1"]) == 2
    assert main(["digitize", str(figure), "--serve", "--preview", str(tmp_path / "x" / "p.png")]) == 2


# ------------------------------------------------------------------ a real browser

def _browser():
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
    if CHROMIUM is None:
        pytest.skip("no chromium: install Debian's (apt-get install chromium; make test does as root)")
    return playwright


def test_browser_calibration_drag_click_type_save(served, rendered):
    playwright = _browser()
    state = ask(served, "/api/state")[1]
    (bar,) = state["bars"]
    y0, y1, x0, x1 = bar["box"]
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(served.url)
            page.wait_for_selector("#stack[data-ready=true]", timeout=20_000)
            frame = page.locator("#overlay").bounding_box()
            scale = frame["width"] / state["width"]

            def at(x: float, y: float) -> tuple[float, float]:  # figure pixel -> page coordinates
                return frame["x"] + x * scale, frame["y"] + y * scale

            box = page.evaluate("box")
            handle = page.locator("[data-edge=right]").bounding_box()
            page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
            page.mouse.down()
            page.mouse.move(*at(box[3] - 4, (box[0] + box[1]) / 2), steps=4)
            page.mouse.up()
            assert page.evaluate("box") == [*box[:3], box[3] - 4]
            page.mouse.click(*at((x0 + x1) / 2, y0 + 1.5))  # near the top: lands on the high end
            page.keyboard.type(str(HI))
            page.mouse.click(*at((x0 + x1) / 2, y1 - 2))  # near the bottom: the low end
            page.keyboard.type(str(LO))
            expect = playwright.expect
            expect(page.locator("#low")).to_have_value("0", timeout=20_000)  # the range from the two ends
            expect(page.locator("#high")).to_have_value(str(HI))
            expect(page.locator("#fieldinfo")).to_contain_text("% of the box is data")
            page.fill("#output", "clicked.tif")
            page.click("#save")
            expect(page.locator("#saved")).to_contain_text("values ->", timeout=20_000)
            if importlib.util.find_spec("rapidocr_onnxruntime") is not None:  # the ocr extra: the labels as points
                page.click("#ticks")
                expect(page.locator("#reading")).to_contain_text("tick labels", timeout=30_000)
                expect(page.locator("#points li")).to_have_count(8)
            if os.environ.get("IMARRAY_SERVE_SCREENSHOT"):  # make serve-screenshot: the README's picture
                shot = PILImage.open(io.BytesIO(page.screenshot(clip={"x": 0, "y": 0, "width": 1270, "height": 700})))
                shot.convert("RGB").quantize(160).save(os.environ["IMARRAY_SERVE_SCREENSHOT"], optimize=True)
        finally:
            browser.close()
    values = ia.load(served.session.folder / "clicked.tif")
    assert values.shape == (box[1] - box[0], box[3] - 4 - box[2])
    truth = rendered.truth[box[0]:box[1], box[2]:box[3] - 4]
    kept = np.isfinite(values) & np.isfinite(truth)
    assert kept.mean() > 0.9 and rmse(values[kept] - truth[kept]) <= 1.5 * (HI - LO) / 256 / np.sqrt(12)
