"""Face specs (who, which emotion, which designs, which pose) and rendering a head on transparency."""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from ..emotions import EMOTIONS
from .anatomy import draw_head
from .cast import Identity
from .expressions import Expression, draw_expression, sample_expression
from .painter import BoundsPainter, Painter
from .styles import DEFAULT_STYLE, styled_identity

MAX_ROTATION_DEG = 20.0
MAX_YAW = 0.35  # radians, about 20 degrees


@dataclass
class FaceSpec:
    """Everything that defines one drawn face: the character's identity (species, head shape,
    palette, style), the emotion's designs and parameters, and the pose."""

    character: str
    emotion: str
    identity: Identity
    expression: Expression
    rotation: float  # in-plane, degrees, clockwise on screen
    yaw: float  # radians; features slide sideways and the far side squashes
    style: str = DEFAULT_STYLE  # the drawing style (styles.STYLES) the identity was drawn in

    @property
    def species(self) -> str:
        return self.identity.species


def _check_emotion(emotion: str) -> None:
    if emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {emotion!r}; expected one of {', '.join(EMOTIONS)}")


def sample_face_spec(
    rng: np.random.Generator, character: str, emotion: str, species: str | None = None, style: str = DEFAULT_STYLE
) -> FaceSpec:
    """A random face of a cast member (slug) or a random extra ('extras', of any species or the one given)
    showing emotion, drawn in ``style`` (styles.STYLES)."""
    _check_emotion(emotion)
    identity = styled_identity(rng, character, species, style)
    expression = sample_expression(rng, identity, emotion)
    rotation = float(np.clip(rng.normal(0.0, 8.0), -MAX_ROTATION_DEG, MAX_ROTATION_DEG))
    yaw = float(rng.uniform(-MAX_YAW, MAX_YAW)) if rng.random() < 0.75 else 0.0
    return FaceSpec(character, emotion, identity, expression, rotation, yaw, style)


def with_emotion(spec: FaceSpec, emotion: str, rng: np.random.Generator) -> FaceSpec:
    """The same character, style and pose showing a different emotion (freshly chosen designs)."""
    _check_emotion(emotion)
    return replace(spec, emotion=emotion, expression=sample_expression(rng, spec.identity, emotion))


def paint_face(canvas: np.ndarray, spec: FaceSpec, centre, scale: float, alpha: np.ndarray | None = None) -> None:
    """Draw spec's head onto canvas (in place) with its centre at pixel centre, scale px per face unit."""
    p = Painter(canvas, centre, scale, spec.rotation, spec.yaw, spec.identity.head.rx, alpha)
    draw_head(p, spec.identity)
    draw_expression(p, spec.identity, spec.expression)


def face_extent(spec: FaceSpec) -> tuple[np.ndarray, np.ndarray]:
    """Top-left and bottom-right corners (posed face units, head centre at 0) of everything drawn."""
    b = BoundsPainter(spec.rotation, spec.yaw, spec.identity.head.rx)
    draw_head(b, spec.identity)
    draw_expression(b, spec.identity, spec.expression)
    return b.lo, b.hi


def supersampling(size: int) -> int:
    """How many times larger than the output to draw, so small faces come out clean."""
    return 4 if size <= 64 else 3 if size <= 128 else 2 if size <= 384 else 1


def render_face(spec: FaceSpec, size: int) -> np.ndarray:
    """The head alone, fitted into a size x size square: uint8 BGRA with straight alpha,
    transparent around the character."""
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    big = size * supersampling(size)
    lo, hi = face_extent(spec)
    scale = big * 0.96 / float(np.max(hi - lo))  # a 2% margin keeps the corners clear
    centre = big / 2.0 - scale * (lo + hi) / 2.0
    canvas = np.zeros((big, big, 3), np.uint8)
    alpha = np.zeros((big, big), np.uint8)
    paint_face(canvas, spec, centre, scale, alpha)
    bgra = cv2.resize(np.dstack([canvas, alpha]), (size, size), interpolation=cv2.INTER_AREA)
    return _unpremultiply(bgra)


def _unpremultiply(bgra: np.ndarray) -> np.ndarray:
    """Anti-aliased edges were drawn over black, so their colour is premultiplied: undo that."""
    a = bgra[..., 3:4].astype(np.float32)
    colour = bgra[..., :3].astype(np.float32) * 255.0 / np.maximum(a, 1.0)
    bgra[..., :3] = np.where(a > 0, np.clip(colour + 0.5, 0, 255), 0).astype(np.uint8)
    return bgra
