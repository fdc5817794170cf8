"""What every benchmark script shares: the machine, the commit, and its own section of RESULTS.md."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"


def git_commit() -> str:
    """The short hash of the commit measured."""
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def machine() -> str:
    """CPU, cores, memory, the file system the benchmarks write to, and the kernel."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    fs = subprocess.run(["df", "-T", str(HERE)], capture_output=True, text=True).stdout.splitlines()[-1].split()[1]
    return f"{cpu}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB RAM, {fs} disk, Linux {platform.release()}"


def write_section(text: str, section: tuple[str, str]) -> None:
    """Replace the block between the ``section`` markers of RESULTS.md with ``text`` (append it if absent)."""
    start, end = section
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nWritten by the scripts in this folder.\n"
    block = f"{start}\n{text.rstrip(chr(10))}\n{end}"
    if start in old:
        head, rest = old.split(start, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(new)


def best(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The shortest of ``repeats`` timed calls of ``function`` (the least disturbed), and its last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def publish(text: str, section: tuple[str, str], *, quick: bool) -> None:
    """Print a benchmark's section; a full run (not ``--quick``) also writes it into RESULTS.md."""
    print(text)
    if not quick:
        write_section(text, section)
