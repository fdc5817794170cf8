"""Formats from other packages: the ``imarray.formats`` entry-point group.

``make test`` installs the example plugin in ``tests/plugins/imarray-pnm`` (a
real distribution, binary PGM/PPM); it also runs through the round-trip
matrix and the conformance tests with no code of its own there. Broken
plugins are made as real ``.dist-info`` folders on ``sys.path`` of a fresh
interpreter, which is how ``importlib.metadata`` finds installed packages.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

import imarray as ia
from imarray import registry
from imarray.errors import FormatPluginError, LossyCastError

from helpers import assert_identical

pytestmark = pytest.mark.skipif(importlib.util.find_spec("imarray_pnm") is None,
                                reason="the example plugin is not installed (make test installs it)")


def test_plugins_are_looked_for_only_when_no_built_in_row_answers(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import numpy as np, sys, imarray as ia; "
                           "ia.save(sys.argv[1], np.zeros((2, 2), np.uint8)); ia.load(sys.argv[1]); "
                           "print('importlib.metadata' in sys.modules)", str(tmp_path / "a.tif")],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr  # reading every installed package's metadata costs 50+ ms


def test_the_plugin_row_is_in_the_table_after_the_built_in_ones():
    spec = registry.by_name("pnm")
    assert spec.plugin == "imarray-pnm" and spec.module == "imarray_pnm.pnm"
    assert registry.formats()[: len(registry.BUILTIN)] == registry.BUILTIN
    assert registry.by_extension(Path("x.PGM")) is spec


@pytest.mark.parametrize(("name", "array"), [
    ("grey8.pgm", np.arange(12, dtype=np.uint8).reshape(3, 4) * 21),
    ("grey16.pgm", np.array([[0, 256, 65535], [1, 2, 40000]], np.uint16)),
    ("colour.ppm", np.arange(24, dtype=np.uint8).reshape(2, 4, 3) * 10),
])
def test_plugin_files_round_trip_and_pillow_reads_them(tmp_path, name, array):
    written = ia.save(tmp_path / name, array)
    assert_identical(array, ia.load(written))
    assert ia.info(written).format == "pnm"
    with PILImage.open(written) as image:  # an independent reader
        assert image.format == "PPM"
        np.testing.assert_array_equal(np.asarray(image).astype(array.dtype), array)


def test_plugin_reads_pillows_files(tmp_path):
    array = (np.arange(35, dtype=np.uint8) * 7).reshape(5, 7)
    PILImage.fromarray(array).save(tmp_path / "p.pgm")
    assert_identical(array, ia.load(tmp_path / "p.pgm"))


def test_plugin_options_are_typed_and_checked(tmp_path):
    grey = np.array([[0, 9]], np.uint8)
    ia.save(tmp_path / "a.pgm", grey, maxval=9)
    assert ia.info(tmp_path / "a.pgm").metadata["maxval"] == 9
    with pytest.raises(LossyCastError, match="above maxval=8"):
        ia.save(tmp_path / "b.pgm", grey, maxval=8)
    with pytest.raises(ValueError, match="maxval='9'"):
        ia.save(tmp_path / "c.pgm", grey, maxval="9")
    with pytest.raises(TypeError, match="pnm takes no compression="):
        ia.save(tmp_path / "d.pgm", grey, compression="zlib")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pgm"]


def test_the_cli_lists_and_converts_plugin_formats(tmp_path):
    ia.save(tmp_path / "a.tif", np.array([[1, 2], [3, 4]], np.uint16) * 1000)
    listed = subprocess.run([sys.executable, "-m", "imarray.cli", "formats"], capture_output=True, text=True,
                            check=True).stdout
    assert "pnm" in listed and ".pgm" in listed
    subprocess.run([sys.executable, "-m", "imarray.cli", "convert", str(tmp_path / "a.tif"), str(tmp_path / "a.pgm")],
                   capture_output=True, text=True, check=True)
    assert_identical(np.array([[1, 2], [3, 4]], np.uint16) * 1000, ia.load(tmp_path / "a.pgm"))


def _broken_plugin(tmp_path, name: str, package_source: str) -> str:
    """A distribution ``name`` with one ``imarray.formats`` entry point, its package holding ``package_source``."""
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(package_source))
    info = tmp_path / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[imarray.formats]\nrows = {name}:ROWS\n")
    return str(tmp_path)


def _run(path: str, code: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": path, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-W", "always", "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_plugin_that_fails_to_load_warns_and_imarray_goes_on(tmp_path):
    path = _broken_plugin(tmp_path, "crashing_plugin", "raise RuntimeError('no licence server')\n")
    done = _run(path, """
        import numpy as np, imarray as ia
        from imarray import registry
        ia.save("a.tif", np.zeros((2, 2), np.uint8))
        print(len(ia.load("a.tif")), len(registry.formats()) >= len(registry.BUILTIN))  # the table, listed
    """.replace('"a.tif"', repr(str(tmp_path / "a.tif"))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2 True"
    assert "crashing_plugin" in done.stderr and "no licence server" in done.stderr and "left out" in done.stderr


def test_bad_rows_are_left_out_with_a_warning_and_built_ins_win(tmp_path):
    path = _broken_plugin(tmp_path, "clumsy_plugin", """
        from imarray.registry import FormatSpec
        ROWS = [
            FormatSpec("tiff", "clumsy_plugin", (".tif",)),                        # a built-in's name
            FormatSpec("flying", "clumsy_plugin", (".fly",), capabilities=frozenset({"read", "fly"})),
            "not a row",
            FormatSpec("mytif", "clumsy_plugin", (".tif",), magic=(b"II*\\x00",)),   # a built-in's extension
        ]
    """)
    done = _run(path, """
        from pathlib import Path
        from imarray import registry
        print(sorted(s.name for s in registry.formats() if s.plugin == "clumsy_plugin"))
        print(registry.by_extension(Path("a.tif")).name, registry.for_writing(Path("a.tif"), "mytif").name)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["['mytif']", "tiff mytif"]
    for problem in ("taken ('tiff')", "unknown capabilities ['fly']", "is a str, not"):
        assert problem in done.stderr


def test_a_plugin_module_that_fails_at_use_is_a_format_plugin_error(tmp_path):
    path = _broken_plugin(tmp_path, "lazy_plugin", """
        from imarray.registry import FormatSpec
        ROWS = [FormatSpec("lazyfmt", "lazy_plugin_impl", (".lzf",))]
    """)
    (tmp_path / "lazy_plugin_impl.py").write_text("import a_module_that_is_not_there\n")
    done = _run(path, """
        import numpy as np, imarray as ia
        from imarray.errors import FormatPluginError
        try:
            ia.save("x.lzf", np.zeros((2, 2), np.uint8))
        except FormatPluginError as err:
            print(type(err).__name__, "|", err)
    """.replace('"x.lzf"', repr(str(tmp_path / "x.lzf"))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("FormatPluginError |")
    assert "lazy_plugin" in done.stdout and "a_module_that_is_not_there" in done.stdout
    assert issubclass(FormatPluginError, ImportError)
