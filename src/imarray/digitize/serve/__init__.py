"""A local web page to correct a digitization by hand: ``imarray digitize fig.png --serve``.

The page shows the figure with what the pipeline found drawn over it (the
plot box, the colorbars and their tick marks); the user drags the box, clicks
the colorbar's ends or tick marks and types their values, picks the colormap
and norm, and sees the recovered field and its error map (each pixel's colour
distance to the model) update. Where no colorbar is found (or the wrong one),
the user drags a rectangle over its colour strip and uses it as a found one
(``--colorbar-box`` on the command line). The x and y axes are calibrated by
two clicks each and the values typed there (linear or log, as
``--x-axis``/``--y-axis`` take them), or read from their tick labels by OCR;
the cursor and the plot box's corners are shown in axis coordinates. "Save"
writes the files ``imarray digitize`` writes for the same settings, inside
the folder given on the command line only; the page shows that command too.

The pieces: :mod:`.request` (settings from JSON, checked), :mod:`.paths`
(output names confined to the folder), :mod:`.session` (the figure, runs
and saves; a colorbar marked by hand is checked and sampled by
:func:`~imarray.digitize.colorbar.colorbar_in`),
:mod:`.pictures` (PNGs for the page), :mod:`.server` (HTTP on 127.0.0.1 with
a per-session token) and ``page.html`` (the page, inline script and style,
no external assets).

Examples
--------
>>> from imarray.digitize.serve import serve  # doctest: +SKIP
>>> serve(Path("fig.png"), Path("."), Fixed(), Settings(cmap="viridis"))  # doctest: +SKIP
open http://127.0.0.1:38211/?token=... to correct fig.png (Ctrl-C stops)
"""

from __future__ import annotations

import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path

from .request import BadRequest, Settings
from .server import DigitizeServer
from .session import Fixed, Session

__all__ = ["BadRequest", "DigitizeServer", "Fixed", "Session", "Settings", "serve"]


def serve(figure: Path, folder: Path, fixed: Fixed, settings: Settings, *, port: int = 0,
          browser: bool | None = None, say: Callable[[str], None] = print) -> None:
    """Serve the correction page for ``figure`` until Ctrl-C; saves go into ``folder``.

    Parameters
    ----------
    figure
        The figure (PNG, JPEG, ...).
    folder
        The only folder the page may write into.
    fixed
        Command-line options the page does not change (alpha, denoise, dtype, ...).
    settings
        The page's first settings (colormap, range, box, axes, ... from the command line).
    port
        The port on 127.0.0.1; 0 picks a free one.
    browser
        Open the page in a web browser: True always, False never, None when
        standard output is a terminal.
    say
        Where the page's address is announced.
    """
    server = DigitizeServer(Session(figure, folder, fixed, settings), port)
    try:
        say(f"open {server.url} to correct {figure} (saves go to {folder}; Ctrl-C stops)")
        if browser or (browser is None and sys.stdout.isatty()):
            webbrowser.open(server.url)
        server.serve_forever()
    except KeyboardInterrupt:  # how the user stops it: not a failure
        say("stopped")
    finally:
        server.server_close()
