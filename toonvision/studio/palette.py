"""Colours for studio characters: HSV sampling and the named palette every drawer reads from."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

BGR = tuple[int, int, int]

WHITE: BGR = (255, 255, 255)
INK: BGR = (25, 20, 20)


def hsv(h_deg: float, s: float, v: float) -> BGR:
    """HSV (hue in degrees, s and v in 0..1) -> a BGR tuple of ints."""
    r, g, b = colorsys.hsv_to_rgb((h_deg % 360.0) / 360.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return int(round(b * 255)), int(round(g * 255)), int(round(r * 255))


def to_hsv(colour: BGR) -> tuple[float, float, float]:
    """A BGR tuple -> (hue in degrees, s, v)."""
    b, g, r = (c / 255.0 for c in colour)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    return h * 360.0, s, v


def shade(colour: BGR, factor: float) -> BGR:
    """Darken (factor < 1) or lighten towards white (factor > 1) a colour."""
    if factor <= 1.0:
        return tuple(int(round(c * factor)) for c in colour)
    t = min(factor - 1.0, 1.0)
    return tuple(int(round(c + (255 - c) * t)) for c in colour)


def mix(a: BGR, b: BGR, t: float) -> BGR:
    """Linear blend from a (t=0) to b (t=1)."""
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))


def luma(colour: BGR) -> float:
    """Perceived brightness 0..255."""
    b, g, r = colour
    return 0.114 * b + 0.587 * g + 0.299 * r


def contrasting_ink(background: BGR, ink: BGR = INK) -> BGR:
    """The ink colour for lines drawn on background: the dark ink, or a light one on dark fur."""
    return ink if luma(background) > 95 else (235, 235, 240)


@dataclass
class Palette:
    """Every colour one character uses, by role."""

    fur: BGR
    fur_dark: BGR  # cel shadow, stripes, spots
    fur_light: BGR  # highlights
    muzzle: BGR  # lighter face areas: muzzle, cheeks, face mask
    inner_ear: BGR
    nose: BGR
    accent: BGR  # bills, snouts, horns, antennae balls
    hair: BGR
    iris: BGR
    sclera: BGR
    outline: BGR
    ink: BGR  # mouth lines (contrasting with the face under the mouth)
    brow: BGR  # brows (contrasting with the fur above the eyes)
    lid: BGR  # closed eyes and lid lines (contrasting with the fur around the eyes)
    mouth: BGR  # inside of an open mouth
    tongue: BGR
    teeth: BGR
    blush: BGR
    tear: BGR
