"""The segmentation pipeline: decode → detect each character → crop → classify in batches → track and
smooth the emotion along each track.

Two methods, side by side:
- `seed` reproduces the dissertation: every frame, full-resolution colour frames,
  detectMultiScale(scaleFactor=1.10, minNeighbors=<the character's>, minSize=24x24), no tracking, one
  face at a time into the CNN.
- `fast` is ours: every frame is decoded but only its luma is touched; a frame is analysed every
  `stride` frames and on every shot cut (a jump in a thumbnail of every 16th pixel); analysed frames are shrunk and
  searched on a coarser pyramid by a pool of threads (OpenCV releases the GIL), with a low minNeighbors so
  faces are rarely missed; faces are cropped from colour only where found and classified in batches; faces
  are linked into tracks, gaps are filled, and a track is kept only when it was seen twice and one of its
  sightings was confident (hysteresis: weak detections extend confirmed tracks but never start one), then
  emotions are smoothed along each track.

Works on a frame range [start, stop) so an episode can be split across workers; track ids are unique
within one result.

A face has one name per stage: a `FoundFace` is a cascade's hit, a `ClassifiedFace` (tracking.py) carries
the CNN's probabilities and is what tracks are built from, and a `TrackedFace` is what `segment_video` returns.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from .detection import CharacterDetector, DetectionParams
from .inference import EmotionClassifier
from .tracking import ClassifiedFace, fill_gaps, iou, link_tracks, run_confidence, smooth_emotions
from .video import VideoInfo, decode_frames, probe_video

METHODS = ("fast", "seed")
SEED_SCALE_FACTOR = 1.10
SEED_MIN_SIZE = 24


@dataclass(frozen=True)
class FastOptions:
    """The `fast` method's knobs; the defaults are what the benchmarks measure."""

    stride: int = 4  # analyse every 4th frame: 6 per second at 24 fps, 3+ looks at any half-second emotion
    cut_threshold: float = 24.0  # mean absolute thumbnail difference (gray levels) that marks a new shot
    detect_width: int = 512  # analysed frames are shrunk to this width before detection (never enlarged)
    scale_factor: float = 1.2  # the detection pyramid's step
    crop_margin: float = 1.15  # a face crop is the box grown by this, like the CNN's training crops
    batch_size: int = 64  # faces per CNN batch
    threads: int = 2  # detection threads
    switch_cost: float = 3.0  # nats an emotion change costs along a track
    min_track_points: int = 2  # a face seen on a single analysed frame is dropped as a stray detection
    min_neighbors: int = 1  # detectMultiScale's minNeighbors for every character: find faces even when unsure...
    confirm_neighbors: int = 4  # ...but keep a track only if one of its detections had this many neighbours
    max_gap: int = 2  # analysed frames a track may miss and still continue

    def __post_init__(self):
        if self.stride < 1 or self.threads < 1 or self.batch_size < 1 or self.detect_width < 32:
            raise ValueError("stride, threads and batch_size must be at least 1, detect_width at least 32")


@dataclass
class TrackedFace:
    """A face as segment_video returns it: its frame, box and emotion, and the track it was linked into
    (None under `seed`, which does not track); under `fast` the emotion is smoothed along the track."""

    frame: int
    time: float
    character: str
    box: tuple[int, int, int, int]
    emotion: str
    confidence: float
    probabilities: dict[str, float]
    track: int | None
    interpolated: bool = False

    def as_json(self) -> dict:
        data = asdict(self)
        data["box"] = list(self.box)
        data["time"] = round(self.time, 4)
        data["confidence"] = round(self.confidence, 4)
        data["probabilities"] = {k: round(v, 4) for k, v in self.probabilities.items()}
        return data


@dataclass
class Segmentation:
    video: str
    method: str
    fps: float
    frame_count: int
    width: int
    height: int
    start: int
    stop: int
    characters: list[str]
    analyzed: list[int] = field(default_factory=list)
    seconds: float = 0.0
    detections: list[TrackedFace] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "video": self.video,
            "method": self.method,
            "fps": self.fps,
            "frame_count": self.frame_count,
            "width": self.width,
            "height": self.height,
            "start": self.start,
            "stop": self.stop,
            "characters": self.characters,
            "analyzed": self.analyzed,
            "seconds": round(self.seconds, 3),
            "detections": [d.as_json() for d in self.detections],
        }


Progress = Callable[[int], None]


def segment_video(
    path: Path | str,
    detectors: list[CharacterDetector],
    classifier: EmotionClassifier,
    *,
    method: str = "fast",
    start: int = 0,
    stop: int | None = None,
    options: FastOptions | None = None,
    progress: Progress | None = None,
    info: VideoInfo | None = None,
) -> Segmentation:
    """Find and classify every character's faces in frames [start, stop) of a video (`info`: the video's
    probe, when the caller already made it)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if not detectors:
        raise ValueError("no characters to look for")
    began = time.perf_counter()
    info = info or probe_video(path)
    stop = info.frame_count if stop is None else min(stop, info.frame_count)
    if not 0 <= start < stop:
        raise ValueError(f"frame range [{start}, {stop}) is empty or outside the video's {info.frame_count} frames")
    result = Segmentation(
        str(path), method, info.fps, info.frame_count, info.width, info.height, start, stop, [d.name for d in detectors]
    )
    tick = progress or (lambda n: None)
    if method == "seed":
        _segment_seed(result, path, detectors, classifier, tick)
    else:
        _segment_fast(result, path, detectors, classifier, options or FastOptions(), tick)
    result.seconds = time.perf_counter() - began
    return result


# -- the dissertation's method ---------------------------------------------------------------------
def _segment_seed(result: Segmentation, path, detectors, classifier: EmotionClassifier, tick: Progress) -> None:
    classes = classifier.classes
    for frame in decode_frames(path, start=result.start, stop=result.stop):
        bgr = frame.bgr()
        result.analyzed.append(frame.index)
        for detector in detectors:
            params = DetectionParams(SEED_SCALE_FACTOR, detector.params.min_neighbors, SEED_MIN_SIZE)
            for box in detector.detect(bgr, params):
                crop = crop_face(bgr, box, margin=1.0, size=classifier.input_size)
                probabilities = classifier.predict_proba([crop], batch_size=1)[0]
                best = int(probabilities.argmax())
                result.detections.append(
                    TrackedFace(
                        frame.index, frame.time, detector.name, tuple(int(v) for v in box), classes[best],
                        float(probabilities[best]), _prob_dict(classes, probabilities), None,
                    )
                )
        tick(1)


# -- ours ------------------------------------------------------------------------------------------
class FoundFace(NamedTuple):
    """A face one character's cascade found: its box in full-resolution pixels and how many raw windows
    were grouped into it (more neighbours, surer face)."""

    character: str
    box: tuple[int, int, int, int]
    neighbours: int


@dataclass
class _FrameFaces:
    index: int
    found: list[FoundFace]
    crops: list[np.ndarray]


class ShotCuts:
    """Spots hard cuts from the mean absolute difference of tiny thumbnails of consecutive frames. The
    thumbnail samples every 16th pixel: a proper area resize costs more than decoding the frame."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self._previous: np.ndarray | None = None

    def is_cut(self, gray: np.ndarray) -> bool:
        thumb = gray[8::16, 8::16].astype(np.int16)
        previous, self._previous = self._previous, thumb
        return previous is not None and float(np.abs(thumb - previous).mean()) > self.threshold


def _segment_fast(result: Segmentation, path, detectors, classifier, options: FastOptions, tick: Progress) -> None:
    cuts: set[int] = set()
    shots = ShotCuts(options.cut_threshold)
    faces = _FaceBatcher(classifier, options.batch_size)
    pending: deque = deque()
    last = None
    local = threading.local()

    def detect(frame, gray):  # each thread gets its own cascades
        if not hasattr(local, "detectors"):
            local.detectors = [d.copy() for d in detectors]
        return _detect_frame(frame, gray, local.detectors, options, classifier.input_size)

    with ThreadPoolExecutor(options.threads) as pool:
        for frame in decode_frames(path, start=result.start, stop=result.stop):
            gray = frame.gray()
            cut = shots.is_cut(gray)
            if cut or last is None or frame.index - last >= options.stride:
                last = frame.index
                result.analyzed.append(frame.index)
                if cut:
                    cuts.add(frame.index)
                pending.append(pool.submit(detect, frame, gray))
            while pending and (pending[0].done() or len(pending) > 4 * options.threads):
                faces.add(pending.popleft().result())
            tick(1)
        while pending:
            faces.add(pending.popleft().result())
    result.detections = _tracked_detections(faces.finish(), result, cuts, classifier.classes, options)


def _detect_frame(frame, gray, detectors, options: FastOptions, crop_size: int) -> _FrameFaces:
    """One analysed frame: each character's faces and their crops (colour is decoded only if there are faces)."""
    found = detect_characters(gray, detectors, options)
    crops = []
    if found:
        bgr = frame.bgr()
        crops = [crop_face(bgr, f.box, margin=options.crop_margin, size=crop_size) for f in found]
    return _FrameFaces(frame.index, found, crops)


def detect_characters(gray: np.ndarray, detectors, options: FastOptions) -> list[FoundFace]:
    """Every character's faces in a full-resolution gray frame as `fast` finds them: the frame shrunk to
    `detect_width`, a pyramid step of `scale_factor`, `min_neighbors`, the character's own size limits
    (min_size and max_size, scaled with the frame; never below the window); boxes in full-resolution
    pixels, one character per face. (A character's own minNeighbors is tuned for the dissertation's full-resolution
    1.10 pyramid, which `seed` runs; fast's coarser pyramid groups fewer windows per face.)"""
    scale = min(1.0, options.detect_width / gray.shape[1])
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else gray
    candidates = []
    for detector in detectors:
        largest = int(detector.params.max_size * scale)  # the character's own largest face, if it has one
        smallest = max(*detector.window, int(detector.params.min_size * scale))  # and its smallest
        params = DetectionParams(options.scale_factor, options.min_neighbors, smallest, largest)
        boxes, counts = detector.detect_with_counts(small, params)
        for box, count in zip(boxes, counts):
            candidates.append(FoundFace(detector.name, tuple(int(round(v / scale)) for v in box), int(count)))
    return _one_character_per_face(candidates)


def _one_character_per_face(candidates: list[FoundFace]) -> list[FoundFace]:
    """Where two characters' detectors claim the same face, the one with more neighbours keeps it."""
    kept: list[FoundFace] = []
    for found in sorted(candidates, key=lambda f: -f.neighbours):
        if all(found.character == other.character or iou(found.box, other.box) < 0.3 for other in kept):
            kept.append(found)
    return kept


class _FaceBatcher:
    """Collects face crops from frames as they finish and classifies them a batch at a time."""

    def __init__(self, classifier: EmotionClassifier, batch_size: int):
        self.classifier = classifier
        self.batch_size = batch_size
        self.points: dict[int, list[ClassifiedFace]] = {}
        self._waiting: list[tuple[ClassifiedFace, np.ndarray]] = []

    def add(self, faces: _FrameFaces) -> None:
        points = self.points.setdefault(faces.index, [])
        for found, crop in zip(faces.found, faces.crops):
            point = ClassifiedFace(faces.index, found.character, found.box, np.empty(0, np.float32))
            point.neighbours = found.neighbours
            points.append(point)
            self._waiting.append((point, crop))
        if len(self._waiting) >= self.batch_size:
            self._classify()

    def finish(self) -> dict[int, list[ClassifiedFace]]:
        self._classify()
        return self.points

    def _classify(self) -> None:
        if not self._waiting:
            return
        probabilities = self.classifier.predict_proba([crop for _, crop in self._waiting], self.batch_size)
        for (point, _), row in zip(self._waiting, probabilities):
            point.probabilities = row
        self._waiting = []


def _tracked_detections(points, result: Segmentation, cuts, classes, options: FastOptions) -> list[TrackedFace]:
    tracks = link_tracks(points, result.analyzed, cuts, max_gap=options.max_gap)
    detections = []
    kept = 0
    for track in tracks:
        surest = max(p.neighbours for p in track.points)
        if len(track.points) < options.min_track_points or surest < options.confirm_neighbors:
            continue
        fill_gaps(track, result.analyzed)
        probabilities = np.stack([p.probabilities for p in track.points])
        path = smooth_emotions(probabilities, options.switch_cost)
        confidence = run_confidence(probabilities, path)
        for point, best, conf, row in zip(track.points, path, confidence, probabilities):
            detections.append(
                TrackedFace(
                    point.frame, point.frame / result.fps, point.character, point.box, classes[int(best)],
                    float(conf), _prob_dict(classes, row), kept, point.interpolated,
                )
            )
        kept += 1
    detections.sort(key=lambda d: (d.frame, d.character, d.box))
    return detections


# -- crops -----------------------------------------------------------------------------------------
def crop_face(bgr: np.ndarray, box, margin: float, size: int) -> np.ndarray:
    """The square around a box (inside the frame) grown by `margin`, edge pixels repeated where the
    square leaves the frame, resized to size x size."""
    x, y, w, h = box
    side = max(w, h) * margin
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    x1, y1 = x0 + int(round(side)), y0 + int(round(side))
    height, width = bgr.shape[:2]
    crop = bgr[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = max(0, y1 - height), max(0, x1 - width)
    if top or left or bottom or right:
        crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_REPLICATE)
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def _prob_dict(classes, probabilities) -> dict[str, float]:
    return {name: float(p) for name, p in zip(classes, probabilities)}
