"""The segmentation pipeline: decode → detect each character → crop → classify in batches → track and
smooth the emotion along each track.

Two methods, side by side:
- `seed` reproduces the dissertation: every frame, full-resolution colour frames,
  detectMultiScale(scaleFactor=1.10, minNeighbors=<the character's>, minSize=24x24), no tracking, one
  face at a time into the CNN.
- `fast` is ours: a frame is analysed every `stride` frames (frames 0, stride, 2 stride, ... of the episode, so
  ranges analyse what one range would) and on every shot cut (a jump in a thumbnail of every 16th pixel of the
  luma); the range is decoded once, on one thread, and frames off the grid that no other frame refers to are
  dropped by the decoder unseen; every `scan_every`-th analysed frame, every cut and the range's first frame get a
  full scan (shrunk, searched on a coarser pyramid by a pool of threads: OpenCV releases the GIL; or by the torch
  detector), the others only a search near the faces just seen (scanning.py), with a low minNeighbors so faces
  are rarely missed; colour is converted only for frames with faces, and their crops classified in batches on a
  thread of their own; faces are linked into tracks, gaps are filled, and a track is kept only when it was seen
  twice and one of its sightings was confident (hysteresis: weak detections extend confirmed tracks but never
  start one), then emotions are smoothed along each track.

Works on a frame range [start, stop) so an episode can be split across workers (the frame before `start` is
decoded too, so a cut on the range's first frame is seen); track ids are unique
within one result.

A face has one name per stage: a `FoundFace` is a cascade's hit, a `ClassifiedFace` (tracking.py) carries
the CNN's probabilities and is what tracks are built from, and a `TrackedFace` is what `segment_video` returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import cv2
import numpy as np

from .appearance import looks_right
from .crops import LEGACY_CROP_MARGIN, SEED_CNN_MARGIN, STORED_MARGIN_KEY, crop_face
from .detection import CharacterDetector, DetectionParams
from .face_batches import FaceBatcher, cnn_threads
from .inference import EmotionClassifier
from .scanning import FoundFace, Scan, Scanner, detect_shrunk
from .torch_detection import detectors_for
from .tracking import fill_gaps, link_tracks, run_confidence, smooth_emotions
from .video import DecodedFrame, VideoInfo, decode_frames, probe_video

METHODS = ("fast", "seed")
SEED_SCALE_FACTOR = 1.10
SEED_MIN_SIZE = 24
DETECT_BATCH = 16  # analysed frames the torch detector takes at once


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
    scan_every: int = 6  # a full scan on every 6th analysed frame of the grid (and shot starts); near faces between
    reach: float = 1.0  # a face followed is looked for within this many of its sizes of where it was heading

    def __post_init__(self):
        if min(self.stride, self.threads, self.batch_size, self.scan_every) < 1 or self.detect_width < 32:
            raise ValueError("stride, threads, batch_size and scan_every must be at least 1, detect_width at least 32")


def fast_options_from(options: dict) -> FastOptions:
    """FastOptions from a run's recorded options, leaving out what else they hold (the stored crops' margin)."""
    known = {f.name for f in fields(FastOptions)}
    return FastOptions(**{k: v for k, v in options.items() if k in known})


def crop_margins(method: str, options: dict) -> tuple[float, float]:
    """(the margin a run's face crops were stored with, the margin its CNN read faces at), from the run's method
    and options: what `crops.cnn_input` needs. Options without a stored margin are from a run before crops kept
    theirs (LEGACY_CROP_MARGIN)."""
    stored = float(options.get(STORED_MARGIN_KEY, LEGACY_CROP_MARGIN))
    cnn = fast_options_from(options).crop_margin if method == "fast" else SEED_CNN_MARGIN
    return stored, cnn


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
    detector: str = "opencv"  # who ran the cascades: opencv, or torch on a device ("torch (cuda)")
    detections: list[TrackedFace] = field(default_factory=list)
    # With keep_colour: the BGR frames decoded for their faces, by index (never in as_json), so a caller pictures
    # the faces without decoding the range a second time.
    colour_frames: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

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
            "detector": self.detector,
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
    detector: str | None = None,
    keep_colour: bool = False,
) -> Segmentation:
    """Find and classify every character's faces in frames [start, stop) of a video (`info`: the video's
    probe, when the caller already made it; `detector`: opencv, torch, or auto, torch where the CNN runs on
    CUDA and OpenCV elsewhere; `keep_colour`: keep the colour frames faces were found on in `colour_frames`)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if not detectors:
        raise ValueError("no characters to look for")
    detectors = detectors_for(detectors, detector, classifier.device)
    began = time.perf_counter()
    info = info or probe_video(path)
    stop = info.frame_count if stop is None else min(stop, info.frame_count)
    if not 0 <= start < stop:
        raise ValueError(f"frame range [{start}, {stop}) is empty or outside the video's {info.frame_count} frames")
    result = Segmentation(
        str(path), method, info.fps, info.frame_count, info.width, info.height, start, stop, [d.name for d in detectors]
    )
    result.detector = _detector_name(detectors)
    tick = progress or (lambda n: None)
    if method == "seed":
        _segment_seed(result, path, detectors, classifier, tick, keep_colour)
    else:
        _segment_fast(result, path, detectors, classifier, options or FastOptions(), tick, keep_colour)
    result.seconds = time.perf_counter() - began
    return result


def _detector_name(detectors) -> str:
    """opencv, torch (cpu|cuda), or both where auto left a cascade torch cannot run with OpenCV."""
    names = sorted({f"torch ({d.device.type})" if hasattr(d, "device") else "opencv" for d in detectors},
                   reverse=True)
    return " and ".join(names)


# -- the dissertation's method ---------------------------------------------------------------------
def _segment_seed(result: Segmentation, path, detectors, classifier: EmotionClassifier, tick: Progress,
                  keep_colour: bool = False) -> None:
    classes = classifier.classes
    for frame in decode_frames(path, start=result.start, stop=result.stop):
        bgr = frame.bgr()
        result.analyzed.append(frame.index)
        for detector in detectors:
            params = DetectionParams(SEED_SCALE_FACTOR, detector.params.min_neighbors, SEED_MIN_SIZE)
            for box in detector.detect(bgr, params):
                if not looks_right(getattr(detector, "appearance", None), bgr, box):
                    continue
                crop = crop_face(bgr, box, margin=SEED_CNN_MARGIN, size=classifier.input_size)
                probabilities = classifier.predict_proba([crop], batch_size=1)[0]
                best = int(probabilities.argmax())
                result.detections.append(
                    TrackedFace(
                        frame.index, frame.time, detector.name, tuple(int(v) for v in box), classes[best],
                        float(probabilities[best]), _prob_dict(classes, probabilities), None,
                    )
                )
                if keep_colour:
                    result.colour_frames[frame.index] = bgr
        tick(1)


# -- ours ------------------------------------------------------------------------------------------
class ShotCuts:
    """Spots hard cuts from the mean absolute difference of tiny thumbnails of consecutive frames. The
    thumbnail samples every 16th pixel: a proper area resize costs more than decoding the frame."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self._previous: np.ndarray | None = None

    def is_cut(self, gray: np.ndarray) -> bool:
        """Whether a full-range gray frame starts a new shot."""
        return self.is_cut_thumbnail(gray[8::16, 8::16])

    def is_cut_thumbnail(self, thumb: np.ndarray) -> bool:
        """The same from the frame's thumbnail (DecodedFrame.thumbnail(16)), read without touching the rest."""
        thumb = thumb.astype(np.int16)
        previous, self._previous = self._previous, thumb
        return previous is not None and float(np.abs(thumb - previous).mean()) > self.threshold


def _segment_fast(result: Segmentation, path, detectors, classifier, options: FastOptions, tick: Progress,
                  keep_colour: bool = False) -> None:
    cuts: set[int] = set()
    unfound: dict[int, DecodedFrame] = {}  # keep_colour: analysed frames a track may be filled in on, by index
    beyond: list[int] = []  # frames after the range searched only to look back from the next full scan
    with ThreadPoolExecutor(options.threads) as pool, cnn_threads(classifier), FaceBatcher(
        classifier, options.batch_size, options.crop_margin, result.colour_frames if keep_colour else None
    ) as faces:

        def finished(scan: Scan) -> None:  # nothing more will be found on this frame: on to colour and the CNN
            if scan.ahead:
                return
            if scan.found:
                faces.add(scan)
            elif keep_colour and scan.followed:
                unfound[scan.index] = scan.frame

        # OpenCV's detector takes a frame at a time; torch's takes a batch of frames at once (one pass per scale).
        batch_size = DETECT_BATCH if all(hasattr(d, "detect_batch") for d in detectors) else 1
        scanner = Scanner(detectors, options, (result.width, result.height), pool, finished, batch_size)
        for frame, cut, ahead in _sampled_frames(path, result, options, tick):
            if cut and not ahead:
                cuts.add(frame.index)
            # A full scan on every scan_every-th frame of the grid, on shot starts and on the range's first frame.
            full = cut or not result.analyzed or frame.index % (options.stride * options.scan_every) == 0
            scanner.add(frame, len(result.analyzed) + len(beyond), full, cut, ahead)
            if ahead and full:
                break
            (beyond if ahead else result.analyzed).append(frame.index)
        scanner.finish()
        points = faces.finish()
    result.detections = _tracked_detections(points, result, cuts, classifier.classes, options)
    if keep_colour:  # the frames of faces filled in along a track, from this same decoding
        for index in {d.frame for d in result.detections} - result.colour_frames.keys():
            if index in unfound:
                result.colour_frames[index] = unfound[index].bgr()


def _sampled_frames(path, result: Segmentation, options: FastOptions, tick: Progress):
    """The range's frames to analyse, each with whether it starts a shot and whether it lies after the range: every
    frame on the stride's grid (counted from the episode's first frame, so ranges that start on it analyse what one
    range would), every shot start and the range's first frame; then those after the range up to the next full
    scan, so the faces it finds new are looked for back into the range as an unsplit run would.

    Decoded on one thread (frame threads cost more CPU than they save, and the detection threads need the cores);
    frames off the grid that no other frame is predicted from are not decoded at all, so a shot cut on one is seen
    on the next frame decoded, the same in a range as in an unsplit run (decoding starts a stride early for it)."""
    shots = ShotCuts(options.cut_threshold)
    first = max(0, result.start - options.stride)
    stop = min(result.frame_count, result.stop + options.stride * options.scan_every + 1)
    done = result.start  # frames before this are counted in the progress

    def needed(index: int) -> bool:
        return index % options.stride == 0 or index == result.start

    for frame in decode_frames(path, start=first, stop=stop, threads=1, needed=needed):
        cut = shots.is_cut_thumbnail(frame.thumbnail(16))
        if frame.index < result.start:
            continue
        ahead = frame.index >= result.stop
        tick(min(frame.index + 1, result.stop) - done)  # counted before the caller may stop reading ahead
        done = min(frame.index + 1, result.stop)
        if cut or frame.index == result.start or frame.index % options.stride == 0:
            yield frame, cut, ahead
    tick(result.stop - done)


def detect_characters(gray: np.ndarray, detectors, options: FastOptions, bgr: np.ndarray | None = None
                      ) -> list[FoundFace]:
    """Every character's faces in a full-resolution gray frame as `fast`'s full scan finds them: the frame shrunk
    to `detect_width`, a pyramid step of `scale_factor`, `min_neighbors`, the character's own size limits
    (min_size and max_size, scaled with the frame; never below the window); boxes in full-resolution
    pixels, one character per face. (A character's own minNeighbors is tuned for the dissertation's full-resolution
    1.10 pyramid, which `seed` runs; fast's coarser pyramid groups fewer windows per face.) With the frame in
    colour (`bgr`), a character with an appearance keeps only the faces with its colours."""
    return detect_characters_batch([gray], detectors, options, None if bgr is None else (lambda i: bgr))[0]


def detect_characters_batch(grays: list[np.ndarray], detectors, options: FastOptions,
                            colour: Callable[[int], np.ndarray] | None = None) -> list[list[FoundFace]]:
    """detect_characters for frames of one size, each detector given them all at once where it can take a batch;
    `colour(i)` gives frame i in BGR, asked for only where a character with an appearance found a face."""
    scale = min(1.0, options.detect_width / grays[0].shape[1])
    smalls = [cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else g
              for g in grays]
    return detect_shrunk(smalls, scale, detectors, options, colour)


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


def _prob_dict(classes, probabilities) -> dict[str, float]:
    return {name: float(p) for name, p in zip(classes, probabilities)}
