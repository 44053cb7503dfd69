"""What surrounds a face in a crop: backgrounds, the character's body, props in front of the face,
and the camera/compression degradations applied to the finished crop."""

from __future__ import annotations

import cv2
import numpy as np

from . import geometry as g
from .painter import STILL, Painter
from .palette import INK, hsv, shade

_AA = cv2.LINE_AA


def _colour(rng, s=(0.2, 0.8), v=(0.4, 1.0)):
    return hsv(rng.uniform(0, 360), rng.uniform(*s), rng.uniform(*v))


# -- backgrounds ---------------------------------------------------------------------------------
def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A size x size BGR background: flat, gradient, noise texture, pattern or simple scenery."""
    kind = rng.choice(["flat", "gradient", "noise", "pattern", "scenery"], p=[0.2, 0.25, 0.15, 0.1, 0.3])
    return {"flat": _flat, "gradient": _gradient, "noise": _noise, "pattern": _pattern, "scenery": _scenery}[kind](
        rng, size
    )


def _flat(rng, size):
    return np.full((size, size, 3), _colour(rng), np.uint8)


def _gradient(rng, size):
    corners = np.array([[_colour(rng), _colour(rng)], [_colour(rng), _colour(rng)]], np.uint8)
    if rng.random() < 0.5:  # a plain two-colour vertical gradient
        corners[0, 1], corners[1, 1] = corners[0, 0], corners[1, 0]
    return cv2.resize(corners, (size, size), interpolation=cv2.INTER_LINEAR)


def _noise(rng, size):
    cells = int(rng.integers(3, 24))
    base = np.array(_colour(rng), np.float32)
    noise = rng.normal(0.0, rng.uniform(15, 60), (cells, cells, 1)).astype(np.float32)
    tint = rng.uniform(0.6, 1.0, (1, 1, 3)).astype(np.float32)
    small = np.clip(base + noise * tint, 0, 255).astype(np.uint8)
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)


def _pattern(rng, size):
    img = _flat(rng, size)
    other = _colour(rng)
    step = int(size * rng.uniform(0.08, 0.25))
    if rng.random() < 0.5:  # stripes
        for x in range(0, 2 * size, 2 * step):
            cv2.line(img, (x, 0), (x - size, size), other, max(1, step // 2), _AA)
    else:  # polka dots
        for y in range(step // 2, size, step):
            for x in range(step // 2 + (y // step % 2) * step // 2, size, step):
                cv2.circle(img, (x, y), max(1, step // 4), other, -1, _AA)
    return img


def _scenery(rng, size):
    """Sky, ground, hills, a sun, trees or a wall with a window: the kind of set cartoons use."""
    sky = np.array(
        [
            [hsv(rng.uniform(190, 230), rng.uniform(0.2, 0.6), rng.uniform(0.8, 1.0))],
            [hsv(rng.uniform(180, 220), rng.uniform(0.05, 0.3), 1.0)],
        ],
        np.uint8,
    )
    img = cv2.resize(sky, (size, size), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.35:  # indoors: a wall and a window or picture frame
        img[:] = _colour(rng, (0.1, 0.5), (0.6, 0.95))
        x0, y0 = (rng.uniform(0, 0.6, 2) * size).astype(int)
        w, h = (rng.uniform(0.25, 0.5, 2) * size).astype(int)
        cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), shade(_colour(rng), 0.6), -1, _AA)
        cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), INK, max(1, size // 60), _AA)
    else:
        horizon = int(size * rng.uniform(0.45, 0.85))
        ground = hsv(rng.uniform(70, 140), rng.uniform(0.4, 0.8), rng.uniform(0.4, 0.8))
        for _ in range(int(rng.integers(0, 3))):
            cx, r = int(rng.uniform(0, size)), int(size * rng.uniform(0.2, 0.5))
            cv2.ellipse(img, (cx, horizon), (r, int(r * 0.6)), 0, 180, 360, shade(ground, 1.15), -1, _AA)
        cv2.rectangle(img, (0, horizon), (size, size), ground, -1)
        if rng.random() < 0.4:
            cv2.circle(img, tuple(int(v) for v in rng.uniform(0, size, 2)), int(size * 0.1), (80, 220, 255), -1, _AA)
        for _ in range(int(rng.integers(0, 3))):
            x, top = int(rng.uniform(0, size)), int(horizon - size * rng.uniform(0.15, 0.4))
            cv2.rectangle(img, (x - size // 40, top), (x + size // 40, horizon), (40, 70, 110), -1)
            cv2.circle(
                img, (x, top), int(size * rng.uniform(0.08, 0.15)), hsv(rng.uniform(90, 140), 0.6, 0.55), -1, _AA
            )
    return img


# -- around the head -------------------------------------------------------------------------------
def draw_body(p: Painter, rng: np.random.Generator, fur, ry: float) -> None:
    """The character's shoulders or clothes under the head (a crop from a frame usually shows some)."""
    colour = fur if rng.random() < 0.5 else _colour(rng)
    width = rng.uniform(0.7, 1.2)
    body = g.rounded_rect(rng.uniform(-0.2, 0.2), ry + 0.8, width, 0.9, 0.5)
    p.fill(body, colour, INK, 0.04 * (rng.random() < 0.7), warp=STILL)


def draw_occluder(p: Painter, rng: np.random.Generator, rx: float, ry: float) -> None:
    """A prop in front of part of the face: a paw, a leaf, a sign or a bush.

    It sits off to a side or a corner of the head and is small enough to cover at most one eye or
    one corner of the mouth, so the emotion stays readable.
    """
    # Directions (screen angles, y down) that avoid straight above and straight below the face.
    angle = np.deg2rad(rng.choice([0, 180, 35, 145, -35, -145]) + rng.uniform(-15, 15))
    dist = rng.uniform(0.95, 1.2)
    cx, cy = np.cos(angle) * rx * dist, np.sin(angle) * ry * dist
    r = rng.uniform(0.3, 0.5)
    colour = _colour(rng, (0.3, 0.9), (0.4, 0.95))
    outline = INK if rng.random() < 0.7 else None
    kind = rng.choice(["paw", "leaf", "sign", "bush"])
    if kind == "paw":
        p.fill(g.circle(cx, cy, r * 0.8), colour, outline, 0.035, warp=STILL)
        for k in range(4):
            a = angle + np.pi + (k - 1.5) * 0.45
            p.fill(
                g.circle(cx + np.cos(a) * r * 0.85, cy + np.sin(a) * r * 0.85, r * 0.25),
                colour,
                outline,
                0.03,
                warp=STILL,
            )
    elif kind == "leaf":
        p.fill(
            g.ellipse(cx, cy, r * 1.1, r * 0.5, angle=rng.uniform(0, np.pi)),
            hsv(rng.uniform(80, 140), 0.7, 0.6),
            outline,
            0.03,
            warp=STILL,
        )
    elif kind == "sign":
        p.fill(g.rounded_rect(cx, cy, r, r * 0.7, 0.05), colour, outline, 0.04, warp=STILL)
    else:
        green = hsv(rng.uniform(80, 140), rng.uniform(0.5, 0.8), rng.uniform(0.35, 0.7))
        for k in range(5):
            a = k * 2 * np.pi / 5
            p.fill(
                g.circle(cx + np.cos(a) * r * 0.45, cy + np.sin(a) * r * 0.45, r * 0.5),
                green,
                outline,
                0.03,
                warp=STILL,
            )


# -- camera and compression -----------------------------------------------------------------------
def degrade(rng: np.random.Generator, img: np.ndarray) -> np.ndarray:
    """Moderate, emotion-preserving damage: low resolution, blur, colour and exposure shifts,
    greyscale, noise and JPEG artefacts, each applied at random."""
    size = img.shape[0]
    softened = rng.random() < 0.4
    if softened and rng.random() < 0.45:  # a small face upscaled by the detector
        small = max(8, int(size * rng.uniform(0.6, 0.85)))
        img = cv2.resize(
            cv2.resize(img, (small, small), interpolation=cv2.INTER_AREA), (size, size), interpolation=cv2.INTER_LINEAR
        )
    elif softened:  # out of focus or motion-softened; never on top of upscaling
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.35, 0.8) * size / 64)
    if rng.random() < 0.65:
        gain = rng.uniform(0.7, 1.3) * (rng.uniform(0.88, 1.12, 3) if rng.random() < 0.4 else np.ones(3))
        img = np.clip(img.astype(np.float32) * gain.astype(np.float32) + rng.uniform(-35, 35), 0, 255).astype(np.uint8)
    if rng.random() < 0.06:
        img = cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if rng.random() < 0.3:
        noise = rng.normal(0.0, rng.uniform(2, 10), img.shape).astype(np.float32)
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.35:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return img
