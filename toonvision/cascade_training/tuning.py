"""Choosing a new cascade's detection parameters on held-out examples.

The held-out faces are pasted at their native size (and a little smaller and larger, and mirrored when
the character allows it) at random places on held-out negative frames, one face per frame, and a few
frames stay empty. The cascade is run once per scale factor with no grouping (detectMultiScale with minNeighbors=0
returns every accepted window), which cv2.groupRectangles groups as detectMultiScale does; each
candidate keeps the groups of its sizes made of more windows than its min_neighbors (what
detectMultiScale with those parameters keeps, up to windows of other sizes joining a group and its
rare nested-box rule). The figures reported for the chosen parameters come from detectMultiScale
itself. A detection is a hit at IoU >= 0.5 with the frame's face.

The candidate with the best F1 wins; within 0.01 of it, fewer false alarms, then the scale factor
closest to 1.1, then the widest size range and then more neighbours (the more robust choice on episodes
that show the face at sizes the few examples missed).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .augmentation import composite
from .cascade import Cascade
from .mining import opencv_detector

SCALE_FACTORS = (1.1, 1.2)
NEIGHBOURS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15)
PASTE_SCALES = (1.0, 0.8, 1.25)
SIZE_MARGINS = (1.25, 1.6, 2.5)  # min_size = smallest example / margin, max_size = largest x margin
GROUP_EPS = 0.2  # OpenCV's own, in detectMultiScale
F1_TOLERANCE = 0.01


@dataclass
class ValidationSet:
    """Gray frames, each with the box (x, y, w, h) of the one face pasted on it, or None."""

    frames: list[np.ndarray]
    boxes: list[tuple[int, int, int, int] | None]

    @property
    def faces(self) -> int:
        return sum(b is not None for b in self.boxes)


def validation_set(holdout: list[np.ndarray], negatives: list[np.ndarray], rng: np.random.Generator,
                   mirror: bool, window: int, empty_frames: int = 4) -> ValidationSet:
    """The held-out faces (BGR or BGRA crops) pasted on the negative frames (BGR), one per frame."""
    frames, boxes = [], []
    k = 0
    for example in holdout:
        variants = [(s, False) for s in PASTE_SCALES] + ([(1.0, True)] if mirror else [])
        for scale, flipped in variants:
            h, w = example.shape[:2]
            side_w, side_h = max(window, round(w * scale)), max(window, round(h * scale))
            face = cv2.resize(example, (side_w, side_h), interpolation=cv2.INTER_AREA if scale < 1 else
                              cv2.INTER_LINEAR)
            if flipped:
                face = face[:, ::-1]
            frame = _frame(negatives[k % len(negatives)], side_w, side_h)
            k += 1
            fh, fw = frame.shape[:2]
            x, y = int(rng.integers(fw - side_w + 1)), int(rng.integers(fh - side_h + 1))
            region = frame[y : y + side_h, x : x + side_w]
            region[:] = composite(face, region) if face.shape[2] == 4 else face
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
            boxes.append((x, y, side_w, side_h))
    for _ in range(empty_frames):
        frames.append(cv2.cvtColor(negatives[k % len(negatives)], cv2.COLOR_BGR2GRAY))
        boxes.append(None)
        k += 1
    return ValidationSet(frames, boxes)


def _frame(negative: np.ndarray, w: int, h: int) -> np.ndarray:
    """A copy of the negative, enlarged when the face would not fit with room around it."""
    fh, fw = negative.shape[:2]
    grow = max(1.0, 2.0 * w / fw, 2.0 * h / fh)
    if grow > 1.0:
        return cv2.resize(negative, (int(np.ceil(fw * grow)), int(np.ceil(fh * grow))), interpolation=cv2.INTER_LINEAR)
    return negative.copy()


def size_candidates(sides: list[int], window: int) -> list[tuple[int, int]]:
    """(min_size, max_size) pairs around the examples' sizes; max_size 0 means no limit."""
    lo, hi = min(sides), max(sides)
    pairs = {(max(window, int(lo / m)), int(np.ceil(hi * m))) for m in SIZE_MARGINS}
    pairs.add((window, 0))
    return sorted(pairs, key=lambda p: (p[0], -(p[1] or 10**9)))


def choose_detection(cascade: Cascade, validation: ValidationSet, sides: list[int]) -> tuple[dict, dict, list[dict]]:
    """(detection params, their validation figures, every candidate's figures best first)."""
    window = cascade.width
    sizes = size_candidates(sides, window)
    largest = 0 if any(m == 0 for _, m in sizes) else max(m for _, m in sizes)
    rows = []
    with opencv_detector(cascade) as detector:
        for scale_factor in SCALE_FACTORS:
            grouped = [_groups(_raw(detector, frame, scale_factor, window, largest)) for frame in validation.frames]
            for min_size, max_size in sizes:
                groups = [_sized(rects, counts, min_size, max_size) for rects, counts in grouped]
                for neighbours in NEIGHBOURS:
                    found = [rects[counts > neighbours] for rects, counts in groups]
                    rows.append({"scale_factor": scale_factor, "min_neighbors": neighbours, "min_size": min_size,
                                 "max_size": max_size, **score(found, validation)})
        best_f1 = max(r["f1"] for r in rows)
        rows.sort(key=lambda r: _preference(r, best_f1))
        params = {k: rows[0][k] for k in ("scale_factor", "min_neighbors", "min_size", "max_size")}
        figures = score([detect(detector, frame, params) for frame in validation.frames], validation)
    return params, figures, rows


def _preference(row: dict, best_f1: float):
    span = (row["max_size"] or 10**6) / row["min_size"]
    return (row["f1"] < best_f1 - F1_TOLERANCE, row["false_alarms"], abs(row["scale_factor"] - 1.1), -span,
            -row["min_neighbors"])


def detect(detector: cv2.CascadeClassifier, gray: np.ndarray, params: dict) -> np.ndarray:
    """detectMultiScale with these params, as toonvision.detection runs a character's cascade."""
    max_size = (params["max_size"],) * 2 if params["max_size"] else (0, 0)
    boxes = detector.detectMultiScale(gray, scaleFactor=params["scale_factor"], minNeighbors=params["min_neighbors"],
                                      minSize=(params["min_size"],) * 2, maxSize=max_size)
    return np.asarray(boxes, dtype=np.int64).reshape(-1, 4)


def _raw(detector, frame: np.ndarray, scale_factor: float, window: int, largest: int) -> np.ndarray:
    rects = detector.detectMultiScale(frame, scaleFactor=scale_factor, minNeighbors=0, minSize=(window, window),
                                      maxSize=(largest, largest) if largest else (0, 0))
    return np.asarray(rects, dtype=np.int64).reshape(-1, 4)


def _sized(rects: np.ndarray, counts: np.ndarray, min_size: int, max_size: int) -> tuple[np.ndarray, np.ndarray]:
    keep = (rects[:, 2] >= min_size) & ((rects[:, 2] <= max_size) if max_size else True)
    return rects[keep], counts[keep]


def _groups(rects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The groups detectMultiScale would make of these raw windows, and how many windows each holds."""
    if len(rects) == 0:
        return rects, np.zeros(0, np.int64)
    grouped, counts = cv2.groupRectangles(rects.astype(np.int32).tolist(), 1, GROUP_EPS)
    return np.asarray(grouped, dtype=np.int64).reshape(-1, 4), np.asarray(counts, dtype=np.int64).reshape(-1)


def score(found: list[np.ndarray], validation: ValidationSet) -> dict:
    """Hits (IoU >= 0.5 with the frame's face, one per face), false alarms, and the rates they give."""
    hits = false_alarms = 0
    for boxes, face in zip(found, validation.boxes):
        matched = face is not None and any(iou(b, face) >= 0.5 for b in boxes)
        hits += int(matched)
        false_alarms += len(boxes) - int(matched)
    faces = validation.faces
    recall = hits / faces if faces else 0.0
    precision = hits / (hits + false_alarms) if hits + false_alarms else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"hits": hits, "faces": faces, "false_alarms": false_alarms, "frames": len(validation.frames),
            "hit_rate": recall, "precision": precision, "f1": f1,
            "false_alarms_per_frame": false_alarms / max(1, len(validation.frames))}


def iou(a, b) -> float:
    ax, ay, aw, ah = (float(v) for v in a)
    bx, by, bw, bh = (float(v) for v in b)
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    inter = max(0.0, w) * max(0.0, h)
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0
