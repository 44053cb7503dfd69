"""Runs: start one over an episode (a FrameRange per EPISODE_RANGE_FRAMES frames, each queued as its own task),
queue a stuck run's unfinished ranges again (by hand; services/recovery.py does it by itself), and finish a run
once its last range is done (publish its detections, build the episode's summaries and moments).

Every step is safe to repeat: the run row, locked, decides which call finishes it, and a finished or abandoned
run is never finished twice.
"""
from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from emotions.exceptions import ModelUnavailable, ProcessingRefused
from emotions.models import Character, Detection, Episode, FrameRange, ProcessingRun, Status
from emotions.services.cast import character_sync_cast
from emotions.services.classifier import active_weights
from emotions.services.dispatch import frame_ranges_enqueue
from emotions.services.labels import run_labels_carry
from emotions.services.moments import run_moments_build
from emotions.services.storage import (
    detection_file_names,
    file_sha256,
    file_stat,
    portable_path,
    storage_delete,
)
from emotions.services.summaries import episode_emotions_build
from emotions.services.tracks import run_join_tracks
from toonvision.crops import STORED_CROP_MARGIN, STORED_MARGIN_KEY
from toonvision.detection import CAST_FILE
from toonvision.segmentation import FastOptions

logger = logging.getLogger(__name__)

ACTIVE = (Status.QUEUED, Status.PROCESSING)


def episode_process(*, episode: Episode, force: bool = False, enqueue: bool = True) -> ProcessingRun:
    """Start a new run over the episode: one task per frame range, on EPISODE_QUEUE once the run is committed.
    With enqueue=False nothing is queued: the caller segments the ranges itself (ranges.episode_process_here).

    An episode with a run under way is refused unless force=True, which abandons that run; so is a run that shows
    no sign of life for RECOVERY_STALE_SECONDS (stuck: nothing started, sent or segmented it lately), so "Process
    again" always gets an episode moving. Earlier runs stay as history; their detections give way to the new
    run's when it is done.
    """
    characters = _characters_for_run()
    if not characters:
        if not force and ProcessingRun.objects.filter(episode=episode, status__in=ACTIVE).exists():
            raise _busy(episode)
        reason = (
            f"no characters to look for: the shipped cast ({settings.CAST_DIR / CAST_FILE}) is missing and no "
            "character is active; add one with a cascade file"
        )
        episode_fail(episode.pk, reason)
        raise ProcessingRefused(reason, code="no_characters")
    with transaction.atomic():
        episode = Episode.objects.select_for_update(no_key=True).get(pk=episode.pk)
        active = list(ProcessingRun.objects.select_for_update(no_key=True).filter(episode=episode, status__in=ACTIVE))
        if active and not force and runs_alive(active):
            raise _busy(episode)
        abandoned = "" if force or not active else f": stuck, no sign of life for {settings.RECOVERY_STALE_SECONDS} s"
        weights = active_weights()
        try:
            weights_sha256 = file_sha256(str(weights.resolve()), *file_stat(weights))
        except OSError as error:  # missing or unreadable: the run could not be segmented anywhere
            raise ModelUnavailable(str(error)) from None
        run = ProcessingRun.objects.create(
            episode=episode,
            weights_name=portable_path(weights),
            weights_sha256=weights_sha256,
            cascades=[
                {"slug": c.slug, "name": c.name, "cascade": c.cascade.name, "sha256": c.cascade_sha256,
                 "params": c.detection_params(), "appearance": c.appearance}
                for c in characters
            ],
            method=settings.EPISODE_METHOD,
            options={**(asdict(_fast_options()) if settings.EPISODE_METHOD == "fast" else {}),
                     STORED_MARGIN_KEY: STORED_CROP_MARGIN},
            range_frames=settings.EPISODE_RANGE_FRAMES,
        )
        for old in active:
            old.status, old.error = Status.FAILED, f"abandoned for run {run.pk}{abandoned}"
            old.finished = timezone.now()
            old.save(update_fields=["status", "error", "finished"])
        step, now = max(1, settings.EPISODE_RANGE_FRAMES), timezone.now()
        ranges = FrameRange.objects.bulk_create(
            FrameRange(run=run, index=i, start=start, stop=min(start + step, episode.frame_count), queued=now)
            for i, start in enumerate(range(0, episode.frame_count, step))
        )
        episode.current_run, episode.status, episode.progress, episode.error = run, Status.QUEUED, 0.0, ""
        episode.save(update_fields=["current_run", "status", "progress", "error", "updated"])
        range_ids = [r.pk for r in ranges]
        if enqueue:
            transaction.on_commit(lambda: frame_ranges_enqueue(range_ids=range_ids))
    logger.info("episode %s: run %s started, %d ranges", episode.pk, run.pk, len(range_ids))
    run.refresh_from_db()
    return run


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
        unfinished = run.ranges.exclude(status=Status.DONE)
        range_ids = list(unfinished.order_by("start").values_list("pk", flat=True))
        unfinished.update(queued=timezone.now())
        transaction.on_commit(lambda: frame_ranges_enqueue(range_ids=range_ids))
    return range_ids


def runs_alive(runs: list[ProcessingRun]) -> bool:
    """Whether any of these runs showed life within RECOVERY_STALE_SECONDS: created, a range sent, or a range's
    worker beating (a range being segmented writes its heartbeat about once a second)."""
    since = timezone.now() - timedelta(seconds=settings.RECOVERY_STALE_SECONDS)
    if any(run.created >= since for run in runs):
        return True
    return FrameRange.objects.filter(run__in=runs).filter(Q(heartbeat__gte=since) | Q(queued__gte=since)).exists()


def _fast_options() -> FastOptions:
    return FastOptions(threads=settings.EPISODE_DETECT_THREADS)


def _busy(episode: Episode) -> ProcessingRefused:
    return ProcessingRefused(f"episode {episode.pk} is already being processed; wait for it to finish", code="busy")


def _characters_for_run() -> list[Character]:
    """The active characters that have a cascade: a taught character with no accepted version is never looked for."""
    character_sync_cast()
    return list(Character.objects.filter(active=True).exclude(cascade="").order_by("slug"))


def episode_fail(episode_id: int, message: str) -> None:
    Episode.objects.filter(pk=episode_id).update(status=Status.FAILED, error=message, updated=timezone.now())



def run_finish_if_complete(*, run_id: int) -> bool:
    """When every range of an active run is done: publish its detections, build the summaries, and mark the run
    and its episode done. True if this call finished it; calling it again changes nothing."""
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
        run_join_tracks(run=run)  # a face crossing range boundaries keeps one track id
        run_labels_carry(run=run)  # what people said of the faces stays with them
        superseded = Detection.objects.filter(episode=episode).exclude(run=run)
        old_names = detection_file_names(superseded)
        superseded.delete()
        run.status, run.finished, run.error = Status.DONE, now, ""
        run.detection_count = Detection.objects.filter(run=run).count()
        run.save(update_fields=["status", "finished", "error", "detection_count"])
        episode_emotions_build(episode=episode, run=run)
        run_moments_build(run=run)
        episode.status, episode.progress, episode.error = Status.DONE, 1.0, ""
        episode.save(update_fields=["status", "progress", "error", "updated"])
        transaction.on_commit(lambda: storage_delete(old_names))
    logger.info("episode %s done: run %s, %d detections", episode.pk, run.pk, run.detection_count)
    return True

