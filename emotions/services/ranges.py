"""Frame ranges, the unit of work: claim one, segment it (outside any transaction), picture its faces, and write
its detections in one transaction under the range's lock; or fail it with a readable reason.

A range already done is skipped, so is one a live worker is segmenting (its heartbeat is fresh), and a range
written again replaces its own detections, so a redelivered or re-queued task never duplicates a face; whichever
call sees a run's last range done finishes the run.
"""
from __future__ import annotations

import bisect
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from emotions.exceptions import is_storage_full
from emotions.models import Character, Detection, Episode, FrameRange, ProcessingRun, Status
from emotions.services.classifier import classifier_load
from emotions.services.runs import ACTIVE, episode_fail, episode_process, run_finish_if_complete
from emotions.services.storage import (
    detection_file_names,
    file_sha256,
    file_stat,
    storage_delete,
    storage_put,
    stored_file_local_path,
)
from toonvision.appearance import appearance_or_none
from toonvision.crops import crop_encode, stored_crop
from toonvision.detection import CascadeError, CharacterDetector, DetectionParams
from toonvision.segmentation import Segmentation, crop_margins, fast_options_from, segment_video
from toonvision.video import VideoError, decode_frames

logger = logging.getLogger(__name__)

# Track ids are unique within one range's result; a run's ids are range index * this + the range's own id, and a
# track crossing into later ranges keeps the id it started with (services/tracks.py joins them when the run ends).
TRACK_STRIDE = 100_000
# A range whose task was lost this many times (a worker that dies on it every time) fails instead.
MAX_RANGE_ATTEMPTS = 5
JPEG_QUALITY = 88  # whole frames; face crops are toonvision.crops' (native resolution, the CNN's quality)
PROGRESS_INTERVAL = 1.0  # seconds between progress writes from a running range
# Characters' detectors this worker process has loaded (_detector), the least recently used dropped first.
_DETECTORS: dict[tuple, CharacterDetector] = {}
_DETECTORS_KEPT = 16


def episode_process_here(
    *, episode: Episode, force: bool = False, progress: Callable[[int], None] | None = None
) -> ProcessingRun:
    """Start a run and segment every range of it in this process, no broker (`process_episode --sync`, tests).
    `progress` is told how many frames each step covered."""
    run = episode_process(episode=episode, force=force, enqueue=False)
    worker = f"{socket.gethostname()} (inline)"
    for range_id in run.ranges.order_by("index").values_list("pk", flat=True):
        frame_range_process(frame_range_id=range_id, worker=worker, progress=progress)
    run.refresh_from_db()
    return run


@dataclass
class _DetectionWithCrop:
    """A Detection row not yet saved, and the JPEG bytes of its face crop (filled in by _pictures)."""

    detection: Detection
    crop: bytes


def frame_range_process(
    *, frame_range_id: int, worker: str = "", progress: Callable[[int], None] | None = None, retry: bool = False
) -> bool:
    """Segment one frame range and keep its detections; True if this call wrote them.

    Safe to call again for the same range, at once or later: a range done is not redone, nor one a live worker
    holds, and the run is finished by whichever call sees its last range done. retry: this call follows a
    transient error of its own (the database went away), which neither counts as an attempt nor yields to the
    heartbeat that call left.
    """
    frame_range = _range_claim(frame_range_id, worker, retry)
    if frame_range is None:
        run_id = FrameRange.objects.filter(pk=frame_range_id).values_list("run_id", flat=True).first()
        if run_id is not None:
            run_finish_if_complete(run_id=run_id)
        return False
    try:
        result, faces, frames = _range_segment(frame_range, progress)
        wrote = _range_write(frame_range, result, faces, frames)
    except (SoftTimeLimitExceeded, Exception) as error:
        if not _is_transient(error):
            frame_range_fail(frame_range=frame_range, reason=_reason(error))
        raise
    run_finish_if_complete(run_id=frame_range.run_id)
    return wrote


def _range_claim(frame_range_id: int, worker: str, retry: bool = False) -> FrameRange | None:
    """Mark a range as taken; None when it is gone, done, its run is over, or a live worker has it."""
    with transaction.atomic():
        frame_range = (
            FrameRange.objects.select_for_update(no_key=True, of=("self",)).select_related("run")
            .filter(pk=frame_range_id).first()
        )
        if frame_range is None:
            logger.warning("frame range %s no longer exists; its task is dropped", frame_range_id)
            return None
        if frame_range.status == Status.DONE or frame_range.run.status not in ACTIVE:
            return None
        now = timezone.now()
        if not retry and frame_range.status == Status.PROCESSING and frame_range.heartbeat and (
            frame_range.heartbeat >= now - timedelta(seconds=settings.RECOVERY_STALE_SECONDS)
        ):
            logger.info("%s: a live worker (%s) has it; this task is dropped", frame_range, frame_range.worker)
            return None
        if not retry and frame_range.attempts >= MAX_RANGE_ATTEMPTS:
            reason = f"gave up after {frame_range.attempts} attempts: a worker stopped each time on these frames"
            transaction.on_commit(lambda: frame_range_fail(frame_range=frame_range, reason=reason))
            return None
        frame_range.status, frame_range.attempts = Status.PROCESSING, frame_range.attempts + (0 if retry else 1)
        frame_range.started, frame_range.worker, frame_range.frames_done, frame_range.error = now, worker[:255], 0, ""
        frame_range.heartbeat = now
        frame_range.save(
            update_fields=["status", "attempts", "started", "worker", "frames_done", "error", "heartbeat"]
        )
    # Outside the range's lock: the run and episode rows are locked in the order the finishing step uses.
    ProcessingRun.objects.filter(pk=frame_range.run_id, status=Status.QUEUED).update(
        status=Status.PROCESSING, started=timezone.now()
    )
    Episode.objects.filter(pk=frame_range.run.episode_id, current_run=frame_range.run_id, status=Status.QUEUED).update(
        status=Status.PROCESSING
    )
    return frame_range


class _ProgressWriter:
    """Counts a range's frames and writes them (and the episode's progress) at most once a PROGRESS_INTERVAL,
    with the range's heartbeat: the sign of life the watchdog (services/recovery.py) looks for."""

    def __init__(self, frame_range: FrameRange, forward: Callable[[int], None] | None):
        self.frame_range, self.forward = frame_range, forward
        self.frames, self._last = 0, time.monotonic()

    def __call__(self, n: int) -> None:
        self.frames += n
        if self.forward:
            self.forward(n)
        if time.monotonic() - self._last >= PROGRESS_INTERVAL:
            self.flush()

    def flush(self) -> None:
        self._last = time.monotonic()
        FrameRange.objects.filter(pk=self.frame_range.pk, status=Status.PROCESSING).update(
            frames_done=self.frames, heartbeat=timezone.now()
        )
        _episode_progress(self.frame_range.run)


def _episode_progress(run: ProcessingRun) -> None:
    frames = FrameRange.objects.filter(run=run).aggregate(n=Sum("frames_done"))["n"] or 0
    total = FrameRange.objects.filter(run=run).order_by("-stop").values_list("stop", flat=True).first() or 1
    value = min(0.99, frames / total)  # 1.0 only once the run is finished
    Episode.objects.filter(pk=run.episode_id, current_run=run, status__in=ACTIVE).update(
        progress=Greatest(F("progress"), Value(value))
    )


def _range_segment(frame_range: FrameRange, forward) -> tuple[Segmentation, list[_DetectionWithCrop], dict[int, bytes]]:
    """Segment the range and picture its detections: face crops and frames as JPEGs, from the colour frames the
    segmentation decoded for its faces (only a frame it never decoded in colour is decoded again)."""
    run = ProcessingRun.objects.select_related("episode").get(pk=frame_range.run_id)
    episode = run.episode
    ticker = _ProgressWriter(frame_range, forward)
    with stored_file_local_path(episode.file.name) as video, _run_detectors(run) as detectors:
        classifier = classifier_load(weights=_run_weights(run))
        result = segment_video(
            video, detectors, classifier, method=run.method, start=frame_range.start, stop=frame_range.stop,
            options=fast_options_from(run.options) if run.method == "fast" else None, progress=ticker,
            detector=settings.DETECTOR, keep_colour=True,
        )
        ticker.flush()
        characters = {c.slug: c for c in Character.objects.filter(slug__in=[d.name for d in detectors])}
        faces = _detections(frame_range, run, result, characters)
        frames = _pictures(video, faces, *crop_margins(run.method, run.options), decoded=result.colour_frames)
        result.colour_frames = {}  # the pictures are made: let the frames go
    return result, faces, frames


def _detections(
    frame_range: FrameRange, run: ProcessingRun, result: Segmentation, characters: dict
) -> list[_DetectionWithCrop]:
    """A Detection row for each tracked face of the result, its crop still to be pictured."""
    analyzed = sorted(result.analyzed)
    faces = []
    for tracked in result.detections:
        character = characters.get(tracked.character)
        if character is None:
            raise CascadeError(f"character {tracked.character!r} of run {run.pk} no longer exists")
        following = bisect.bisect_right(analyzed, tracked.frame)
        until = analyzed[following] if following < len(analyzed) else result.stop
        x, y, w, h = (int(v) for v in tracked.box)
        detection = Detection(
            episode_id=run.episode_id, run=run, frame=tracked.frame, time=tracked.frame / result.fps,
            duration=max(1, until - tracked.frame) / result.fps, character=character, x=max(0, x), y=max(0, y),
            w=w, h=h, emotion=tracked.emotion, confidence=min(1.0, max(0.0, float(tracked.confidence))),
            probabilities={k: round(float(v), 6) for k, v in tracked.probabilities.items()},
            track=None if tracked.track is None else frame_range.index * TRACK_STRIDE + tracked.track,
            interpolated=tracked.interpolated,
        )
        faces.append(_DetectionWithCrop(detection, b""))
    return faces


def _pictures(
    video: Path, faces: list[_DetectionWithCrop], stored_margin: float, cnn_margin: float,
    decoded: dict[int, np.ndarray] | None = None,
) -> dict[int, bytes]:
    """Fill in each face's crop (native resolution, the run's margins: toonvision.crops) and return the JPEG of
    every frame that has a face: from `decoded` (BGR frames by index) where it has the frame, else decoded here
    (a face filled in along a track, on a frame where the detector found nothing, has no colour frame yet)."""
    by_frame: dict[int, list[_DetectionWithCrop]] = {}
    for face in faces:
        by_frame.setdefault(face.detection.frame, []).append(face)
    frames: dict[int, bytes] = {}
    decoded = decoded or {}

    def picture(index: int, bgr: np.ndarray) -> None:
        frames[index] = _jpeg(bgr)
        for face in by_frame[index]:
            face.crop = crop_encode(stored_crop(
                bgr, face.detection.box, stored_margin=stored_margin, cnn_margin=cnn_margin
            ))

    for index in by_frame:
        if index in decoded:
            picture(index, decoded[index])
    rest = sorted(set(by_frame) - set(frames))
    if rest:
        for frame in decode_frames(video, start=rest[0], stop=rest[-1] + 1):
            if frame.index in by_frame and frame.index not in frames:
                picture(frame.index, frame.bgr())
    missing = sorted(set(by_frame) - set(frames))
    if missing:
        raise VideoError(f"frames {missing[:5]} could not be decoded again for their pictures")
    return frames


def _jpeg(bgr) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode a JPEG")
    return data.tobytes()


def _range_write(
    frame_range: FrameRange, result: Segmentation, faces: list[_DetectionWithCrop], frames: dict[int, bytes]
) -> bool:
    """Replace the range's detections with these, in one transaction under the range's lock. When it fails (the
    disk full, the database), the pictures it stored are deleted again: none is left without its row."""
    folder = f"detections/{frame_range.run.episode_id}/{frame_range.run_id}"
    stored: list[str] = []

    def put(name: str, data: bytes) -> str:
        stored.append(name := storage_put(name, data))
        return name

    try:
        with transaction.atomic():
            locked = (
                FrameRange.objects.select_for_update(no_key=True, of=("self",)).select_related("run")
                .get(pk=frame_range.pk)
            )
            if locked.status == Status.DONE or locked.run.status not in ACTIVE:
                return False  # a duplicate of this task got here first, or the run was abandoned
            stale = Detection.objects.filter(run_id=frame_range.run_id, frame__gte=frame_range.start,
                                             frame__lt=frame_range.stop)
            old_names = detection_file_names(stale)
            stale.delete()
            frame_names = {index: put(f"{folder}/frames/{index:07d}.jpg", data) for index, data in frames.items()}
            seen: dict[int, int] = {}
            for face in faces:
                d = face.detection
                n = seen[d.frame] = seen.get(d.frame, 0) + 1
                d.crop.name = put(f"{folder}/faces/{d.frame:07d}-{d.character.slug}-{n}.jpg", face.crop)
                d.frame_image.name = frame_names[d.frame]
            Detection.objects.bulk_create([face.detection for face in faces], batch_size=1000)
            locked.status, locked.finished, locked.error = Status.DONE, timezone.now(), ""
            locked.frames_done, locked.analyzed, locked.detection_count = (
                frame_range.stop - frame_range.start, len(result.analyzed), len(faces)
            )
            locked.save(update_fields=["status", "finished", "error", "frames_done", "analyzed", "detection_count"])
            kept = {d.detection.crop.name for d in faces} | set(frame_names.values())
            transaction.on_commit(lambda: storage_delete(old_names - kept))
    except BaseException as error:
        storage_delete(stored)
        if is_storage_full(error):
            raise OSError(error.errno, f"no room left in the media storage for this range's {len(frames)} frames "
                                       f"and {len(faces)} faces; none of them was kept") from error
        raise
    _episode_progress(frame_range.run)
    logger.info("%s: %d faces on %d analysed frames", frame_range, len(faces), len(result.analyzed))
    return True


def frame_range_fail(*, frame_range: FrameRange, reason: str) -> None:
    """Record why a range failed; its run and (if still current) its episode fail with the same reason."""
    run = frame_range.run
    fps = Episode.objects.filter(pk=run.episode_id).values_list("fps", flat=True).first() or 1.0
    where = (
        f"frames {frame_range.start}-{frame_range.stop} ({frame_range.start / fps:.1f}-{frame_range.stop / fps:.1f} s)"
    )
    message = f"{where}: {reason}"
    FrameRange.objects.filter(pk=frame_range.pk).exclude(status=Status.DONE).update(
        status=Status.FAILED, error=reason, finished=timezone.now()
    )
    with transaction.atomic():
        episode = Episode.objects.select_for_update(no_key=True).filter(pk=run.episode_id).first()
        updated = ProcessingRun.objects.filter(pk=run.pk, status__in=ACTIVE).update(
            status=Status.FAILED, error=message, finished=timezone.now()
        )
        if updated and episode is not None and episode.current_run_id == run.pk:
            episode_fail(episode.pk, message)
    logger.error("run %s failed: %s", run.pk, message)


def _is_transient(error: BaseException) -> bool:
    """Errors worth retrying as they are (the database went away), rather than failing the episode."""
    return isinstance(error, OperationalError | InterfaceError)


def _reason(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return f"took longer than the {settings.EPISODE_RANGE_SOFT_TIME_LIMIT} s a range may take"
    if isinstance(error, ValueError | OSError):  # VideoError, CascadeError, WeightsError: already readable
        return str(error)
    return f"{type(error).__name__}: {error}"


@contextmanager
def _run_detectors(run: ProcessingRun) -> Iterator[list[CharacterDetector]]:
    """The run's characters as detectors, from the cascades it recorded (not whatever the rows say now)."""
    yield [_detector(entry) for entry in run.cascades]


def _detector(entry: dict) -> CharacterDetector:
    """One of a run's characters, loaded once per worker process: a run's every range, and the runs after it,
    look for the same characters. The key holds the cascade file's size and modification time, so a file
    replaced under the same name (a character taught again, the shipped cast retrained) is loaded anew."""
    with stored_file_local_path(entry["cascade"]) as path:
        stat = path.stat() if path.is_file() else None
        key = (entry["slug"], entry["cascade"], entry.get("sha256"), str(path), stat and stat.st_size,
               stat and stat.st_mtime_ns, json.dumps(entry["params"], sort_keys=True),
               json.dumps(entry.get("appearance"), sort_keys=True))
        detector = _DETECTORS.pop(key, None) or CharacterDetector.load(
            entry["slug"], path, DetectionParams(**entry["params"]), appearance_or_none(entry.get("appearance"))
        )
    _DETECTORS[key] = detector  # the most recently used last
    while len(_DETECTORS) > _DETECTORS_KEPT:
        _DETECTORS.pop(next(iter(_DETECTORS)))
    return detector


def _run_weights(run: ProcessingRun) -> Path:
    """The run's weights on this worker, which must be the very file the run started with."""
    path = Path(run.weights_name)
    if not path.is_absolute():
        path = settings.BASE_DIR / path
    if not path.is_file():
        raise OSError(f"this worker has no weights file {path} (run {run.pk} uses it)")
    if file_sha256(str(path.resolve()), *file_stat(path)) != run.weights_sha256:
        raise OSError(f"this worker's {path} is not the weights run {run.pk} started with (SHA-256 differs)")
    return path

