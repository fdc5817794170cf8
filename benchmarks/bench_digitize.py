"""Pictures back to numbers: imarray.digitize against the recipe (shared seed 004), same run.

    python benchmarks/bench_digitize.py            # full run, rewrites its section of RESULTS.md
    python benchmarks/bench_digitize.py --quick    # fewer repeats, print only

Speed: 600 x 800 matplotlib figures (axes, title, colorbar) read back from PNG; seconds per
megapixel for the recipe (10,000 colormap samples in a cKDTree, every pixel queried, mask at
distance 70) against imarray's per-colour lookup (+ automatic threshold), and against the
whole `digitize` (lookup, threshold, paper, plot box, connectivity, colour-run refinement).
Accuracy: the targets of issue 5, on fields rendered in this run.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the recipe and the renderer live with the tests

import matplotlib  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402

from _report import RESULTS, git_commit, machine, write_section  # noqa: E402
from digitize_baseline import recipe_lookup, recipe_reduce  # noqa: E402
from digitize_render import clean_render, encode, figure_render, smooth_field  # noqa: E402
from imarray.digitize import auto_threshold, digitize, lookup, reconstruct, reduce  # noqa: E402
from imarray.digitize import from_cmap as model_of  # noqa: E402
from imarray.digitize.reduce import Points  # noqa: E402

SECTION = ("<!-- bench_digitize:start -->", "<!-- bench_digitize:end -->")
LO, HI = 0.0, 0.7
CMAPS = ("jet_r", "viridis", "RdBu_r", "plasma")


def rmse(error: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(error))))


def median_of(repeats: int, run, least: float = 1.0) -> float:
    """Median seconds of ``run()`` over at least ``repeats`` calls and ``least`` seconds of calls.

    A call of a few milliseconds is repeated for a second: on a busy machine a
    handful of calls fall into one burst of someone else's work, a second of them does not.
    """
    times: list[float] = []
    while len(times) < repeats or sum(times) < least:
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def in_figure(result, shape):
    y0, y1, x0, x1 = result.box
    keep = np.zeros(shape, bool)
    keep[y0:y1, x0:x1] = result.mask
    values = np.full(shape, np.nan)
    values[y0:y1, x0:x1] = result.values
    return keep, values


def speed(repeats: int) -> list[tuple[str, float, float, float]]:
    rows = []
    for cmap in ("jet_r", "viridis", "RdBu_r"):
        rendered = figure_render(smooth_field((400, 560)), cmap, LO, HI, size=(8.0, 6.0), dpi=100)
        rgb = np.ascontiguousarray(rendered.rgb)
        megapixels = rgb.shape[0] * rgb.shape[1] / 1e6
        model = model_of(cmap, LO, HI)
        lookup(rgb, model)  # warm: KD-tree built once per model, scratch table allocated once per thread

        def ours_lookup(rgb=rgb, model=model):  # what the recipe's steps 3-4 give: values, NaN (masked) past a cut
            found = lookup(rgb, model)
            return found.value_within(auto_threshold(found))

        recipe = median_of(repeats, lambda rgb=rgb, cmap=cmap: recipe_lookup(rgb, cmap, LO, HI)) / megapixels
        ours = median_of(repeats, ours_lookup) / megapixels
        whole = median_of(repeats, lambda rgb=rgb, cmap=cmap: digitize(rgb, cmap=cmap, vmin=LO, vmax=HI)) / megapixels
        rows.append((f"{cmap} {rgb.shape[0]}x{rgb.shape[1]}", recipe, ours, whole))
    return rows


def accuracy() -> list[dict[str, str]]:
    rows = []
    floor = (HI - LO) / 256 / np.sqrt(12)
    for cmap in CMAPS:
        row = {"cmap": cmap}
        field = smooth_field((300, 400))
        clean = digitize(clean_render(field, cmap, LO, HI), cmap=cmap, vmin=LO, vmax=HI)
        row["clean RMSE / floor"] = f"{rmse(clean.values - field) / floor:.3f}"

        rendered = figure_render(smooth_field((120, 160)), cmap, LO, HI)
        result = digitize(rendered.rgb, cmap=cmap, vmin=LO, vmax=HI)
        keep, values = in_figure(result, rendered.rgb.shape[:2])
        ours = rmse((values - rendered.truth)[keep & rendered.inside])
        theirs_data = recipe_lookup(rendered.rgb, cmap, LO, HI)
        theirs_keep = ~np.ma.getmaskarray(theirs_data)
        theirs = rmse((theirs_data.data - rendered.truth)[theirs_keep & rendered.inside])
        row["figure RMSE ours / recipe"] = f"{ours:.5f} / {theirs:.5f} ({1 - ours / theirs:.0%} lower)"
        row["non-field pixels kept ours / recipe"] = (f"{keep[rendered.outside].mean():.2%} / "
                                                      f"{theirs_keep[rendered.outside].mean():.1%}")
        row["field covered"] = f"{keep[rendered.inside].mean():.1%}"

        worst = {False: 0.0, True: 0.0}
        for seed in (0, 1, 2):
            rendered = figure_render(smooth_field((120, 160), seed=seed), cmap, LO, HI)
            jpeg = encode(rendered.rgb, "jpeg", 75)
            for denoised in worst:
                result = digitize(jpeg, cmap=cmap, vmin=LO, vmax=HI, median=5 if denoised else None)
                keep, values = in_figure(result, jpeg.shape[:2])
                error = np.abs(values - rendered.truth)[keep & rendered.inside]
                worst[denoised] = max(worst[denoised], float(error.max()))
        row["JPEG q75 worst error plain / denoised"] = (f"{worst[False]:.4f} / {worst[True]:.4f} "
                                                        f"({1 - worst[True] / worst[False]:.0%} lower)")

        field = smooth_field((150, 200), seed=1)
        rgb = clean_render(field, cmap, LO, HI)
        y, x, v = recipe_reduce(recipe_lookup(rgb, cmap, LO, HI))
        theirs = rmse(reconstruct(Points(y, x, v), field.shape) - field)
        points = reduce(digitize(rgb, cmap=cmap, vmin=LO, vmax=HI).values, n=len(v))
        ours = rmse(reconstruct(points, field.shape) - field)
        row["reconstruction RMSE uniform / recipe DBSCAN (points)"] = (f"{ours:.5f} / {theirs:.5f} "
                                                                       f"({theirs / ours:.0f}x; {len(v)} points)")
        rows.append(row)
    return rows


def report(speed_rows, accuracy_rows, repeats: int) -> str:
    lines = [
        f"## bench_digitize: pictures back to numbers ({time.strftime('%Y-%m-%d')})",
        "",
        f"- Machine: {machine()}; shared with other jobs and busy while measured (timings are indicative; "
        "ratios were taken in the same run).",
        f"- Versions: Python {platform.python_version()}, numpy {np.__version__}, matplotlib {matplotlib.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, imarray {git_commit()}",
        f"- Speed: matplotlib figures (axes, title, colorbar) read back from PNG; median of at least {repeats} runs "
        "and at least one second of runs, seconds per megapixel; the same array in the same process for both, "
        "imports, rendering and PNG decoding not timed. "
        "Recipe = 10,000 samples in a cKDTree, every pixel queried, mask at distance 70. "
        "imarray lookup = distinct colours matched once + automatic threshold, values with NaN past it; "
        "digitize = the whole call (lookup, threshold, paper, plot box, connectivity, colour-run refinement).",
        "",
        "| figure | recipe s/MP | imarray lookup s/MP | speed-up | imarray digitize s/MP | speed-up |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, recipe, ours, whole in speed_rows:
        lines.append(f"| {name} | {recipe:.3f} | {ours:.4f} | {recipe / ours:.0f}x | {whole:.4f} | "
                     f"{recipe / whole:.0f}x |")
    keys = list(accuracy_rows[0])
    lines += [
        "",
        "Accuracy (values 0-0.7; floor = one colormap step / sqrt(12)). Clean: the colormap's bytes, 300x400. "
        "Figure: imshow with axes, title and colorbar, PNG; non-field pixels = everything outside the image "
        "extent (title, labels, ticks, colorbar, paper). JPEG: the same figures at quality 75, three fields, "
        "denoised = `median=5`. Reconstruction: clean 150x200 render; the recipe's DBSCAN(eps=1) centroids "
        "against imarray's uniform reduction at the same point count, both through `reconstruct`.",
        "",
        "| " + " | ".join(keys) + " |",
        "| " + " | ".join("---" for _ in keys) + " |",
    ]
    lines += ["| " + " | ".join(row[k] for k in keys) + " |" for row in accuracy_rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 repeats, print only")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    text = report(speed(repeats), accuracy(), repeats)
    print(text)
    if not args.quick:
        write_section(text, SECTION)
        print(f"written to {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
