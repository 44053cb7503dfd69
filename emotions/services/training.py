"""Training one version of a character's cascade (the task emotions.tasks.train_character_version calls).

Positives are the character's example faces. Negatives are its negative examples, the other characters' faces,
and frames of the site's episodes with every marked or published face of this character blanked: in an episode
where the character has marked faces only the marked frames are used (whoever marked a frame marked the faces on
it), elsewhere frames spread over the episode. The trainer (toonvision.cascade_training.character) writes the
cascade and its JSON; they are stored in media storage with a preview (the new cascade, with the detection
parameters training chose, on sample frames of the episodes the examples came from, its hits drawn). Progress
is written to the version row at most every PROGRESS_INTERVAL; a cancel is read from it as often. A failure or a
cancel leaves the version failed (with a readable reason) or cancelled, and no file of it in storage.
"""
from __future__ import annotations

import hashlib
import logging
import math
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from emotions.exceptions import TeachingRefused
from emotions.models import Character, CharacterExample, CharacterVersion, Detection, Episode
from emotions.services.examples import episode_frames, example_image
from emotions.services.storage import storage_delete, storage_put
from toonvision.appearance import appearance_or_none, looks_right
from toonvision.cascade_training.character import (
    CharacterExamples,
    CharacterTrainingError,
    CharacterTrainingOptions,
    TrainingCancelled,
    blank_faces,
    train_character,
)
from toonvision.detection import CharacterDetector, DetectionParams
from toonvision.images import ImageError, to_bgr

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds between progress writes (and cancel reads)
MAX_OTHER_FACES = 300  # other characters' faces taken as negatives, at most
JPEG_QUALITY = 85
HIT_COLOUR = (60, 220, 60)  # BGR
Status = CharacterVersion.Status


def training_run(version_id: int) -> None:
    """Train the version (queued, or training again after its worker was lost); anything else is left alone."""
    version = _claim(version_id)
    if version is None:
        return
    character = version.character
    stored: list[str] = []
    progress = _Progress(version.pk)
    try:
        options = CharacterTrainingOptions(device=settings.CHARACTER_TRAINING_DEVICE, mirror=character.mirror)
        positives = _positives(character)
        negatives = [_larger_than(image, options.window) for image in _negatives(character)]
        if progress.stop():
            raise TrainingCancelled("cancelled before training")
        with tempfile.TemporaryDirectory(prefix="toonsite-train-") as folder:
            xml = Path(folder) / f"{character.slug}.xml"
            result = train_character(character.slug, CharacterExamples(positives=positives, negatives=negatives),
                                     xml, options, on_progress=progress, should_stop=progress.stop)
            data = xml.read_bytes()
            sha256 = hashlib.sha256(data).hexdigest()
            base = f"cascades/taught/{character.slug}-v{version.number}-{sha256[:12]}"
            stored.append(storage_put(f"{base}.xml", data))
            stored.append(storage_put(f"{base}.json", xml.with_suffix(".json").read_bytes()))
            progress({"phase": "preview"}, force=True)
            preview = _preview(version, xml, result, stored, sha256)
        _finish(version, result, stored[0], sha256, len(positives), preview)
    except TrainingCancelled:
        storage_delete(stored)
        _end(version.pk, Status.CANCELLED, "")
        logger.info("%s v%d: training cancelled", character.slug, version.number)
    except BaseException as error:
        storage_delete(stored)
        _end(version.pk, Status.FAILED, _reason(error))
        logger.exception("%s v%d: training failed", character.slug, version.number)
        if not isinstance(error, Exception):
            raise


def _claim(version_id: int) -> CharacterVersion | None:
    with transaction.atomic():
        version = CharacterVersion.objects.select_for_update().select_related("character").filter(pk=version_id).first()
        if version is None or version.status not in (Status.QUEUED, Status.TRAINING):
            return None
        if version.cancel_requested:  # e.g. delivered again after its worker died mid-cancel: the cancel stands
            version.status, version.finished = Status.CANCELLED, timezone.now()
            version.save(update_fields=["status", "finished"])
            return None
        version.status, version.started, version.error = Status.TRAINING, timezone.now(), ""
        version.progress = {"phase": "gathering examples"}
        version.save(update_fields=["status", "started", "error", "progress"])
    return version


def _finish(version: CharacterVersion, result: dict, xml_name: str, sha256: str, used: int, preview: list) -> None:
    report = result.get("report", {})
    with transaction.atomic():
        locked = CharacterVersion.objects.select_for_update().get(pk=version.pk)
        if locked.cancel_requested:
            raise TrainingCancelled("cancelled as training ended")
        locked.status, locked.finished, locked.error = Status.DONE, timezone.now(), ""
        locked.cascade.name, locked.cascade_sha256 = xml_name, sha256
        locked.detection = _plain(result["detection"])
        locked.appearance = result.get("appearance")
        locked.report = _plain(report)
        locked.device = str(report.get("device", ""))[:16]
        locked.seconds = float(report["seconds"]) if report.get("seconds") is not None else None
        locked.examples_used, locked.preview = used, preview
        locked.progress = {**locked.progress, "phase": "done"}
        locked.save()
    logger.info("%s v%d trained: %s", version.character.slug, version.number, report)


def _end(version_id: int, status: str, error: str) -> None:
    CharacterVersion.objects.filter(pk=version_id).update(
        status=status, error=error, finished=timezone.now(), cascade="", cascade_sha256="", preview=[]
    )


def _reason(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return f"training took longer than the {settings.CHARACTER_TRAINING_SOFT_TIME_LIMIT} s it may take"
    if isinstance(error, CharacterTrainingError | TeachingRefused | ValueError | OSError):  # readable already
        return str(error)
    return f"training failed ({type(error).__name__}: {error})"


class _Progress:
    """The trainer's progress reports, written to the row at most every PROGRESS_INTERVAL (and whenever the stage or
    phase changes); `stop` reads cancel_requested as often."""

    def __init__(self, version_id: int):
        self.version_id, self.key, self.last, self.checked, self.stopped = version_id, None, 0.0, 0.0, False

    def __call__(self, report: dict, force: bool = False) -> None:
        key, now = (report.get("phase"), report.get("stage")), time.monotonic()
        if not force and key == self.key and now - self.last < PROGRESS_INTERVAL:
            return
        self.key, self.last = key, now
        CharacterVersion.objects.filter(pk=self.version_id, status=Status.TRAINING).update(progress=_plain(report))

    def stop(self) -> bool:
        now = time.monotonic()
        if not self.stopped and now - self.checked >= PROGRESS_INTERVAL:
            self.checked = now
            self.stopped = CharacterVersion.objects.filter(pk=self.version_id, cancel_requested=True).exists()
        return self.stopped


def _plain(value):
    """JSON-ready: numpy numbers as Python numbers, NaN as None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- what it learns from -----------------------------------------------------------------------------------------------
def _positives(character: Character) -> list[np.ndarray]:
    return [example_image(e) for e in character.examples.filter(kind=CharacterExample.Kind.POSITIVE).order_by("pk")]


def _negatives(character: Character) -> list[np.ndarray]:
    images = [to_bgr(example_image(e))
              for e in character.examples.filter(kind=CharacterExample.Kind.NEGATIVE).order_by("pk")]
    others = (CharacterExample.objects.filter(kind=CharacterExample.Kind.POSITIVE).exclude(character=character)
              .order_by("pk")[:MAX_OTHER_FACES])
    for example in others:
        try:
            images.append(to_bgr(example_image(example)))
        except (ImageError, OSError) as error:
            logger.warning("other character's example %s skipped: %s", example.pk, error)
    return images + _blanked_frames(character)


def _larger_than(image: np.ndarray, window: int) -> np.ndarray:
    """A negative the trainer can mine windows from: one no larger than its window (a small crop, a hit of the
    window's size) scaled up to twice the window on its shorter side."""
    side = min(image.shape[:2])
    if side > window:
        return image
    scale = 2 * window / side
    return cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                      interpolation=cv2.INTER_LINEAR)


def _negative_frames(character: Character, count: int) -> dict[int, set[int]]:
    """{episode id: frames}: the frames its faces were marked on, then frames spread over episodes without any."""
    marked: dict[int, set[int]] = {}
    for episode_id, frame in (character.examples.filter(kind=CharacterExample.Kind.POSITIVE, episode__isnull=False)
                              .values_list("episode_id", "frame")):
        marked.setdefault(episode_id, set()).add(frame)
    chosen: dict[int, set[int]] = {}
    pairs = sorted((e, f) for e, frames in marked.items() for f in frames)
    for e, f in _spread(pairs, count // 2 if len(marked) < Episode.objects.count() else count):
        chosen.setdefault(e, set()).add(f)
    unmarked = list(Episode.objects.exclude(pk__in=marked).order_by("-created").values_list("pk", "frame_count"))
    left = count - sum(len(v) for v in chosen.values())
    if unmarked and left > 0:
        per = max(1, math.ceil(left / len(unmarked)))
        for pk, frame_count in unmarked[:left]:
            chosen[pk] = {int((i + 0.5) * frame_count / per) for i in range(per)} if frame_count else set()
    return chosen


def _spread(items: list, count: int) -> list:
    if len(items) <= count:
        return items
    return [items[int((i + 0.5) * len(items) / count)] for i in range(count)] if count else []


def _blanked_frames(character: Character) -> list[np.ndarray]:
    """Frames of the site's episodes with this character's marked and published faces blanked out."""
    chosen = _negative_frames(character, settings.CHARACTER_NEGATIVE_FRAMES)
    images = []
    for episode in Episode.objects.filter(pk__in=chosen).order_by("pk"):
        frames = sorted(chosen[episode.pk])
        boxes: dict[int, list] = {f: [] for f in frames}
        for frame, *box in (character.examples.filter(kind=CharacterExample.Kind.POSITIVE, episode=episode,
                                                      frame__in=frames).values_list("frame", "x", "y", "w", "h")):
            boxes[frame].append(tuple(box))
        for frame, *box in (Detection.objects.published().filter(character=character, episode=episode,
                                                                 frame__in=frames)
                            .values_list("frame", "x", "y", "w", "h")):
            boxes[frame].append(tuple(box))
        try:
            decoded = episode_frames(episode, frames)
        except TeachingRefused as error:
            logger.warning("episode %s gives no negatives: %s", episode.pk, error)
            continue
        images.extend(blank_faces(decoded[f], boxes[f]) if boxes[f] else decoded[f] for f in frames)
    return images


# -- the preview -------------------------------------------------------------------------------------------------------
def _preview_frames(character: Character, count: int) -> list[tuple[Episode, int]]:
    """Frames spread over the episodes the character's examples came from (the newest episodes when none did)."""
    ids = list(character.examples.filter(episode__isnull=False).values_list("episode_id", flat=True).distinct())
    episodes = list(Episode.objects.filter(pk__in=ids).order_by("pk")) if ids else \
        list(Episode.objects.order_by("-created")[:count])
    if not episodes or count <= 0:
        return []
    per = max(1, math.ceil(count / len(episodes)))
    picks = [(e, int((i + 0.5) * e.frame_count / per)) for e in episodes for i in range(per) if e.frame_count]
    return _spread(picks, count)


def _preview(version: CharacterVersion, xml: Path, result: dict, stored: list[str], sha256: str) -> list[dict]:
    """The new cascade run on sample frames as processing will run it: its detection parameters, its colours."""
    character = version.character
    detector = CharacterDetector.load(character.slug, xml, DetectionParams(**result["detection"]),
                                      appearance_or_none(result.get("appearance")))
    picks = _preview_frames(character, settings.CHARACTER_PREVIEW_FRAMES)
    by_episode: dict[int, list[int]] = {}
    for episode, frame in picks:
        by_episode.setdefault(episode.pk, []).append(frame)
    decoded: dict[tuple[int, int], np.ndarray] = {}
    for episode in {e.pk: e for e, _ in picks}.values():
        try:
            frames = episode_frames(episode, by_episode[episode.pk])
            decoded.update({(episode.pk, f): image for f, image in frames.items()})
        except TeachingRefused as error:
            logger.warning("episode %s left out of the preview: %s", episode.pk, error)
    preview = []
    folder = f"previews/{character.slug}/v{version.number}-{sha256[:12]}"
    for n, (episode, frame) in enumerate(picks):
        image = decoded.get((episode.pk, frame))
        if image is None:
            continue
        hits = [[int(v) for v in box] for box in detector.detect(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
                if looks_right(detector.appearance, image, box)]
        drawn = image.copy()
        for x, y, w, h in hits:
            cv2.rectangle(drawn, (x, y), (x + w - 1, y + h - 1), HIT_COLOUR, 2)
        ok, jpeg = cv2.imencode(".jpg", drawn, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise ValueError("could not encode a preview frame")
        name = storage_put(f"{folder}/{n:02d}-{episode.pk}-{frame}.jpg", jpeg.tobytes())
        stored.append(name)
        preview.append({"episode": episode.pk, "frame": frame, "image": name, "hits": hits})
    return preview
