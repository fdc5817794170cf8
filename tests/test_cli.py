"""The command line: thin over the API, one-line errors, exit status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

import imarray as ia
from imarray.cli import main

from helpers import assert_identical


def _status(argv: list[str]) -> int:
    """The exit status of ``imarray ARGV``, whether main returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_info_table_and_json(tmp_path, capsys, labels):
    path = ia.save(tmp_path / "labels.tif", labels, axes="zyx")
    assert main(["info", str(path)]) == 0
    table = capsys.readouterr().out
    assert "uint32" in table and "4 x 24 x 24  (zyx)" in table
    assert main(["info", str(path), "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["shape"] == [4, 24, 24] and described["dtype"] == "uint32" and described["files"] == 1


def test_convert_exact_and_scaled(tmp_path, capsys, labels):
    folder = tmp_path / "slices"
    folder.mkdir()
    for i, plane in enumerate(labels):
        tifffile.imwrite(folder / f"s_{i}.tif", plane)
    assert main(["convert", str(folder), str(tmp_path / "stack.tif"), "--compression", "zlib"]) == 0
    assert_identical(labels, ia.load(tmp_path / "stack.tif"))
    assert main(["convert", str(folder), str(tmp_path / "fast.bin"), "--no-fsync"]) == 0
    assert_identical(labels, ia.load(tmp_path / "fast.bin"))
    data = np.linspace(0, 1, 100).reshape(10, 10)
    ia.save(tmp_path / "f.tif", data)
    assert main(["convert", str(tmp_path / "f.tif"), str(tmp_path / "f8.tif"), "--dtype", "uint8",
                 "--scale", "0,0.5"]) == 0
    out = ia.load(tmp_path / "f8.tif")
    assert out.dtype == np.uint8 and out.max() == 255 and out.min() == 0
    capsys.readouterr()


def test_refusals_are_one_line_with_status_1_and_usage_errors_2(tmp_path, capsys, labels):
    path = ia.save(tmp_path / "labels.tif", labels)
    assert main(["convert", str(path), str(tmp_path / "l.tif"), "--dtype", "uint16"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("imarray: error:") and "Hint:" in err and err.count("\n") == 1
    assert not (tmp_path / "l.tif").exists()
    assert main(["info", str(tmp_path / "missing.tif")]) == 1
    with pytest.raises(SystemExit) as usage:
        main(["convert", str(path), str(tmp_path / "l.tif"), "--scale", "up"])
    assert usage.value.code == 2 and "--scale takes clip, minmax or LO,HI" in capsys.readouterr().err


def test_demo_is_exact(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "Every round trip exact." in out and "NO" not in out.split("Refused")[0]
    assert "png holds bool/uint8/uint16, not uint32" in out


def test_console_script_entry_point(tmp_path):
    script = shutil.which("imarray", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.fail("the imarray console script is not installed beside this Python")
    result = subprocess.run([script, "formats"], capture_output=True, text=True, check=True)
    assert "tiff" in result.stdout and "raw" in result.stdout


@pytest.mark.parametrize(
    "options",
    [["--compression", "bogus"], ["--size-cap", "lots"], ["--dtype", "bogus"], ["--dtype", "uint8", "--scale", "5,1"]],
)
def test_bad_options_are_one_line_with_status_2(tmp_path, capsys, labels, options):
    path = ia.save(tmp_path / "labels.tif", labels)
    assert _status(["convert", str(path), str(tmp_path / "out.tif"), *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("imarray: error:") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out.tif").exists()


def test_os_errors_are_one_line_with_status_1(tmp_path, capsys, labels, monkeypatch):
    path = ia.save(tmp_path / "labels.tif", labels)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.tif"))

    monkeypatch.setattr("imarray.api._save", refuse)
    assert main(["convert", str(path), str(tmp_path / "out.tif")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("imarray: error:") and "Permission denied" in err and err.count("\n") == 1


def test_closed_pipe_ends_quietly(tmp_path, labels):
    path = ia.save(tmp_path / "labels.tif", labels)
    code = (f"import sys; sys.argv = ['imarray', 'info', {str(path)!r}]\n"
            "from imarray.cli import main\n"
            "sys.stdout = open(sys.stdout.fileno(), 'w', buffering=1)\n"
            "sys.exit(main())")
    reader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.close()  # like `imarray info x.tif | head -0`: the reader is gone before the first line
    err = reader.stderr.read().decode()
    reader.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_convert_to_png_line_runs(tmp_path, monkeypatch):
    """The README's PNG preview line works as written: its input is a 2D plane (PNG holds no stack)."""
    lines = [line.split("#")[0].split() for line in README.read_text(encoding="utf-8").splitlines()
             if line.startswith("imarray convert") and ".png" in line]
    assert lines
    monkeypatch.chdir(tmp_path)
    for words in lines:
        source = words[2]
        shape = (3, 16, 16) if "stack" in source else (16, 16)  # the README's names say what they hold
        ia.save(source, np.arange(np.prod(shape), dtype=np.uint16).reshape(shape))
        assert main(words[1:]) == 0, words
        assert ia.load(words[3]).dtype == np.uint8


@pytest.mark.parametrize(("name", "ext"), [("PNG", "png"), ("BMP", "bmp"), ("JPEG", "jpg")])
def test_readme_format_rows_claim_rgba_only_where_it_is_held(tmp_path, name, ext):
    row = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith(f"| {name} |"))
    try:
        ia.save(tmp_path / f"a.{ext}", np.zeros((2, 2, 4), np.uint8))
        held = True
    except ia.errors.UnsupportedDtypeError:
        held = False
    assert ("RGBA" in row) == held, row


def test_formats_table_columns_line_up(capsys):
    assert main(["formats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows, places = lines[::2], lines[1::2]  # a format's line, then where it is read from
    assert len(rows) >= 10 and all("reads from: paths" in line for line in places)
    kinds = (" exact:", " lossy:", " read only:")
    assert len({line.index(next(kind for kind in kinds if kind in line)) for line in rows}) == 1
    assert len({line.index("reads from:") for line in places}) == 1


def test_version_and_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "imarray", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"imarray {ia.__version__}"


def test_info_json_of_many_paths_one_line_each_and_failures_named(tmp_path, capsys, labels):
    first = ia.save(tmp_path / "a.tif", labels)
    second = ia.save(tmp_path / "b.bin", labels[0])
    assert main(["info", str(first), str(second), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["format"], row["shape"]) for row in rows] == [("tiff", [4, 24, 24]), ("raw", [24, 24])]
    assert main(["info", str(first), str(tmp_path / "gone.tif"), "--json"]) == 1  # the others still described
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert rows[0]["shape"] == [4, 24, 24] and rows[1]["type"] == "ImageFileNotFoundError"
    assert captured.err.count("\n") == 1 and "gone.tif" in captured.err


def test_formats_json_lists_every_row(capsys):
    from imarray.registry import FORMATS

    assert main(["formats", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == [spec.name for spec in FORMATS]
    assert next(row for row in rows if row["name"] == "png")["dtypes"] == ["bool", "uint8", "uint16"]
    assert next(row for row in rows if row["name"] == "dicom")["writes"] is False


def test_format_option_writes_an_imagej_hyperstack_and_reads_with_it(tmp_path, capsys):
    stack = np.arange(2 * 3 * 8 * 9, dtype=np.uint16).reshape(2, 3, 8, 9)
    source = ia.save(tmp_path / "s.tif", stack, axes="tcyx")
    assert main(["convert", str(source), str(tmp_path / "hyper.tif"), "--format", "imagej"]) == 0
    assert "hyper.tif" in capsys.readouterr().out
    with tifffile.TiffFile(tmp_path / "hyper.tif") as tif:
        assert tif.is_imagej and tif.series[0].axes == "TCYX"
    assert_identical(stack, ia.load(tmp_path / "hyper.tif"))
    assert main(["info", str(tmp_path / "hyper.tif"), "--format", "imagej", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format"] == "imagej"
    assert _status(["convert", str(source), str(tmp_path / "x.tif"), "--format", "nonsense"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_hints_are_written_as_flags(tmp_path, capsys):
    from imarray.cli import hint_as_flags

    source = ia.save(tmp_path / "f.tif", np.linspace(0, 1, 20).reshape(4, 5))
    assert main(["convert", str(source), str(tmp_path / "f.png")]) == 1
    err = capsys.readouterr().err
    assert "--scale minmax" in err and "scale='minmax'" not in err and "--scale LO,HI" in err
    flags = {"frame_rate": ("--frame-rate", False), "durable": ("--no-fsync", True)}
    assert hint_as_flags("pass frame_rate=20 or durable=False", flags) == "pass --frame-rate 20 or --no-fsync"


def test_unexpected_errors_are_one_line_with_status_1(tmp_path, capsys, monkeypatch, labels):
    path = ia.save(tmp_path / "labels.tif", labels)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("imarray.api.info", broken)
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == "imarray: error: ZeroDivisionError: a bug\n"
    assert main(["--traceback", "info", str(path)]) == 1
    assert "Traceback" in capsys.readouterr().err
