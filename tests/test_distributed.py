"""The same calls on a dask.distributed cluster: work on the workers, errors back as imarray's classes."""

from __future__ import annotations

import numpy as np
import pytest

import imarray as ia
from imarray.errors import CorruptFileError, LossyCastError

from helpers import assert_identical, extreme_array, leftovers

distributed = pytest.importorskip("distributed")
pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as connected:
        yield connected


def _slices(folder, stack):
    folder.mkdir()
    for index, plane in enumerate(stack):
        ia.save(folder / f"slice_{index:03d}.tif", plane)
    return folder


def test_folder_to_zarr_runs_on_the_workers_bit_exact(tmp_path, client):
    stack = extreme_array("uint16", (10, 32, 48))
    folder = _slices(tmp_path / "slices", stack)
    with distributed.get_task_stream(client) as stream:
        store = ia.save(tmp_path / "v.zarr", ia.load(folder, lazy=True), chunks=(2, 16, 48))
    assert_identical(stack, ia.load(store))
    workers = {task["worker"] for task in stream.data}
    keys = " ".join(str(task["key"]) for task in stream.data)
    assert "imarray-folder" in keys and "_write_block" in keys
    assert workers <= set(client.scheduler_info()["workers"]) and workers
    assert leftovers(tmp_path) == []


def test_streamed_tiff_and_raw_compute_on_the_cluster(tmp_path, client):
    stack = extreme_array("float64", (6, 8, 9))
    folder = _slices(tmp_path / "slices", stack)
    for name in ("v.tif", "v.bin", "v.ome.zarr"):
        assert_identical(stack, ia.load(ia.save(tmp_path / name, ia.load(folder, lazy=True))))


def test_a_damaged_slice_raises_corrupt_file_error_at_the_caller(tmp_path, client):
    stack = extreme_array("uint16", (6, 64, 64))
    folder = _slices(tmp_path / "slices", stack)
    damaged = folder / "slice_004.tif"
    lazy = ia.load(folder, lazy=True)
    damaged.write_bytes(damaged.read_bytes()[:4000])  # cut short after the headers were planned
    for name in ("v.zarr", "v.tif"):
        with pytest.raises(CorruptFileError, match="truncated") as caught:
            ia.save(tmp_path / name, lazy)
        assert type(caught.value) is CorruptFileError and caught.value.path == str(damaged)
        assert caught.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slices"]


def test_a_lossy_cast_on_a_worker_is_a_lossy_cast_error(tmp_path, client):
    values = np.arange(64, dtype=np.uint16).reshape(4, 4, 4) * 8
    import dask.array as da

    with pytest.raises(LossyCastError, match="value 256"):
        ia.save(tmp_path / "v.zarr", da.from_array(values, chunks=(1, 4, 4)), dtype="uint8")
    assert list(tmp_path.iterdir()) == []


def test_cli_convert_on_a_scheduler(tmp_path, client, capsys):
    from imarray.cli import main

    stack = extreme_array("int32", (4, 8, 9))
    folder = _slices(tmp_path / "slices", stack)
    address = client.scheduler.address
    with distributed.get_task_stream(client) as stream:
        code = main(["convert", str(folder), str(tmp_path / "v.zarr"), "--chunks", "2,8,9", "--scheduler", address])
    assert code == 0 and "streamed" in capsys.readouterr().out
    assert any("_write_block" in str(task["key"]) for task in stream.data)
    assert_identical(stack, ia.load(tmp_path / "v.zarr"))
