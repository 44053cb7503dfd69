"""Episodes in and out: keep an upload as an Episode once its content proves it a whole video (spooled to disk
and hashed on the way), and delete an episode with every file of its own."""
from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.text import get_valid_filename

from emotions.exceptions import DuplicateEpisode, EpisodeRejected, ProcessingRefused, storage_full_refused
from emotions.media import video_media
from emotions.models import Detection, Episode
from emotions.services.dispatch import frame_ranges_enqueue
from emotions.services.runs import episode_process
from emotions.services.storage import detection_file_names, storage_delete
from toonvision.probe import probe_untrusted
from toonvision.video import VideoError, VideoLimits, VideoOverLimits

logger = logging.getLogger(__name__)


def episode_create(*, owner, file, title: str) -> Episode:
    """Keep an uploaded video as an Episode, having proved by its content that it is a whole video.

    `file` is a Django File (an UploadedFile from a form, or File(open(path, "rb"))). Too large, empty,
    not a video (only the containers and codecs toonvision.video accepts, probed in a child process under
    UPLOAD_PROBE_TIMEOUT), over the picture/length limits, truncated or already uploaded: EpisodeRejected,
    and no file or row is left behind. The disk full: StorageFull, and nothing is left behind either.
    """
    return _episode_keep(owner=owner, file=file, title=title)


def episode_upload(*, owner, file, title: str) -> Episode:
    """Keep an upload and queue its processing, all or nothing: the file, the Episode row and its run are
    kept together or not at all (the refusals of episode_create, or any failure while queueing, leave nothing).

    The range tasks are sent once that is committed; a send that fails then is logged and the run stays
    queued for the watchdog to send again. With no character to look for, the episode is kept and marked
    failed with the reason (its status and error say so), as episode_process does.
    """
    return _episode_keep(owner=owner, file=file, title=title, then=_episode_queue)


def _episode_queue(episode: Episode) -> None:
    """Start the episode's run inside the transaction that keeps it; its tasks go out after the commit."""
    try:
        run = episode_process(episode=episode, enqueue=False)
    except ProcessingRefused as error:
        if error.code != "no_characters":
            raise
        return  # kept, and marked failed with the reason by episode_process
    range_ids = list(run.ranges.order_by("start").values_list("pk", flat=True))
    transaction.on_commit(lambda: _send_or_leave_queued(episode.pk, range_ids))


def _send_or_leave_queued(episode_id: int, range_ids: list[int]) -> None:
    try:
        frame_ranges_enqueue(range_ids=range_ids)
    except Exception as error:  # the broker out of reach: the run is kept, queued, for the watchdog
        logger.error("episode %s: its range tasks could not be sent (%s); the run stays queued", episode_id, error)


def _episode_keep(*, owner, file, title: str, then: Callable[[Episode], None] | None = None) -> Episode:
    """Prove, store and save the episode; `then(episode)` runs in the transaction that saves its row, and when
    anything fails the row is rolled back and the stored file deleted."""
    name = get_valid_filename(Path(file.name or "").name) or "episode"
    limit = settings.MAX_EPISODE_UPLOAD_BYTES
    if file.size is not None and file.size > limit:
        raise _too_large(name, file.size, limit)
    with storage_full_refused(name), _upload_on_disk(file, name, limit) as (path, sha256, size):
        if size == 0:
            raise EpisodeRejected(f"{name} is empty", code="empty")
        existing = Episode.objects.filter(sha256=sha256).first()
        if existing:
            raise DuplicateEpisode(existing)
        try:
            info = probe_untrusted(path, limits=upload_limits(), timeout=settings.UPLOAD_PROBE_TIMEOUT)
        except VideoError as error:
            code = "over_limits" if isinstance(error, VideoOverLimits) else "not_a_video"
            raise EpisodeRejected(str(error).replace(str(path), name), code=code) from None
        if info.frame_count < 1:
            raise EpisodeRejected(f"{name} holds no frames", code="not_a_video")
        episode = Episode(
            title=(title or "").strip() or Path(name).stem, owner=owner, sha256=sha256, size_bytes=size,
            duration=info.duration, fps=info.fps, frame_count=info.frame_count, width=info.width,
            height=info.height, codec=info.codec[:32], container=info.container[:64],
        )
        with open(path, "rb") as handle:  # under an extension of ours: the uploader's could be .html
            stored = f"{Path(name).stem}.{video_media(container=info.container, codec=info.codec).extension}"
            episode.file.save(stored, File(handle), save=False)
        try:
            with transaction.atomic():
                episode.save()
                if then is not None:
                    then(episode)
        except BaseException as error:
            default_storage.delete(episode.file.name)
            if isinstance(error, IntegrityError) and (existing := Episode.objects.filter(sha256=sha256).first()):
                raise DuplicateEpisode(existing) from None
            raise
    episode.refresh_from_db()
    logger.info("episode %s stored: %s (%d frames, %.1f s)", episode.pk, episode.file.name, info.frame_count,
                info.duration)
    return episode


def upload_limits() -> VideoLimits:
    """The picture size, length and frame count an upload may have (settings MAX_VIDEO_PIXELS, ...)."""
    return VideoLimits(max_pixels=settings.MAX_VIDEO_PIXELS, max_seconds=settings.MAX_EPISODE_SECONDS,
                       max_frames=settings.MAX_EPISODE_FRAMES, min_side=settings.MIN_VIDEO_SIDE)


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
    names = detection_file_names(Detection.objects.filter(episode=episode))
    names.add(episode.file.name)
    with transaction.atomic():
        Episode.objects.filter(pk=episode.pk).update(current_run=None)
        episode.delete()
        transaction.on_commit(lambda: storage_delete(names))

