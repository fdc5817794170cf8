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
from imarray.digitize import Axis
from imarray.digitize.serve import BadRequest, DigitizeServer, Fixed, Session, Settings
from imarray.digitize.serve.request import parse_settings
from imarray.errors import InvalidOptionError

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
    for body in ({"bar": 1}, {"bar": -1}, {"bar": 0, "norm": "cubic"}, {"norm": "log"}, {"bar": 0, "x": 1},
                 {"bar": 1, "bar_box": [0, 4, 0, 40]}):
        assert ask(served, "/api/ticks", body)[0] == 400, body
    found = served.session.bars[0]  # drawn by hand over the found one: the same labels, on bar 1
    status, drawn = ask(served, "/api/ticks", {"bar": 1, "bar_box": list(found.box)})
    assert status == 200 and drawn["points"] == [{**point, "bar": 1} for point in read["points"]], drawn


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
               "--cmap", "viridis", "--range", "0", "0.7", "-o", str(tmp_path / "out.tif"), "--x-axis", "50", "1",
               "298", "100", "--x-log"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("open http://127.0.0.1:"), line + process.stderr.read()
        url = line.split()[1]
        with urllib.request.urlopen(url, timeout=30) as page:
            assert b"imarray digitize" in page.read()
        with urllib.request.urlopen(url.replace("/?", "/api/state?"), timeout=30) as answer:
            settings = json.load(answer)["settings"]  # the command line's axes are the page's first ones
        assert settings["x_axis"] == [50, 1, 298, 100] and settings["x_log"] and settings["y_axis"] is None
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert main(["digitize", str(figure), "--serve", "--ticks", "1", "0", "9", "1"]) == 2
    assert main(["digitize", str(figure), "--serve", "--x-axis", "5", "0", "5", "1"]) == 2  # checked before serving
    assert main(["digitize", str(figure), "--serve", "--colorbar-box", "0", "4", "0", "40"]) == 2
    assert main(["digitize", str(figure), "--serve", "--preview", str(tmp_path / "x" / "p.png")]) == 2


# ------------------------------------------------------------------ axes calibrated on the page

def axis_points(rendered) -> dict:
    """The x and y axes through the image's edges, as two clicks each would give them: x 0..40, y 0..30 (upward)."""
    x0, x1, top, bottom = map(float, rendered.extent_px)
    return {"x_axis": [x0 - 0.5, 0.0, x1 - 0.5, 40.0], "y_axis": [bottom - 0.5, 0.0, top - 0.5, 30.0]}


def test_axes_from_two_points_give_coordinates_the_command_and_the_saved_geometry(served, rendered, capsys):
    body = {"cmap": "viridis", "points": ends(served), **axis_points(rendered)}
    status, run = ask(served, "/api/digitize", body)
    assert status == 200, run
    x0, x1, top, bottom = rendered.extent_px
    y0, y1, c0, c1 = run["box"]
    assert run["calibrated"] == [True, True]
    assert run["x"] == pytest.approx([(c0 - (x0 - 0.5)) * 40 / (x1 - x0), (c1 - 1 - (x0 - 0.5)) * 40 / (x1 - x0)])
    assert run["y"] == pytest.approx([(bottom - 0.5 - y0) * 30 / (bottom - top), (bottom - 0.5 - (y1 - 1)) * 30 /
                                      (bottom - top)])
    words = shlex.split(run["command"])
    assert words[words.index("--x-axis") + 1:][:4] == [repr(v) for v in body["x_axis"]] and "--y-axis" in words
    status, saved = ask(served, "/api/save", {**body, "box": run["box"], "output": "axes.tif"})
    assert status == 200, saved
    image = ia.read(served.session.folder / "axes.tif")
    assert image.spacing == pytest.approx((30 / (bottom - top), 40 / (x1 - x0)))
    assert image.origin == pytest.approx((run["y"][1], run["x"][0]))  # y upward: rows flipped, origin the lowest
    assert main(shlex.split(saved["command"].replace("axes.tif", "axes_again.tif"))[1:]) == 0
    again = ia.read(served.session.folder / "axes_again.tif")
    assert again.spacing == image.spacing and again.origin == image.origin
    assert np.array_equal(again.array, image.array, equal_nan=True)
    capsys.readouterr()


def test_a_log_axis_is_geometric_and_said_in_the_command(served):
    body = {"cmap": "viridis", "points": ends(served), "x_axis": [10, 1.0, 110, 100.0], "x_log": True}
    status, run = ask(served, "/api/digitize", body)
    assert status == 200, run
    c0, c1 = run["box"][2:]
    assert run["x"] == pytest.approx([10 ** ((c0 - 10) / 50), 10 ** ((c1 - 1 - 10) / 50)])
    assert run["calibrated"] == [True, False] and "--x-log" in shlex.split(run["command"])


@pytest.mark.parametrize(("body", "says"), [
    ({"x_axis": [100, 0, 100.5, 40]}, "x axis: the two points are at column 100 and 100.5"),
    ({"y_axis": [10, 5, 90, 5]}, "y axis: both points have the value 5"),
    ({"x_axis": [10, 0, 90, 40], "x_log": True}, "x axis: a log axis has values above 0"),
    ({"y_log": True, "y_axis": [10, -1, 90, 40]}, "y axis: a log axis"),  # the flag may come after the points
    ({"x_axis": [10, 0, 90]}, "x_axis: a list of 4 numbers"),
    ({"x_axis": [10, 0, 90, float("inf")]}, "finite"),
    ({"x_log": "yes"}, "x_log: true or false"),
    ({"bar_box": [0, 1, 2]}, "bar_box: four integers"),
])
def test_bad_axes_are_refused_saying_what_to_click(body, says):
    with pytest.raises(BadRequest, match=re.escape(says)) as caught:
        parse_settings({"cmap": "viridis", "range": [0, 1], **body})
    if " axis:" in says:
        assert "click two distinct places" in caught.value.hint or "untick" in caught.value.hint


def test_axis_points_off_the_figure_are_refused(served):
    height, width = served.session.rgb.shape[:2]
    for axis, size, where in (("x_axis", width, "column"), ("y_axis", height, "row")):
        for pixel in (-1, size):
            settings = parse_settings({axis: [pixel, 0, size // 2, 10]})
            with pytest.raises(BadRequest, match=f"{axis[0]} axis: {where} {pixel} is off the figure"):
                served.session.axes(settings)
    status, answer = ask(served, "/api/digitize", {"cmap": "viridis", "points": ends(served),
                                                   "x_axis": [width + 5, 0, 10, 40]})
    assert status == 400 and "off the figure" in answer["error"] and "click two places" in answer["error"]


def test_axes_read_by_ocr_become_two_points_each(served, rendered, ocr_engine):
    box = ask(served, "/api/state")[1]["boxes"][0]
    status, read = ask(served, "/api/axes", {"box": box})
    assert status == 200, read
    x0, x1, top, bottom = rendered.extent_px
    for name, (p1, v1, p2, v2) in (("x", (x0 - 0.5, 0, x1 - 0.5, 40)), ("y", (bottom - 0.5, 0, top - 0.5, 30))):
        got = read[name]
        assert not got["log"] and got["confidence"] > 0.5 and "OCR confidence" in got["reading"], got
        axis = Axis(*got["axis"])
        assert axis([p1, p2]) == pytest.approx([v1, v2], abs=0.02 * (v2 - v1 if v2 > v1 else v1 - v2))
    for body in ({"box": [0, 10**6, 0, 5]}, {"box": box, "x_log": 1}, {"box": box, "z": 1}, {}):
        assert ask(served, "/api/axes", body)[0] == 400, body


# ------------------------------------------------------------------ a colorbar drawn by hand

def test_a_colorbar_drawn_over_the_found_one_reads_the_same(served, capsys):
    state = ask(served, "/api/state")[1]
    (found,) = state["bars"]
    status, drawn = ask(served, "/api/bar", {"box": found["box"]})
    assert status == 200, drawn
    assert drawn["index"] == 1 and drawn["orientation"] == found["orientation"] == "vertical"
    assert drawn["ends"] == found["ends"] and drawn["ticks"] == found["ticks"]
    box = state["boxes"][0]
    on_drawn = [{**point, "bar": 1} for point in ends(served)]
    status, by_hand = ask(served, "/api/save", {"points": on_drawn, "bar_box": found["box"], "box": box,
                                                "output": "by_hand.tif"})
    assert status == 200, by_hand
    status, auto = ask(served, "/api/save", {"points": ends(served), "box": box, "output": "auto.tif"})
    assert status == 200, auto
    folder = served.session.folder
    assert np.array_equal(ia.load(folder / "by_hand.tif"), ia.load(folder / "auto.tif"), equal_nan=True)
    words = shlex.split(by_hand["command"])
    assert words[3:8] == ["--colorbar-box", *map(str, found["box"])] and "--colorbar" not in words
    assert main(shlex.split(by_hand["command"].replace("by_hand.tif", "by_hand_cli.tif"))[1:]) == 0
    assert np.array_equal(ia.load(folder / "by_hand_cli.tif"), ia.load(folder / "by_hand.tif"), equal_nan=True)
    capsys.readouterr()
    thin = ["digitize", str(served.session.figure), "--colorbar-box", *map(str, found["box"][:3]),
            str(found["box"][2] + 2), "--range", "0", "1", "-o", str(folder / "thin.tif")]
    assert main(thin) == 2 and "2 px thick" in capsys.readouterr().err and not (folder / "thin.tif").exists()


def test_a_drawn_colorbar_bends_to_the_values_clicked_on_it(served):
    """Half the bar drawn: its model spans only the values clicked on that half."""
    (found,) = ask(served, "/api/state")[1]["bars"]
    y0, y1, x0, x1 = found["box"]
    middle = (y0 + y1) // 2
    status, drawn = ask(served, "/api/bar", {"box": [y0, middle, x0, x1]})
    assert status == 200 and drawn["ends"] == [middle - 0.5, y0 - 0.5], drawn
    points = [{"bar": 1, "at": middle - 0.5, "value": 0.35}, {"bar": 1, "at": y0 - 0.5, "value": 0.7}]
    status, run = ask(served, "/api/digitize", {"points": points, "bar_box": [y0, middle, x0, x1]})
    assert status == 200 and run["range"] == [0.35, 0.7] and run["low"] >= 0.35 - 0.01, run


@pytest.mark.parametrize(("box", "says"), [
    ([0, 10**6, 0, 5], "leaves the"),
    ([40, 30, 5, 9], "empty"),
    ("top", "four integers"),
    (None, "four integers"),
])
def test_bad_colorbar_rectangles_are_a_400(served, box, says):
    status, answer = ask(served, "/api/bar", {"box": box})
    assert status == 400 and says in answer["error"], answer


def test_colorbar_rectangles_that_hold_no_strip_are_refused(served):
    session = served.session
    y0, y1, x0, x1 = session.bars[0].box
    for box, says in (((y0, y1, x0, x0 + 2), "2 px thick"), ((y0, y0 + 12, x0, x1), "12 px long"),
                      ((y0, y0 + 25, x0, x0 + 20), "times longer than thick"), ((0, 4, 0, 40), "one colour only")):
        with pytest.raises(InvalidOptionError, match=re.escape(says)) as caught:
            session.drawn(box)
        assert "drag the rectangle over the colorbar's colour strip" in caught.value.hint
    status, answer = ask(served, "/api/digitize", {"range": [0, 0.7], "bar_box": [0, 4, 0, 40]})
    assert status == 400 and "one colour only" in answer["error"]


# ------------------------------------------------------------------ a real browser

@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright, launched once for the browser tests."""
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the test extra)")
    if CHROMIUM is None:
        pytest.skip("no chromium: install Debian's (apt-get install chromium; make test does as root)")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser, server: DigitizeServer, width: int):
    """The page, loaded; and a function from figure pixel coordinates (edges at integers) to page coordinates."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server.url)
    page.wait_for_selector("#stack[data-ready=true]", timeout=20_000)
    frame = page.locator("#overlay").bounding_box()
    scale = frame["width"] / width

    def at(x: float, y: float) -> tuple[float, float]:
        return frame["x"] + x * scale, frame["y"] + y * scale

    return page, at


def test_browser_calibration_drag_click_type_save(served, rendered, browser):
    from playwright.sync_api import expect

    state = ask(served, "/api/state")[1]
    (bar,) = state["bars"]
    y0, y1, x0, x1 = bar["box"]
    page, at = open_page(browser, served, state["width"])
    try:
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
        page.close()
    values = ia.load(served.session.folder / "clicked.tif")
    assert values.shape == (box[1] - box[0], box[3] - 4 - box[2])
    truth = rendered.truth[box[0]:box[1], box[2]:box[3] - 4]
    kept = np.isfinite(values) & np.isfinite(truth)
    assert kept.mean() > 0.9 and rmse(values[kept] - truth[kept]) <= 1.5 * (HI - LO) / 256 / np.sqrt(12)


def test_browser_axes_clicked_and_a_colorbar_drawn_by_hand(served, rendered, browser):
    """Calibrate x and y by two clicks each, draw the colorbar over its strip, click its ends, save; read the axes."""
    from playwright.sync_api import expect

    state = ask(served, "/api/state")[1]
    (found,) = state["bars"]
    y0, y1, x0, x1 = found["box"]
    left, right, top, bottom = map(float, rendered.extent_px)
    page, at = open_page(browser, served, state["width"])
    try:
        box = page.evaluate("box")
        page.fill("#cmap", "")  # the colorbar's colours are the model
        page.click("#mode-draw")
        page.mouse.move(*at(x0, y0))
        page.mouse.down()
        page.mouse.move(*at(x1, y1), steps=5)
        page.mouse.up()
        expect(page.locator(".bar.drawn")).to_have_count(1, timeout=20_000)
        assert page.evaluate("drawn.box") == found["box"] and page.evaluate("drawn.index") == 1
        page.mouse.click(*at((x0 + x1) / 2, y0 + 1.5))  # the drawn bar lies over the found one: it takes the click
        page.keyboard.type(str(HI))
        page.mouse.click(*at((x0 + x1) / 2, y1 - 2))
        page.keyboard.type(str(LO))
        expect(page.locator("#points li")).to_have_count(2)
        expect(page.locator("#points")).to_contain_text("colorbar 1 (drawn), high end")
        middle = ((top + bottom) / 2, (left + right) / 2)
        page.click("#mode-x")
        for x, value in ((left, "0"), (right, "40")):  # the image's left and right edges: x 0 and 40
            page.mouse.click(*at(x, middle[0]))
            page.keyboard.type(value)
        page.click("#mode-y")
        for y, value in ((bottom, "0"), (top, "30")):  # its bottom and top: y 0 and 30
            page.mouse.click(*at(middle[1], y))
            page.keyboard.type(value)
        page.click("#mode-y")  # back to the box and bars
        expect(page.locator("#axispoints li")).to_have_count(4)
        page.mouse.move(*at(left + (right - left) / 4, middle[0]))
        expect(page.locator("#cursor")).to_contain_text("x = ")
        cursor = page.locator("#cursor").text_content()
        assert float(re.search(r"x = (\S+)", cursor).group(1)) == pytest.approx(10, abs=0.2), cursor  # a quarter
        corners = re.compile(r"plot box, first to last pixel: x 0\.\S+ to 39\.\S+; y 29\.\S+ to 0\.\S+$")
        expect(page.locator("#corners")).to_have_text(corners, timeout=20_000)  # both axes' last values in use
        expect(page.locator("#command")).to_contain_text("--y-axis")
        expect(page.locator("#command")).to_contain_text("--colorbar-box " + " ".join(map(str, found["box"])))
        command = shlex.split(page.locator("#command").text_content())
        page.fill("#output", "drawn.tif")
        page.click("#save")
        expect(page.locator("#saved")).to_contain_text("values ->", timeout=20_000)
        if importlib.util.find_spec("rapidocr_onnxruntime") is not None:  # the ocr extra: the axes from their labels
            page.click("#axes")
            expect(page.locator("#axisreading")).to_contain_text("tick labels below the plot box (x)", timeout=30_000)
            expect(page.locator("#axisreading")).to_contain_text("OCR confidence")
            reading = page.evaluate("[axisSetting('x'), axisSetting('y')]")
            assert Axis(*reading[0])([left - 0.5, right - 0.5]) == pytest.approx([0, 40], abs=0.5)
            assert Axis(*reading[1])([bottom - 0.5, top - 0.5]) == pytest.approx([0, 30], abs=0.5)
    finally:
        page.close()
    words = {word: command[i + 1:i + 5] for i, word in enumerate(command) if word in ("--x-axis", "--y-axis")}
    clicked_x, clicked_y = (list(map(float, words[name])) for name in ("--x-axis", "--y-axis"))
    assert clicked_x == pytest.approx([left - 0.5, 0, right - 0.5, 40], abs=0.5)  # clicks land on half pixels
    assert clicked_y == pytest.approx([bottom - 0.5, 0, top - 0.5, 30], abs=0.5)
    image = ia.read(served.session.folder / "drawn.tif")
    assert image.shape == (box[1] - box[0], box[3] - box[2])
    assert image.spacing == pytest.approx((30 / (bottom - top), 40 / (right - left)), rel=0.01)
    x_axis, y_axis = Axis(*clicked_x), Axis(*clicked_y)
    assert image.origin == pytest.approx((float(y_axis(box[1] - 1)), float(x_axis(box[2]))))
    body = {"points": ends(served), "box": box, "output": "found.tif"}  # the same with the colorbar found
    assert ask(served, "/api/save", body)[0] == 200
    found_values = ia.load(served.session.folder / "found.tif")
    assert np.array_equal(np.flipud(image.array), found_values, equal_nan=True)  # y upward: rows flipped
