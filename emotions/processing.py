"""Services that take an episode from upload to detections: store and probe it, split it into frame ranges,
segment each range (one task each, on the gpu queue), and finish the run with the episode's emotion summaries.

Every step is safe to repeat. A range is claimed, segmented outside any transaction, then written in one
transaction that locks its FrameRange row: a range already done is skipped, and a range written again replaces
its own detections. The run's last range to finish builds the summaries (the run row, locked, decides which);
a redelivered task finds its range done and only checks whether the run can finish.
"""
from __future__ import annotations

import bisect
import hashlib
import logging
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import cv2
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import get_valid_filename

from emotions.models import Character, Detection, Episode, FrameRange, ProcessingRun, Status
from emotions.services import classifier_load
from toonvision.detection import (
    CAST_FILE,
    CascadeError,
    CharacterDetector,
    DetectionParams,
    load_cascade,
    read_cast,
)
from toonvision.segmentation import FastSettings, Segmentation, crop_face, segment_video
from toonvision.studio import CAST
from toonvision.video import VideoError, decode_frames, probe_video

logger = logging.getLogger(__name__)

ACTIVE = (Status.QUEUED, Status.PROCESSING)
# Track ids are unique within one range's result; a run's ids are range index * this + the range's own id.
TRACK_STRIDE = 100_000
# A range whose task was lost this many times (a worker that dies on it every time) fails instead.
MAX_RANGE_ATTEMPTS = 5
CROP_SIZE = 128  # pixels, the saved face crops
CROP_MARGIN = FastSettings.crop_margin
JPEG_QUALITY = 88
PROGRESS_INTERVAL = 1.0  # seconds between progress writes from a running range


# -- errors ----------------------------------------------------------------------------------------
class EpisodeRejected(ValidationError):
    """An upload refused before anything was kept; `code` says why (empty, too_large, not_a_video, duplicate)."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


class DuplicateEpisode(EpisodeRejected):
    """The same bytes were uploaded before; `episode` is the one that has them."""

    def __init__(self, episode: Episode):
        super().__init__(
            f"this video was already uploaded as episode {episode.pk} ({episode.title!r})", code="duplicate"
        )
        self.episode = episode


class ProcessingRefused(ValidationError):
    """An episode that cannot be (re)processed now: one is under way, or there is no character to look for."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


# -- upload ----------------------------------------------------------------------------------------
def episode_create(*, owner, file, title: str) -> Episode:
    """Keep an uploaded video as an Episode, having proved by its content that it is a whole video.

    `file` is a Django File (an UploadedFile from a form, or File(open(path, "rb"))). Too large, empty,
    not a video, truncated or already uploaded: EpisodeRejected, and no file or row is left behind.
    """
    name = get_valid_filename(Path(file.name or "").name) or "episode"
    limit = settings.MAX_EPISODE_UPLOAD_BYTES
    if file.size is not None and file.size > limit:
        raise _too_large(name, file.size, limit)
    with _upload_on_disk(file, name, limit) as (path, sha256, size):
        if size == 0:
            raise EpisodeRejected(f"{name} is empty", code="empty")
        existing = Episode.objects.filter(sha256=sha256).first()
        if existing:
            raise DuplicateEpisode(existing)
        try:
            info = probe_video(path)
        except VideoError as error:
            raise EpisodeRejected(str(error).replace(str(path), name), code="not_a_video") from None
        if info.frame_count < 1:
            raise EpisodeRejected(f"{name} holds no frames", code="not_a_video")
        episode = Episode(
            title=(title or "").strip() or Path(name).stem, owner=owner, sha256=sha256, size_bytes=size,
            duration=info.duration, fps=info.fps, frame_count=info.frame_count, width=info.width,
            height=info.height, codec=info.codec[:32],
        )
        with open(path, "rb") as handle:
            episode.file.save(name, File(handle), save=False)
        try:
            with transaction.atomic():
                episode.save()
        except BaseException as error:
            default_storage.delete(episode.file.name)
            if isinstance(error, IntegrityError) and (existing := Episode.objects.filter(sha256=sha256).first()):
                raise DuplicateEpisode(existing) from None
            raise
    logger.info("episode %s stored: %s (%d frames, %.1f s)", episode.pk, episode.file.name, info.frame_count,
                info.duration)
    return episode


def _too_large(name: str, size: int, limit: int) -> EpisodeRejected:
    return EpisodeRejected(
        f"{name} is {size / 2**20:.1f} MiB; the largest episode accepted is {limit / 2**20:.1f} MiB",
        code="too_large",
    )


@contextmanager
def _upload_on_disk(file, name: str, limit: int) -> Iterator[tuple[Path, str, int]]:
    """The upload as a local file with its SHA-256 and size; a copy in a temporary folder unless it is one."""
    digest, size = hashlib.sha256(), 0
    temporary = getattr(file, "temporary_file_path", None)
    if temporary:  # a large form upload Django already spooled to disk: hash it where it is
        file.seek(0)
        for chunk in file.chunks():
            digest.update(chunk)
            size += len(chunk)
        if size > limit:
            raise _too_large(name, size, limit)
        yield Path(temporary()), digest.hexdigest(), size
        return
    with tempfile.TemporaryDirectory(prefix="toonsite-upload-", dir=settings.FILE_UPLOAD_TEMP_DIR) as folder:
        path = Path(folder) / name
        with open(path, "wb") as out:
            if hasattr(file, "seek"):
                file.seek(0)
            for chunk in file.chunks():
                size += len(chunk)
                if size > limit:
                    raise _too_large(name, size, limit)
                digest.update(chunk)
                out.write(chunk)
        yield path, digest.hexdigest(), size


def episode_delete(*, episode: Episode) -> None:
    """Delete an episode, its runs and detections, and every file of theirs in storage."""
    names = _detection_file_names(Detection.objects.filter(episode=episode))
    names.add(episode.file.name)
    with transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(current_run=None)
        episode.delete()
        transaction.on_commit(lambda: _storage_delete(names))


# -- the cast ----------------------------------------------------------------------------------------
def character_sync_cast(*, folder: Path | None = None) -> list[Character]:
    """Make the shipped cast (folder/cast.json, default settings.CAST_DIR) Character rows; idempotent.

    A shipped character's cascade and detection parameters follow cast.json (its cascade is copied into media
    storage, so workers on other hosts read it there); its name is set when it is first created.
    """
    folder = Path(folder or settings.CAST_DIR)
    if not (folder / CAST_FILE).is_file():
        return []
    synced = []
    for slug, entry in read_cast(folder).items():
        load_cascade(entry.cascade_path)  # refuses a broken cascade with a clear message
        data = entry.cascade_path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        synced.append(_character_upsert(slug, entry.name or _cast_name(slug), data, sha256, asdict(entry.params)))
    return synced


def _cast_name(slug: str) -> str:
    return CAST[slug].name if slug in CAST else slug.replace("-", " ").replace("_", " ").title()


def _character_upsert(slug: str, name: str, data: bytes, sha256: str, params: dict) -> Character:
    for _ in range(2):  # a concurrent sync may create the row first
        try:
            with transaction.atomic():
                character = Character.objects.select_for_update().filter(slug=slug).first()
                if character is None:
                    character = Character(slug=slug, name=name)
                unchanged = (
                    character.pk and character.shipped and character.cascade_sha256 == sha256
                    and character.detection_params() == params
                )
                if unchanged:
                    return character
                if character.cascade_sha256 != sha256 or not character.cascade:
                    character.cascade.save(f"{slug}-{sha256[:12]}.xml", ContentFile(data), save=False)
                    character.cascade_sha256 = sha256
                for key, value in params.items():
                    setattr(character, key, value)
                character.shipped = True
                character.save()
                logger.info("cast member %s synced from the shipped cascades", slug)
                return character
        except IntegrityError:
            continue
    raise CascadeError(f"could not sync cast member {slug!r}")


def cascade_check(*, file) -> str:
    """Prove an uploaded cascade file loads as a detector; its SHA-256, or ValidationError saying why not."""
    data = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read()
    with tempfile.TemporaryDirectory(prefix="toonsite-cascade-") as folder:
        path = Path(folder) / "cascade.xml"
        path.write_bytes(data)
        try:
            load_cascade(path)
        except CascadeError as error:
            raise ValidationError(str(error).replace(str(path), Path(file.name or "cascade").name),
                                  code="bad_cascade") from None
    if hasattr(file, "seek"):
        file.seek(0)
    return hashlib.sha256(data).hexdigest()


def character_create(*, name: str, slug: str, cascade, **params) -> Character:
    """A new character from an uploaded cascade, which must load; params are DetectionParams' fields."""
    sha256 = cascade_check(file=cascade)
    try:
        DetectionParams(**params)
    except (CascadeError, TypeError) as error:
        raise ValidationError(str(error), code="bad_params") from None
    character = Character(name=name, slug=slug, cascade_sha256=sha256, **params)
    character.full_clean(exclude=["cascade"])
    character.cascade.save(f"{slug}-{sha256[:12]}.xml", cascade, save=False)
    try:
        with transaction.atomic():
            character.save()
    except BaseException:
        default_storage.delete(character.cascade.name)
        raise
    return character


# -- starting a run ----------------------------------------------------------------------------------
def episode_process(
    *, episode: Episode, inline: bool = False, force: bool = False, progress: Callable[[int], None] | None = None
) -> ProcessingRun:
    """Start a new run over the episode: one task per frame range on the gpu queue, or, with inline=True, every
    range here and now (no broker). `progress` (inline only) is told how many frames each step covered.

    An episode with a run under way is refused unless force=True, which abandons that run. Earlier runs stay as
    history; their detections give way to the new run's when it is done.
    """
    characters = _characters_for_run()
    if not characters:
        if not force and ProcessingRun.objects.filter(episode=episode, status__in=ACTIVE).exists():
            raise _busy(episode)
        reason = (
            f"no characters to look for: the shipped cast ({settings.CAST_DIR / CAST_FILE}) is missing and no "
            "character is active; add one with a cascade file"
        )
        _episode_fail(episode.pk, reason)
        raise ProcessingRefused(reason, code="no_characters")
    with transaction.atomic():
        episode = Episode.objects.select_for_update(no_key=True).get(pk=episode.pk)
        active = list(ProcessingRun.objects.select_for_update(no_key=True).filter(episode=episode, status__in=ACTIVE))
        if active and not force:
            raise _busy(episode)
        weights = Path(settings.EMOTION_WEIGHTS)
        run = ProcessingRun.objects.create(
            episode=episode,
            weights_name=_portable(weights),
            weights_sha256=_file_sha256(str(weights.resolve()), *_stat(weights)),
            cascades=[
                {"slug": c.slug, "name": c.name, "cascade": c.cascade.name, "sha256": c.cascade_sha256,
                 "params": c.detection_params()}
                for c in characters
            ],
            method=settings.EPISODE_METHOD,
            settings=asdict(_fast_settings()) if settings.EPISODE_METHOD == "fast" else {},
            range_frames=settings.EPISODE_RANGE_FRAMES,
        )
        for old in active:
            old.status, old.error, old.finished = Status.FAILED, f"abandoned for run {run.pk}", timezone.now()
            old.save(update_fields=["status", "error", "finished"])
        step = max(1, settings.EPISODE_RANGE_FRAMES)
        ranges = FrameRange.objects.bulk_create(
            FrameRange(run=run, index=i, start=start, stop=min(start + step, episode.frame_count))
            for i, start in enumerate(range(0, episode.frame_count, step))
        )
        episode.current_run, episode.status, episode.progress, episode.error = run, Status.QUEUED, 0.0, ""
        episode.save(update_fields=["current_run", "status", "progress", "error", "updated"])
        range_ids = [r.pk for r in ranges]
        if not inline:
            transaction.on_commit(lambda: _enqueue(range_ids))
    logger.info("episode %s: run %s started, %d ranges", episode.pk, run.pk, len(range_ids))
    if inline:
        for range_id in range_ids:
            frame_range_process(frame_range_id=range_id, worker=f"{socket.gethostname()} (inline)", progress=progress)
    run.refresh_from_db()
    return run


def episode_reprocess(*, episode: Episode, inline: bool = False, force: bool = False) -> ProcessingRun:
    """Process an episode again (after a failure, or with new weights or cascades): a new run, the old kept."""
    return episode_process(episode=episode, inline=inline, force=force)


def episode_resume(*, episode: Episode) -> list[int]:
    """Queue again every unfinished range of the episode's run under way; the ids queued.

    For a range whose task was lost (the embedded filesystem broker forgets a killed worker's task; Redis hands
    it on by itself after its visibility timeout). A range still running somewhere is merely done twice, which
    keeps one copy of its detections.
    """
    with transaction.atomic():
        current = Episode.objects.filter(pk=episode.pk).values_list("current_run_id", flat=True).first()
        run = ProcessingRun.objects.filter(pk=current, status__in=ACTIVE).first()
        if run is None:
            raise ProcessingRefused(f"episode {episode.pk} has no run under way to resume", code="not_running")
        range_ids = list(run.ranges.exclude(status=Status.DONE).order_by("start").values_list("pk", flat=True))
        transaction.on_commit(lambda: _enqueue(range_ids))
    return range_ids


def _fast_settings() -> FastSettings:
    return FastSettings(threads=settings.EPISODE_DETECT_THREADS)


def _busy(episode: Episode) -> ProcessingRefused:
    return ProcessingRefused(f"episode {episode.pk} is already being processed; wait for it to finish", code="busy")


def _characters_for_run() -> list[Character]:
    character_sync_cast()
    return list(Character.objects.filter(active=True).order_by("slug"))


def _enqueue(range_ids: list[int]) -> None:
    from emotions import tasks  # tasks import this module

    for range_id in range_ids:
        tasks.process_frame_range.apply_async((range_id,), queue=settings.EPISODE_QUEUE)


# -- one range -----------------------------------------------------------------------------------------
@dataclass
class _Face:
    detection: Detection
    crop: bytes


def frame_range_process(
    *, frame_range_id: int, worker: str = "", progress: Callable[[int], None] | None = None
) -> bool:
    """Segment one frame range and keep its detections; True if this call wrote them.

    Safe to call again for the same range, at once or later: a range done is not redone, and the run is
    finished by whichever call sees its last range done.
    """
    frame_range = _range_claim(frame_range_id, worker)
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
            _range_fail(frame_range, _reason(error))
        raise
    run_finish_if_complete(run_id=frame_range.run_id)
    return wrote


def _range_claim(frame_range_id: int, worker: str) -> FrameRange | None:
    """Mark a range as taken; None when it is gone, done, or its run is over."""
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
        if frame_range.attempts >= MAX_RANGE_ATTEMPTS:
            reason = f"gave up after {frame_range.attempts} attempts: a worker stopped each time on these frames"
            transaction.on_commit(lambda: _range_fail(frame_range, reason))
            return None
        now = timezone.now()
        frame_range.status, frame_range.attempts = Status.PROCESSING, frame_range.attempts + 1
        frame_range.started, frame_range.worker, frame_range.frames_done, frame_range.error = now, worker[:255], 0, ""
        frame_range.save(update_fields=["status", "attempts", "started", "worker", "frames_done", "error"])
    # Outside the range's lock: the run and episode rows are locked in the order the finishing step uses.
    ProcessingRun.objects.filter(pk=frame_range.run_id, status=Status.QUEUED).update(
        status=Status.PROCESSING, started=timezone.now()
    )
    Episode.objects.filter(pk=frame_range.run.episode_id, current_run=frame_range.run_id, status=Status.QUEUED).update(
        status=Status.PROCESSING
    )
    return frame_range


class _ProgressWriter:
    """Counts a range's frames and writes them (and the episode's progress) at most once a PROGRESS_INTERVAL."""

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
        FrameRange.objects.filter(pk=self.frame_range.pk, status=Status.PROCESSING).update(frames_done=self.frames)
        _episode_progress(self.frame_range.run)


def _episode_progress(run: ProcessingRun) -> None:
    frames = FrameRange.objects.filter(run=run).aggregate(n=Sum("frames_done"))["n"] or 0
    total = FrameRange.objects.filter(run=run).order_by("-stop").values_list("stop", flat=True).first() or 1
    value = min(0.99, frames / total)  # 1.0 only once the run is finished
    Episode.objects.filter(pk=run.episode_id, current_run=run, status__in=ACTIVE).update(
        progress=Greatest(F("progress"), Value(value))
    )


def _range_segment(frame_range: FrameRange, forward) -> tuple[Segmentation, list[_Face], dict[int, bytes]]:
    """Segment the range and picture its detections: face crops and frames as JPEGs, decoded again here."""
    run = ProcessingRun.objects.select_related("episode").get(pk=frame_range.run_id)
    episode = run.episode
    ticker = _ProgressWriter(frame_range, forward)
    with _local_copy(episode.file.name) as video, _run_detectors(run) as detectors:
        classifier = classifier_load(weights=_run_weights(run))
        result = segment_video(
            video, detectors, classifier, method=run.method, start=frame_range.start, stop=frame_range.stop,
            settings=FastSettings(**run.settings) if run.method == "fast" else None, progress=ticker,
        )
        ticker.flush()
        characters = {c.slug: c for c in Character.objects.filter(slug__in=[d.name for d in detectors])}
        faces = _faces(frame_range, run, result, characters)
        frames = _pictures(video, faces, result)
    return result, faces, frames


def _faces(frame_range: FrameRange, run: ProcessingRun, result: Segmentation, characters: dict) -> list[_Face]:
    analyzed = sorted(result.analyzed)
    faces = []
    for found in result.detections:
        character = characters.get(found.character)
        if character is None:
            raise CascadeError(f"character {found.character!r} of run {run.pk} no longer exists")
        following = bisect.bisect_right(analyzed, found.frame)
        until = analyzed[following] if following < len(analyzed) else result.stop
        x, y, w, h = (int(v) for v in found.box)
        detection = Detection(
            episode_id=run.episode_id, run=run, frame=found.frame, time=found.frame / result.fps,
            duration=max(1, until - found.frame) / result.fps, character=character, x=max(0, x), y=max(0, y), w=w,
            h=h, emotion=found.emotion, confidence=min(1.0, max(0.0, float(found.confidence))),
            probabilities={k: round(float(v), 6) for k, v in found.probabilities.items()},
            track=None if found.track is None else frame_range.index * TRACK_STRIDE + found.track,
            interpolated=found.interpolated,
        )
        faces.append(_Face(detection, b""))
    return faces


def _pictures(video: Path, faces: list[_Face], result: Segmentation) -> dict[int, bytes]:
    """Fill in each face's crop and return the JPEG of every frame that has a face."""
    by_frame: dict[int, list[_Face]] = {}
    for face in faces:
        by_frame.setdefault(face.detection.frame, []).append(face)
    frames: dict[int, bytes] = {}
    if not by_frame:
        return frames
    for decoded in decode_frames(video, start=min(by_frame), stop=max(by_frame) + 1):
        if decoded.index not in by_frame:
            continue
        bgr = decoded.bgr()
        frames[decoded.index] = _jpeg(bgr)
        for face in by_frame[decoded.index]:
            face.crop = _jpeg(crop_face(bgr, face.detection.box, margin=CROP_MARGIN, size=CROP_SIZE))
    missing = sorted(set(by_frame) - set(frames))
    if missing:
        raise VideoError(f"frames {missing[:5]} could not be decoded again for their pictures")
    return frames


def _jpeg(bgr) -> bytes:
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode a JPEG")
    return data.tobytes()


def _range_write(frame_range: FrameRange, result: Segmentation, faces: list[_Face], frames: dict[int, bytes]) -> bool:
    """Replace the range's detections with these, in one transaction under the range's lock."""
    folder = f"detections/{frame_range.run.episode_id}/{frame_range.run_id}"
    with transaction.atomic():
        locked = (
            FrameRange.objects.select_for_update(no_key=True, of=("self",)).select_related("run")
            .get(pk=frame_range.pk)
        )
        if locked.status == Status.DONE or locked.run.status not in ACTIVE:
            return False  # a duplicate of this task got here first, or the run was abandoned
        stale = Detection.objects.filter(run_id=frame_range.run_id, frame__gte=frame_range.start,
                                         frame__lt=frame_range.stop)
        old_names = _detection_file_names(stale)
        stale.delete()
        frame_names = {index: _storage_put(f"{folder}/frames/{index:07d}.jpg", data) for index, data in frames.items()}
        seen: dict[int, int] = {}
        for face in faces:
            d = face.detection
            n = seen[d.frame] = seen.get(d.frame, 0) + 1
            d.crop.name = _storage_put(f"{folder}/faces/{d.frame:07d}-{d.character.slug}-{n}.jpg", face.crop)
            d.frame_image.name = frame_names[d.frame]
        Detection.objects.bulk_create([face.detection for face in faces], batch_size=1000)
        locked.status, locked.finished, locked.error = Status.DONE, timezone.now(), ""
        locked.frames_done, locked.analyzed, locked.detection_count = (
            frame_range.stop - frame_range.start, len(result.analyzed), len(faces)
        )
        locked.save(update_fields=["status", "finished", "error", "frames_done", "analyzed", "detection_count"])
        kept = {d.detection.crop.name for d in faces} | set(frame_names.values())
        transaction.on_commit(lambda: _storage_delete(old_names - kept))
    _episode_progress(frame_range.run)
    logger.info("%s: %d faces on %d analysed frames", frame_range, len(faces), len(result.analyzed))
    return True


def _range_fail(frame_range: FrameRange, reason: str) -> None:
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
            _episode_fail(episode.pk, message)
    logger.error("run %s failed: %s", run.pk, message)


def _episode_fail(episode_id: int, message: str) -> None:
    Episode.objects.filter(pk=episode_id).update(status=Status.FAILED, error=message, updated=timezone.now())


def _is_transient(error: BaseException) -> bool:
    """Errors worth retrying as they are (the database went away), rather than failing the episode."""
    from django.db import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def _reason(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return f"took longer than the {settings.EPISODE_RANGE_SOFT_TIME_LIMIT} s a range may take"
    if isinstance(error, ValueError | OSError):  # VideoError, CascadeError, WeightsError: already readable
        return str(error)
    return f"{type(error).__name__}: {error}"


# -- finishing -------------------------------------------------------------------------------------
def run_finish_if_complete(*, run_id: int) -> bool:
    """When every range of an active run is done: publish its detections, build the summaries, and mark the run
    and its episode done. True if this call finished it; calling it again changes nothing."""
    from recommender.services import episode_emotions_build

    with transaction.atomic():
        episode_id = ProcessingRun.objects.filter(pk=run_id).values_list("episode_id", flat=True).first()
        if episode_id is None:
            return False
        # Episode, then run: the order every step that locks both uses.
        episode = Episode.objects.select_for_update(no_key=True).get(pk=episode_id)
        run = ProcessingRun.objects.select_for_update(no_key=True).get(pk=run_id)
        if run.status not in ACTIVE or run.ranges.exclude(status=Status.DONE).exists():
            return False
        now = timezone.now()
        if episode.current_run_id != run.pk:
            run.status, run.error, run.finished = Status.FAILED, "abandoned for a newer run", now
            run.save(update_fields=["status", "error", "finished"])
            return False
        superseded = Detection.objects.filter(episode=episode).exclude(run=run)
        old_names = _detection_file_names(superseded)
        superseded.delete()
        run.status, run.finished, run.error = Status.DONE, now, ""
        run.detection_count = Detection.objects.filter(run=run).count()
        run.save(update_fields=["status", "finished", "error", "detection_count"])
        episode_emotions_build(episode=episode, run=run)
        episode.status, episode.progress, episode.error = Status.DONE, 1.0, ""
        episode.save(update_fields=["status", "progress", "error", "updated"])
        transaction.on_commit(lambda: _storage_delete(old_names))
    logger.info("episode %s done: run %s, %d detections", episode.pk, run.pk, run.detection_count)
    return True


# -- files -----------------------------------------------------------------------------------------
@contextmanager
def _local_copy(name: str) -> Iterator[Path]:
    """A stored file as a local path: itself on a local filesystem storage, else a temporary copy."""
    try:
        local = default_storage.path(name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield Path(local)
        return
    with tempfile.TemporaryDirectory(prefix="toonsite-media-") as folder:
        path = Path(folder) / Path(name).name
        with default_storage.open(name, "rb") as source, open(path, "wb") as out:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                out.write(chunk)
        yield path


@contextmanager
def _run_detectors(run: ProcessingRun) -> Iterator[list[CharacterDetector]]:
    """The run's characters as detectors, from the cascades it recorded (not whatever the rows say now)."""
    detectors = []
    for entry in run.cascades:
        with _local_copy(entry["cascade"]) as path:
            detectors.append(CharacterDetector.load(entry["slug"], path, DetectionParams(**entry["params"])))
    yield detectors


def _run_weights(run: ProcessingRun) -> Path:
    """The run's weights on this worker, which must be the very file the run started with."""
    path = Path(run.weights_name)
    if not path.is_absolute():
        path = settings.BASE_DIR / path
    if not path.is_file():
        raise OSError(f"this worker has no weights file {path} (run {run.pk} uses it)")
    if _file_sha256(str(path.resolve()), *_stat(path)) != run.weights_sha256:
        raise OSError(f"this worker's {path} is not the weights run {run.pk} started with (SHA-256 differs)")
    return path


def _portable(path: Path) -> str:
    """A path relative to the project when it is inside it, so hosts with other checkouts find it too."""
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR.resolve()))
    except ValueError:
        return str(path)


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise OSError(f"no weights file {path}") from None
    return stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=8)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _storage_put(name: str, data: bytes) -> str:
    """Write bytes under exactly this name (replacing a leftover of an earlier attempt); the stored name."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def _detection_file_names(detections) -> set[str]:
    names = set()
    for crop, frame in detections.values_list("crop", "frame_image"):
        names.update(n for n in (crop, frame) if n)
    return names


def _storage_delete(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError as error:
            logger.warning("could not delete %s: %s", name, error)
