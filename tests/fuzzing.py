"""A mutation fuzzer over imarray's readers: each damaged file is loaded in a forked child with a time and an
address-space limit, and the outcome classified.

Seeds are files of every readable format, written by imarray and taken from the
real-file corpus (``tests/data/corpus``); raw sidecars and Zarr metadata are
mutated as text (numbers swapped for extremes) as well as bytes. Outcomes:

- ``array``: ``load`` returned an array (and ``info`` agreed on its shape and dtype);
- ``imarray error``: an :class:`~imarray.errors.ImarrayError`, the promised answer to damage;
- ``other exception``: anything else (a foreign error: a bug);
- ``signal``: the child died of a signal (a crash in a C library);
- ``timeout``: the child ran past the time limit and was killed;
- ``memory``: a ``MemoryError`` under the address-space limit (an unbounded allocation).

``python tests/fuzzing.py --cases 1000`` runs a long campaign and prints its
table; ``tests/test_fuzz.py`` runs a bounded one with a fixed seed in every ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

OUTCOMES = ("array", "imarray error", "other exception", "signal", "timeout", "memory")
CORPUS = Path(__file__).parent / "data" / "corpus"
TIME_LIMIT = 20.0  # seconds per case
MEMORY_LIMIT = 6 * 2**30  # address space per case: far below what a wrapped header size would ask
_INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                2**63 - 1, 2**64 - 1]
_EXTREMES = ["0", "-1", "2147483647", "4294967296", "1e308", "-1e308", "nan", "9223372036854775807", "65536"]


@dataclass
class Seed:
    """A seed image: its main file, and the files a mutation may damage (the main one, a sidecar, metadata)."""

    format: str
    path: Path
    targets: tuple[Path, ...]
    text: tuple[Path, ...] = ()  # files also mutated as text (numbers swapped)


@dataclass
class Result:
    format: str
    outcome: str
    detail: str = ""


@dataclass
class Table:
    results: list[Result] = field(default_factory=list)

    def counts(self) -> dict[str, Counter]:
        table: dict[str, Counter] = {}
        for result in self.results:
            table.setdefault(result.format, Counter())[result.outcome] += 1
        return table

    def failures(self) -> list[Result]:
        return [r for r in self.results if r.outcome not in ("array", "imarray error")]

    def markdown(self) -> str:
        lines = ["| format | cases | " + " | ".join(OUTCOMES) + " |", "|---" * (len(OUTCOMES) + 2) + "|"]
        counts = self.counts()
        for name in sorted(counts):
            row = counts[name]
            lines.append(f"| {name} | {sum(row.values())} | " + " | ".join(str(row[o]) for o in OUTCOMES) + " |")
        return "\n".join(lines)


def make_seeds(folder: Path) -> list[Seed]:
    """Seed files of every readable format in ``folder``: written by imarray, plus real files of the corpus."""
    import imarray as ia

    rng = np.random.default_rng(0)
    grey = rng.integers(0, 255, (6, 10, 12), dtype=np.uint8)
    seeds: list[Seed] = []

    def saved(name: str, array: np.ndarray, fmt: str, **options) -> Path:
        path = folder / name
        ia.save(path, array, **options)
        return path

    for name, fmt, array, options in [
        ("a.tif", "tiff", grey.astype(np.uint16), {}),
        ("z.tif", "tiff", grey, {"compression": "zlib"}),
        ("a.ome.tif", "ome-tiff", grey, {}),
        ("a.png", "png", grey[0], {}),
        ("a.bmp", "bmp", grey[0], {}),
        ("a.jpg", "jpeg", grey[0], {}),
        ("a.gif", "gif", grey, {}),
        ("a.mha", "metaimage", grey, {}),
        ("c.mha", "metaimage", grey, {"compression": "zlib"}),
        ("a.nrrd", "nrrd", grey.astype(np.int16), {}),
        ("a.nii", "nifti", grey.astype(np.float32), {}),
        ("a.nii.gz", "nifti", grey, {}),
        ("a.mkv", "mkv", grey, {"frame_rate": 10}),
        ("a.mp4", "mp4", np.repeat(grey[..., None], 3, -1)[:, :8, :8], {"frame_rate": 10}),
    ]:
        path = saved(name, array, fmt, **options)
        seeds.append(Seed(fmt, path, (path,), (path,) if fmt in ("metaimage", "nrrd") else ()))
    mhd = saved("d.mhd", grey, "metaimage")
    seeds.append(Seed("metaimage", mhd, (mhd, mhd.with_suffix(".raw")), (mhd,)))
    raw = saved("a.bin", grey, "raw")
    seeds.append(Seed("raw", raw, (raw, raw.with_suffix(".json")), (raw.with_suffix(".json"),)))
    try:
        store = saved("a.zarr", grey, "zarr", chunks=(2, 5, 6))
        metadata = tuple(sorted(store.rglob("zarr.json")))
        chunks = tuple(sorted(p for p in store.rglob("*") if p.is_file() and p.name != "zarr.json"))[:4]
        seeds.append(Seed("zarr", store, metadata + chunks, metadata))
        import zarr  # a store as other tools write it: zarr's defaults, no checksum, so damage reaches the codecs

        foreign = zarr.create_array(store=str(folder / "foreign.zarr"), shape=grey.shape, dtype=grey.dtype,
                                    chunks=(3, 5, 6), zarr_format=3)
        foreign[...] = grey
        store = folder / "foreign.zarr"
        metadata = (store / "zarr.json",)
        chunks = tuple(sorted(p for p in store.rglob("*") if p.is_file() and p.name != "zarr.json"))[:4]
        seeds.append(Seed("zarr", store, metadata + chunks, metadata))
    except ImportError:  # pragma: no cover - the zarr extra is in the test extra
        pass
    for fmt, pattern in [("tiff", "tiff/*.ti*"), ("png", "png/*.png"), ("gif", "gif/*.gif"), ("bmp", "bmp/*.bmp"),
                         ("jpeg", "jpeg/hopper*.jpg"), ("nifti", "nifti/*.nii*"), ("nrrd", "nrrd/*.nrrd"),
                         ("ome-tiff", "ome/*"), ("mp4", "video/*.mp4")]:
        for source in sorted(CORPUS.glob(pattern)):
            if source.stat().st_size > 300_000:
                continue
            path = folder / f"corpus-{source.name}"
            shutil.copy(source, path)
            seeds.append(Seed(fmt, path, (path,), (path,) if fmt == "nrrd" else ()))
    return seeds


def _mutate_bytes(data: bytearray, rng: random.Random) -> bytearray:
    if not data:
        return data
    kind = rng.randrange(5)
    if kind == 0:  # flip bits
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:  # random bytes
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == 2:  # an interesting integer, 2, 4 or 8 bytes, either order
        width = rng.choice((2, 4, 8))
        value = rng.choice(_INTERESTING) & ((1 << (8 * width)) - 1)
        at = rng.randrange(max(1, len(data) - width))
        data[at : at + width] = value.to_bytes(width, rng.choice(("little", "big")))
    elif kind == 3:  # cut
        del data[rng.randrange(len(data)) :]
    else:  # duplicate or delete a block
        at, size = rng.randrange(len(data)), rng.randint(1, 64)
        if rng.random() < 0.5:
            data[at:at] = data[at : at + size]
        else:
            del data[at : at + size]
    return data


def _mutate_text(data: bytearray, rng: random.Random) -> bytearray:
    """Swap one number of a text header or JSON document for an extreme value."""
    text = data.decode("latin-1")
    numbers = list(re.finditer(r"-?\d+(\.\d+)?(e[+-]?\d+)?", text[:4096]))
    if not numbers:
        return _mutate_bytes(data, rng)
    match = rng.choice(numbers)
    return bytearray((text[: match.start()] + rng.choice(_EXTREMES) + text[match.end() :]).encode("latin-1"))


def cases(seeds: list[Seed], per_format: int, seed: int) -> Iterator[tuple[Seed, Path, bytes]]:
    """``per_format`` mutations of each format's seeds, deterministic for ``seed``: (seed, target, new bytes)."""
    rng = random.Random(seed)
    by_format: dict[str, list[Seed]] = {}
    for item in seeds:
        by_format.setdefault(item.format, []).append(item)
    for name in sorted(by_format):
        for index in range(per_format):
            item = by_format[name][index % len(by_format[name])]
            target = rng.choice(item.targets)
            data = bytearray(target.read_bytes())
            as_text = target in item.text and rng.random() < 0.6
            data = _mutate_text(data, rng) if as_text else _mutate_bytes(data, rng)
            if rng.random() < 0.25:
                data = _mutate_bytes(data, rng)
            yield item, target, bytes(data)


def _child(path: Path, pipe: int) -> None:
    """Load ``path`` under the limits and write the outcome to ``pipe``; never returns."""
    outcome, detail = "array", ""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        import warnings

        import imarray as ia
        from imarray.errors import ImarrayError

        warnings.simplefilter("ignore")
        try:
            described = ia.info(path)
            array = ia.load(path)
            if (tuple(described.shape), described.dtype) != (array.shape, array.dtype.name):
                outcome, detail = "other exception", f"info says {described.shape} {described.dtype}, load gives " \
                                                     f"{array.shape} {array.dtype}"
        except ImarrayError as exc:
            outcome, detail = "imarray error", type(exc).__name__
        except MemoryError:
            outcome, detail = "memory", traceback.format_exc(limit=-3)[-600:]
        except BaseException as exc:
            outcome, detail = "other exception", f"{type(exc).__name__}: {exc}"[:300] + "\n" + \
                "".join(traceback.format_tb(exc.__traceback__)[-2:])[-500:]
    finally:
        os.write(pipe, json.dumps([outcome, detail]).encode()[:60000])
        os._exit(0)


def _start(path: Path) -> tuple[int, int, float]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_end)
        _child(path, write_end)
    os.close(write_end)
    return pid, read_end, time.monotonic()


def _finish(pid: int, pipe: int, timed_out: bool) -> tuple[str, str]:
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    chunks = []
    while not timed_out and (chunk := os.read(pipe, 65536)):
        chunks.append(chunk)
    os.close(pipe)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return "timeout", ""
    if os.WIFSIGNALED(status):
        return "signal", signal.Signals(os.WTERMSIG(status)).name
    try:
        outcome, detail = json.loads(b"".join(chunks))
    except ValueError:
        return "signal", f"exit status {status}, no report"
    return outcome, detail


def run(per_format: int, seed: int = 0, workers: int = 2, folder: Path | None = None,
        progress: Callable[[int], None] | None = None) -> Table:
    """Run ``per_format`` mutated files per format, ``workers`` at a time; the table of outcomes."""
    import warnings

    from imarray import registry  # imported before forking: children start warm

    for spec in registry.formats():
        with contextlib.suppress(ImportError):
            spec.load()
    for module in ("SimpleITK", "av", "zarr", "tifffile", "PIL.Image", "nibabel", "nrrd"):
        with contextlib.suppress(ImportError):
            __import__(module)
    table = Table()
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="imarray-fuzz-")) if own else folder
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (folder / "seeds").mkdir(parents=True)
            seeds = make_seeds(folder / "seeds")
        running: list[tuple[int, int, float, str, Path]] = []
        pending = iter(enumerate(cases(seeds, per_format, seed)))
        done = 0
        exhausted = False
        while running or not exhausted:
            while not exhausted and len(running) < workers:
                item = next(pending, None)
                if item is None:
                    exhausted = True
                    break
                index, (seed_item, target, data) = item
                case = folder / f"case{index}"
                case.mkdir()
                copied = _copy_seed(seed_item, case)
                (case / target.relative_to(seed_item.path.parent)).write_bytes(data)
                pid, pipe, started = _start(copied)
                running.append((pid, pipe, started, seed_item.format, case))
            if not running:
                break
            ready, _, _ = select.select([r[1] for r in running], [], [], 0.05)
            now = time.monotonic()
            for entry in list(running):
                pid, pipe, started, name, case = entry
                late = now - started > TIME_LIMIT
                if pipe in ready or late:
                    outcome, detail = _finish(pid, pipe, late and pipe not in ready)
                    table.results.append(Result(name, outcome, f"{case.name}: {detail}" if detail else case.name))
                    running.remove(entry)
                    if outcome in ("array", "imarray error"):
                        shutil.rmtree(case, ignore_errors=True)
                    done += 1
                    if progress:
                        progress(done)
    finally:
        if own:
            shutil.rmtree(folder, ignore_errors=True)
    return table


def _copy_seed(item: Seed, case: Path) -> Path:
    """A copy of the seed's files in ``case`` (Zarr stores whole); the copy of its main path."""
    source = item.path
    if source.is_dir():
        shutil.copytree(source, case / source.name)
    else:
        for path in {item.path, *item.targets}:
            shutil.copy(path, case / path.name)
    return case / source.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="mutated files per format")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", type=Path, help="keep failing cases in this folder")
    parser.add_argument("--results", action="store_true", help="write the table to benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.keep:  # a fresh folder: the failing cases of this campaign only
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
    table = run(args.cases, args.seed, args.workers, folder=args.keep,
                progress=lambda n: print(f"\r{n} cases", end="", file=sys.stderr) if n % 100 == 0 else None)
    print(file=sys.stderr)
    print(table.markdown())
    print(f"\n{len(table.results)} cases in {time.monotonic() - started:.0f} s, seed {args.seed}, "
          f"{args.workers} workers, {TIME_LIMIT:g} s and {MEMORY_LIMIT / 2**30:g} GiB per case")
    for failure in table.failures()[:50]:
        print(f"- {failure.format} {failure.outcome}: {failure.detail}")
    if args.results:
        write_results(table, args, time.monotonic() - started)
    return 1 if table.failures() else 0


def write_results(table: Table, args: argparse.Namespace, seconds: float) -> None:
    """The campaign's table as the ``fuzz`` section of benchmarks/RESULTS.md, with machine, date and commit."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import _report

    failures = table.failures()
    text = "\n".join([
        f"## fuzz: mutated files per format, each loaded in a forked child ({time.strftime('%Y-%m-%d')})", "",
        f"Machine: {_report.machine()}. Commit {_report.git_commit()}. `make fuzz` (tests/fuzzing.py --cases "
        f"{args.cases} --seed {args.seed}, {args.workers} workers, {TIME_LIMIT:g} s and "
        f"{MEMORY_LIMIT / 2**30:g} GiB address space per case): {len(table.results)} cases in {seconds:.0f} s.", "",
        "Outcomes: *array* (loaded; `info` agreed on shape and dtype) and *imarray error* are the promised "
        "answers to a damaged file; *other exception*, *signal*, *timeout* and *memory* are bugs.", "",
        table.markdown(), "",
        *(f"- {r.format} {r.outcome}: {r.detail.splitlines()[0][:200]}" for r in failures[:20]),
    ])
    _report.write_section(text, ("<!-- fuzz:start -->", "<!-- fuzz:end -->"))


if __name__ == "__main__":
    sys.exit(main())
