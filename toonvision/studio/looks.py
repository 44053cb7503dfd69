"""Other artists' hands: a finished studio drawing redrawn in a look the shipped weights never saw in training.

The studio's cast and extras are painted one way (filled colours, soft shading, ink outlines), and the shipped
emotion weights learnt that way only. A look here takes a painted face and redraws it the way another studio
might, so a test or a benchmark can measure how the CNN reads a style it was not trained on, and how much a
few labelled faces of it teach it (BENCHMARKS.md, "Adapting to a new style"):

- ``line-art``: a pencil sketch: only the lines, dark on paper, no fill;
- ``poster``: flat screen-print colours (three levels a channel) under heavy black outlines.

Looks are applied to the supersampled canvas, before it is shrunk to the sample's size, so lines stay clean.
"""

from __future__ import annotations

import cv2
import numpy as np

PAPER = (232, 240, 246)  # BGR: warm off-white
PENCIL = (60, 58, 55)


def line_art(canvas: np.ndarray) -> np.ndarray:
    """Edges of the drawing as pencil lines on paper."""
    gray = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 40, 120)
    width = max(1, canvas.shape[0] // 96)
    lines = cv2.dilate(edges, np.ones((width, width), np.uint8)) > 0
    out = np.empty_like(canvas)
    out[:] = PAPER
    out[lines] = PENCIL
    return out


def poster(canvas: np.ndarray) -> np.ndarray:
    """Three levels a colour channel, and thick black outlines around every shape."""
    flat = (np.round(canvas.astype(np.float32) / 127.5) * 127.5).clip(0, 255).astype(np.uint8)
    gray = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(gray, 60, 160)
    width = max(2, canvas.shape[0] // 48)
    flat[cv2.dilate(edges, np.ones((width, width), np.uint8)) > 0] = (15, 15, 15)
    return flat


LOOKS = {"studio": None, "line-art": line_art, "poster": poster}


def apply_look(canvas: np.ndarray, look: str) -> np.ndarray:
    """The canvas redrawn in ``look`` ("studio": as painted)."""
    if look not in LOOKS:
        raise ValueError(f"unknown look {look!r}; expected one of {', '.join(LOOKS)}")
    redraw = LOOKS[look]
    return canvas if redraw is None else redraw(canvas)
