"""Every registry row against its module: what a row declares is implemented, and works; nothing else is reachable.

No per-format code: the sample image, the target name and the expectations
come from the row (its dtypes, ndim, capabilities, options). A plugin's rows
go through the same tests.
"""

from __future__ import annotations

import importlib.util
import inspect

import numpy as np
import pytest

import imarray as ia
from imarray import lazy, registry
from imarray.errors import InvalidOptionError
from imarray.protocol import ChunkPlan

from helpers import assert_identical

EXTRA_MODULES = {"itk": "SimpleITK", "video": "av", "zarr": "zarr"}
ROWS = registry.formats()
# The keyword options of read() that load() passes on, and what each row declaring a capability must take.
CAPABILITY_FUNCTIONS = {
    "read": ("info", "read"),
    "write": ("check_writable", "write"),
    "chunks": ("chunk_plan",),
    "frames": ("iter_frames",),
    "directory": ("claims",),
    "same_layout": ("plane_layout", "read_like"),
}
CAPABILITY_READ_OPTIONS = {"mmap": {"mmap"}, "sidecar": {"verify", "dtype", "dims"}}


def _installed(spec) -> bool:
    module = EXTRA_MODULES.get(spec.extra or "")
    return module is None or importlib.util.find_spec(module) is not None


def _sample(spec) -> np.ndarray:
    """A small image the row holds: 3D where it can (not as colour), else its smallest ndim."""
    low, high = spec.ndim
    ndim = 3 if low <= 3 <= high and 3 not in spec.colour_ndim else low
    dtype = next((d for d in ("uint8", "uint16") if d in spec.dtypes), spec.dtypes[0])
    shape = (4, 16, 24)[-ndim:] if ndim <= 3 else (2,) * (ndim - 3) + (4, 16, 24)
    values = (np.arange(int(np.prod(shape))) % 7 * 30).reshape(shape)
    return values.astype(dtype)


def _target(tmp_path, spec, stem="sample"):
    return tmp_path / f"{stem}{spec.extensions[0] if spec.extensions else '.tif'}"


def _same(spec, expected, actual):
    if spec.lossy:  # display formats: the shape and dtype, and values near
        assert (actual.shape, actual.dtype) == (expected.shape, expected.dtype)
        assert np.abs(actual.astype(float) - expected).mean() < 8
    else:
        assert_identical(expected, actual)


def _keyword_parameters(function) -> set[str]:
    return {name for name, p in inspect.signature(function).parameters.items() if p.kind is p.KEYWORD_ONLY}


writable = [spec for spec in ROWS if spec.can("write")]


@pytest.mark.parametrize("spec", ROWS, ids=lambda s: s.name)
def test_row_is_well_formed(spec):
    assert registry.check_row(spec, taken=[s.name for s in ROWS if s is not spec]) is None


@pytest.mark.parametrize("spec", ROWS, ids=lambda s: s.name)
def test_module_has_what_the_row_declares_and_no_more(spec):
    module = spec.load()
    for capability, names in CAPABILITY_FUNCTIONS.items():
        for name in names:
            assert hasattr(module, name) or not spec.can(capability), f"{spec.name} declares {capability}: {name}()"
    undeclared = [c for c, names in CAPABILITY_FUNCTIONS.items() if not spec.can(c) and c not in ("read", "write")
                  and all(hasattr(module, n) for n in names) and not any(
                      other.module == spec.module and other.can(c) for other in ROWS)]
    assert not undeclared, f"{spec.module} implements {undeclared} that no row of it declares"
    if spec.can("read"):
        read_keywords = _keyword_parameters(module.read)
        assert {"spec", "out"} <= read_keywords
        assert set(spec.read_options) <= read_keywords
        for capability, needed in CAPABILITY_READ_OPTIONS.items():
            assert spec.can(capability) == needed.issubset(spec.read_options), (spec.name, capability)


@pytest.mark.parametrize("spec", writable, ids=lambda s: s.name)
def test_every_declared_option_is_taken_by_the_writer_and_its_check(spec):
    module = spec.load()
    for function in (module.check_writable, module.write):
        missing = set(spec.option_names) - _keyword_parameters(function)
        assert not missing, f"{spec.name}: {function.__name__}() does not take {sorted(missing)}"


@pytest.mark.parametrize("spec", writable, ids=lambda s: s.name)
def test_undeclared_writer_options_are_refused(tmp_path, spec):
    module = spec.load()
    hidden = _keyword_parameters(module.write) - set(spec.option_names) - {"spec", "metadata"}
    for sibling in ROWS:  # options another row of the module declares, and the module's private ones
        hidden |= set(sibling.option_names) if sibling.module == spec.module else set()
    for name in sorted(hidden - set(spec.option_names)):
        with pytest.raises(TypeError, match=f"{spec.name} takes no {name}="):
            ia.save(_target(tmp_path, spec), _sample(spec), format=spec.name, **{name: "x"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spec", [s for s in writable if s.options], ids=lambda s: s.name)
def test_options_of_the_wrong_type_are_refused_before_writing(tmp_path, spec):
    if not _installed(spec):
        pytest.skip(f"the {spec.extra} extra is not installed")
    for option in spec.options:
        with pytest.raises(InvalidOptionError, match=f"{option.name}="):
            ia.save(_target(tmp_path, spec), _sample(spec), format=spec.name, **{option.name: object()})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("spec", [s for s in writable if s.can("read")], ids=lambda s: s.name)
def test_declared_read_capabilities_work(tmp_path, spec):
    if not _installed(spec):
        pytest.skip(f"the {spec.extra} extra is not installed")
    array = _sample(spec)
    written = ia.save(_target(tmp_path, spec), array, format=spec.name)
    _same(spec, array, ia.load(written))
    plan = lazy.plan_for(written, registry.for_reading(written, written.read_bytes()[:32]) if written.is_file()
                         else registry.for_folder(written))
    assert isinstance(plan, ChunkPlan) and plan.shape == array.shape
    assert plan.first_axis_only or spec.can("chunks")
    lazily = ia.load(written, lazy=True)
    _same(spec, array, lazily.compute())
    if spec.can("chunks"):
        assert len(plan.tasks) == int(np.prod([len(c) for c in plan.chunks]))
    if spec.can("mmap"):
        mapped = ia.load(written, mmap=True)
        assert isinstance(mapped, np.memmap)
        _same(spec, array, np.asarray(mapped))
    else:
        with pytest.raises(TypeError, match="mmap"):
            ia.load(written, mmap=True)
    if spec.can("frames"):
        _same(spec, array, np.stack(list(ia.iter_frames(written))))
    else:
        with pytest.raises(ValueError, match="frame iteration"):
            ia.iter_frames(written)


@pytest.mark.parametrize("spec", [s for s in writable if s.can("stream_write")], ids=lambda s: s.name)
def test_stream_writers_take_a_block_stream(tmp_path, spec):
    da = pytest.importorskip("dask.array")
    from imarray.streaming import Streamed

    if not _installed(spec):
        pytest.skip(f"the {spec.extra} extra is not installed")
    array = _sample(spec)
    stream = Streamed(da.from_array(array, chunks=(1, *array.shape[1:])))
    target = _target(tmp_path, spec)
    spec.load().check_writable(stream, spec=spec, metadata={})
    spec.load().write(target, stream, spec=spec, metadata={})
    _same(spec, array, ia.load(target))


def test_a_folder_is_read_but_not_written(tmp_path):
    with pytest.raises(ValueError, match="reads folder but does not write it"):
        ia.save(tmp_path / "x", np.zeros((2, 3), np.uint8), format="folder")


@pytest.mark.parametrize("spec", [s for s in writable if s.can("read")], ids=lambda s: s.name)
def test_sources_are_read_exactly_where_declared_and_refused_elsewhere(tmp_path, spec):
    if not _installed(spec):
        pytest.skip(f"the {spec.extra} extra is not installed")
    fsspec = pytest.importorskip("fsspec", reason="the remote extra is not installed")
    from imarray.errors import UnsupportedSourceError

    array = _sample(spec)
    written = ia.save(_target(tmp_path, spec), array, format=spec.name)
    url = f"memory://conformance-{spec.name}/{written.name}"  # fsspec's in-memory file system: a remote source
    fsspec.filesystem("memory").put(str(written), url, recursive=written.is_dir())
    if spec.can("sidecar"):  # a raw binary's description travels beside it
        fsspec.filesystem("memory").put(str(written.with_suffix(".json")), url.rsplit(".", 1)[0] + ".json")
    if spec.can("remote"):
        _same(spec, array, ia.load(url, format=spec.name))
        _same(spec, array, ia.load(url, format=spec.name, lazy=True).compute())
        assert tuple(ia.info(url, format=spec.name).shape) == array.shape
    elif written.is_file():
        with pytest.raises(UnsupportedSourceError, match="from local files only"):
            ia.load(url, format=spec.name)
    if written.is_file() and spec.can("file_objects"):
        _same(spec, array, ia.load(written.read_bytes(), format=spec.name))
        with open(written, "rb") as handle:
            _same(spec, array, ia.load(handle, format=spec.name))
    elif written.is_file():
        with pytest.raises(UnsupportedSourceError, match="bytes or file objects"):
            ia.load(written.read_bytes(), format=spec.name)
