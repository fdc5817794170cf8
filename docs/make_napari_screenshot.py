"""Make docs/napari-imarray.png: napari showing files opened through imarray's plugin.

Run with ``make napari-screenshot`` (Xvfb gives Qt's offscreen platform its
OpenGL), or by hand: ``xvfb-run -a .venv/bin/python docs/make_napari_screenshot.py``.

It writes the demo's uint32 label stack (labels up to 4e9) as an OME-Zarr
pyramid with a z spacing of 4 um, and a float32 intensity stack beside it as
OME-TIFF, then opens both with ``viewer.open(path, plugin="imarray")``: the
labels arrive as a Labels layer, exact, placed by their spacing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import imarray as ia
from imarray.demo import label_stack

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
OUT = Path(__file__).with_name("napari-imarray.png")


def intensity(labels: np.ndarray) -> np.ndarray:
    """A float32 'stain' over the labels: brighter inside cells, with smooth background and fixed-seed noise."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0 : labels.shape[1], 0 : labels.shape[2]]
    background = 0.2 + 0.1 * np.sin(xx / 9.0) * np.cos(yy / 13.0)
    stain = np.where(labels > 0, 0.8, 0.0) + background + rng.normal(0, 0.05, labels.shape)
    return stain.astype(np.float32)


def main() -> int:
    import napari

    if not os.environ.get("DISPLAY"):
        print("no X display: run under xvfb-run (make napari-screenshot)", file=sys.stderr)
        return 1
    labels = label_stack()
    spacing = (4.0, 0.5, 0.5)
    with tempfile.TemporaryDirectory() as folder:
        stain = ia.write(Path(folder) / "stain.ome.tif",
                         ia.Image.from_array(intensity(labels), axes="zyx", spacing=spacing, units="um"))
        cells = ia.write(Path(folder) / "cells.ome.zarr",
                         ia.Image.from_label_array(labels, spacing=spacing, units="um"), pyramid=2)
        viewer = napari.Viewer(show=False, title="napari + imarray")
        viewer.window._qt_window.resize(1100, 700)
        viewer.open(str(stain), plugin="imarray")
        [layer] = viewer.open(str(cells), plugin="imarray")
        layer.opacity = 0.6
        viewer.dims.set_current_step(0, 5)  # the plane with labels 31..36, 70000 and 4e9
        viewer.reset_view()
        viewer.layers.selection.active = layer
        print(f"{layer.name}: {type(layer).__name__}, {layer.data[0].dtype}, max {int(layer.data[0].max())}, "
              f"scale {tuple(layer.scale)}")
        viewer.screenshot(str(OUT), canvas_only=False, flash=False)
        viewer.close()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
