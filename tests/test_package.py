"""The package as a user gets it: a wheel and an sdist built from the tracked files, installed with no extras.

One fixture builds both from a copy of the files git tracks (what a clean
clone holds), installs the wheel into a fresh virtual environment with pip's
normal index (numpy, tifffile and Pillow come from pip's cache after
``make test``'s own install) and pytest beside it; the tests then run the
installed command and library there, and part of the test suite from the
unpacked sdist. Bounded: every subprocess has a timeout; about 25 s in all (pip's install of
numpy, tifffile and Pillow is most of it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300


def _run(*command, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("builds from the files git tracks: needs a git checkout and git")
    pytest.importorskip("build")
    base = tmp_path_factory.mktemp("package")
    tracked = _run("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    clone = base / "clone"
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    dist = base / "dist"
    result = _run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", dist, clone)
    assert result.returncode == 0, result.stderr[-3000:]
    wheel, sdist = next(dist.glob("*.whl")), next(dist.glob("*.tar.gz"))
    environment = base / "venv"
    venv.create(environment, with_pip=False)  # this pip installs into it (--python): 10 s less than ensurepip
    python = environment / "bin" / "python"
    result = _run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--disable-pip-version-check",
                  wheel, "pytest")
    if result.returncode != 0:
        pytest.fail(f"the wheel does not install into a fresh venv: {result.stderr[-3000:]}")
    return {"wheel": wheel, "sdist": sdist, "python": python, "bin": environment / "bin", "base": base}


def test_wheel_carries_license_classifiers_and_one_version(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "imarray/py.typed" in names
    assert "imarray/digitize/serve/page.html" in names  # package data: the digitize --serve page
    assert "License-Expression: BSD-3-Clause" in metadata
    assert "Classifier: Programming Language :: Python :: 3" in metadata
    for extra in ("medical", "itk", "dicom", "dicom-codecs"):
        assert f"Provides-Extra: {extra}" in metadata
    assert "SimpleITK" in next(line for line in metadata.splitlines() if "extra == \"medical\"" in line)
    version = next(line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Version: "))
    import imarray

    assert version == imarray.__version__


def test_installed_command_library_and_missing_extras(built, tmp_path):
    python, command = built["python"], built["bin"] / "imarray"
    import imarray

    for invocation in ([command, "--version"], [python, "-m", "imarray", "--version"]):
        result = _run(*invocation)
        assert result.returncode == 0 and result.stdout.strip() == f"imarray {imarray.__version__}"
    script = """
import importlib.metadata, json, sys
import numpy as np, imarray as ia
from imarray.errors import MissingDependencyError
folder = sys.argv[1]
labels = np.arange(1, 61, dtype=np.uint32).reshape(3, 4, 5)
plane = np.arange(20, dtype=np.uint8).reshape(4, 5)
same = [np.array_equal(ia.load(ia.save(folder + "/l.tif", labels)), labels),
        np.array_equal(ia.load(ia.save(folder + "/p.png", plane)), plane)]
hints = []
for call in (lambda: ia.load(sys.argv[2]), lambda: ia.save(folder + "/v.nii.gz", labels.astype(np.int16))):
    try:
        call()
    except MissingDependencyError as err:
        hints.append(err.hint)
print(json.dumps({"same": same, "hints": hints, "version": importlib.metadata.version("imarray") == ia.__version__,
                  "where": ia.__file__}))
"""
    dicom = ROOT / "tests" / "data" / "dicom" / "MR_small.dcm"
    result = _run(python, "-c", script, tmp_path, dicom)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["same"] == [True, True] and report["version"] and "site-packages" in report["where"]
    assert report["hints"] == ["pip install 'imarray[dicom]'", "pip install 'imarray[medical]'"]
    result = _run(command, "info", dicom)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "pip install 'imarray[dicom]'" in result.stderr and "Traceback" not in result.stderr


def test_sdist_tests_run_from_the_unpacked_sdist(built):
    with tarfile.open(built["sdist"]) as archive:
        names = archive.getnames()
        archive.extractall(built["base"] / "sdist", filter="data")
    top = built["base"] / "sdist" / names[0].split("/")[0]
    for needed in ("LICENSE", "tests/helpers.py", "tests/conftest.py", "tests/data/dicom/PROVENANCE", "Makefile"):
        assert (top / needed).is_file(), needed
    result = _run(built["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_pillow.py", cwd=top)
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout
