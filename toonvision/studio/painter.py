"""Rasterising face-unit shapes onto a supersampled canvas with anti-aliased OpenCV primitives."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# OpenCV draws sub-pixel coordinates given as fixed point with this many fractional bits.
_SHIFT = 4
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class Warp:
    """How a shape follows head yaw: 'sphere' features slide round a sphere of radius depth (in head
    half-widths), 'shift' shapes slide bodily by depth * sin(yaw), 'none' shapes stay put."""

    kind: str = "sphere"
    depth: float = 1.0


FACE = Warp("sphere", 1.0)
SNOUT = Warp("sphere", 1.25)
EARS = Warp("shift", 0.45)
STILL = Warp("none", 0.0)


class Painter:
    """Draws shapes given in face units onto an image (and an alpha mask) through a pose transform."""

    def __init__(
        self,
        canvas: np.ndarray,
        centre,
        scale: float,
        rotation_deg: float = 0.0,
        yaw: float = 0.0,
        head_w: float = 1.0,
        alpha: np.ndarray | None = None,
    ):
        self.img = canvas
        self.alpha = alpha
        self.scale = float(scale)
        self.yaw = float(yaw)
        self.head_w = float(head_w)
        theta = np.deg2rad(rotation_deg)
        c, s = np.cos(theta), np.sin(theta)
        self._m = np.array([[c, -s], [s, c]]) * self.scale
        self._t = np.asarray(centre, float)

    # -- coordinates ---------------------------------------------------------------------------
    def warp(self, pts, warp: Warp = FACE) -> np.ndarray:
        """Apply the yaw warp in face units."""
        pts = np.array(pts, float)
        if not self.yaw or warp.kind == "none":
            return pts
        if warp.kind == "shift":
            pts[:, 0] += self.head_w * warp.depth * np.sin(self.yaw)
            return pts
        r = self.head_w * warp.depth
        angle = np.arcsin(np.clip(pts[:, 0] / r, -1.0, 1.0))
        pts[:, 0] = r * np.sin(np.clip(angle + self.yaw, -np.pi / 2, np.pi / 2))
        return pts

    def to_px(self, pts, warp: Warp = FACE) -> np.ndarray:
        """Face units -> float pixel coordinates."""
        return self.warp(pts, warp) @ self._m.T + self._t

    def _fixed(self, pts, warp: Warp) -> np.ndarray:
        return np.round(self.to_px(pts, warp) * _ONE).astype(np.int32)

    def px(self, width: float) -> int:
        """A line width in face units -> whole pixels (at least 1)."""
        return max(1, int(round(width * self.scale)))

    # -- drawing -------------------------------------------------------------------------------
    def fill(self, pts, colour, outline=None, width: float = 0.0, warp: Warp = FACE, opaque: bool = True):
        """Fill a polygon, then stroke its border with outline colour if width > 0."""
        if len(pts) < 3:
            return
        fixed = self._fixed(pts, warp)
        cv2.fillPoly(self.img, [fixed], _bgr(colour), cv2.LINE_AA, _SHIFT)
        if self.alpha is not None and opaque:
            cv2.fillPoly(self.alpha, [fixed], 255, cv2.LINE_AA, _SHIFT)
        if outline is not None and width > 0:
            self._polyline(fixed, outline, width, closed=True, opaque=opaque)

    def stroke(self, pts, colour, width: float, closed: bool = False, warp: Warp = FACE, opaque: bool = True):
        """Draw a polyline of the given width (face units) with round caps."""
        if len(pts) < 2:
            return
        self._polyline(self._fixed(pts, warp), colour, width, closed, opaque)

    def _polyline(self, fixed, colour, width, closed, opaque=True):
        thickness = self.px(width)
        cv2.polylines(self.img, [fixed], closed, _bgr(colour), thickness, cv2.LINE_AA, _SHIFT)
        if self.alpha is not None and opaque:
            cv2.polylines(self.alpha, [fixed], closed, 255, thickness, cv2.LINE_AA, _SHIFT)

    def mask(self, pts, warp: Warp = FACE, antialias: bool = True) -> np.ndarray:
        """A uint8 mask (0..255) of a polygon the size of the canvas; hard-edged (0/255) if not antialias."""
        m = np.zeros(self.img.shape[:2], np.uint8)
        cv2.fillPoly(m, [self._fixed(pts, warp)], 255, cv2.LINE_AA if antialias else cv2.LINE_8, _SHIFT)
        return m

    def bbox_px(self, pts, warp: Warp = FACE, pad: int = 2):
        """Integer pixel box (x0, y0, x1, y1) around a shape, clipped to the canvas."""
        p = self.to_px(pts, warp)
        h, w = self.img.shape[:2]
        x0, y0 = np.floor(p.min(axis=0)).astype(int) - pad
        x1, y1 = np.ceil(p.max(axis=0)).astype(int) + pad
        return max(0, x0), max(0, y0), min(w, x1), min(h, y1)


def _bgr(colour):
    return tuple(int(c) for c in colour)


class BoundsPainter(Painter):
    """Draws nothing: records the extent (in posed face units) of everything it is asked to draw,
    so a character can be framed before it is painted."""

    def __init__(self, rotation_deg: float = 0.0, yaw: float = 0.0, head_w: float = 1.0):
        super().__init__(None, (0.0, 0.0), 1.0, rotation_deg, yaw, head_w)
        self.lo = np.array([np.inf, np.inf])
        self.hi = np.array([-np.inf, -np.inf])

    def _grow(self, pts, warp: Warp, width: float):
        q = self.to_px(pts, warp)
        self.lo = np.minimum(self.lo, q.min(axis=0) - width / 2)
        self.hi = np.maximum(self.hi, q.max(axis=0) + width / 2)

    def fill(self, pts, colour, outline=None, width: float = 0.0, warp: Warp = FACE, opaque: bool = True):
        if len(pts):
            self._grow(pts, warp, width if outline is not None else 0.0)

    def stroke(self, pts, colour, width: float, closed: bool = False, warp: Warp = FACE, opaque: bool = True):
        if len(pts):
            self._grow(pts, warp, width)
