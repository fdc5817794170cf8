"""Bad input through load/save/info: the right imarray error, the file named, a way out."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import imarray as ia
from imarray import errors
from imarray.api import FormatMismatchWarning, parse_size

from helpers import assert_identical, leftovers


def test_missing_file(tmp_path):
    with pytest.raises(errors.ImageFileNotFoundError) as caught:
        ia.load(tmp_path / "nope.tif")
    assert isinstance(caught.value, FileNotFoundError)
    assert "nope.tif" in str(caught.value) and caught.value.hint


def test_empty_file(tmp_path):
    (tmp_path / "empty.tif").write_bytes(b"")
    with pytest.raises(errors.CorruptFileError, match="empty"):
        ia.load(tmp_path / "empty.tif")


def test_text_file_with_an_image_extension(tmp_path):
    (tmp_path / "notes.tif").write_text("hello, I am not a TIFF")
    with pytest.raises(errors.CorruptFileError, match="content is not"):
        ia.info(tmp_path / "notes.tif")


def test_content_wins_over_a_wrong_extension(tmp_path):
    data = np.arange(12, dtype=np.uint16).reshape(3, 4)
    real = ia.save(tmp_path / "real.tif", data)
    renamed = real.rename(tmp_path / "renamed.png")
    with pytest.warns(FormatMismatchWarning, match="content is tiff"):
        assert_identical(data, ia.load(renamed))


def test_unknown_extension(tmp_path):
    (tmp_path / "data.xyz").write_bytes(b"\x00\x01\x02")
    with pytest.raises(errors.FormatNotFoundError, match="known formats"):
        ia.load(tmp_path / "data.xyz")
    with pytest.raises(errors.FormatNotFoundError, match="extension"):
        ia.save(tmp_path / "out.xyz", np.zeros((2, 2)))
    with pytest.raises(errors.FormatNotFoundError, match="unknown format"):
        ia.save(tmp_path / "out.tif", np.zeros((2, 2)), format="gif87")


def test_unsupported_dtype_names_the_way_out(tmp_path, labels):
    target = tmp_path / "labels.png"
    with pytest.raises(errors.UnsupportedDtypeError) as caught:
        ia.save(target, labels[:1, :8, :8].reshape(8, 8))
    text = str(caught.value)
    assert "png holds bool/uint8/uint16, not uint32" in text
    assert "dtype='uint8'" in text and ".tif" in text
    assert not target.exists()


def test_lossy_dtype_leaves_existing_target_untouched(tmp_path, labels):
    target = tmp_path / "labels.tif"
    ia.save(target, labels)
    before = target.read_bytes()
    with pytest.raises(errors.LossyCastError, match="4294967295 at index"):
        ia.save(target, labels, dtype="uint16")
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_load_with_dtype_is_an_exact_cast(tmp_path, labels):
    path = ia.save(tmp_path / "l.tif", labels)
    assert ia.load(path, dtype="int64").dtype == np.int64
    with pytest.raises(errors.LossyCastError):
        ia.load(path, dtype="uint8")


def test_options_a_format_does_not_take(tmp_path):
    with pytest.raises(TypeError, match="png takes no compression="):
        ia.save(tmp_path / "a.png", np.zeros((2, 2), np.uint8), compression="zlib")
    with pytest.raises(TypeError, match="unexpected keyword"):
        ia.load(tmp_path / "a.png", colour=True)


def test_degenerate_arrays(tmp_path):
    for bad in (np.zeros((0, 4), np.uint8), np.array(3), np.array([["a"]])):
        with pytest.raises(errors.UnsupportedDtypeError):
            ia.save(tmp_path / "x.tif", bad)
    with pytest.raises(errors.UnsupportedDtypeError, match="not 1 "):
        ia.save(tmp_path / "x.tif", np.zeros(5, np.uint8))


def test_scale_is_recorded(tmp_path):
    data = np.linspace(-1, 1, 64).reshape(8, 8)
    path = ia.save(tmp_path / "s.tif", data, dtype="uint8", scale="minmax")
    assert ia.load(path).dtype == np.uint8
    record = ia.info(path).metadata["scale"]
    assert record["method"] == "minmax" and record["source_range"] == [-1.0, 1.0]
    with pytest.raises(errors.UnsupportedDtypeError, match="needs a target dtype"):
        ia.save(tmp_path / "t.tif", data, scale="minmax")


def test_parse_size():
    assert parse_size("3.9GB") == 3_900_000_000
    assert parse_size("2 GiB") == 2 * 2**30
    assert parse_size(1000) == 1000
    for bad in ("lots", 0, "-3MB"):
        with pytest.raises(ValueError):
            parse_size(bad)


@pytest.mark.parametrize("cls", [getattr(errors, name) for name in errors.__all__])
def test_errors_pickle_and_are_builtins(cls):
    err = cls("something is wrong", path="a/b.tif", hint="do this")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls and str(back) == str(err) and back.path == "a/b.tif" and back.hint == "do this"
    assert isinstance(err, errors.ImarrayError)
    assert isinstance(err, ValueError | TypeError | OSError | ImportError) or cls is errors.ImarrayError


def test_import_loads_no_heavy_or_optional_module():
    heavy = ["numpy", "tifffile", "PIL", "imagecodecs", "av", "zarr", "dask", "SimpleITK", "itk", "scipy",
             "sklearn", "matplotlib", "tqdm"]
    code = f"import sys, imarray; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_save_loads_no_optional_module():
    # tifffile itself imports imagecodecs when it is installed; everything else stays out
    optional = ["av", "zarr", "dask", "SimpleITK", "scipy", "sklearn", "matplotlib", "tqdm"]
    code = (
        "import sys, numpy as np, imarray as ia, tempfile, os\n"
        "d = tempfile.mkdtemp(); ia.save(os.path.join(d, 'a.tif'), np.zeros((2, 2), np.uint8))\n"
        "ia.load(os.path.join(d, 'a.tif'))\n"
        f"print(' '.join(m for m in {optional!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", ["labels.tif", "labels.bin", "labels.png", "series.tif"])
@pytest.mark.parametrize("durable", [True, False])
def test_durable_flushes_to_disk_only_when_asked(tmp_path, monkeypatch, labels, name, durable):
    import os

    synced = []
    real_fsync = os.fsync

    def counting_fsync(fd):
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    stack = labels.astype(np.uint16) if name.endswith(".png") else labels
    stack = stack[0] if name.endswith(".png") else stack
    cap = {"size_cap": stack.nbytes // 3} if name.startswith("series") else {}
    written = ia.save(tmp_path / name, stack, durable=durable, **cap)
    assert_identical(ia.load(written), stack)
    assert bool(synced) is durable
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("tif", lambda p: ia.save(p, np.zeros((4, 4), np.uint8), compression="bogus")),
        ("png", lambda p: ia.save(p.with_suffix(".jpg"), np.zeros((4, 4), np.uint8), quality=200)),
        ("mha", lambda p: ia.save(p.with_suffix(".mha"), np.zeros((4, 4), np.uint8), compression="bogus")),
        ("scale", lambda p: ia.save(p, np.zeros((4, 4)), dtype="uint8", scale=(5, 1))),
        ("scale-word", lambda p: ia.save(p, np.zeros((4, 4)), dtype="uint8", scale="up")),
        ("cap", lambda p: ia.save(p, np.zeros((4, 4), np.uint8), size_cap="lots")),
        ("cap0", lambda p: ia.save(p, np.zeros((4, 4), np.uint8), size_cap=0)),
        ("dtype", lambda p: ia.save(p, np.zeros((4, 4), np.uint8), dtype="bogus")),
        ("dtype-scaled", lambda p: ia.save(p, np.zeros((4, 4)), dtype="bogus", scale="minmax")),
    ],
)
def test_bad_options_are_imarray_errors_naming_the_path(tmp_path, name, call):
    with pytest.raises(errors.ImarrayError) as caught:
        call(tmp_path / "x.tif")
    assert isinstance(caught.value, ValueError | TypeError)
    assert caught.value.path is not None and "x." in caught.value.path and caught.value.hint
    assert not leftovers(tmp_path) and not list(tmp_path.iterdir())


def test_parse_size_errors_are_invalid_option_errors():
    for bad in ("lots", 0, -3, "1.2.3GB"):
        with pytest.raises(errors.InvalidOptionError, match="size"):
            parse_size(bad)


def test_sidecar_with_non_integer_shape_is_a_sidecar_error(tmp_path):
    path = ia.save(tmp_path / "s.bin", np.zeros((2, 3), np.uint8))
    sidecar = path.with_suffix(".json")
    meta = __import__("json").loads(sidecar.read_text())
    meta["shape"] = ["x", 3]
    sidecar.write_text(__import__("json").dumps(meta))
    with pytest.raises(errors.SidecarError, match="shape"):
        ia.load(path)


def test_a_named_pipe_is_refused_without_opening_it(tmp_path):
    import os

    fifo = tmp_path / "pipe.tif"
    os.mkfifo(fifo)
    for call in (ia.load, ia.info):
        with pytest.raises(errors.ImageFileNotFoundError, match="not a regular file") as caught:
            call(fifo)  # opening a FIFO would wait for a writer forever
        assert "failed" not in str(caught.value) and caught.value.hint


@pytest.mark.parametrize("forced", ["png", "raw", "nifti", "gif"])
def test_format_option_checks_the_content(tmp_path, forced):
    """format= names the reader; a file whose content is another format is refused, not half read."""
    path = ia.save(tmp_path / "stack.tif", np.zeros((3, 4, 5), np.uint16))
    with pytest.raises(errors.FormatNotFoundError, match=rf"format='{forced}'.*content is tiff"):
        ia.load(path, format=forced)
    with pytest.raises(errors.FormatNotFoundError, match="content is tiff"):
        ia.info(path, format=forced)


def test_format_option_reads_a_misnamed_file(tmp_path):
    path = ia.save(tmp_path / "stack.tif", np.arange(6, dtype=np.uint8).reshape(2, 3), format="png")
    with pytest.warns(FormatMismatchWarning):
        ia.load(path)
    np.testing.assert_array_equal(ia.load(path, format="png"), np.arange(6).reshape(2, 3))


def test_format_raw_reads_a_binary_that_starts_like_a_bmp(tmp_path):
    data = np.frombuffer(b"BM" + bytes(range(14)), np.uint8).reshape(4, 4)
    path = ia.save(tmp_path / "b.bin", data)
    assert_identical(data, ia.load(path, format="raw"))


def test_doctests_leave_no_temporary_folders(tmp_path):
    """The docstring examples clean up after themselves (they used to leave tempfile.mkdtemp() folders)."""
    modules = ["imarray.api", "imarray._atomic", "imarray.compat.calscipy", "imarray.formats.pillow",
               "imarray.formats.gif", "imarray.formats.video"]
    script = (
        "import doctest, importlib, sys\n"
        "flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL\n"
        f"failed = sum(doctest.testmod(importlib.import_module(m), optionflags=flags).failed for m in {modules!r})\n"
        "sys.exit(failed)\n"
    )
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env={**os.environ, "TMPDIR": str(scratch)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("name", ["a.tif", "a.ome.tif", "a.bin", "a.zarr"])
def test_axes_out_of_numpy_order_are_refused_before_writing(tmp_path, name):
    if name.endswith("zarr"):
        pytest.importorskip("zarr")
    with pytest.raises(errors.AxesError, match="numpy order") as caught:
        ia.save(tmp_path / name, np.zeros((2, 3, 4), np.uint8), axes="zxy")
    assert caught.value.path == str(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
