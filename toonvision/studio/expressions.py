"""The emotion-bearing parts of a face: eyes, brows, mouth and cartoon extras (tears, sweat, ...).

Each emotion has several designs, but every design keeps the emotion's defining cues strong enough
to read at 64x64 pixels:
  angry    symmetric V brows low at the centre, lids slanting down inwards, teeth or a tight frown;
  disgust  asymmetry: one squinting eye and lowered brow, the other brow raised, a sneer or tongue;
  fear     brows raised and pulled together, wide white eyes with tiny pupils, a wobbly mouth;
  happy    an upturned smile or open laugh, ^ ^ or smiling eyes, gently raised brows;
  neutral  flat mouth, relaxed level brows, plain eyes;
  sad      brows raised at the inner ends sloping down outwards, droopy eyes, a downturned mouth;
  surprise high arched brows, big round eyes with big pupils, a round O mouth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..emotions import EMOTIONS
from . import geometry as g
from .anatomy import SIDES
from .cast import Identity
from .painter import SNOUT, Painter
from .palette import luma, mix, shade


@dataclass
class EyeSpec:
    """One eye. Lids are fractions of the eye's height hidden from the top (at the inner and outer
    corners) and from the bottom."""

    design: str = "open"  # open, closed_up (^), closed_down (u), squeeze (> <), squint (-)
    scale: float = 1.0
    pupil: float = 0.6  # iris radius as a fraction of the eye's half-width
    look: tuple[float, float] = (0.0, 0.0)
    lid_in: float = 0.0
    lid_out: float = 0.0
    lower: float = 0.0
    sclera: bool | None = None  # True forces white eyes; None follows the character's eye style
    sparkle: bool = False  # extra highlights: watery eyes


@dataclass
class BrowSpec:
    """One brow, as offsets (face units, + is down) from a relaxed brow over the eye."""

    inner: float = 0.0
    outer: float = 0.0
    arch: float = -0.03
    lift: float = 0.0
    pull: float = 0.0  # slides the brow towards the nose
    wobble: float = 0.0
    weight: float = 1.0


@dataclass
class MouthSpec:
    """A mouth design and its parameters (face units)."""

    design: str
    width: float
    params: dict = field(default_factory=dict)


@dataclass
class Expression:
    """Everything about a face that depends on its emotion."""

    emotion: str
    eyes: tuple[EyeSpec, EyeSpec]
    brows: tuple[BrowSpec, BrowSpec]
    mouth: MouthSpec
    extras: tuple[str, ...] = ()
    side: float = 1.0  # which side asymmetric parts (sneer, sweat, vein) go on


def sample_expression(rng: np.random.Generator, ident: Identity, emotion: str) -> Expression:
    """Pick designs and parameters that show emotion on this character."""
    if emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {emotion!r}; expected one of {', '.join(EMOTIONS)}")
    side = float(rng.choice(SIDES))
    return _SAMPLERS[emotion](rng, ident, side)


def _u(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _choose(rng, weighted: dict[str, float]) -> str:
    names = list(weighted)
    p = np.array([weighted[n] for n in names], float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _extras(rng, chances: dict[str, float]) -> tuple[str, ...]:
    return tuple(name for name, chance in chances.items() if rng.random() < chance)


def _look(rng, amount) -> tuple[float, float]:
    return _u(rng, -amount, amount), _u(rng, -amount * 0.6, amount * 0.6)


def _width_boost(ident) -> float:
    """Wide mouths (frogs) need deeper curves for the same expression."""
    return float(np.clip(ident.layout.mouth_w / 0.24, 1.0, 1.5))


def _pair(make):
    """The same spec for both sides (a fresh object each)."""
    return make(), make()


# -- one sampler per emotion --------------------------------------------------------------------
def _neutral(rng, ident, side):
    lid = _u(rng, 0.1, 0.22) if rng.random() < 0.3 else 0.0
    eye = dict(scale=_u(rng, 0.95, 1.05), pupil=_u(rng, 0.55, 0.7), look=_look(rng, 0.3), lid_in=lid, lid_out=lid)
    brow = dict(inner=_u(rng, -0.02, 0.02), outer=_u(rng, -0.02, 0.02), arch=_u(rng, -0.05, -0.015))
    design = _choose(rng, {"flat": 0.6, "small_flat": 0.4})
    width = ident.layout.mouth_w * (_u(rng, 0.85, 1.1) if design == "flat" else _u(rng, 0.5, 0.65))
    mouth = MouthSpec(design, width, {"tilt": _u(rng, -0.015, 0.015)})
    return Expression("neutral", _pair(lambda: EyeSpec(**eye)), _pair(lambda: BrowSpec(**brow)), mouth, (), side)


def _happy(rng, ident, side):
    design = _choose(rng, {"smile": 0.4, "laugh": 0.35, "grin": 0.25})
    eyes = _choose(
        rng, {"closed_up": 0.35, "smiling": 0.25, "open": 0.25, "squeeze": 0.15 if design != "smile" else 0.0}
    )
    if eyes == "smiling":
        eye = dict(pupil=_u(rng, 0.55, 0.7), lower=_u(rng, 0.3, 0.4), look=_look(rng, 0.2))
    elif eyes == "open":
        eye = dict(pupil=_u(rng, 0.55, 0.7), look=_look(rng, 0.2), scale=_u(rng, 1.0, 1.1))
    else:
        eye = dict(design=eyes)
    brow = dict(
        inner=_u(rng, -0.04, -0.01), outer=_u(rng, -0.01, 0.02), arch=_u(rng, -0.1, -0.06), lift=_u(rng, -0.04, 0)
    )
    width = ident.layout.mouth_w * _u(rng, 1.05, 1.3)
    params = {
        "sag": _u(rng, 0.1, 0.16) * _width_boost(ident),
        "depth": _u(rng, 0.2, 0.3),
        "teeth": rng.random() < 0.4,
        "tongue": rng.random() < 0.7,
        "ticks": rng.random() < 0.3,
    }
    extras = _extras(rng, {"blush": 0.35})
    return Expression(
        "happy",
        _pair(lambda: EyeSpec(**eye)),
        _pair(lambda: BrowSpec(**brow)),
        MouthSpec(design, width, params),
        extras,
        side,
    )


def _angry(rng, ident, side):
    lid_in, lid_out = _u(rng, 0.45, 0.6), _u(rng, 0.05, 0.2)
    eye = dict(pupil=_u(rng, 0.45, 0.6), lid_in=lid_in, lid_out=lid_out, lower=_u(rng, 0.0, 0.15), look=(0.0, 0.0))
    brow = dict(
        inner=_u(rng, 0.09, 0.13),
        outer=_u(rng, -0.14, -0.1),
        arch=_u(rng, 0.0, 0.02),
        pull=_u(rng, 0.02, 0.05),
        lift=_u(rng, 0.0, 0.03),
        weight=_u(rng, 1.2, 1.5),
    )
    design = _choose(rng, {"gritted": 0.45, "shout": 0.35, "frown_tight": 0.2})
    width = ident.layout.mouth_w * (_u(rng, 0.95, 1.2) if design != "frown_tight" else _u(rng, 0.7, 0.85))
    params = {
        "bend": _u(rng, 0.05, 0.09),
        "teeth_n": int(rng.integers(3, 6)),
        "height": _u(rng, 0.08, 0.11),
        "open": _u(rng, 0.13, 0.18),
        "sag": _u(rng, -0.1, -0.07),
    }
    extras = _extras(rng, {"vein": 0.35})
    return Expression(
        "angry",
        _pair(lambda: EyeSpec(**eye)),
        _pair(lambda: BrowSpec(**brow)),
        MouthSpec(design, width, params),
        extras,
        side,
    )


def _sad(rng, ident, side):
    kind = _choose(rng, {"droopy": 0.5, "watery": 0.2, "closed": 0.3})
    if kind == "droopy":
        eye = dict(
            pupil=_u(rng, 0.5, 0.65),
            lid_in=_u(rng, 0.05, 0.15),
            lid_out=_u(rng, 0.45, 0.6),
            look=(_u(rng, -0.2, 0.2), _u(rng, 0.3, 0.5)),
        )
    elif kind == "watery":
        eye = dict(
            pupil=_u(rng, 0.7, 0.8),
            lid_in=0.05,
            lid_out=_u(rng, 0.25, 0.35),
            sparkle=True,
            look=(0.0, _u(rng, 0.1, 0.3)),
        )
    else:
        eye = dict(design="closed_down")
    brow = dict(
        inner=_u(rng, -0.17, -0.12),
        outer=_u(rng, 0.04, 0.08),
        arch=_u(rng, 0.0, 0.03),
        pull=_u(rng, 0.0, 0.03),
        lift=_u(rng, -0.02, 0.0),
    )
    design = _choose(rng, {"frown": 0.45, "wobbly_frown": 0.3, "wail": 0.25})
    width = ident.layout.mouth_w * _u(rng, 0.8, 1.0)
    params = {
        "sag": _u(rng, -0.18, -0.12) * _width_boost(ident),
        "open": _u(rng, 0.14, 0.2),
        "tongue": rng.random() < 0.4,
    }
    r = rng.random()
    extras = ("tears",) if r < 0.45 else ("stream",) if r < 0.75 or kind == "closed" else ()
    return Expression(
        "sad",
        _pair(lambda: EyeSpec(**eye)),
        _pair(lambda: BrowSpec(**brow)),
        MouthSpec(design, width, params),
        extras,
        side,
    )


def _fear(rng, ident, side):
    eye = dict(sclera=True, scale=_u(rng, 1.15, 1.3), pupil=_u(rng, 0.22, 0.3), look=_look(rng, 0.3))
    brow = dict(
        inner=_u(rng, -0.2, -0.14),
        outer=_u(rng, -0.02, 0.04),
        arch=_u(rng, 0.0, 0.02),
        pull=_u(rng, 0.03, 0.06),
        lift=_u(rng, -0.03, 0.0),
        wobble=0.015 if rng.random() < 0.4 else 0.0,
    )
    design = _choose(rng, {"wobbly": 0.6, "wavy": 0.4})
    width = ident.layout.mouth_w * _u(rng, 0.9, 1.15)
    params = {
        "amp": _u(rng, 0.025, 0.04),
        "periods": _u(rng, 3.0, 4.0),
        "open": _u(rng, 0.1, 0.15),
        "teeth": rng.random() < 0.5,
    }
    extras = _extras(rng, {"sweat": 0.6, "gloom": 0.3, "tremble": 0.3})
    return Expression(
        "fear",
        _pair(lambda: EyeSpec(**eye)),
        _pair(lambda: BrowSpec(**brow)),
        MouthSpec(design, width, params),
        extras,
        side,
    )


def _surprise(rng, ident, side):
    eye = dict(sclera=True, scale=_u(rng, 1.2, 1.4), pupil=_u(rng, 0.5, 0.65), look=(0.0, 0.0))
    brow = dict(
        inner=_u(rng, -0.12, -0.08),
        outer=_u(rng, -0.1, -0.06),
        arch=_u(rng, -0.15, -0.1),
        lift=_u(rng, -0.1, -0.06),
        weight=_u(rng, 0.85, 1.0),
    )
    design = _choose(rng, {"o": 0.55, "tall_o": 0.25, "small_o": 0.2})
    radius = {"o": _u(rng, 0.13, 0.18), "tall_o": _u(rng, 0.12, 0.15), "small_o": _u(rng, 0.09, 0.11)}[design]
    params = {"radius": radius, "tongue": rng.random() < 0.4}
    extras = _extras(rng, {"shock": 0.3})
    return Expression(
        "surprise",
        _pair(lambda: EyeSpec(**eye)),
        _pair(lambda: BrowSpec(**brow)),
        MouthSpec(design, radius, params),
        extras,
        side,
    )


def _disgust(rng, ident, side):
    squint = (
        EyeSpec(design="squint")
        if rng.random() < 0.5
        else EyeSpec(pupil=0.5, lid_in=_u(rng, 0.45, 0.55), lid_out=_u(rng, 0.4, 0.5), lower=_u(rng, 0.25, 0.32))
    )
    lid = _u(rng, 0.2, 0.35)
    other = EyeSpec(pupil=_u(rng, 0.5, 0.6), lid_in=lid, lid_out=lid, look=(-side * _u(rng, 0.1, 0.4), 0.0))
    low = BrowSpec(inner=_u(rng, 0.06, 0.1), outer=_u(rng, 0.0, 0.04), arch=0.0, weight=1.15)
    high = BrowSpec(inner=_u(rng, -0.1, -0.06), outer=_u(rng, -0.08, -0.04), arch=_u(rng, -0.1, -0.06))
    # side is where the sneer lifts the lip; the squint and the lowered brow go with it.
    eyes = (squint, other) if side < 0 else (other, squint)
    brows = (low, high) if side < 0 else (high, low)
    design = _choose(rng, {"sneer": 0.4, "tongue": 0.35, "squiggle": 0.25})
    width = ident.layout.mouth_w * _u(rng, 0.95, 1.2)
    params = {"raise": _u(rng, 0.1, 0.14), "tongue_len": _u(rng, 0.16, 0.22), "side": side}
    extras = _extras(rng, {"wrinkles": 0.75})
    return Expression("disgust", eyes, brows, MouthSpec(design, width, params), extras, side)


_SAMPLERS = {
    "angry": _angry,
    "disgust": _disgust,
    "fear": _fear,
    "happy": _happy,
    "neutral": _neutral,
    "sad": _sad,
    "surprise": _surprise,
}


# -- drawing ------------------------------------------------------------------------------------
def draw_expression(p: Painter, ident: Identity, expr: Expression) -> None:
    """Draw blush, eyes, brows, mouth and extras for an expression."""
    if "blush" in expr.extras:
        _blush(p, ident)
    for s, eye in zip(SIDES, expr.eyes, strict=True):
        _draw_eye(p, ident, eye, s)
    if ident.anatomy.accessory == "glasses":
        _glasses(p, ident)
    if ident.style.brows:
        for s, brow, eye in zip(SIDES, expr.brows, expr.eyes, strict=True):
            _draw_brow(p, ident, brow, eye, s)
    _MOUTHS[expr.mouth.design](p, ident, expr.mouth)
    for extra in expr.extras:
        if extra in _EXTRAS:
            _EXTRAS[extra](p, ident, expr)


def _eye_ink(ident: Identity):
    """Lines drawn on the fur around the eyes (closed eyes, lids)."""
    return ident.palette.lid


def _glasses(p, ident):
    lay = ident.layout
    r = max(lay.eye_rx, lay.eye_ry) * 1.45
    frame, width = ident.palette.outline, 0.022
    for s in SIDES:
        p.stroke(g.circle(s * lay.eye_dx, lay.eye_y, r, n=28), frame, width, closed=True)
        p.stroke(
            np.array([(s * (lay.eye_dx + r), lay.eye_y - 0.02), (s * (lay.eye_dx + r + 0.2), lay.eye_y - 0.06)]),
            frame,
            width,
        )
    p.stroke(
        g.bezier((-(lay.eye_dx - r), lay.eye_y), (0.0, lay.eye_y - 0.06), (lay.eye_dx - r, lay.eye_y), 6), frame, width
    )


def _feature_width(ident: Identity) -> float:
    return ident.style.feature_width


# -- eyes ----------------------------------------------------------------------------------------
def _draw_eye(p: Painter, ident: Identity, eye: EyeSpec, s: float) -> None:
    lay, fw, ink = ident.layout, _feature_width(ident), _eye_ink(ident)
    cx, cy = s * lay.eye_dx, lay.eye_y
    rx, ry = lay.eye_rx * eye.scale, lay.eye_ry * eye.scale
    if eye.design == "closed_up":
        p.stroke(g.ellipse(cx, cy + ry * 0.3, rx * 1.05, ry * 0.7, n=16, t0=np.pi, t1=g.TAU), ink, fw * 1.1)
        return
    if eye.design == "closed_down":
        p.stroke(g.ellipse(cx, cy - ry * 0.1, rx * 1.05, ry * 0.55, n=16, t0=0.0, t1=np.pi), ink, fw * 1.1)
        return
    if eye.design == "squeeze":
        p.stroke(
            np.array([(cx + s * rx, cy - ry * 0.6), (cx - s * rx * 0.9, cy), (cx + s * rx, cy + ry * 0.6)]),
            ink,
            fw * 1.1,
        )
        return
    if eye.design == "squint":
        p.stroke(
            g.bezier((cx - s * rx * 1.15, cy + 0.03), (cx, cy - 0.04), (cx + s * rx * 1.15, cy), 10), ink, fw * 1.2
        )
        for k in (-1, 1):
            p.stroke(
                np.array([(cx + s * rx * 1.35, cy + k * 0.02), (cx + s * (rx * 1.35 + 0.08), cy + k * 0.06)]),
                ink,
                fw * 0.6,
            )
        return
    _open_eye(p, ident, eye, s, cx, cy, rx, ry, ink)


def _lid_lines(eye: EyeSpec, s, cx, cy, rx, ry):
    """The upper and lower lid cut lines, each as (a, b) ordered so clip_halfplane keeps the eye."""
    inner_x, outer_x = cx - s * rx * 1.2, cx + s * rx * 1.2
    top, bottom = cy - ry, cy + ry
    upper = ((inner_x, top + eye.lid_in * 2 * ry), (outer_x, top + eye.lid_out * 2 * ry))
    upper = upper if upper[0][0] > upper[1][0] else upper[::-1]  # running leftwards keeps what is below
    lower_y = bottom - eye.lower * 2 * ry
    lower = ((cx - rx * 1.2, lower_y), (cx + rx * 1.2, lower_y))  # running rightwards keeps what is above
    return (upper if eye.lid_in or eye.lid_out else None), (lower if eye.lower else None)


def _clip(poly, upper, lower):
    if upper is not None:
        poly = g.clip_halfplane(poly, *upper)
    if lower is not None and len(poly):
        poly = g.clip_halfplane(poly, *lower)
    return poly


def _open_eye(p, ident, eye, s, cx, cy, rx, ry, ink):
    pal, style = ident.palette, ident.style
    upper, lower = _lid_lines(eye, s, cx, cy, rx, ry)
    white = eye.sclera or style.eye_style in ("sclera", "anime", "ring")
    if white and style.eye_style == "ring":
        ix, iy, r_iris = _ring_eye(p, ident, eye, cx, cy, rx, ry, upper, lower, ink)
        glint_r, glint = 0.0, (ix, iy)
    elif white:
        ix, iy, r_iris = _white_eye(p, ident, eye, cx, cy, rx, ry, upper, lower, ink)
        glint_r, glint = r_iris * 0.32, (ix - r_iris * 0.35, iy - r_iris * 0.4)
    else:
        ix, iy, r_iris, glint_r, glint = _solid_eye(p, ident, eye, cx, cy, rx, ry, upper, lower)
    if glint_r > 0.012:
        p.fill(_clip(g.circle(*glint, glint_r, n=12), upper, lower), (255, 255, 255))
    if eye.sparkle or (white and style.eye_style == "anime" and eye.pupil >= 0.35):
        p.fill(
            _clip(g.circle(ix + r_iris * 0.35, iy + r_iris * 0.35, glint_r * 0.55, n=10), upper, lower), (255, 255, 255)
        )
    if eye.sparkle:
        p.fill(_clip(g.ellipse(cx, cy + ry * 0.75, rx * 0.8, ry * 0.22, n=16), upper, lower), pal.tear)
    fw = _feature_width(ident)
    for cut in (upper, lower):
        if cut is not None:
            p.stroke(_chord(g.ellipse(cx, cy, rx, ry, n=32), cut), ink, fw * 0.9)
    if upper is None and (style.lashes or style.eye_style == "anime"):
        _lashes(p, ident, s, cx, cy, rx, ry, ink)


def _solid_eye(p, ident, eye, cx, cy, rx, ry, upper, lower):
    """A dark eye without a white: an oval dot, a round button, a tall bean, or a 1930s pie-cut eye (a dot with a
    white wedge cut from it); returns the centre, the size and the glint's radius and centre."""
    kind, dark = ident.style.eye_style, mix(ident.palette.ink, (10, 10, 10), 0.7)
    sizes = {"button": (min(rx, ry) * 0.55,) * 2, "bean": (rx * 0.45, ry * 1.0)}
    dot_rx, dot_ry = sizes.get(kind, (rx * 0.8, ry * 0.92))
    ix, iy = cx + eye.look[0] * rx * 0.15, cy + eye.look[1] * ry * 0.1
    p.fill(_clip(g.ellipse(ix, iy, dot_rx, dot_ry, n=28), upper, lower), dark)
    if kind == "pie":
        wedge = np.array(
            [
                (ix + 0.05 * dot_rx, iy - 0.1 * dot_ry),
                (ix + 0.55 * dot_rx, iy - 0.55 * dot_ry),
                (ix + 0.05 * dot_rx, iy - 0.8 * dot_ry),
            ]
        )
        p.fill(_clip(wedge, upper, lower), (255, 255, 255))
    glint_r = 0.0 if kind in ("button", "pie") else min(dot_rx, dot_ry) * 0.32
    return ix, iy, dot_rx, glint_r, (ix - dot_rx * 0.3, iy - dot_ry * 0.4)


def _ring_eye(p, ident, eye, cx, cy, rx, ry, upper, lower, ink):
    """A flat-icon eye: a white disc in a thick dark ring round a small solid pupil."""
    line = max(_feature_width(ident), 0.04)
    p.fill(_clip(g.ellipse(cx, cy, rx, ry, n=32), upper, lower), ident.palette.sclera, ink, line)
    r_pupil = min(eye.pupil * rx * 0.6, 0.7 * min(rx, ry))
    room = max(min(rx, ry) - r_pupil - line, 0.0) * 0.8
    ix, iy = cx + eye.look[0] * room, cy + eye.look[1] * room
    p.fill(_clip(g.circle(ix, iy, r_pupil, n=18), upper, lower), (15, 15, 15))
    return ix, iy, r_pupil


def _white_eye(p, ident, eye, cx, cy, rx, ry, upper, lower, ink):
    """Sclera, iris and pupil; returns the iris centre and radius (for highlights)."""
    pal, style = ident.palette, ident.style
    outlined = style.eye_outline or luma(pal.fur) > 200  # a white eye on white fur needs its outline
    line = max(style.outline_width * 0.8, 0.022)
    p.fill(_clip(g.ellipse(cx, cy, rx, ry, n=32), upper, lower), pal.sclera, ink if outlined else None, line)
    anime = style.eye_style == "anime" and eye.pupil >= 0.35
    r_iris = min(eye.pupil * rx * (1.35 if anime else 1.0), (0.95 if anime else 0.92) * min(rx, ry))
    room = max(min(rx, ry) - r_iris, 0.0) * 0.85
    ix, iy = cx + eye.look[0] * room, cy + eye.look[1] * room
    if eye.pupil < 0.35:  # a tiny pinprick pupil (fear): solid black, no iris
        p.fill(_clip(g.circle(ix, iy, r_iris, n=16), upper, lower), (15, 15, 15))
        return ix, iy, r_iris
    p.fill(_clip(g.circle(ix, iy, r_iris, n=24), upper, lower), pal.iris)
    if anime:  # darker top of the iris
        cut = iy - 0.2 * r_iris
        top = g.clip_halfplane(g.circle(ix, iy, r_iris, n=24), (ix - 2, cut), (ix + 2, cut))
        p.fill(_clip(top, upper, lower), shade(pal.iris, 0.55))
    p.fill(_clip(g.circle(ix, iy, r_iris * (0.5 if anime else 0.58), n=20), upper, lower), (20, 18, 18))
    return ix, iy, r_iris


def _lashes(p, ident, s, cx, cy, rx, ry, ink):
    """A heavy upper lash line with a couple of flicks at the outer corner."""
    fw = _feature_width(ident)
    t0, t1 = (np.pi + 0.25, g.TAU - 0.1) if s > 0 else (np.pi + 0.1, g.TAU - 0.25)
    p.stroke(g.ellipse(cx, cy, rx * 1.02, ry * 1.02, n=14, t0=t0, t1=t1), ink, fw * 1.1)
    for k, a in enumerate((0.35, 0.7)):
        angle = (g.TAU - a) if s > 0 else (np.pi + a)
        base = np.array([cx + rx * np.cos(angle), cy + ry * np.sin(angle)])
        tip = base + np.array([s * 0.09, -0.05 - 0.03 * k])
        p.stroke(np.array([base, tip]), ink, fw * 0.6)


def _chord(ellipse_pts, cut):
    """The stretch of a lid line that crosses the eye (plus a little overhang)."""
    (ax, ay), (bx, by) = cut
    xs = np.linspace(min(ax, bx), max(ax, bx), 24)
    ys = ay + (by - ay) * (xs - ax) / (bx - ax)
    cx, cy = ellipse_pts.mean(axis=0)
    rx = np.ptp(ellipse_pts[:, 0]) / 2
    ry = np.ptp(ellipse_pts[:, 1]) / 2
    inside = ((xs - cx) / (rx * 1.08)) ** 2 + ((ys - cy) / (ry * 1.08)) ** 2 <= 1.0
    return np.stack([xs[inside], ys[inside]], axis=1)


# -- brows ---------------------------------------------------------------------------------------
def _draw_brow(p: Painter, ident: Identity, brow: BrowSpec, eye: EyeSpec, s: float) -> None:
    lay, st = ident.layout, ident.style
    scale = eye.scale if eye.design == "open" else 1.0
    base = lay.eye_y - lay.eye_ry * scale - lay.brow_lift + brow.lift
    half = max(lay.eye_rx * 1.25, 0.15)
    cx = s * lay.eye_dx - s * brow.pull
    inner = np.array([cx - s * half, base + brow.inner])
    outer = np.array([cx + s * half, base + brow.outer])
    control = (inner + outer) / 2 + (0.0, 2 * brow.arch)
    path = g.bezier(inner, control, outer, 14)
    if brow.wobble:
        path[:, 1] += brow.wobble * np.sin(np.linspace(0, 3 * np.pi, len(path)))
    fw, colour = _feature_width(ident) * brow.weight, ident.palette.brow
    if st.brow_style == "line":
        p.stroke(path, colour, fw * 1.2)
    elif st.brow_style == "tapered":
        p.fill(g.ribbon(path, g.taper(len(path), fw * 2.0, thin_start=0.6, thin_end=0.25)), colour)
    else:
        p.fill(g.ribbon(path, np.full(len(path), fw * 2.0)), colour, colour, fw * 0.3)


# -- mouths --------------------------------------------------------------------------------------
def _mouth_lines(p, ident, pts, width_factor=1.0):
    p.stroke(pts, ident.palette.ink, _feature_width(ident) * width_factor)


def _mouth_shape(p, ident, poly, colour):
    p.fill(poly, colour, ident.palette.ink, _feature_width(ident) * 0.8)


def _centre(ident):
    return 0.0, ident.layout.mouth_y


def _flat(p, ident, m):
    x, y = _centre(ident)
    tilt = m.params.get("tilt", 0.0)
    _mouth_lines(p, ident, np.array([(x - m.width, y - tilt), (x + m.width, y + tilt)]))


def _smile(p, ident, m):
    x, y = _centre(ident)
    sag = m.params["sag"]
    _mouth_lines(p, ident, g.parabola(x, y - sag * 0.4, m.width, sag))
    if m.params.get("ticks"):
        for s in SIDES:
            cx, cy = x + s * m.width, y - sag * 0.4
            _mouth_lines(p, ident, np.array([(cx + s * 0.02, cy - 0.045), (cx - s * 0.01, cy + 0.03)]), 0.7)


def _laugh(p, ident, m):
    x, y = _centre(ident)
    w, depth, top_y = m.width, m.params["depth"], y - 0.06
    top = g.parabola(x, top_y, w, 0.03)
    bottom = g.ellipse(x, top_y, w, depth, n=20, t0=0.0, t1=np.pi)  # right corner, down round, left corner
    mouth = np.concatenate([top, bottom[1:-1]])
    pal = ident.palette
    p.fill(mouth, pal.mouth)
    if m.params.get("teeth"):
        p.fill(g.clip_halfplane(mouth, (x - 2 * w, top_y + 0.07), (x + 2 * w, top_y + 0.07)), pal.teeth)
    if m.params.get("tongue"):
        cut = top_y + depth * 0.55
        p.fill(g.clip_halfplane(mouth, (x + 2 * w, cut), (x - 2 * w, cut)), pal.tongue)
    p.stroke(mouth, pal.ink, _feature_width(ident) * 0.8, closed=True)


def _grin(p, ident, m):
    x, y = _centre(ident)
    sag = m.params["sag"]
    top = g.parabola(x, y - 0.05, m.width, sag * 0.35)
    bottom = g.parabola(x, y - 0.05, m.width, sag * 1.45)
    _mouth_shape(p, ident, np.concatenate([top, bottom[::-1][1:-1]]), ident.palette.teeth)
    p.stroke(g.parabola(x, y - 0.05, m.width * 0.97, sag * 0.9), ident.palette.ink, _feature_width(ident) * 0.5)


def _gritted(p, ident, m):
    x, y = _centre(ident)
    w, h, bend = m.width, m.params["height"], m.params["bend"]
    box = g.bend(g.rounded_rect(x, y, w, h, 0.035), x, bend, w)
    _mouth_shape(p, ident, box, ident.palette.teeth)
    thin = _feature_width(ident) * 0.5
    p.stroke(g.bend(np.stack([np.linspace(x - w, x + w, 12), np.full(12, y)], 1), x, bend, w), ident.palette.ink, thin)
    for tx in np.linspace(x - w * 0.6, x + w * 0.6, m.params["teeth_n"]):
        col = g.bend(np.array([(tx, y - h), (tx, y + h)]), x, bend, w)
        p.stroke(col, ident.palette.ink, thin)


def _shout(p, ident, m):
    x, y = _centre(ident)
    w, h, bend = m.width, m.params["open"], m.params["bend"] * 1.6
    pal = ident.palette
    mouth = g.bend(g.rounded_rect(x, y + 0.03, w, h, 0.06), x, bend, w)
    p.fill(mouth, pal.mouth)
    for edge, sign in ((y + 0.03 - h, 1), (y + 0.03 + h, -1)):
        strip = g.bend(g.rounded_rect(x, edge + sign * 0.035, w * 0.85, 0.035, 0.015), x, bend, w)
        p.fill(strip, pal.teeth)
    p.stroke(mouth, pal.ink, _feature_width(ident) * 0.8, closed=True)


def _frown(p, ident, m, wobble=0.0, width_factor=1.0):
    x, y = _centre(ident)
    sag = m.params["sag"]
    line = g.parabola(x, y - sag * 0.4, m.width, sag, n=24)
    if wobble:
        line[:, 1] += wobble * np.sin(np.linspace(0, 4 * np.pi, len(line)))
    _mouth_lines(p, ident, line, width_factor)


def _frown_tight(p, ident, m):
    _frown(p, ident, m, width_factor=1.35)
    x, y = _centre(ident)
    for s in SIDES:  # clenched corners
        cx = x + s * (m.width + 0.02)
        _mouth_lines(p, ident, np.array([(cx, y - 0.05), (cx + s * 0.01, y + 0.03)]), 0.6)


def _wobbly_frown(p, ident, m):
    _frown(p, ident, m, wobble=0.018)


def _wail(p, ident, m):
    x, y = _centre(ident)
    w, h = m.width, m.params["open"]
    top = g.ellipse(x, y + 0.06, w, h, n=20, t0=np.pi, t1=g.TAU)  # left corner, up round, right corner
    bottom = g.parabola(x, y + 0.06, w, -0.05)[::-1]
    mouth = np.concatenate([top, bottom[1:-1]])
    pal = ident.palette
    p.fill(mouth, pal.mouth)
    if m.params.get("tongue"):
        cut = y + 0.06 - h * 0.25
        p.fill(
            g.clip_halfplane(g.ellipse(x, y + 0.03, w * 0.6, h * 0.45, n=16), (x + w, cut), (x - w, cut)), pal.tongue
        )
    p.stroke(mouth, pal.ink, _feature_width(ident) * 0.8, closed=True)


def _o_mouth(p, ident, m, rx_factor=1.0, ry_factor=1.1):
    x, y = _centre(ident)
    r = m.params["radius"]
    mouth = g.ellipse(x, y + 0.02, r * rx_factor, r * ry_factor, n=28)
    pal = ident.palette
    p.fill(mouth, pal.mouth)
    if m.params.get("tongue") and r > 0.1:
        cut = y + 0.02 + r * ry_factor * 0.35
        p.fill(g.clip_halfplane(mouth, (x + r, cut), (x - r, cut)), pal.tongue)
    p.stroke(mouth, pal.ink, _feature_width(ident) * 0.8, closed=True)


def _tall_o(p, ident, m):
    _o_mouth(p, ident, m, 0.85, 1.6)


def _wobbly(p, ident, m):
    x, y = _centre(ident)
    w, amp, periods, h = m.width, m.params["amp"], m.params["periods"], m.params["open"]
    top = g.wave(x, y - h * 0.4, w, amp, periods, n=32)
    bottom = g.wave(x, y + h * 0.8, w * 0.92, amp, periods, n=32, phase=np.pi)[::-1]
    mouth = g.bend(np.concatenate([top, bottom]), x, 0.06, w)
    pal = ident.palette
    p.fill(mouth, pal.mouth)
    if m.params.get("teeth"):
        strip = g.bend(np.concatenate([top, (top + (0, 0.045))[::-1]]), x, 0.06, w)
        p.fill(strip, pal.teeth)
    p.stroke(mouth, pal.ink, _feature_width(ident) * 0.8, closed=True)


def _wavy(p, ident, m):
    x, y = _centre(ident)
    _mouth_lines(p, ident, g.wave(x, y, m.width, m.params["amp"] * 1.2, m.params["periods"], n=36))


def _sneer(p, ident, m, side):
    x, y = _centre(ident)
    w, up = m.width, m.params["raise"]
    t = np.linspace(-1.0, 1.0, 24)
    lift = np.clip(t * side, 0, None) ** 1.6 * up  # flat on one side, curling up on the other
    line = np.stack([x + w * t, y + 0.03 - lift + 0.02 * (t * side < 0)], axis=1)
    raised = line[t * side > 0.15]
    teeth = np.concatenate([raised, [(x + side * w * 0.95, y - up * 0.2), (x + side * w * 0.2, y + 0.05)]])
    p.fill(teeth, ident.palette.teeth, ident.palette.ink, _feature_width(ident) * 0.5)
    _mouth_lines(p, ident, line)


def _tongue(p, ident, m, side):
    x, y = _centre(ident)
    w, length = m.width, m.params["tongue_len"]
    tx = x + side * w * 0.3
    tip = g.ellipse(tx, y + length - 0.09, 0.1, 0.09, n=14, t0=np.pi, t1=0.0)  # left, round the bottom, right
    tongue = np.concatenate([[(tx - 0.1, y)], tip, [(tx + 0.1, y)]])
    p.fill(tongue, ident.palette.tongue, ident.palette.ink, _feature_width(ident) * 0.6)
    p.stroke(np.array([(tx, y + 0.02), (tx, y + length * 0.6)]), ident.palette.ink, _feature_width(ident) * 0.4)
    line = np.stack([np.linspace(x - w, x + w, 12), y - side * 0.05 * np.linspace(-1, 1, 12)], axis=1)
    _mouth_lines(p, ident, line)


def _squiggle(p, ident, m, side):
    """A lopsided S-shaped grimace: low on one side, hitched up on the other."""
    x, y = _centre(ident)
    w, up = m.width, m.params["raise"]
    t = np.linspace(-1.0, 1.0, 28)
    line = np.stack([x + w * t, y - side * t * up * 0.5 + 0.035 * np.sin(t * 1.5 * np.pi)], axis=1)
    _mouth_lines(p, ident, line, 1.1)
    end = line[-1] if side > 0 else line[0]
    _mouth_lines(p, ident, np.array([end + (side * 0.005, -0.04), end + (-side * 0.01, 0.03)]), 0.7)


def _asymmetric(draw):
    """Adapt a drawer that needs to know which side the expression leans to."""
    return lambda p, ident, m: draw(p, ident, m, m.params.get("side", 1.0))


_MOUTHS = {
    "flat": _flat,
    "small_flat": _flat,
    "smile": _smile,
    "laugh": _laugh,
    "grin": _grin,
    "gritted": _gritted,
    "shout": _shout,
    "frown_tight": _frown_tight,
    "frown": _frown,
    "wobbly_frown": _wobbly_frown,
    "wail": _wail,
    "o": _o_mouth,
    "small_o": _o_mouth,
    "tall_o": _tall_o,
    "wobbly": _wobbly,
    "wavy": _wavy,
    "sneer": _asymmetric(_sneer),
    "tongue": _asymmetric(_tongue),
    "squiggle": _asymmetric(_squiggle),
}


# -- extras --------------------------------------------------------------------------------------
def _blush(p, ident):
    lay = ident.layout
    for s in SIDES:
        p.fill(
            g.ellipse(s * (lay.eye_dx + 0.07), lay.eye_y + lay.eye_ry + 0.14, 0.12, 0.06, n=16),
            mix(ident.palette.blush, ident.palette.fur, 0.25),
        )


def _tears(p, ident, expr):
    lay, pal = ident.layout, ident.palette
    for s in SIDES:
        x = s * (lay.eye_dx + lay.eye_rx * 0.4)
        y = lay.eye_y + lay.eye_ry + 0.12
        p.fill(g.teardrop(x, y, 0.05, 0.11), pal.tear, pal.ink, 0.018)
        p.fill(g.teardrop(x + s * 0.03, y + 0.17, 0.04, 0.09), pal.tear, pal.ink, 0.018)


def _stream(p, ident, expr):
    lay, pal = ident.layout, ident.palette
    for s in SIDES:
        x = s * lay.eye_dx
        path = np.array(
            [(x, lay.eye_y + lay.eye_ry * 0.8), (x + s * 0.02, lay.mouth_y), (x + s * 0.03, lay.mouth_y + 0.35)]
        )
        p.fill(g.ribbon(g.bezier(*path, n=10), np.linspace(0.07, 0.11, 10)), pal.tear, pal.ink, 0.016)


def _sweat(p, ident, expr):
    h, pal = ident.head, ident.palette
    s = expr.side
    p.fill(g.teardrop(s * h.rx * 0.72, -0.42 * h.ry, 0.075, 0.2, angle=s * 0.2), pal.tear, pal.ink, 0.02)
    p.fill(g.teardrop(s * h.rx * 0.86, -0.12 * h.ry, 0.05, 0.13, angle=s * 0.2), pal.tear, pal.ink, 0.018)


def _gloom(p, ident, expr):
    lay, h = ident.layout, ident.head
    bottom = lay.eye_y - lay.eye_ry * 1.3 - lay.brow_lift - 0.3
    colour = mix(ident.palette.fur, (110, 40, 60), 0.55)
    for x in np.linspace(-0.45, 0.45, 5):
        p.stroke(np.array([(x, -h.ry * 0.9), (x, bottom)]), colour, 0.028)


def _vein(p, ident, expr):
    h = ident.head
    cx, cy = expr.side * h.rx * 0.55, -0.62 * h.ry
    for k in range(4):
        a = np.pi / 4 + k * np.pi / 2
        ox, oy = cx + 0.085 * np.cos(a), cy + 0.085 * np.sin(a)
        p.stroke(g.ellipse(ox, oy, 0.06, 0.06, n=8, t0=a + np.pi - 0.9, t1=a + np.pi + 0.9), (40, 30, 220), 0.035)


def _wrinkles(p, ident, expr):
    lay = ident.layout
    for k in range(3):
        y = lay.eye_y + 0.02 + 0.06 * k
        p.stroke(g.parabola(0.0, y, 0.07, -0.025, n=8), ident.palette.ink, 0.022, warp=SNOUT)


def _shock(p, ident, expr):
    r = ident.head.ry
    for a in np.deg2rad([-125, -90, -55]):
        d = np.array([np.cos(a), np.sin(a)])
        p.stroke(np.array([d * (r + 0.1), d * (r + 0.3)]), _eye_ink(ident), 0.04)


def _tremble(p, ident, expr):
    h = ident.head
    for s in SIDES:
        for off in (0.1, 0.2):
            p.stroke(
                g.ellipse(
                    s * (h.rx + off),
                    0.0,
                    0.06,
                    0.2,
                    n=10,
                    t0=-0.8 if s > 0 else np.pi - 0.8,
                    t1=0.8 if s > 0 else np.pi + 0.8,
                ),
                _eye_ink(ident),
                0.025,
            )


_EXTRAS = {
    "tears": _tears,
    "stream": _stream,
    "sweat": _sweat,
    "gloom": _gloom,
    "vein": _vein,
    "wrinkles": _wrinkles,
    "shock": _shock,
    "tremble": _tremble,
}
