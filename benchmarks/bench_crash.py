"""Long run of crash trials: SIGKILL at random instants of a large save, per writer, many times.

``python benchmarks/bench_crash.py [TRIALS]`` (default 40 per writer) saves a small old version, starts a
process saving a large new one (24 x 512 x 512 uint16, 12 MB), kills it with SIGKILL after a random
part of the time one save takes, then loads the target in this process (old, new, or anything else) and
saves it again (the next save sweeps the killed one's temporaries). It also crashes each set writer after
every single step of its commit (tests/crash_cases.py). The table goes to RESULTS.md.
"""

from __future__ import annotations

import datetime
import json
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from _report import git_commit, machine, write_section  # noqa: E402
from kill_cases import WRITERS, save_duration, trial  # noqa: E402

SECTION = ("<!-- bench_crash:start -->", "<!-- bench_crash:end -->")
STEP_CASES = ["raw", "mhd", "series-shrink", "series-grow", "zarr", "zarr-no-exchange"]


def kill_trials(trials: int, base: Path) -> list[str]:
    rows = ["| writer | trials | old | new | other | temporaries right after the kill | after the next save |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rng = random.Random(2026)
    for writer in WRITERS:
        within = save_duration(writer, base / writer / "timing") * 1.2
        outcomes: Counter = Counter()
        left_after_kill = left_after_save = 0
        for index in range(trials):
            result = trial(writer, base / writer / str(index), within, rng)
            outcomes[result["outcome"]] += 1
            left_after_kill += result["left_after_kill"] > 0
            left_after_save += result["left_after_next_save"] > 0
        other = trials - outcomes["old"] - outcomes["new"]
        rows.append(f"| {writer} | {trials} | {outcomes['old']} | {outcomes['new']} | {other} | "
                    f"{left_after_kill} | {left_after_save} |")
        print(rows[-1], flush=True)
    return rows


def step_trials(base: Path) -> list[str]:
    rows = ["| set writer | commit steps (a crash after each) | old | new | other |",
            "| --- | ---: | ---: | ---: | ---: |"]
    script = HERE.parent / "tests" / "crash_cases.py"
    for case in STEP_CASES:
        folder = base / f"steps-{case}"
        steps = json.loads(subprocess.run([sys.executable, str(script), case, str(folder)], check=True,
                                          capture_output=True, text=True).stdout)
        results = json.loads(subprocess.run([sys.executable, str(script), "--check", case, str(folder)], check=True,
                                            capture_output=True, text=True).stdout)
        counts = Counter(value if value in ("old", "new") else "other" for value in results.values())
        rows.append(f"| {case} | {steps} | {counts['old']} | {counts['new']} | {counts['other']} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    with tempfile.TemporaryDirectory(prefix="bench-crash-", dir=HERE) as name:
        base = Path(name)
        kills = kill_trials(trials, base)
        steps = step_trials(base)
    today = datetime.date.today().isoformat()
    text = "\n".join([
        f"## bench_crash: SIGKILL during saves, and a crash after every commit step ({today})",
        "",
        f"- Machine: {machine()}; imarray {git_commit()}.",
        f"- Random kills: {trials} per writer; a small old version, then a process saving 24 x 512 x 512 uint16 "
        "(12 MB; the series in 4-frame parts, Zarr in 4 x 256 x 256 chunks) killed with SIGKILL after a random "
        "part of 1.2 times one save's duration (measured here first). 'old'/'new': what a load then returned, "
        "exactly; 'other': anything else (a mix, an error). Temporaries: trials that left imarray temporaries, "
        "right after the kill (the killed save's) and after the next save of the target (which sweeps them).",
        "",
        *kills,
        "",
        "- Commit steps: each set writer's save crashed (os._exit in a forked child) right after each single "
        "rename, link and unlink of its commit, then reloaded in a fresh process.",
        "",
        *steps,
    ])
    write_section(text, SECTION)
    print(text)


if __name__ == "__main__":
    main()
