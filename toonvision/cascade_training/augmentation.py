"""Many training windows from a few marked faces: the jitter a detector meets in real frames.

Each example (a face crop of any size, BGR or BGRA) is drawn at twice the window, then every variant gets
a small rotation, scale and shift, maybe a mirror image, maybe a prop in front of one edge (a hand, a leaf,
a cup: faces in episodes are often partly hidden, and a few marked faces rarely show it), thicker or
thinner ink lines, a shading ramp, brightness and contrast changes, blur, noise and JPEG compression, and
is shrunk to the window in gray, as the detector sees it. BGRA examples are warped with their transparency
and composited on varied backgrounds (patches of the negatives); BGR crops carry their own background and
are warped with reflected borders. Deterministic for a generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentSettings:
    """Strengths of the jitter: rotation in degrees, scale and shift as shares of the face, and how often
    each degradation is applied."""

    rotation_deg: float = 10.0
    scale: float = 0.08  # side multiplied by 1 +- this
    shift: float = 0.06  # centre moved by up to this share of the side, each way
    brightness: float = 35.0  # gray levels added, +-
    contrast: float = 0.3  # multiplied by 1 +- this about the mean
    occlude_p: float = 0.25  # a solid, outlined shape over one edge of the face...
    occlude_depth: float = 0.35  # ...reaching in from that edge by up to this share of the side
    ink_p: float = 0.4  # outlines drawn thicker (erode) or thinner (dilate)
    ramp: float = 30.0  # a linear shading ramp across the face, gray levels end to end
    blur_p: float = 0.3
    noise_p: float = 0.25
    jpeg_p: float = 0.3
    jpeg_quality: tuple[int, int] = (30, 90)


DEFAULT_SETTINGS = AugmentSettings()


def augment_examples(
    examples: list[np.ndarray],
    per_example: int,
    window: int,
    rng: np.random.Generator,
    backgrounds: list[np.ndarray],
    mirror: bool,
    settings: AugmentSettings = DEFAULT_SETTINGS,
) -> np.ndarray:
    """N x window x window uint8 gray patches: each example as it is (and mirrored when allowed), then
    per_example jittered variants of it (mirrored at random when allowed)."""
    work = 2 * window
    patches = []
    for example in examples:
        base = cv2.resize(example, (work, work), interpolation=_interpolation(example, work))
        plain = _flatten(base, rng, backgrounds)
        variants = [plain, plain[:, ::-1]] if mirror else [plain]
        for _ in range(per_example):
            variants.append(jitter(base, rng, backgrounds, mirror, settings))
        patches += [cv2.resize(_gray(v), (window, window), interpolation=cv2.INTER_AREA) for v in variants]
    return np.stack(patches)


def jitter(image: np.ndarray, rng: np.random.Generator, backgrounds: list[np.ndarray], mirror: bool,
           settings: AugmentSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """One jittered BGR variant of a square BGR or BGRA image (same size)."""
    size = image.shape[0]
    angle = rng.uniform(-settings.rotation_deg, settings.rotation_deg)
    scale = 1.0 + rng.uniform(-settings.scale, settings.scale)
    centre = (size / 2.0, size / 2.0)
    m = cv2.getRotationMatrix2D(centre, angle, scale)
    m[:, 2] += rng.uniform(-settings.shift, settings.shift, 2) * size
    if image.shape[2] == 4:
        warped = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=(0, 0, 0, 0))
        out = _flatten(warped, rng, backgrounds)
    else:
        out = cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    if mirror and rng.random() < 0.5:
        out = out[:, ::-1]
    if rng.random() < settings.occlude_p:
        out = occlude(out, rng, settings.occlude_depth)
    if rng.random() < settings.ink_p:
        kernel = np.ones((int(rng.integers(2, 4)),) * 2, np.uint8)
        out = cv2.erode(out, kernel) if rng.random() < 0.6 else cv2.dilate(out, kernel)
    out = out.astype(np.float32)
    if settings.ramp:
        theta = rng.uniform(0, 2 * np.pi)
        t = np.linspace(-0.5, 0.5, size, dtype=np.float32)
        ramp = np.cos(theta) * t[None, :] + np.sin(theta) * t[:, None]
        out += (rng.uniform(-settings.ramp, settings.ramp) * ramp)[..., None]
    mean = out.mean()
    out = (out - mean) * (1.0 + rng.uniform(-settings.contrast, settings.contrast)) + mean
    out += rng.uniform(-settings.brightness, settings.brightness)
    if rng.random() < settings.blur_p:
        out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.5, 1.5)))
    if rng.random() < settings.noise_p:
        out += rng.normal(0.0, float(rng.uniform(2.0, 8.0)), out.shape).astype(np.float32)
    out = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < settings.jpeg_p:
        quality = int(rng.integers(settings.jpeg_quality[0], settings.jpeg_quality[1] + 1))
        ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return np.ascontiguousarray(out)


def occlude(image: np.ndarray, rng: np.random.Generator, depth: float) -> np.ndarray:
    """A copy of a square BGR image with a prop in front of one edge: a filled ellipse of a random colour with an
    ink outline, centred outside that edge and reaching in by up to `depth` of the side."""
    size = image.shape[0]
    out = np.ascontiguousarray(image).copy()
    radius = size * rng.uniform(0.25, 0.45)
    reach = size * rng.uniform(0.08, depth)
    along = size * rng.uniform(0.15, 0.85)
    edge = int(rng.integers(4))  # left, right, top, bottom
    inward = reach - radius
    centre = [(inward, along), (size - inward, along), (along, inward), (along, size - inward)][edge]
    axes = (int(radius), int(radius * rng.uniform(0.6, 1.3)))
    angle = float(rng.uniform(0, 180))
    colour = tuple(int(c) for c in rng.integers(0, 256, 3))
    centre = (int(round(centre[0])), int(round(centre[1])))
    cv2.ellipse(out, centre, axes, angle, 0, 360, colour, -1, cv2.LINE_AA)
    cv2.ellipse(out, centre, axes, angle, 0, 360, (25, 25, 25), max(1, size // 32), cv2.LINE_AA)
    return out


def background_patch(rng: np.random.Generator, backgrounds: list[np.ndarray], size: int) -> np.ndarray:
    """A size x size BGR patch cut at a random place and scale of a random background (a flat mid gray
    when there are none)."""
    if not backgrounds:
        return np.full((size, size, 3), 128, np.uint8)
    image = backgrounds[int(rng.integers(len(backgrounds)))]
    h, w = image.shape[:2]
    side = int(min(h, w) * rng.uniform(0.15, 1.0))
    side = max(1, side)
    x, y = int(rng.integers(w - side + 1)), int(rng.integers(h - side + 1))
    patch = image[y : y + side, x : x + side]
    if patch.ndim == 2:
        patch = cv2.cvtColor(patch, cv2.COLOR_GRAY2BGR)
    return cv2.resize(patch, (size, size), interpolation=_interpolation(patch, size))


def composite(bgra: np.ndarray, background: np.ndarray) -> np.ndarray:
    """bgra (straight alpha) over a BGR background of the same size."""
    alpha = bgra[..., 3:4].astype(np.float32) / 255.0
    out = bgra[..., :3].astype(np.float32) * alpha + background.astype(np.float32) * (1.0 - alpha)
    return (out + 0.5).astype(np.uint8)


def _flatten(image: np.ndarray, rng, backgrounds) -> np.ndarray:
    """BGR as it is; BGRA composited on a background patch."""
    if image.shape[2] == 3:
        return image
    return composite(image, background_patch(rng, backgrounds, image.shape[0]))


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2GRAY)


def _interpolation(image: np.ndarray, size: int) -> int:
    return cv2.INTER_AREA if min(image.shape[:2]) > size else cv2.INTER_LINEAR
