"""Generic clutter: negative images for a character's detector when nobody gave any.

Flat and graded fills, outlined shapes, stripes, scribbles, text-like marks and face-like blobs (an
ellipse with two eyes and a mouth, in any colours), drawn with plain OpenCV primitives in the flat,
outlined style of cartoons. Nothing here comes from the studio (toonvision/studio is test data), so a
cascade trained on these negatives has never seen a studio set or extra. Deterministic for a seed.
"""

from __future__ import annotations

import cv2
import numpy as np

AA = cv2.LINE_AA


def clutter_images(seed: int, count: int, width: int = 640, height: int = 360) -> list[np.ndarray]:
    """count BGR clutter images, the k-th drawn from (seed, k)."""
    return [clutter_image(np.random.default_rng([seed, 41, k]), width, height) for k in range(count)]


def clutter_image(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """One width x height BGR image of cartoon-style clutter."""
    img = _fill(rng, width, height)
    scale = min(width, height)
    for _ in range(int(rng.integers(12, 30))):
        kind = rng.choice(["shape", "stripes", "scribble", "marks", "blob"], p=[0.5, 0.1, 0.15, 0.1, 0.15])
        size = float(scale * rng.uniform(0.04, 0.35))
        centre = (float(rng.uniform(0, width)), float(rng.uniform(0, height)))
        if kind == "shape":
            _shape(img, rng, centre, size)
        elif kind == "stripes":
            _stripes(img, rng, centre, size)
        elif kind == "scribble":
            _scribble(img, rng, centre, size)
        elif kind == "marks":
            _marks(img, rng, centre, size)
        else:
            _blob_face(img, rng, centre, size)
    if rng.random() < 0.5:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.4, 1.2)))
    if rng.random() < 0.4:
        noise = rng.normal(0.0, float(rng.uniform(2, 7)), img.shape)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return img


def _colour(rng) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def _ink(rng) -> tuple[int, int, int]:
    v = int(rng.integers(0, 70))
    return (v, v, v) if rng.random() < 0.7 else _colour(rng)


def _fill(rng, width: int, height: int) -> np.ndarray:
    """A flat colour, a vertical or horizontal gradient, or big colour fields."""
    a, b = np.array(_colour(rng), np.float32), np.array(_colour(rng), np.float32)
    kind = rng.integers(3)
    if kind == 0:
        return np.full((height, width, 3), a, np.uint8)
    if kind == 1:
        t = np.linspace(0, 1, height if rng.random() < 0.7 else width, dtype=np.float32)[:, None]
        ramp = a * (1 - t) + b * t
        img = np.repeat(ramp[:, None, :], width, 1) if len(t) == height else np.repeat(ramp[None, :, :], height, 0)
        return img.astype(np.uint8)
    img = np.full((height, width, 3), a, np.uint8)
    for _ in range(int(rng.integers(2, 6))):
        x0, y0 = int(rng.integers(width)), int(rng.integers(height))
        cv2.rectangle(img, (x0, y0), (x0 + int(rng.integers(width // 2)), y0 + int(rng.integers(height // 2))),
                      _colour(rng), -1)
    return img


def _shape(img, rng, centre, size) -> None:
    colour, ink = _colour(rng), _ink(rng)
    line = int(rng.integers(1, 4))
    c = (int(centre[0]), int(centre[1]))
    kind = rng.integers(4)
    if kind == 0:
        axes = (int(size), int(size * rng.uniform(0.4, 1.0)))
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(img, c, axes, angle, 0, 360, colour, -1, AA)
        cv2.ellipse(img, c, axes, angle, 0, 360, ink, line, AA)
    elif kind == 1:
        w, h = int(size), int(size * rng.uniform(0.3, 1.5))
        cv2.rectangle(img, (c[0] - w, c[1] - h), (c[0] + w, c[1] + h), colour, -1)
        cv2.rectangle(img, (c[0] - w, c[1] - h), (c[0] + w, c[1] + h), ink, line)
    else:
        n = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = size * rng.uniform(0.5, 1.0, n)
        pts = np.stack([c[0] + radii * np.cos(angles), c[1] + radii * np.sin(angles)], 1).astype(np.int32)
        cv2.fillPoly(img, [pts], colour, AA)
        cv2.polylines(img, [pts], True, ink, line, AA)


def _stripes(img, rng, centre, size) -> None:
    colour = _colour(rng)
    step = max(3, int(size / rng.uniform(3, 8)))
    x0, y0 = int(centre[0] - size), int(centre[1] - size)
    vertical = rng.random() < 0.5
    for k in range(0, int(2 * size), step * 2):
        if vertical:
            cv2.rectangle(img, (x0 + k, y0), (x0 + k + step, y0 + int(2 * size)), colour, -1)
        else:
            cv2.rectangle(img, (x0, y0 + k), (x0 + int(2 * size), y0 + k + step), colour, -1)


def _scribble(img, rng, centre, size) -> None:
    n = int(rng.integers(3, 9))
    pts = (np.array(centre) + rng.normal(0, size / 2, (n, 2))).astype(np.int32)
    cv2.polylines(img, [pts], False, _ink(rng), int(rng.integers(1, 5)), AA)


def _marks(img, rng, centre, size) -> None:
    """Rows of short strokes and dots, like lettering or leaves."""
    ink = _ink(rng)
    for _ in range(int(rng.integers(4, 14))):
        x = int(centre[0] + rng.uniform(-size, size))
        y = int(centre[1] + rng.uniform(-size / 3, size / 3))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), max(1, int(size * rng.uniform(0.03, 0.1))), ink, -1, AA)
        else:
            cv2.line(img, (x, y), (x + int(rng.uniform(-8, 8)), y + int(rng.uniform(4, 14))), ink, 2, AA)


def _blob_face(img, rng, centre, size) -> None:
    """Something face-like but of no one: a round blob with two eyes and a mouth."""
    head, ink = _colour(rng), _ink(rng)
    c = (int(centre[0]), int(centre[1]))
    axes = (int(size * 0.6), int(size * rng.uniform(0.45, 0.75)))
    cv2.ellipse(img, c, axes, float(rng.uniform(-20, 20)), 0, 360, head, -1, AA)
    cv2.ellipse(img, c, axes, 0, 0, 360, ink, int(rng.integers(1, 4)), AA)
    dx, eye = int(axes[0] * rng.uniform(0.25, 0.5)), max(1, int(size * rng.uniform(0.04, 0.12)))
    for sx in (-1, 1):
        if rng.random() < 0.5:
            cv2.circle(img, (c[0] + sx * dx, c[1] - int(axes[1] * 0.2)), eye * 2, (250, 250, 250), -1, AA)
        cv2.circle(img, (c[0] + sx * dx, c[1] - int(axes[1] * 0.2)), eye, ink, -1, AA)
    w = int(axes[0] * rng.uniform(0.2, 0.5))
    cv2.ellipse(img, (c[0], c[1] + int(axes[1] * 0.35)), (w, max(1, w // 2)), 0, 0, 180, ink, 2, AA)
