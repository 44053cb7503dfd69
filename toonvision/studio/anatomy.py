"""Drawing a character's head and species features (everything but the emotion) with a Painter.

Layers, back to front: ears and manes behind the head, the head fill, clipped decoration (shading,
markings, soft face areas), the head outline, hair and front ears, muzzles, then nose and whiskers.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import geometry as g
from .cast import Identity
from .painter import EARS, FACE, SNOUT, STILL, Painter
from .palette import mix, shade

SIDES = (-1.0, 1.0)


def head_outline(ident: Identity) -> np.ndarray:
    """The head silhouette polygon."""
    h = ident.head
    return g.superellipse(0.0, 0.0, h.rx, h.ry, h.power, h.taper, h.chin, n=56)


def hairline(ident: Identity) -> float:
    """Lowest y hair may reach on the forehead: safely above the highest a brow is ever drawn."""
    lay = ident.layout
    return lay.eye_y - lay.eye_ry - lay.brow_lift - 0.4


def draw_head(p: Painter, ident: Identity) -> None:
    """Draw the whole emotion-free head: back parts, head, decoration, outline and front parts."""
    pal, st = ident.palette, ident.style
    outline = _outline(ident)
    draw_back_parts(p, ident)
    head = head_outline(ident)
    p.fill(head, pal.fur, warp=STILL)
    if p.img is not None:  # a BoundsPainter has no pixels to decorate
        _draw_clipped(p, ident, head)
    if outline:
        p.stroke(head, pal.outline, outline, closed=True, warp=STILL)
    draw_front_parts(p, ident)
    if st.gloss:
        p.fill(
            g.ellipse(-0.35 * ident.head.rx, -0.62 * ident.head.ry, 0.16, 0.07, angle=-0.5),
            shade(pal.fur, 1.5),
            warp=STILL,
        )


def _outline(ident: Identity) -> float:
    return ident.style.outline_width


def _part(p: Painter, ident: Identity, pts, colour, warp=FACE, outline: float | None = None):
    """Fill a part of the character and outline it in the character's style."""
    width = _outline(ident) if outline is None else outline
    p.fill(pts, colour, ident.palette.outline if width else None, width, warp=warp)


# -- behind the head ---------------------------------------------------------------------------
def draw_back_parts(p: Painter, ident: Identity) -> None:
    """Ears, manes, pigtails and tufts that the head overlaps."""
    hair = ident.anatomy.hair
    if hair == "mane":
        _mane(p, ident)
    if hair == "pigtails":
        for s in SIDES:
            _part(p, ident, g.circle(s * ident.head.rx * 0.95, -0.45 * ident.head.ry, 0.3), ident.palette.hair, EARS)
    if hair == "cheek_tufts":
        _cheek_tufts(p, ident)
    if hair == "spikes":
        _spikes(p, ident)
    ears = ident.anatomy.ears
    if ears in _BACK_EARS:
        for s in SIDES:
            _BACK_EARS[ears](p, ident, s)


def _ear_base(ident: Identity, s: float, lift: float = 0.0):
    """Where an ear meets the head (a point on the outline) and the outward direction there."""
    phi = np.deg2rad(ident.anatomy.ear_angle)
    base = np.array([s * ident.head.rx * np.sin(phi), -ident.head.ry * np.cos(phi)])
    out = np.array([s * np.sin(phi * 0.75 + lift), -np.cos(phi * 0.75 + lift)])
    return base, out


def _pointed_ear(p, ident, s, width=0.55, length=1.15, inner=True):
    size = ident.anatomy.ear_size
    base, out = _ear_base(ident, s)
    across = np.array([-out[1], out[0]])
    root = base - out * 0.18 * size
    tip = root + out * length * size
    left, right = root + across * width * size, root - across * width * size
    ear = np.concatenate(
        [
            g.bezier(left, (left + tip) / 2 + across * 0.12 * size, tip, 8),
            g.bezier(tip, (right + tip) / 2 - across * 0.12 * size, right, 8),
        ]
    )
    _part(p, ident, ear, ident.palette.fur, EARS)
    if ident.species == "fox":
        tip_part = ear[np.linalg.norm(ear - root, axis=1) > 0.62 * length * size]
        p.fill(np.concatenate([tip_part, [tip]]), ident.palette.fur_dark, warp=EARS)
    if inner:
        centre = root + out * 0.3 * size
        p.fill((ear - centre) * 0.55 + centre + out * 0.04, ident.palette.inner_ear, warp=EARS)


def _round_ear(p, ident, s, scale=1.0, inner_colour=None):
    size = ident.anatomy.ear_size * scale
    base, out = _ear_base(ident, s)
    centre = base + out * size * 0.6
    _part(p, ident, g.circle(*centre, size, n=32), _ear_colour(ident), EARS)
    inner = inner_colour or ident.palette.inner_ear
    p.fill(g.circle(*(centre - out * size * 0.08), size * 0.66, n=28), inner, warp=EARS)


def _ear_colour(ident):
    return ident.palette.fur_dark if ident.anatomy.markings == "panda" else ident.palette.fur


def _small_round_ear(p, ident, s):
    inner = ident.palette.fur_dark if ident.anatomy.markings == "panda" else ident.palette.muzzle
    _round_ear(p, ident, s, inner_colour=shade(inner, 0.9))


def _long_ear(p, ident, s):
    size = ident.anatomy.ear_size
    tilt = s * np.deg2rad(ident.anatomy.ear_angle)
    root = np.array([s * 0.32 * ident.head.rx, -ident.head.ry * 0.8])
    direction = np.array([np.sin(tilt), -np.cos(tilt)])
    centre = root + direction * size * 1.0
    _part(p, ident, g.ellipse(*centre, size * 0.3, size * 1.05, angle=tilt, n=32), ident.palette.fur, EARS)
    p.fill(
        g.ellipse(*(centre + direction * 0.05), size * 0.15, size * 0.8, angle=tilt, n=24),
        ident.palette.inner_ear,
        warp=EARS,
    )


def _pig_ear(p, ident, s):
    _pointed_ear(p, ident, s, width=0.7, length=0.85)


def _human_ear(p, ident, s):
    size = ident.anatomy.ear_size
    y = ident.layout.eye_y + 0.12
    centre = (s * ident.head.rx * 0.97, y)
    _part(p, ident, g.ellipse(*centre, size * 0.7, size, n=24), ident.palette.fur, EARS)
    t0 = -1.2 if s > 0 else np.pi - 1.2  # the inner fold opens towards the face
    p.stroke(
        g.ellipse(centre[0], y, size * 0.35, size * 0.55, n=12, t0=t0, t1=t0 + 2.4),
        shade(ident.palette.fur, 0.7),
        0.025,
        warp=EARS,
    )


def _side_round_ear(p, ident, s):
    size = ident.anatomy.ear_size
    if ident.anatomy.ear_angle < 90:  # high on the sides (koalas)
        base, out = _ear_base(ident, s, lift=0.3)
        centre = base + out * size * 0.3
    else:  # level with the eyes (monkeys)
        centre = (s * (ident.head.rx + size * 0.45), ident.layout.eye_y)
    _part(p, ident, g.circle(*centre, size, n=28), ident.palette.fur, EARS)
    p.fill(g.circle(centre[0] - s * 0.04, centre[1], size * 0.62, n=24), ident.palette.muzzle, warp=EARS)


def _side_flat_ear(p, ident, s):
    size = ident.anatomy.ear_size
    centre = (s * (ident.head.rx + size * 0.55), ident.layout.eye_y - 0.08)
    angle = s * 0.35
    _part(p, ident, g.ellipse(*centre, size, size * 0.42, angle=angle, n=28), ident.palette.fur, EARS)
    p.fill(
        g.ellipse(centre[0] + s * 0.03, centre[1], size * 0.7, size * 0.22, angle=angle, n=20),
        ident.palette.inner_ear,
        warp=EARS,
    )


def _frog_bulge(p, ident, s):
    lay = ident.layout
    r = max(lay.eye_rx, lay.eye_ry) + ident.anatomy.ear_size * 0.35
    _part(p, ident, g.circle(s * lay.eye_dx, lay.eye_y, r, n=32), ident.palette.fur, FACE)


def _antenna(p, ident, s):
    top = -ident.head.ry * 0.92
    tip = (s * 0.5, top - 0.5 * ident.anatomy.ear_size - 0.25)
    stalk = g.bezier((s * 0.22, top + 0.05), (s * 0.2, top - 0.3), tip, 10)
    p.stroke(stalk, ident.palette.outline, 0.05, warp=EARS)
    _part(p, ident, g.circle(*tip, 0.1), ident.palette.accent, EARS)


def _horn(p, ident, s):
    top = -ident.head.ry * 0.8
    path = g.bezier((s * 0.38, top + 0.08), (s * 0.6, top - 0.25), (s * 0.5, top - 0.5), 10)
    _part(p, ident, g.ribbon(path, np.linspace(0.2, 0.03, len(path))), ident.palette.accent, EARS)


def _bolt(p, ident, s):
    size = ident.anatomy.ear_size
    centre = (s * (ident.head.rx + size * 0.4), ident.layout.eye_y + 0.05)
    _part(p, ident, g.rounded_rect(*centre, size * 0.6, size, 0.04), shade(ident.palette.fur, 0.75), EARS)


_BACK_EARS = {
    "pointed": _pointed_ear,
    "round": _round_ear,
    "small_round": _small_round_ear,
    "long": _long_ear,
    "pig": _pig_ear,
    "human": _human_ear,
    "side_round": _side_round_ear,
    "side_flat": _side_flat_ear,
    "frog": _frog_bulge,
    "antennae": _antenna,
    "horns": _horn,
    "bolts": _bolt,
}


def _mane(p, ident):
    h = ident.head
    n = 22
    t = np.linspace(0, g.TAU, 2 * n, endpoint=False)
    r = np.where(np.arange(2 * n) % 2 == 0, 1.38, 1.16)
    pts = np.stack([np.cos(t) * r * h.rx, np.sin(t) * r * h.ry + 0.05], axis=1)
    _part(p, ident, pts, ident.palette.hair, STILL)


def _spikes(p, ident):
    h = ident.head
    for a in np.deg2rad([-140, -115, -90, -65, -40]):
        base = np.array([np.cos(a) * h.rx, np.sin(a) * h.ry])
        out = np.array([np.cos(a), np.sin(a)])
        across = np.array([-out[1], out[0]])
        _part(
            p,
            ident,
            np.array([base + across * 0.14, base + out * 0.3, base - across * 0.14]),
            ident.palette.accent,
            STILL,
        )


def _cheek_tufts(p, ident):
    h = ident.head
    for s in SIDES:
        base_x = s * h.rx * 0.92
        pts = [
            (base_x - s * 0.15, 0.05),
            (base_x + s * 0.28, 0.12),
            (base_x + s * 0.05, 0.25),
            (base_x + s * 0.24, 0.36),
            (base_x - s * 0.1, 0.42),
        ]
        _part(p, ident, np.array(pts), ident.palette.fur, STILL)


# -- on the head, clipped to it -----------------------------------------------------------------
def _draw_clipped(p: Painter, ident: Identity, head: np.ndarray) -> None:
    """Shading, markings and soft face areas, kept inside the head silhouette."""
    x0, y0, x1, y1 = p.bbox_px(head, STILL)
    if x1 <= x0 or y1 <= y0:
        return
    before = p.img[y0:y1, x0:x1].copy()
    alpha, p.alpha = p.alpha, None  # decoration never widens the silhouette
    _markings(p, ident)
    _soft_face_areas(p, ident)
    if ident.anatomy.accessory == "freckles":
        _freckles(p, ident)
    _shading(p, ident, head, (x0, y0, x1, y1))
    p.alpha = alpha
    outside = cv2.bitwise_not(p.mask(head, STILL, antialias=False)[y0:y1, x0:x1])
    cv2.copyTo(before, outside, p.img[y0:y1, x0:x1])


def _markings(p, ident):
    kind, pal, lay, h = ident.anatomy.markings, ident.palette, ident.layout, ident.head
    if kind == "tabby":
        for dx, length in ((-0.2, 0.32), (0.0, 0.4), (0.2, 0.32)):
            stripe = g.ribbon(
                g.bezier((dx * 1.2, -h.ry - 0.05), (dx, -h.ry + length * 0.6), (dx * 0.8, -h.ry + length), 8),
                np.linspace(0.1, 0.02, 8),
            )
            p.fill(stripe, pal.fur_dark, warp=FACE)
        for s in SIDES:
            for dy in (0.02, 0.16):
                p.fill(
                    g.ribbon(
                        g.bezier(
                            (s * (h.rx + 0.05), dy), (s * (h.rx - 0.15), dy + 0.02), (s * (h.rx - 0.3), dy + 0.05), 8
                        ),
                        np.linspace(0.09, 0.02, 8),
                    ),
                    pal.fur_dark,
                    warp=FACE,
                )
    elif kind == "panda":
        for s in SIDES:
            p.fill(
                # Snug round the eye, so the brows above stay on white fur.
                g.ellipse(s * lay.eye_dx, lay.eye_y + 0.06, lay.eye_rx + 0.07, lay.eye_ry + 0.05, angle=s * -0.5, n=28),
                pal.fur_dark,
                warp=FACE,
            )
    elif kind == "eyepatch":
        p.fill(
            g.ellipse(-lay.eye_dx, lay.eye_y + 0.03, lay.eye_rx + 0.1, lay.eye_ry + 0.09, n=28), pal.fur_dark, warp=FACE
        )
    elif kind == "blaze":
        p.fill(
            np.concatenate(
                [
                    g.bezier((-0.08, -h.ry - 0.1), (-0.05, lay.eye_y), (-0.22, lay.nose_y), 8),
                    g.bezier((0.22, lay.nose_y), (0.05, lay.eye_y), (0.08, -h.ry - 0.1), 8),
                ]
            ),
            pal.muzzle,
            warp=FACE,
        )
    elif kind == "face_mask":
        for s in SIDES:
            p.fill(g.circle(s * lay.eye_dx, lay.eye_y - 0.06, lay.eye_ry + 0.3, n=28), pal.muzzle, warp=FACE)
        p.fill(g.ellipse(0.0, lay.mouth_y, 0.5, 0.36, n=28), pal.muzzle, warp=FACE)
    elif kind == "spots":
        for cx, cy, r in ((-0.7, -0.5, 0.2), (0.65, 0.35, 0.16), (0.35, -0.75, 0.14), (-0.55, 0.6, 0.12)):
            p.fill(g.ellipse(cx * h.rx, cy * h.ry, r, r * 0.8, angle=cx, n=16), pal.fur_dark, warp=FACE)


def _freckles(p, ident):
    lay = ident.layout
    colour = shade(ident.palette.fur, 0.7)
    for s in SIDES:
        for dx, dy in ((0.0, 0.0), (0.08, 0.03), (-0.05, 0.05), (0.04, 0.09)):
            p.fill(g.circle(s * (lay.eye_dx + dx), lay.eye_y + lay.eye_ry + 0.12 + dy, 0.018, n=8), colour, warp=FACE)


def _soft_face_areas(p, ident):
    """Lighter face regions without outlines: mouse lower face, fox cheeks, monkey face."""
    kind, pal, lay, size = ident.anatomy.muzzle, ident.palette, ident.layout, ident.anatomy.muzzle_size
    if kind == "lower":
        p.fill(g.ellipse(0.0, lay.mouth_y - 0.02, 0.55 * size, 0.48 * size, n=32), pal.muzzle, warp=FACE)
    elif kind == "fox":
        line = np.array(
            [
                (-1.3, lay.eye_y + 0.05),
                (-lay.eye_dx, lay.eye_y + lay.eye_ry + 0.08),
                (0.0, lay.nose_y - 0.05),
                (lay.eye_dx, lay.eye_y + lay.eye_ry + 0.08),
                (1.3, lay.eye_y + 0.05),
                (1.3, 1.4),
                (-1.3, 1.4),
            ]
        )
        p.fill(line, pal.muzzle, warp=FACE)
    elif kind == "monkey":
        for s in SIDES:
            p.fill(g.circle(s * lay.eye_dx, lay.eye_y - 0.05, lay.eye_ry + 0.28 * size, n=28), pal.muzzle, warp=FACE)
        p.fill(
            g.ellipse(0.0, (lay.nose_y + lay.mouth_y) / 2 + 0.05, 0.55 * size, 0.42 * size, n=32), pal.muzzle, warp=FACE
        )


def _shading(p, ident, head, box):
    """Cel shadow (a hard crescent away from the light) or a soft gradient across the head."""
    st = ident.style
    if st.shading == "flat":
        return
    x0, y0, x1, y1 = box
    light = np.array([np.cos(st.light_angle), np.sin(st.light_angle)])
    region = p.img[y0:y1, x0:x1]
    if st.shading == "cel":
        shadow = cv2.bitwise_not(p.mask(head * 0.97 + light * 0.22, STILL, antialias=False)[y0:y1, x0:x1])
        shadow_colour = mix(ident.palette.fur, ident.palette.fur_dark, 0.5 + st.shade_strength)
        darker = cv2.addWeighted(region, 0.45, np.full_like(region, shadow_colour), 0.55, 0.0)
        cv2.copyTo(darker, shadow, region)
        return
    # Gradient: darken linearly away from the light, computed from two 1-D ramps.
    centre = p.to_px(np.zeros((1, 2)), STILL)[0]
    xs = (np.arange(x0, x1, dtype=np.float32) - centre[0]) * light[0]
    ys = (np.arange(y0, y1, dtype=np.float32) - centre[1]) * light[1]
    along = (ys[:, None] + xs[None, :]) / (p.scale * ident.head.rx)
    factor = 1.0 - st.shade_strength * np.clip(0.5 - 0.5 * along, 0, 1)
    cv2.multiply(region, cv2.merge([factor, factor, factor]), dst=region, dtype=cv2.CV_8U)


# -- in front of the head -----------------------------------------------------------------------
def draw_front_parts(p: Painter, ident: Identity) -> None:
    """Hair, floppy ears, muzzles, nose, philtrum and whiskers."""
    _hair(p, ident)
    if ident.anatomy.accessory == "bow":
        _bow(p, ident)
    if ident.anatomy.ears == "floppy":
        for s in SIDES:
            _floppy_ear(p, ident, s)
    _muzzle(p, ident)
    _nose(p, ident)
    _whiskers(p, ident)


def _floppy_ear(p, ident, s):
    size = ident.anatomy.ear_size
    centre = (s * ident.head.rx * 0.92, -0.2 * ident.head.ry + size * 0.45)
    colour = ident.palette.fur_dark if ident.anatomy.markings != "blaze" else shade(ident.palette.fur, 0.8)
    _part(p, ident, g.ellipse(*centre, size * 0.45, size * 1.05, angle=-s * 0.3, n=32), colour, EARS)


def _hair(p, ident):
    kind, pal, h = ident.anatomy.hair, ident.palette, ident.head
    low = hairline(ident)
    if kind in ("bangs", "spiky", "pigtails", "bowl", "cap"):
        cap = _hair_cap(ident, low, deep_sides=(kind == "bowl"))
        colour = pal.accent if kind == "cap" else pal.hair
        if kind == "spiky":
            xs = np.linspace(-0.75, 0.75, 5)
            spikes = np.concatenate(
                [
                    [(x - 0.2, -h.ry * 0.85), (x + 0.05 * np.sign(x + 1e-3), -h.ry - 0.32), (x + 0.2, -h.ry * 0.85)]
                    for x in xs
                ]
            )
            _part(p, ident, spikes, colour, STILL)
        _part(p, ident, cap, colour, STILL)
        if kind == "cap":
            _part(p, ident, g.ellipse(0.25 * h.rx, low + 0.02, 0.75 * h.rx, 0.12), shade(colour, 0.8), STILL)
    elif kind == "tuft":
        for dx in (-0.12, 0.0, 0.12):
            p.stroke(
                g.bezier((dx, -h.ry + 0.02), (dx + 0.15, -h.ry - 0.2), (dx - 0.05, -h.ry - 0.3), 10),
                pal.outline if ident.species == "kid" else pal.fur_dark,
                0.045,
                warp=STILL,
            )
    elif kind == "feather":
        for i, dx in enumerate((-0.1, 0.05, 0.18)):
            _part(p, ident, g.teardrop(dx, -h.ry - 0.05, 0.07, 0.35, angle=0.3 * (i - 1)), pal.fur, STILL)
    elif kind == "wool":
        for cx, cy in (
            (-0.6, -0.6),
            (-0.3, -0.85),
            (0.0, -0.95),
            (0.3, -0.85),
            (0.6, -0.6),
            (-0.15, -0.75),
            (0.15, -0.75),
        ):
            _part(p, ident, g.circle(cx * h.rx, min(cy * h.ry, low - 0.12), 0.26, n=20), pal.hair, STILL)
    elif kind == "horns":
        for s in SIDES:
            _horn(p, ident, s)
    elif kind == "antenna":
        top = -h.ry * 0.97
        p.stroke(np.array([(0.0, top), (0.0, top - 0.3)]), pal.outline, 0.045, warp=STILL)
        _part(p, ident, g.circle(0.0, top - 0.34, 0.09), pal.accent, STILL)


def _bow(p, ident):
    """A ribbon bow on one side of the head, above the brows."""
    h = ident.head
    cx, cy = 0.45 * h.rx, min(-0.8 * h.ry, hairline(ident) - 0.1)
    colour = ident.palette.accent
    for s in SIDES:
        wing = np.array([(cx, cy), (cx + s * 0.28, cy - 0.16), (cx + s * 0.3, cy + 0.14)])
        _part(p, ident, wing, colour, STILL)
    _part(p, ident, g.circle(cx, cy, 0.07, n=12), shade(colour, 0.8), STILL)


def _hair_cap(ident, low, deep_sides=False):
    """The top of the head (above y=low), a little larger than the head, with a scalloped fringe."""
    h = ident.head
    top = g.superellipse(0.0, 0.0, h.rx * 1.06, h.ry * 1.08, h.power, h.taper, 0.0, n=64)

    def limit(x):
        """The fringe line: level across the forehead; a bowl cut also drops down the sides."""
        return low + (0.55 * np.clip(np.abs(x) / h.rx - 0.6, 0, 1) / 0.4 if deep_sides else 0.0)

    keep = top[top[:, 1] < limit(top[:, 0])]
    keep = keep[np.argsort(np.arctan2(keep[:, 1], keep[:, 0]))]
    xs = np.linspace(keep[0, 0], keep[-1, 0], 9)
    fringe = np.stack([xs, limit(xs) + 0.05 * (np.arange(9) % 2)], axis=1)
    return np.concatenate([keep, fringe[::-1]])


def _muzzle(p, ident):
    kind, pal, lay, size = ident.anatomy.muzzle, ident.palette, ident.layout, ident.anatomy.muzzle_size
    if kind == "cheeks":
        for s in SIDES:
            _part(p, ident, g.circle(s * 0.13 * size, lay.nose_y + 0.09, 0.145 * size, n=24), pal.muzzle, SNOUT)
    elif kind == "oval":
        cy = (lay.nose_y + lay.mouth_y) / 2 + 0.04
        _part(p, ident, g.ellipse(0.0, cy, 0.43 * size, 0.3 * size + 0.05, n=32), pal.muzzle, SNOUT)
    elif kind == "bill":
        bill = g.superellipse(0.0, lay.mouth_y - 0.02, 0.56 * size, 0.25 * size, 2.6, n=40)
        _part(p, ident, bill, pal.accent, SNOUT, outline=max(_outline(ident), 0.025))
        for s in SIDES:
            p.fill(g.ellipse(s * 0.12, lay.mouth_y - 0.14 * size, 0.03, 0.02), shade(pal.accent, 0.5), warp=SNOUT)
    elif kind == "snout":
        _part(
            p,
            ident,
            g.ellipse(0.0, lay.nose_y, 0.27 * size, 0.18 * size, n=28),
            pal.accent,
            SNOUT,
            outline=max(_outline(ident), 0.02),
        )
        for s in SIDES:
            p.fill(g.ellipse(s * 0.09 * size, lay.nose_y, 0.04, 0.07), shade(pal.accent, 0.45), warp=SNOUT)
    elif kind == "snout_wide":
        _part(p, ident, g.ellipse(0.0, lay.nose_y + 0.14, 0.58 * size, 0.36 * size, n=32), pal.muzzle, SNOUT)
        for s in SIDES:
            p.fill(g.ellipse(s * 0.22 * size, lay.nose_y + 0.04, 0.06, 0.08), shade(pal.muzzle, 0.4), warp=SNOUT)


def _nose(p, ident):
    kind, pal, lay, size = ident.anatomy.nose, ident.palette, ident.layout, ident.anatomy.nose_size
    y = lay.nose_y
    if kind == "triangle":
        tri = np.array([(-0.1, y - 0.05), (0.1, y - 0.05), (0.0, y + 0.06)]) * (size, 1) + (0, 0)
        p.fill(tri, pal.nose, pal.outline, 0.02, warp=SNOUT)
    elif kind == "oval":
        p.fill(g.ellipse(0.0, y, 0.11 * size, 0.075 * size, n=20), pal.nose, warp=SNOUT)
        p.fill(g.ellipse(-0.03, y - 0.025, 0.035 * size, 0.018 * size, n=10), (235, 235, 235), warp=SNOUT)
    elif kind == "dot":
        p.fill(g.circle(0.0, y, 0.06 * size, n=16), pal.nose, pal.outline, 0.015, warp=SNOUT)
    elif kind == "nostrils":
        for s in SIDES:
            p.fill(g.ellipse(s * 0.06, y, 0.025, 0.035, n=10), shade(pal.fur, 0.35), warp=SNOUT)
    elif kind == "button":
        p.stroke(
            g.ellipse(0.0, y, 0.06 * size, 0.045 * size, n=12, t0=0.2, t1=np.pi - 0.2),
            shade(pal.fur, 0.6),
            0.03,
            warp=SNOUT,
        )
    elif kind == "beak":
        beak = np.array([(-0.12, y - 0.08), (0.12, y - 0.08), (0.0, y + 0.1)]) * (size, 1)
        p.fill(beak, pal.accent, pal.outline, max(_outline(ident), 0.02), warp=SNOUT)
    if ident.anatomy.philtrum:
        p.stroke(np.array([(0.0, y + 0.05), (0.0, lay.mouth_y - 0.06)]), pal.ink, 0.025, warp=SNOUT)


def _whiskers(p, ident):
    n, lay = ident.anatomy.whiskers, ident.layout
    for s in SIDES:
        for k in range(n):
            y0 = lay.nose_y + 0.08 + 0.06 * k
            path = g.bezier((s * 0.28, y0), (s * 0.55, y0 - 0.04 + 0.03 * k), (s * 0.85, y0 - 0.1 + 0.09 * k), 8)
            p.stroke(path, ident.palette.outline, 0.016, warp=SNOUT)
