"""The figure's paper: the colour of its background, from its border, of any colour.

A figure is drawn on paper that surrounds its axes: white by default, black
with matplotlib's ``dark_background`` style, grey or tinted in other themes.
The paper is the colour that covers most of the figure's border (its outer
ring of pixels); a bare render of a field (``plt.imsave``) has no such colour
and keeps white as its notional paper, which then matters only where a
colour of the map is white. Ink (frame, ticks, text) is the opposite end of
the grey scale: dark on light paper, light on dark paper.

Examples
--------
>>> import numpy as np
>>> page = np.zeros((20, 30, 3), np.uint8)  # black paper
>>> page[5:15, 5:25] = (200, 40, 40)
>>> paper_colour(page).tolist()
[0, 0, 0]
>>> ramp = np.repeat(np.arange(0, 240, 8, dtype=np.uint8)[None, :, None], 3, axis=2)
>>> paper_colour(np.repeat(ramp, 20, axis=0)).tolist()  # no one colour around it: white, as for a bare render
[255, 255, 255]
"""

from __future__ import annotations

import numpy as np

from .colormap import PAGE

__all__ = ["blank_colors", "ink_colors", "is_light", "paper_colour", "paper_distance"]

#: a colour other than white is the paper when at least this share of the border is within PAPER_SPREAD of it
#: (white keeps the rule it always had: half the border, see mask._paper_background)
BORDER_SHARE = 0.8
#: largest per-channel difference of a border pixel from the paper colour (JPEG noise on a flat margin)
PAPER_SPREAD = 8
#: ink colours: every channel at most INK_LEVEL on light paper, at least 255 - INK_LEVEL on dark paper
#: (JPEG blurs a black line's chroma, so there is no hue test)
INK_LEVEL = 96
#: a colour within this of the paper in every channel is blank paper (8-bit rounding of the page colour)
BLANK = 2


def _border(rgb: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]])


def paper_colour(rgb: np.ndarray) -> np.ndarray:
    """The figure's paper colour, uint8 ``(3,)``: the border's own colour if most of it has one, else white.

    The most common colour of the border is the paper when ``BORDER_SHARE``
    of the border lies within ``PAPER_SPREAD`` of it per channel. White
    (within 2 per channel) counts as white: every white figure reads exactly
    as it did before backgrounds of other colours were taken into account.
    """
    border = _border(np.asarray(rgb))
    if border.size == 0:
        return PAGE.copy()
    codes = (border[:, 0].astype(np.uint32) << 16) | (border[:, 1].astype(np.uint32) << 8) | border[:, 2]
    unique, counts = np.unique(codes, return_counts=True)
    top = unique[np.argmax(counts)]
    colour = np.array([(top >> 16) & 255, (top >> 8) & 255, top & 255], np.uint8)
    if np.abs(colour.astype(np.int16) - PAGE).max() <= BLANK:
        return PAGE.copy()
    near = np.abs(border.astype(np.int16) - colour).max(axis=1) <= PAPER_SPREAD
    return colour if near.mean() >= BORDER_SHARE else PAGE.copy()


def is_light(paper: np.ndarray) -> bool:
    """True for paper on which ink is dark (mean channel at least 128)."""
    return float(np.mean(paper)) >= 128


def ink_colors(colors: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Per colour ``(K, 3)`` uint8: ink on this paper (dark on light paper, light on dark paper).

    Examples
    --------
    >>> c = np.array([[0, 0, 0], [250, 250, 250], [90, 20, 20]], np.uint8)
    >>> ink_colors(c, PAGE).tolist(), ink_colors(c, np.zeros(3, np.uint8)).tolist()
    ([True, False, True], [False, True, False])
    """
    if is_light(paper):
        return colors.max(axis=1) <= INK_LEVEL
    return colors.min(axis=1) >= 255 - INK_LEVEL


def paper_distance(colors: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Per colour ``(K, 3)`` uint8: its Euclidean RGB distance to ``paper`` (float32), as the colour model's.

    Examples
    --------
    >>> paper_distance(np.array([[255, 255, 255], [252, 251, 255]], np.uint8), PAGE).tolist()
    [0.0, 5.0]
    """
    return np.sqrt(((colors.astype(np.float32) - paper) ** 2).sum(axis=1))


def blank_colors(colors: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Per colour ``(K, 3)`` uint8: blank paper, within ``BLANK`` of ``paper`` in every channel.

    Examples
    --------
    >>> blank_colors(np.array([[255, 255, 255], [253, 255, 254], [250, 255, 255]], np.uint8), PAGE).tolist()
    [True, True, False]
    """
    return np.abs(colors.astype(np.int16) - paper).max(axis=1) <= BLANK
