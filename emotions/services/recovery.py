"""Recovery: move again the runs that stopped moving without failing (a worker killed mid-range, a message the
broker lost, a range whose retries ran out while the database was away), and fail, with the reason, a range that
cannot finish (MAX_RANGE_ATTEMPTS).

Queueing a range again is always safe: ranges are idempotent, and a task for a range that is done, or that a
live worker holds, does nothing. The worker's watchdog (emotions/watchdog.py), `celery beat` and the
`recover_runs` command all call runs_recover.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from emotions.models import FrameRange, ProcessingRun, Status
from emotions.services.dispatch import frame_ranges_enqueue
from emotions.services.ranges import MAX_RANGE_ATTEMPTS, frame_range_fail
from emotions.services.runs import ACTIVE, run_finish_if_complete

logger = logging.getLogger(__name__)

# While some worker is busy, a queued range may just be waiting its turn: it is sent again after the stale
# interval, then twice that, ... up to 2**REQUEUE_DOUBLINGS times it, so a long queue gathers few duplicates.
# When no range anywhere beats, nobody is working and a queued range is lost: it is sent again at once.
REQUEUE_DOUBLINGS = 4


@dataclass
class Recovery:
    """What one sweep did: the ranges it queued again, the runs it failed and the runs it finished."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.finished)


def runs_recover(*, stale_seconds: int | None = None) -> Recovery:
    """Sweep every run under way once: queue again each range whose worker went silent for stale_seconds
    (RECOVERY_STALE_SECONDS) or whose message was lost, fail those out of attempts, finish runs left complete."""
    stale = timedelta(seconds=settings.RECOVERY_STALE_SECONDS if stale_seconds is None else stale_seconds)
    now = timezone.now()
    idle = not FrameRange.objects.filter(
        status=Status.PROCESSING, heartbeat__gte=now - stale, run__status__in=ACTIVE
    ).exists()
    recovery = Recovery()
    for run_id in ProcessingRun.objects.filter(status__in=ACTIVE).order_by("pk").values_list("pk", flat=True):
        _run_recover(run_id, now=now, stale=stale, idle=idle, recovery=recovery)
    if recovery:
        logger.warning("recovery: ranges %s queued again, runs %s failed, runs %s finished",
                       recovery.requeued, recovery.failed, recovery.finished)
    return recovery


def _run_recover(run_id: int, *, now: datetime, stale: timedelta, idle: bool, recovery: Recovery) -> None:
    if not FrameRange.objects.filter(run_id=run_id).exclude(status=Status.DONE).exists():
        if run_finish_if_complete(run_id=run_id):  # its last range was written, then the finishing step failed
            recovery.finished.append(run_id)
        return
    requeue, give_up = [], []
    with transaction.atomic():
        # Ranges a worker is claiming or writing right now are locked: skipped, and looked at next sweep.
        ranges = (
            FrameRange.objects.select_for_update(no_key=True, skip_locked=True, of=("self",)).select_related("run")
            .filter(run_id=run_id, status__in=ACTIVE).order_by("index")
        )
        for frame_range in ranges:
            if frame_range.status == Status.PROCESSING:
                lost = (frame_range.heartbeat or frame_range.started or frame_range.run.created) < now - stale
                if lost and frame_range.attempts >= MAX_RANGE_ATTEMPTS:
                    give_up.append(frame_range)
                    continue
            else:
                patience = stale if idle else stale * 2 ** min(frame_range.requeues, REQUEUE_DOUBLINGS)
                lost = (frame_range.queued or frame_range.run.created) < now - patience
            if lost:
                frame_range.status, frame_range.queued = Status.QUEUED, now
                frame_range.requeues += 1
                frame_range.save(update_fields=["status", "queued", "requeues"])
                requeue.append(frame_range.pk)
        if requeue:
            # robust: a broker that is down fails this send only; the next sweep sends them again.
            transaction.on_commit(lambda: frame_ranges_enqueue(range_ids=requeue), robust=True)
    recovery.requeued.extend(requeue)
    for frame_range in give_up:
        frame_range_fail(frame_range=frame_range, reason=(
            f"gave up after {frame_range.attempts} attempts: its worker stopped each time on these frames "
            f"(last {frame_range.worker or 'unknown'})"
        ))
    if give_up:
        recovery.failed.append(run_id)  # once: the run fails with its first such range
