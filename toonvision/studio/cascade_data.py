"""Training data for one cast member's face detector (an OpenCV cascade), drawn like studio episodes.

    write_cascade_samples("data/cascade-pip", "pip", positives=2000, negatives=300, seed=7)

writes, under out:

- positives/<character>-<seed>-<index>.png: size x size crops of the character's face, cut from
  episode frames along the truth-box convention (the head's square box, side 2 * max(rx, ry) * scale,
  centred on the head), jittered by up to 5% in centre and size. Every emotion, the yaw and tilt of
  episodes, on episode sets with whatever else is nearby, and only faces the truth metrics count
  (at least 80% of the head visible). A fresh identity of the character every few samples covers
  the cast's design jitter.
- negatives/<character>-<seed>-<index>.png: whole episode-style frames with no face of the character:
  sets, extras, the other cast member (face and body) and props.
- positives.txt and negatives.txt: the same files listed the way opencv_createsamples (-info) and
  opencv_traincascade (-bg) read them, relative to out.

`marked_faces("bramble", 20, seed=100)` cuts face crops the way a person marks them on episodes (the
truth box on frames of episodes starring the character, at native size): examples for teaching the
site a guest (studio/guests.py) in tests and benchmarks.

Frames come from the episode code itself (plan_shot, assign_emotions, render_frame), so the detector
learns exactly what episodes show. Deterministic for a seed.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .cast import CAST, EXTRAS, LOOKALIKES, STARS
from .episode import Actor, Shot, assign_emotions, plan_episode, plan_shot, render_frame, sprite_box

WIDTH, HEIGHT, FPS = 854, 480, 24
SHOT_FRAMES = 3 * FPS
PER_SHOT = 10  # positives cut from one shot (one identity of the character)
JITTER = 0.05


def write_cascade_samples(
    out, character: str, *, positives: int, negatives: int, seed: int, size: int = 48, progress: bool = False
) -> dict:
    """Write positives and negatives for character's detector under out; returns a summary."""
    if character not in CAST:
        raise ValueError(f"unknown cast member {character!r}; expected one of {', '.join(CAST)}")
    if positives < 1 or negatives < 1:
        raise ValueError(f"a detector needs at least one positive and one negative, got {positives} and {negatives}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    out = Path(out)
    (out / "positives").mkdir(parents=True, exist_ok=True)
    (out / "negatives").mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=positives + negatives, desc=f"drawing {character} samples", unit="image")
    index = list(CAST).index(character)
    positive_names = []
    shot = 0
    while len(positive_names) < positives:
        rng = np.random.default_rng([seed, 11, index, shot])
        for crop in face_crops(rng, character, min(PER_SHOT, positives - len(positive_names)), size):
            name = f"positives/{character}-{seed}-{len(positive_names):05d}.png"
            _write(out / name, crop)
            positive_names.append(name)
            if bar is not None:
                bar.update(1)
        shot += 1
    negative_names = []
    for i in range(negatives):
        name = f"negatives/{character}-{seed}-{i:05d}.png"
        _write(out / name, frame_without(np.random.default_rng([seed, 12, index, i]), character))
        negative_names.append(name)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    (out / "positives.txt").write_text("".join(f"{n} 1 0 0 {size} {size}\n" for n in positive_names))
    (out / "negatives.txt").write_text("".join(f"{n}\n" for n in negative_names))
    return {
        "out": str(out),
        "character": character,
        "seed": int(seed),
        "positives": len(positive_names),
        "negatives": len(negative_names),
        "size": int(size),
        "negative_size": [WIDTH, HEIGHT],
    }


def _write(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image):
        raise OSError(f"could not write {path}")


EPISODE_EXTRAS = ([0, 1, 2], [0.35, 0.4, 0.25])  # how many extras share a shot, as in episodes
CROWD_EXTRAS = ([1, 2, 3], [0.3, 0.4, 0.3])  # negatives: other faces are what a cascade confuses most


def _others(
    rng, exclude: str | None, seed_key: list[int], box: float, cast_chance: float, extras=EPISODE_EXTRAS
) -> list[Actor]:
    """Who else is on set: each other cast member (at cast_chance) and some extras."""
    actors = []
    for i, name in enumerate(CAST):
        if name != exclude and rng.random() < cast_chance:
            actors.append(Actor(name, [*seed_key, 1, i], box))
    counts, chances = extras
    lookalikes = LOOKALIKES.get(exclude, ()) if extras is CROWD_EXTRAS else ()
    for k in range(int(rng.choice(counts, p=chances))):
        species = None
        if lookalikes and rng.random() < 0.5:  # half the crowd are the species most like the character
            species = lookalikes[int(rng.integers(len(lookalikes)))]
        actors.append(Actor(EXTRAS, [*seed_key, 2, k], box, body=rng.random() < 0.7, species=species))
    return actors


def face_crops(rng: np.random.Generator, character: str, count: int, size: int) -> list[np.ndarray]:
    """Up to count face crops of one fresh identity of character from one shot (fewer when the shot
    has too few frames where the face is fully inside and scored)."""
    box = sprite_box(HEIGHT)
    key = [int(v) for v in rng.integers(2**31, size=2)]
    star = Actor(character, [*key, 0], box)
    actors = [star, *_others(rng, character, key, box, cast_chance=0.5)]
    shot = plan_shot(rng, actors, SHOT_FRAMES, FPS, WIDTH, HEIGHT, 0)
    assign_emotions(shot, {}, rng, FPS)
    crops: list[np.ndarray] = []
    for k in rng.permutation(SHOT_FRAMES):
        if len(crops) == count:
            break
        track = next(t for t in shot.tracks if t.actor is star)
        side = track.side[k] * (1.0 + rng.uniform(-JITTER, JITTER))
        cx = track.x[k] + rng.uniform(-JITTER, JITTER) * track.side[k]
        cy = track.y[k] + rng.uniform(-JITTER, JITTER) * track.side[k]
        x0, y0, s = int(round(cx - side / 2)), int(round(cy - side / 2)), int(round(side))
        if x0 < 0 or y0 < 0 or x0 + s > WIDTH or y0 + s > HEIGHT:
            continue
        frame, faces = render_frame(shot, int(k), WIDTH, HEIGHT)
        face = next((f for f in faces if f["track"] == track.id), None)
        if face is None or not face["scored"]:
            continue
        crop = frame[y0 : y0 + s, x0 : x0 + s]
        shrink = cv2.INTER_AREA if s >= size else cv2.INTER_LINEAR
        crops.append(cv2.resize(crop, (size, size), interpolation=shrink))
    return crops


def negative_scene(rng: np.random.Generator, character: str) -> tuple[Shot, int]:
    """A shot without character (usually the other cast member, extras and props on a set) and the
    frame of it to draw."""
    box = sprite_box(HEIGHT)
    key = [int(v) for v in rng.integers(2**31, size=2)]
    actors = _others(rng, character, key, box, cast_chance=0.7, extras=CROWD_EXTRAS)
    shot = plan_shot(rng, actors, SHOT_FRAMES, FPS, WIDTH, HEIGHT, 0)
    assign_emotions(shot, {}, rng, FPS)
    return shot, int(rng.integers(SHOT_FRAMES))


def frame_without(rng: np.random.Generator, character: str) -> np.ndarray:
    """One episode-style frame (BGR) in which character does not appear."""
    shot, k = negative_scene(rng, character)
    frame, _ = render_frame(shot, k, WIDTH, HEIGHT)
    return frame


def star_frames(character: str, *, seed: int, count: int, seconds: float = 20.0) -> list[tuple[np.ndarray, list]]:
    """Up to count random frames (BGR, 854x480) of the episode starring character alone with this seed, on
    which character is on screen, each with its truth faces (the truth file's entries). The episode is
    planned and drawn frame by frame, never encoded."""
    if character not in STARS:
        raise ValueError(f"unknown star {character!r}; expected one of {', '.join(STARS)}")
    shots = plan_episode(frames=int(seconds * FPS), seed=seed, width=WIDTH, height=HEIGHT, fps=FPS, cast=(character,))
    rng = np.random.default_rng([seed, 13, STARS.index(character)])
    frames = [(shot, k) for shot in shots for k in range(shot.length)]
    out = []
    for i in rng.permutation(len(frames)):
        if len(out) == count:
            break
        shot, k = frames[int(i)]
        if any(t.actor.character == character and t.seen[k] for t in shot.tracks):
            out.append(render_frame(shot, k, WIDTH, HEIGHT))
    return out


def marked_faces(
    character: str,
    count: int,
    *,
    seed: int,
    per_episode: int = 5,
    seconds: float = 20.0,
    size: int | None = None,
) -> list[np.ndarray]:
    """count BGR crops of character's face as a person would mark them: per_episode faces from each of
    the episodes starring character alone with seeds seed, seed + 1, ... (star_frames): the face's truth
    box where the face is scored and the box lies inside the frame. At native size, or resized to
    size x size."""
    if count < 1 or per_episode < 1:
        raise ValueError(f"count and per_episode must be at least 1, got {count} and {per_episode}")
    crops: list[np.ndarray] = []
    episode = 0
    while len(crops) < count:
        if episode > 10 * count:
            raise ValueError(f"could not find {count} marked faces of {character}")
        taken = 0
        for frame, faces in star_frames(character, seed=seed + episode, count=4 * per_episode, seconds=seconds):
            if taken == per_episode or len(crops) == count:
                break
            crop = marked_crop(frame, faces, character)
            if crop is None:
                continue
            if size is not None:
                shrink = cv2.INTER_AREA if crop.shape[1] >= size else cv2.INTER_LINEAR
                crop = cv2.resize(crop, (size, size), interpolation=shrink)
            crops.append(crop)
            taken += 1
        episode += 1
    return crops


def marked_crop(frame: np.ndarray, faces: list, character: str) -> np.ndarray | None:
    """The crop of character's first scored face on frame whose box lies inside it, or None."""
    for face in faces:
        x, y, w, h = face["box"]
        if face["character"] != character or not face["scored"]:
            continue
        if x < 0 or y < 0 or x + w > frame.shape[1] or y + h > frame.shape[0]:
            continue
        return frame[y : y + h, x : x + w].copy()
    return None
