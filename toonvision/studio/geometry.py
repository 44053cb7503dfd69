"""Point-list geometry for the studio: every shape is an (N, 2) float array in face units.

Face units: the head is centred on (0, 0) with a half-width of about 1; x grows to the viewer's
right and y grows downwards, as in image coordinates.
"""

from __future__ import annotations

import numpy as np

TAU = 2.0 * np.pi


def ellipse(cx, cy, rx, ry, angle=0.0, n=28, t0=0.0, t1=TAU) -> np.ndarray:
    """Points on an ellipse (or an arc of it from t0 to t1, radians), rotated by angle radians."""
    full = abs(t1 - t0) >= TAU - 1e-9
    t = np.linspace(t0, t1, n, endpoint=not full)
    x, y = rx * np.cos(t), ry * np.sin(t)
    if angle:
        c, s = np.cos(angle), np.sin(angle)
        x, y = c * x - s * y, s * x + c * y
    return np.stack([x + cx, y + cy], axis=1)


def circle(cx, cy, r, n=24) -> np.ndarray:
    """Points on a circle."""
    return ellipse(cx, cy, r, r, n=n)


def bezier(p0, p1, p2, n=14) -> np.ndarray:
    """Quadratic Bezier curve from p0 to p2 pulled towards p1."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, p1, p2 = (np.asarray(p, float) for p in (p0, p1, p2))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def parabola(cx, cy, half_w, sag, n=16) -> np.ndarray:
    """A symmetric curve through (cx-half_w, cy) and (cx+half_w, cy) whose middle sits at cy+sag.

    sag > 0 bends the middle down (a smile), sag < 0 bends it up (a frown).
    """
    x = np.linspace(-1.0, 1.0, n)
    return np.stack([cx + half_w * x, cy + sag * (1 - x**2)], axis=1)


def wave(cx, cy, half_w, amp, periods, n=40, phase=0.0) -> np.ndarray:
    """A horizontal sine wave centred on (cx, cy)."""
    x = np.linspace(-1.0, 1.0, n)
    return np.stack([cx + half_w * x, cy + amp * np.sin(np.pi * periods * (x + 1) + phase)], axis=1)


def bend(points, cx, amount, half_w) -> np.ndarray:
    """Drop the points by amount*(dx/half_w)^2 so a straight shape turns its corners down (amount > 0)."""
    pts = np.array(points, float)
    pts[:, 1] += amount * ((pts[:, 0] - cx) / half_w) ** 2
    return pts


def rounded_rect(cx, cy, half_w, half_h, radius, n_corner=5) -> np.ndarray:
    """A rectangle with rounded corners."""
    radius = min(radius, half_w, half_h)
    corners = [
        (half_w - radius, half_h - radius, 0.0),
        (-half_w + radius, half_h - radius, 0.5 * np.pi),
        (-half_w + radius, -half_h + radius, np.pi),
        (half_w - radius, -half_h + radius, 1.5 * np.pi),
    ]
    arcs = [ellipse(cx + x, cy + y, radius, radius, n=n_corner, t0=t, t1=t + 0.5 * np.pi) for x, y, t in corners]
    return np.concatenate(arcs)


def superellipse(cx, cy, rx, ry, power, taper=0.0, chin=0.0, n=48) -> np.ndarray:
    """A head outline: an ellipse squared off by power (2 = ellipse), with options for a wider
    bottom (taper > 0) or top (taper < 0) and a pointed chin (chin > 0)."""
    t = np.linspace(0.0, TAU, n, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    e = 2.0 / power
    x = np.sign(c) * np.abs(c) ** e
    y = np.sign(s) * np.abs(s) ** e
    x = x * (1.0 + taper * y)
    y = y + chin * np.clip(y, 0, None) ** 3 * np.exp(-8.0 * x**2)
    return np.stack([cx + rx * x, cy + ry * y], axis=1)


def teardrop(cx, cy, r, length, angle=0.0) -> np.ndarray:
    """A drop: round bottom of radius r centred on (cx, cy) and a point `length` above that centre."""
    tip = (0.0, -length)
    left = bezier(tip, (-r, -0.4 * length), (-r, 0.0), n=8)
    bottom = ellipse(0.0, 0.0, r, r, n=12, t0=np.pi, t1=0.0)
    right = bezier((r, 0.0), (r, -0.4 * length), tip, n=8)
    pts = np.concatenate([left, bottom[1:-1], right])
    if angle:
        pts = rotate(pts, 0.0, 0.0, angle)
    return pts + (cx, cy)


def ribbon(path, widths) -> np.ndarray:
    """A filled stroke along path whose width varies point by point (for tapered brows and hair)."""
    path = np.asarray(path, float)
    widths = np.broadcast_to(np.asarray(widths, float), (len(path),))
    d = np.gradient(path, axis=0)
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-9
    left = path + normal * (widths[:, None] / 2)
    right = path - normal * (widths[:, None] / 2)
    return np.concatenate([left, right[::-1]])


def taper(n, thick, thin_start=0.35, thin_end=0.35) -> np.ndarray:
    """Widths along a stroke: thick in the middle, thinning towards the ends (by the given fractions)."""
    t = np.linspace(0.0, 1.0, n)
    start = thin_start + (1 - thin_start) * np.sin(np.clip(t / 0.35, 0, 1) * np.pi / 2)
    end = thin_end + (1 - thin_end) * np.sin(np.clip((1 - t) / 0.35, 0, 1) * np.pi / 2)
    return thick * np.minimum(start, end)


def clip_halfplane(poly, a, b) -> np.ndarray:
    """Keep the part of polygon poly on the screen-left of the directed line a->b (Sutherland-Hodgman).

    With y pointing down, a line running to the right keeps what lies above it.
    """
    poly = np.asarray(poly, float)
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    side = d[0] * (poly[:, 1] - a[1]) - d[1] * (poly[:, 0] - a[0])
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        sp, sq = side[i], side[(i + 1) % n]
        if sp <= 0:
            out.append(p)
        if (sp <= 0) != (sq <= 0):
            t = sp / (sp - sq)
            out.append(p + t * (q - p))
    return np.array(out) if out else np.zeros((0, 2))


def rotate(points, cx, cy, angle) -> np.ndarray:
    """Rotate points about (cx, cy) by angle radians."""
    c, s = np.cos(angle), np.sin(angle)
    pts = np.asarray(points, float) - (cx, cy)
    return np.stack([c * pts[:, 0] - s * pts[:, 1], s * pts[:, 0] + c * pts[:, 1]], axis=1) + (cx, cy)


def mirror_x(points, cx=0.0) -> np.ndarray:
    """Reflect points across the vertical line x = cx."""
    pts = np.array(points, float)
    pts[:, 0] = 2 * cx - pts[:, 0]
    return pts
