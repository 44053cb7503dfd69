"""Studio episodes: short cartoon videos of the cast, with a truth file saying where every face is and
which emotion it shows on every frame.

An episode is a run of shots with hard cuts. Each shot is a set (a wide backdrop, sometimes panned)
with one or both cast members and 0-2 extras in their own lanes across the screen, so faces rarely
overlap. Characters enter and leave from the sides, drift, bob, zoom, tilt and turn their heads (yaw),
and hold each emotion for at least half a second (typically 1-4 s). Marmalade and Pip keep one
identity for the whole episode; extras are new in every shot. Everything is deterministic for a seed.

    summary = write_episode("episode.mp4", seconds=10, seed=3)   # also writes episode.truth.json

The truth file (`toonvision.truth_metrics.truth_path(video)`, which reads what this writes):

    {"fps": 24.0, "width": 854, "height": 480, "frame_count": 240, "seed": 3,
     "shots": [[0, 77], [77, 160], ...],                 # [start, stop) frames, one per shot
     "frames": [{"index": 0, "faces": [
         {"character": "pip", "emotion": "happy", "box": [x, y, w, h], "scored": true,
          "track": 0, "visible": 0.97}, ...]}, ...]}

- Every frame is listed; `faces` holds every face whose box meets the frame, in track order.
- `box` is the head's square box, unclipped (it may reach past the frame's edges; clip it where needed):
  side = 2 * max(head.rx, head.ry) * scale, centred on the head centre - the emotion CNN's crop
  convention at factor 1.0.
- `character` is "marmalade", "pip" or "extras" - or the guest starring instead (`cast=("bramble",)`: a
  guest of studio/guests.py, a fixed identity no shipped model has seen).
- `visible` is the share of the head's pixels inside the frame and not covered by anything drawn in
  front of it (another character, its body, a prop); `scored` is false when the box is under 24 px,
  `visible` is under 0.8 or less than 80% of the box lies inside the frame - the truth metrics neither
  reward nor punish those.
- `track` numbers one appearance of one character within a shot (unique in the episode).

`cast` names who stars (default the demo cast, marmalade and pip): any of them and of the guests,
e.g. `cast=("bramble",)` or `cast=("pip", "juniper")`. Each star keeps one identity for the episode
(seeded by the episode seed and its place in STARS, so the default cast draws what it always drew);
extras still appear.

`emotion_bias` sets the share of screen time (frames on which the face is in the truth) a cast member
spends in an emotion, e.g. {"pip": {"happy": 0.6, "sad": 0.25}}: Pip is happy about 60% of the
time he is on screen, sad 25%, and the other five emotions share the remaining 15% equally. Emotions
are scheduled against the shares as the episode goes, so even a 10 s episode follows them to within
about one held segment; the summary's `screen_time` reports what came out. Characters without a bias
change to a different, uniformly chosen emotion at every change.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from ..emotions import EMOTIONS
from ..truth_metrics import truth_path
from ..video import VideoWriter
from .anatomy import head_outline
from .cast import CAST, EXTRAS, STARS
from .faces import MAX_YAW, FaceSpec, face_extent, paint_face, sample_face_spec, supersampling, with_emotion
from .painter import STILL, BoundsPainter, Painter
from .palette import INK, hsv, mix, shade
from .scenery import background, draw_body, draw_occluder

MIN_SCORED_SIDE = 24  # px: a smaller face box is not scored
MIN_SCORED_VISIBLE = 0.8  # share of the head's pixels on screen and uncovered
MIN_HOLD_SECONDS = 0.5  # no emotion is shown for less
HOLD_SECONDS = (1.0, 4.0)  # how long an emotion is usually held
SHOT_SECONDS = (2.5, 5.0)
FACE_SIDES = (40.0, 160.0)  # px at 480 lines; scaled with the frame height
YAW_BINS = 9  # head turns are drawn in this many steps across [-MAX_YAW, MAX_YAW]
_AA = cv2.LINE_AA


# -- sets --------------------------------------------------------------------------------------------
def _colour(rng, s=(0.2, 0.8), v=(0.4, 1.0)):
    return hsv(rng.uniform(0, 360), rng.uniform(*s), rng.uniform(*v))


def backdrop(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A wide cartoon set, (height, width, 3) uint8 BGR: outdoors (sky, hills, trees, clouds, a house),
    indoors (wall, floor, windows, pictures, furniture), or one of the studio's plain backgrounds."""
    kind = rng.choice(["outdoors", "indoors", "plain"], p=[0.45, 0.35, 0.2])
    if kind == "plain":
        side = max(width, height)
        square = background(rng, side)
        y0, x0 = (side - height) // 2, (side - width) // 2
        return np.ascontiguousarray(square[y0 : y0 + height, x0 : x0 + width])
    return _outdoors(rng, width, height) if kind == "outdoors" else _indoors(rng, width, height)


def _vertical_gradient(top, bottom, width, height) -> np.ndarray:
    return cv2.resize(np.array([[top], [bottom]], np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)


def _outdoors(rng, w, h):
    sky_top = hsv(rng.uniform(190, 230), rng.uniform(0.3, 0.7), rng.uniform(0.75, 1.0))
    if rng.random() < 0.15:  # sunset
        sky_top = hsv(rng.uniform(250, 290), 0.5, 0.6)
        sky_low = hsv(rng.uniform(15, 40), 0.6, 1.0)
    else:
        sky_low = hsv(rng.uniform(180, 220), rng.uniform(0.05, 0.3), 1.0)
    img = _vertical_gradient(sky_top, sky_low, w, h)
    horizon = int(h * rng.uniform(0.5, 0.8))
    if rng.random() < 0.5:
        sun = (int(rng.uniform(0.05, 0.95) * w), int(rng.uniform(0.08, 0.3) * h))
        cv2.circle(img, sun, int(h * rng.uniform(0.05, 0.09)), (80, 225, 255), -1, _AA)
    for _ in range(int(rng.integers(0, 5))):  # clouds
        cx, cy, r = rng.uniform(0, w), rng.uniform(0.05, 0.35) * h, h * rng.uniform(0.03, 0.06)
        for k in range(int(rng.integers(3, 6))):
            cv2.circle(
                img, (int(cx + k * r * 0.9), int(cy + rng.uniform(-0.4, 0.4) * r)), int(r), (250, 250, 250), -1, _AA
            )
    ground = hsv(rng.uniform(70, 140), rng.uniform(0.4, 0.8), rng.uniform(0.45, 0.8))
    far = shade(mix(ground, sky_low, 0.35), 1.05)
    for _ in range(int(rng.integers(1, 4))):  # distant hills
        cx, r = int(rng.uniform(0, w)), int(w * rng.uniform(0.15, 0.45))
        cv2.ellipse(img, (cx, horizon), (r, int(h * rng.uniform(0.1, 0.3))), 0, 180, 360, far, -1, _AA)
    img[horizon:] = _vertical_gradient(ground, shade(ground, 0.75), w, h - horizon)
    if rng.random() < 0.35:  # a house
        x0, hw = int(rng.uniform(0.05, 0.75) * w), int(h * rng.uniform(0.25, 0.4))
        y1, top = horizon + int(h * 0.03), horizon - int(hw * 0.7)
        wall, roof = _colour(rng, (0.2, 0.5), (0.7, 0.95)), _colour(rng, (0.5, 0.8), (0.4, 0.7))
        cv2.rectangle(img, (x0, top), (x0 + hw, y1), wall, -1, _AA)
        cv2.rectangle(img, (x0, top), (x0 + hw, y1), INK, 2, _AA)
        roof_pts = np.array([(x0 - hw // 8, top), (x0 + hw // 2, top - hw // 2), (x0 + hw + hw // 8, top)], np.int32)
        cv2.fillPoly(img, [roof_pts], roof, _AA)
        cv2.polylines(img, [roof_pts], True, INK, 2, _AA)
        win = hw // 4
        cv2.rectangle(
            img, (x0 + win // 2, top + win // 2), (x0 + win * 3 // 2, top + win * 3 // 2), (240, 220, 160), -1
        )
        cv2.rectangle(img, (x0 + hw - win * 2, top + win), (x0 + hw - win, y1), shade(wall, 0.5), -1)
    if rng.random() < 0.3:  # a fence
        y = horizon + int(h * rng.uniform(0.05, 0.12))
        colour = hsv(rng.uniform(20, 40), 0.3, rng.uniform(0.6, 0.95))
        step = int(h * 0.06)
        for x in range(int(rng.integers(0, step)), w, step):
            cv2.rectangle(img, (x, y - step), (x + step // 3, y + step // 2), colour, -1)
        cv2.rectangle(img, (0, y - step * 2 // 3), (w, y - step // 2), colour, -1)
    for _ in range(int(rng.integers(0, 6))):  # trees
        x, top = int(rng.uniform(0, w)), int(horizon - h * rng.uniform(0.15, 0.4))
        trunk = max(3, h // 40)
        cv2.rectangle(img, (x - trunk, top), (x + trunk, horizon + int(h * 0.02)), (40, 70, 110), -1)
        green = hsv(rng.uniform(90, 140), rng.uniform(0.5, 0.8), rng.uniform(0.4, 0.65))
        r = int(h * rng.uniform(0.07, 0.12))
        for dx, dy in ((0, 0), (-0.7, 0.4), (0.7, 0.4)):
            cv2.circle(img, (int(x + dx * r), int(top + dy * r)), r, green, -1, _AA)
    return img


def _indoors(rng, w, h):
    wall = _colour(rng, (0.1, 0.5), (0.6, 0.95))
    img = _vertical_gradient(shade(wall, 1.05), shade(wall, 0.9), w, h)
    if rng.random() < 0.35:  # wallpaper stripes
        stripe = shade(wall, rng.uniform(0.85, 0.95))
        step = int(h * rng.uniform(0.05, 0.12))
        for x in range(0, w, 2 * step):
            cv2.rectangle(img, (x, 0), (x + step, h), stripe, -1)
    floor_y = int(h * rng.uniform(0.68, 0.85))
    for _ in range(int(rng.integers(0, 3))):  # windows with a bit of sky
        x0, y0 = int(rng.uniform(0, 0.85) * w), int(rng.uniform(0.08, 0.3) * h)
        ww, wh = int(h * rng.uniform(0.2, 0.35)), int(h * rng.uniform(0.2, 0.35))
        sky = hsv(rng.uniform(190, 225), rng.uniform(0.3, 0.6), 0.95)
        cv2.rectangle(img, (x0, y0), (x0 + ww, y0 + wh), sky, -1)
        frame_colour = shade(_colour(rng, (0.0, 0.3), (0.7, 1.0)), 0.9)
        cv2.rectangle(img, (x0, y0), (x0 + ww, y0 + wh), frame_colour, max(3, h // 80))
        cv2.line(img, (x0 + ww // 2, y0), (x0 + ww // 2, y0 + wh), frame_colour, max(2, h // 120))
    for _ in range(int(rng.integers(0, 3))):  # pictures
        x0, y0 = int(rng.uniform(0, 0.9) * w), int(rng.uniform(0.1, 0.35) * h)
        pw, ph = int(h * rng.uniform(0.08, 0.18)), int(h * rng.uniform(0.08, 0.18))
        cv2.rectangle(img, (x0, y0), (x0 + pw, y0 + ph), _colour(rng), -1)
        cv2.rectangle(img, (x0, y0), (x0 + pw, y0 + ph), shade(_colour(rng, (0.3, 0.6), (0.3, 0.6)), 0.8), 3)
    if rng.random() < 0.4:  # a door
        x0, dw = int(rng.uniform(0, 0.85) * w), int(h * 0.22)
        cv2.rectangle(img, (x0, floor_y - int(h * 0.55)), (x0 + dw, floor_y), _colour(rng, (0.3, 0.6), (0.35, 0.6)), -1)
        cv2.circle(img, (x0 + dw - dw // 6, floor_y - int(h * 0.27)), max(2, h // 100), (60, 190, 230), -1, _AA)
    floor = _colour(rng, (0.2, 0.6), (0.35, 0.7))
    img[floor_y:] = _vertical_gradient(floor, shade(floor, 0.8), w, h - floor_y)
    cv2.line(img, (0, floor_y), (w, floor_y), shade(wall, 0.6), max(2, h // 100))
    if rng.random() < 0.45:  # a table or sofa standing on the floor
        x0, fw, fh = int(rng.uniform(0, 0.7) * w), int(h * rng.uniform(0.4, 0.7)), int(h * rng.uniform(0.12, 0.22))
        colour = _colour(rng, (0.3, 0.7), (0.35, 0.75))
        y0 = floor_y + int(h * 0.03) - fh
        cv2.rectangle(img, (x0, y0), (x0 + fw, y0 + fh // 3), colour, -1)
        for leg in (x0 + fw // 12, x0 + fw - fw // 12 - max(3, h // 60)):
            cv2.rectangle(img, (leg, y0), (leg + max(3, h // 60), y0 + fh), shade(colour, 0.7), -1)
    return img


# -- actors and their sprites -------------------------------------------------------------------------
@dataclass
class Sprite:
    """A character (body and head) drawn once on transparency, at a few sizes.

    levels[k] is premultiplied BGRA at 1/2**k of level 0's size; masks[k] the head alone (0..255), for
    visibility. The head centre sits at `centre` (level-0 pixels) and level 0 draws `unit` pixels per
    face unit.
    """

    levels: list[np.ndarray]
    masks: list[np.ndarray]
    centre: np.ndarray
    unit: float


def render_sprite(spec: FaceSpec, box: float, body_seed: int | None) -> Sprite:
    """Draw spec (upright; rotation is applied when placed) with its head box `box` px wide at level 0,
    on a body drawn from body_seed (None: no body)."""
    ident = spec.identity
    half = max(ident.head.rx, ident.head.ry)
    unit = box / (2.0 * half)
    lo, hi = face_extent(spec)
    if body_seed is not None:
        bounds = BoundsPainter(spec.rotation, 0.0, ident.head.rx)
        draw_body(bounds, np.random.default_rng(body_seed), ident.palette.fur, ident.head.ry)
        lo, hi = np.minimum(lo, bounds.lo), np.maximum(hi, bounds.hi)
    pad = 3.0
    size = np.ceil(((hi - lo) * unit + 2 * pad) / 8.0).astype(int) * 8  # halves exactly three times
    ss = supersampling(int(box))
    origin = -lo * unit + pad  # the head centre, level-0 pixels
    centre = origin * ss + (ss - 1) / 2.0
    canvas = np.zeros((size[1] * ss, size[0] * ss, 3), np.uint8)
    alpha = np.zeros(canvas.shape[:2], np.uint8)
    if body_seed is not None:
        stage = Painter(canvas, centre, unit * ss, spec.rotation, 0.0, ident.head.rx, alpha)
        draw_body(stage, np.random.default_rng(body_seed), ident.palette.fur, ident.head.ry)
    paint_face(canvas, spec, centre, unit * ss, alpha)
    head = Painter(canvas, centre, unit * ss, spec.rotation, spec.yaw, ident.head.rx).mask(
        head_outline(ident), warp=STILL
    )
    shape = (int(size[0]), int(size[1]))
    # Drawn over black, the colours are already premultiplied by alpha.
    levels = [cv2.resize(np.dstack([canvas, alpha]), shape, interpolation=cv2.INTER_AREA)]
    masks = [cv2.resize(head, shape, interpolation=cv2.INTER_AREA)]
    while len(levels) < 4 and min(levels[-1].shape[:2]) >= 32:
        h, w = levels[-1].shape[:2]
        levels.append(cv2.resize(levels[-1], (w // 2, h // 2), interpolation=cv2.INTER_AREA))
        masks.append(cv2.resize(masks[-1], (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    return Sprite(levels, masks, origin, unit)


def yaw_bin(yaw: float) -> int:
    step = 2 * MAX_YAW / (YAW_BINS - 1)
    return int(np.clip(round((yaw + MAX_YAW) / step), 0, YAW_BINS - 1))


def _bin_yaw(index: int) -> float:
    return -MAX_YAW + index * 2 * MAX_YAW / (YAW_BINS - 1)


class Actor:
    """One identity on screen: a cast member (one per episode) or an extra (one per shot).

    Its face for each emotion is designed once (from its own seed, so drawing order never matters)
    and its sprites are cached per (emotion, yaw step).
    """

    def __init__(self, character: str, seed, sprite_box: float, body: bool = True, species: str | None = None):
        self.character = character
        self.seed = [int(s) for s in np.atleast_1d(seed)]
        self.base = sample_face_spec(np.random.default_rng([*self.seed, 0]), character, "neutral", species)
        self.half = max(self.base.identity.head.rx, self.base.identity.head.ry)
        self.body_seed = int(np.random.default_rng([*self.seed, 1]).integers(2**31)) if body else None
        self.sprite_box = sprite_box
        self._specs: dict[str, FaceSpec] = {}
        self._sprites: dict[tuple[str, int], Sprite] = {}

    def spec(self, emotion: str) -> FaceSpec:
        if emotion not in self._specs:
            rng = np.random.default_rng([*self.seed, 2, EMOTIONS.index(emotion)])
            self._specs[emotion] = replace(with_emotion(self.base, emotion, rng), rotation=0.0, yaw=0.0)
        return self._specs[emotion]

    def release(self) -> None:
        """Forget the sprites drawn so far (drawn again, the same, if asked for again)."""
        self._sprites.clear()

    def sprite(self, emotion: str, yaw: float) -> Sprite:
        key = (emotion, yaw_bin(yaw))
        if key not in self._sprites:
            spec = replace(self.spec(emotion), yaw=_bin_yaw(key[1]))
            self._sprites[key] = render_sprite(spec, self.sprite_box, self.body_seed)
        return self._sprites[key]


# -- placing sprites on a frame --------------------------------------------------------------------------
@dataclass
class Pose:
    x: float  # head centre, frame pixels
    y: float
    side: float  # head box side, pixels
    rotation: float  # degrees, clockwise on screen
    yaw: float  # radians


@dataclass
class Placed:
    """Where a sprite landed: its clipped region of the frame and its head there (for visibility)."""

    item: int
    x0: int
    y0: int
    head: np.ndarray  # float32 weights 0..1 of the head's pixels in the region
    head_total: float  # the whole head's pixels, on screen or not


def composite(frame: np.ndarray, ids: np.ndarray, sprite: Sprite, pose: Pose, half: float, item: int) -> Placed | None:
    """Draw sprite onto frame (in place) with its head at pose, touching only its box; mark the pixels
    it covers with item in ids. Returns None when nothing lands on the frame."""
    scale = pose.side / (2.0 * half) / sprite.unit  # frame pixels per level-0 sprite pixel
    level = int(np.clip(np.floor(np.log2(1.0 / scale)) if scale < 1 else 0, 0, len(sprite.levels) - 1))
    image, mask = sprite.levels[level], sprite.masks[level]
    step = 2**level
    factor = scale * step
    centre = (sprite.centre - (step - 1) / 2.0) / step
    theta = np.deg2rad(pose.rotation)
    m = factor * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    t = np.array([pose.x, pose.y]) - m @ centre
    h, w = image.shape[:2]
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], float) - 0.5
    placed = corners @ m.T + t
    fh, fw = frame.shape[:2]
    x0, y0 = np.floor(placed.min(axis=0)).astype(int)
    x1, y1 = np.ceil(placed.max(axis=0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, fw), min(y1, fh)
    if x1 <= x0 or y1 <= y0:
        return None
    affine = np.hstack([m, (t - (x0, y0))[:, None]])
    size = (x1 - x0, y1 - y0)
    fg = cv2.warpAffine(image, affine, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    head = cv2.warpAffine(mask, affine, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = fg[..., 3:4].astype(np.float32) * (1.0 / 255.0)
    region = frame[y0:y1, x0:x1]
    region[:] = np.minimum(fg[..., :3] + region * (1.0 - alpha) + 0.5, 255.0).astype(np.uint8)
    ids[y0:y1, x0:x1][fg[..., 3] > 127] = item
    head_total = float(mask.sum(dtype=np.float64)) / 255.0 * factor * factor
    return Placed(item, x0, y0, head.astype(np.float32) * (1.0 / 255.0), head_total)


def paint_prop(frame: np.ndarray, ids: np.ndarray, pose: Pose, actor: Actor, seed: int, item: int) -> None:
    """A prop held in front of part of the face (the studio's occluders: a paw, leaf, sign or bush)."""
    head = actor.base.identity.head
    mask = np.zeros(frame.shape[:2], np.uint8)
    stage = Painter(frame, (pose.x, pose.y), pose.side / (2.0 * actor.half), pose.rotation, 0.0, head.rx, mask)
    draw_occluder(stage, np.random.default_rng(seed), head.rx, head.ry)
    ids[mask > 127] = item


def visible_share(placed: Placed, ids: np.ndarray) -> float:
    """Share of the head's pixels that are on the frame and still show (nothing drawn over them)."""
    h, w = placed.head.shape
    own = ids[placed.y0 : placed.y0 + h, placed.x0 : placed.x0 + w] == placed.item
    return float(min(1.0, (placed.head * own).sum(dtype=np.float64) / max(placed.head_total, 1e-6)))


def face_box(pose: Pose) -> list[int]:
    """The truth box [x, y, w, h]: the head's square box centred on the head centre (unclipped)."""
    side = int(round(pose.side))
    return [int(round(pose.x - pose.side / 2.0)), int(round(pose.y - pose.side / 2.0)), side, side]


def box_inside_share(box, width: int, height: int) -> float:
    """Share of an [x, y, w, h] box's area inside a width x height frame."""
    x, y, w, h = box
    inside = max(0, min(x + w, width) - max(x, 0)) * max(0, min(y + h, height) - max(y, 0))
    return inside / float(w * h) if w * h else 0.0


# -- planning shots ----------------------------------------------------------------------------------------
@dataclass
class Track:
    """One appearance of an actor in a shot: its pose and emotion on each of the shot's frames."""

    id: int
    actor: Actor
    x: np.ndarray
    y: np.ndarray
    side: np.ndarray
    rotation: np.ndarray
    yaw: np.ndarray
    emotions: list[str] = field(default_factory=list)
    prop_seed: int | None = None
    seen: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # per frame: the box meets the frame

    def pose(self, k: int) -> Pose:
        return Pose(
            float(self.x[k]), float(self.y[k]), float(self.side[k]), float(self.rotation[k]), float(self.yaw[k])
        )

    def on_screen(self, width: int, height: int) -> np.ndarray:
        """Per frame: whether the face box meets the frame (the face is then in the truth)."""
        half = self.side / 2.0
        return (self.x + half > 0) & (self.x - half < width) & (self.y + half > 0) & (self.y - half < height)


class Scenery:
    """A shot's set (the backdrop, possibly wider than the frame), drawn when the shot's frames are and let go
    after them, so an episode holds one set at a time however long it is (a 22-minute 1080p plan held gigabytes).
    Planning draws it once too, only to move the plan's generator on exactly as drawing it does: the same seed
    plans and draws the same episode, byte for byte, as when every set was kept."""

    def __init__(self, rng: np.random.Generator, width: int, height: int):
        self._kind, self._state = type(rng.bit_generator), rng.bit_generator.state
        self.width, self.height = width, height
        backdrop(rng, width, height)
        self._image: np.ndarray | None = None

    def image(self) -> np.ndarray:
        if self._image is None:
            rng = np.random.Generator(self._kind())
            rng.bit_generator.state = self._state
            self._image = backdrop(rng, self.width, self.height)
        return self._image

    def release(self) -> None:
        self._image = None


@dataclass
class Shot:
    start: int  # first frame in the episode
    length: int
    scenery: Scenery
    pan: np.ndarray  # per frame, the backdrop's column at the frame's left edge
    tracks: list[Track]

    @property
    def set(self) -> np.ndarray:
        """The backdrop, possibly wider than the frame."""
        return self.scenery.image()

    def release(self) -> None:
        """Let go of what only this shot draws: its set, and its extras' sprites (an extra is in one shot)."""
        self.scenery.release()
        for track in self.tracks:
            if track.actor.character == EXTRAS:
                track.actor.release()


def _ease(u):
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def plan_shot(rng, actors: list[Actor], length: int, fps: float, width: int, height: int, first_id: int) -> Shot:
    """Where the actors are, how big, tilted and turned on each of length frames (emotions come later)."""
    pan_extra = int(rng.uniform(0.05, 0.3) * width) if rng.random() < 0.4 else 0
    scenery = Scenery(rng, width + pan_extra, height)
    pan = np.round(_ease(np.arange(length) / max(1, length - 1)) * pan_extra).astype(int)
    if rng.random() < 0.5:
        pan = pan_extra - pan
    lanes = len(actors)
    lane_w = width / max(1, lanes)
    order = rng.permutation(lanes)
    t = np.arange(length) / fps
    duration = length / fps
    scale = height / 480.0
    tracks = []
    for i, actor in enumerate(actors):
        lane = int(order[i])
        edge = "left" if lane == 0 else "right" if lane == lanes - 1 else None
        if lanes == 1:
            edge = "left" if rng.random() < 0.5 else "right"
        track = _plan_track(rng, actor, first_id + i, lane, lane_w, edge, t, duration, width, height, scale)
        track.seen = track.on_screen(width, height)
        tracks.append(track)
    return Shot(0, length, scenery, pan, tracks)


def _plan_track(rng, actor, track_id, lane, lane_w, edge, t, duration, width, height, scale) -> Track:
    zoom = rng.uniform(-0.2, 0.25)
    hi = min(FACE_SIDES[1] * scale, 0.62 * lane_w) / (1.0 + max(zoom, 0.0))
    lo = min(FACE_SIDES[0] * scale, 0.8 * hi)
    side0 = rng.uniform(lo, hi)
    side = side0 * (1.0 + zoom * _ease(t / duration))
    home_x = (lane + 0.5 + rng.uniform(-0.1, 0.1)) * lane_w
    top = side.max() / 2.0 + 0.03 * height
    home_y = max(top, rng.uniform(0.3, 0.6) * height)
    x = home_x + rng.uniform(0, 0.08) * lane_w * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 7))
    y = home_y + rng.uniform(0, 0.03) * height * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 7))
    yaw = rng.uniform(-0.15, 0.15) + rng.uniform(0.05, 0.3) * np.sin(
        2 * np.pi * rng.uniform(0.1, 0.35) * t + rng.uniform(0, 7)
    )
    rotation = np.clip(rng.normal(0, 5), -12, 12) + rng.uniform(0, 5) * np.sin(
        2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 7)
    )
    if edge is not None and duration >= 2.5:
        away = -0.9 * side.max() if edge == "left" else width + 0.9 * side.max()
        facing = 0.3 if edge == "left" else -0.3  # walking in from the left, the face turns right
        moving = np.zeros_like(t)
        entered = 0.0
        if rng.random() < 0.35:  # walks in
            delay, walk = rng.uniform(0.0, 0.4), rng.uniform(0.6, 1.4)
            u = _ease((t - delay) / walk)
            x = away + (x - away) * u
            y = y + 0.015 * height * np.abs(np.sin(np.pi * 4 * t)) * (u < 1)  # a bob in its step
            moving = np.maximum(moving, (u < 1).astype(float))
            entered = delay + walk
        if rng.random() < 0.3 and duration - entered >= 2.2:  # walks out
            walk = rng.uniform(0.6, 1.2)
            leave = duration - walk - rng.uniform(0.0, 0.3)
            u = _ease((t - leave) / walk)
            x = x + (away - x) * u
            moving = np.maximum(moving, ((u > 0) & (u < 1)).astype(float))
            facing = -facing
        yaw = yaw * (1 - moving) + facing * moving
    return Track(
        track_id,
        actor,
        x,
        y,
        side,
        rotation,
        np.clip(yaw, -MAX_YAW, MAX_YAW),
        prop_seed=int(rng.integers(2**31)) if rng.random() < 0.2 else None,
    )


class EmotionSchedule:
    """Chooses one character's held emotions.

    Unbiased, each hold lasts HOLD_SECONDS (uniform) and shows a new emotion. With shares and the
    character's total screen time known, each hold goes to the emotion furthest from its share of that
    total and stops when the share is reached (never shorter than MIN_HOLD_SECONDS), so the shares come
    out right to within about one minimum hold.
    """

    def __init__(self, rng: np.random.Generator, shares: np.ndarray | None = None, total_frames: int = 0):
        self.rng = rng
        self.shares = shares
        self.total = total_frames
        self.frames = np.zeros(len(EMOTIONS))
        self.last: int | None = None

    def fill(self, length: int, fps: float) -> list[str]:
        """Emotions for length consecutive on-screen frames, each held at least MIN_HOLD_SECONDS
        (unless length itself is shorter)."""
        min_hold = int(math.ceil(MIN_HOLD_SECONDS * fps))
        out: list[str] = []
        while len(out) < length:
            left = length - len(out)
            hold = max(min_hold, int(round(self.rng.uniform(*HOLD_SECONDS) * fps)))
            if self.shares is None:
                choices = [e for e in range(len(EMOTIONS)) if e != self.last]
                emotion = int(choices[int(self.rng.integers(len(choices)))])
            else:
                need = self.shares * max(self.total, self.frames.sum() + left) - self.frames
                emotion = int(np.argmax(need + self.rng.uniform(0, 1e-6, len(EMOTIONS))))
                hold = min(hold, max(min_hold, int(round(need[emotion]))))
            if left - hold < min_hold:
                hold = left
            self.frames[emotion] += hold
            self.last = emotion
            out += [EMOTIONS[emotion]] * hold
        return out


def bias_shares(bias: dict | None) -> dict[str, np.ndarray]:
    """{character: {emotion: share}} -> per character, a share for every emotion (the unnamed ones
    split what is left equally). Raises ValueError for unknown names or shares that cannot add up."""
    out = {}
    for character, shares in (bias or {}).items():
        if character not in STARS:
            raise ValueError(
                f"emotion bias for unknown cast member {character!r}; expected one of {', '.join(STARS)}"
            )
        unknown = sorted(set(shares) - set(EMOTIONS))
        if unknown:
            raise ValueError(
                f"unknown emotion(s) {', '.join(unknown)} in {character}'s bias; expected {', '.join(EMOTIONS)}"
            )
        values = np.array([float(shares.get(e, 0.0)) for e in EMOTIONS])
        if (values < 0).any() or (values > 1).any() or values.sum() > 1.0 + 1e-9:
            raise ValueError(f"{character}'s emotion shares must lie in 0..1 and add up to at most 1, got {shares}")
        rest = [i for i, e in enumerate(EMOTIONS) if e not in shares]
        if rest:
            values[rest] = (1.0 - values.sum()) / len(rest)
        if values.sum() <= 0:
            raise ValueError(f"{character}'s emotion shares are all zero")
        out[character] = values / values.sum()
    return out


def parse_emotion_bias(items) -> dict:
    """Command-line bias items like "pip:happy=0.6" or "pip:happy=0.6,sad=0.25" -> {"pip": {"happy": 0.6, ...}}."""
    bias: dict[str, dict[str, float]] = {}
    for item in items or ():
        character, sep, pairs = str(item).partition(":")
        if not sep or not pairs:
            raise ValueError(f"bad emotion bias {item!r}; expected CHARACTER:EMOTION=SHARE, e.g. pip:happy=0.7")
        for pair in pairs.split(","):
            emotion, sep, share = pair.partition("=")
            try:
                value = float(share)
            except ValueError:
                value = None
            if not sep or value is None or not math.isfinite(value):
                raise ValueError(f"bad emotion bias {item!r}; expected CHARACTER:EMOTION=SHARE, e.g. pip:happy=0.7")
            bias.setdefault(character.strip(), {})[emotion.strip()] = value
    bias_shares(bias)  # refuse unknown names and impossible shares now
    return bias


def assign_emotions(shot: Shot, schedules: dict, rng, fps: float) -> None:
    """Give every track an emotion per frame: held segments across the frames its face is on screen."""
    for track in shot.tracks:
        schedule = schedules.get(track.actor.character) if track.actor.character != EXTRAS else None
        schedule = schedule or EmotionSchedule(rng)
        seen = np.flatnonzero(track.seen)
        if len(seen) == 0:
            track.emotions = [EMOTIONS[int(rng.integers(len(EMOTIONS)))]] * shot.length
            continue
        held = schedule.fill(int(seen[-1] - seen[0] + 1), fps)
        track.emotions = [held[0]] * int(seen[0]) + held + [held[-1]] * int(shot.length - seen[-1] - 1)


# -- drawing frames ------------------------------------------------------------------------------------------
def render_frame(shot: Shot, k: int, width: int, height: int) -> tuple[np.ndarray, list[dict]]:
    """Frame k of shot (BGR) and its faces for the truth (track order)."""
    left = int(shot.pan[k])
    frame = shot.set[:, left : left + width].copy()  # never draw on the set itself
    ids = np.zeros((height, width), np.int16)
    placed = []
    for n, track in enumerate(sorted(shot.tracks, key=lambda tr: (tr.side[0], tr.id))):
        pose = track.pose(k)
        sprite = track.actor.sprite(track.emotions[k], pose.yaw)
        item = 2 * n + 1
        where = composite(frame, ids, sprite, pose, track.actor.half, item)
        if where is None:
            continue
        if track.prop_seed is not None:
            paint_prop(frame, ids, pose, track.actor, track.prop_seed, item + 1)
        placed.append((track, pose, where))
    faces = []
    for track, pose, where in sorted(placed, key=lambda p: p[0].id):
        if not track.seen[k]:
            continue
        box = face_box(pose)
        share = visible_share(where, ids)
        inside = box_inside_share(box, width, height)
        faces.append(
            {
                "character": track.actor.character,
                "emotion": track.emotions[k],
                "box": box,
                "scored": bool(box[2] >= MIN_SCORED_SIDE and min(share, inside) >= MIN_SCORED_VISIBLE),
                "track": track.id,
                "visible": round(share, 3),
            }
        )
    return frame, faces


def sprite_box(height: int) -> float:
    """The head box side sprites are drawn at: the largest face an episode of this height shows."""
    return FACE_SIDES[1] * 1.1 * height / 480.0


def episode_cast(cast) -> tuple[str, ...]:
    """The stars of an episode (None: the demo cast), checked: known names, at least one, no repeats."""
    names = tuple(CAST) if cast is None else tuple(cast)
    unknown = [name for name in names if name not in STARS]
    if unknown or not names:
        raise ValueError(f"unknown or no cast {unknown}; expected some of {', '.join(STARS)}")
    if len(set(names)) != len(names):
        raise ValueError(f"each star appears once in a cast, got {', '.join(names)}")
    return names


def plan_episode(
    *,
    frames: int,
    seed: int,
    width: int,
    height: int,
    fps: float,
    emotion_bias: dict | None = None,
    cast=None,
) -> list[Shot]:
    """The shots of an episode, with every track's poses and emotions."""
    shares = bias_shares(emotion_bias)
    stars = episode_cast(cast)
    rng = np.random.default_rng([seed, 7])
    box = sprite_box(height)
    cast = {name: Actor(name, [seed, 1, STARS.index(name)], box) for name in stars}
    lengths = []
    left = frames
    while left > 0:
        n = int(round(rng.uniform(*SHOT_SECONDS) * fps))
        if left - n < SHOT_SECONDS[0] * fps * 0.6:
            n = left
        lengths.append(n)
        left -= n
    shots, start, next_id, extras = [], 0, 0, 0
    for index, length in enumerate(lengths):
        if index == 0 or rng.random() < 0.55:
            names = list(stars)
        else:
            names = [stars[int(rng.integers(len(stars)))]]
        actors = [cast[name] for name in names]
        for _ in range(int(rng.choice([0, 1, 2], p=[0.35, 0.4, 0.25]))):
            actors.append(Actor(EXTRAS, [seed, 3, extras], box, body=rng.random() < 0.7))
            extras += 1
        shot = plan_shot(rng, actors, length, fps, width, height, next_id)
        shot.start = start
        shots.append(shot)
        start += length
        next_id += len(actors)
    # Emotions come once every shot is placed: a bias needs each cast member's total screen time.
    on_screen = {name: 0 for name in stars}
    for shot in shots:
        for track in shot.tracks:
            if track.actor.character in on_screen:
                seen = np.flatnonzero(track.seen)
                on_screen[track.actor.character] += int(seen[-1] - seen[0] + 1) if len(seen) else 0
    schedules = {
        name: EmotionSchedule(np.random.default_rng([seed, 2, STARS.index(name)]), shares.get(name), on_screen[name])
        for name in stars
    }
    extras_rng = np.random.default_rng([seed, 4])
    for shot in shots:
        assign_emotions(shot, schedules, extras_rng, fps)
    return shots


def write_episode(
    out_mp4,
    *,
    seconds: float,
    seed: int,
    width: int = 854,
    height: int = 480,
    fps: float = 24,
    progress: bool = False,
    emotion_bias: dict | None = None,
    cast=None,
) -> dict:
    """Draw an episode into out_mp4 (H.264) and its truth beside it (see the module's docstring);
    returns a summary: paths, size, frames, shots, faces, cast, and each character's screen time per emotion."""
    out_mp4 = Path(out_mp4)
    if out_mp4.suffix.lower() != ".mp4":
        raise ValueError(f"an episode is written as .mp4, got {out_mp4.name}")
    if not seconds > 0:
        raise ValueError(f"seconds must be above 0, got {seconds}")
    if width < 64 or height < 64:
        raise ValueError(f"an episode needs at least 64x64 pixels, got {width}x{height}")
    frames = int(round(seconds * fps))
    if frames < 1:
        raise ValueError(f"{seconds} s at {fps} fps is not a single frame")
    bias_shares(emotion_bias)  # refuse a bad bias or cast before any file is made
    stars = episode_cast(cast)
    truth_frames = []
    screen: dict[str, dict[str, int]] = {}
    with VideoWriter(out_mp4, width=width, height=height, fps=fps) as writer:
        rate = writer.fps
        shots = plan_episode(
            frames=frames, seed=seed, width=width, height=height, fps=rate, emotion_bias=emotion_bias, cast=stars
        )
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=frames, desc="drawing episode", unit="frame")
        try:
            for shot in shots:
                for k in range(shot.length):
                    frame, faces = render_frame(shot, k, width, height)
                    writer.write(frame)
                    truth_frames.append({"index": shot.start + k, "faces": faces})
                    for face in faces:
                        per = screen.setdefault(face["character"], {})
                        per[face["emotion"]] = per.get(face["emotion"], 0) + 1
                    if bar is not None:
                        bar.update(1)
                shot.release()
        finally:
            if bar is not None:
                bar.close()
    truth = {
        "fps": rate,
        "width": width,
        "height": height,
        "frame_count": frames,
        "seed": int(seed),
        "cast": list(stars),
        "shots": [[s.start, s.start + s.length] for s in shots],
        "frames": truth_frames,
    }
    truth_file = truth_path(out_mp4)
    _write_json(truth_file, truth)
    faces = [f for fr in truth_frames for f in fr["faces"]]
    return {
        "video": str(out_mp4),
        "truth": str(truth_file),
        "seconds": frames / rate,
        "fps": rate,
        "width": width,
        "height": height,
        "frame_count": frames,
        "seed": int(seed),
        "shots": len(shots),
        "cast": list(stars),
        "faces": len(faces),
        "scored_faces": sum(f["scored"] for f in faces),
        "screen_time": {
            character: {e: round(per[e] / rate, 3) for e in EMOTIONS if e in per}
            for character, per in sorted(screen.items())
        },
    }


def _write_json(path: Path, data: dict) -> None:
    """Write the truth atomically (a temporary file beside path, moved into place when complete),
    one frame per line so a person can read it."""
    head = {key: value for key, value in data.items() if key != "frames"}
    text = json.dumps(head)[:-1] + ', "frames": [\n' + ",\n".join(json.dumps(f) for f in data["frames"]) + "\n]}\n"
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "w") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
