"""Celery tasks of the emotions app: thin wrappers that take ids, call one service, and hold no logic.

Tasks import services; services never import tasks (they queue work by name: emotions.services.dispatch)."""
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from emotions.services.dispatch import PROCESS_FRAME_RANGE
from emotions.services.ranges import frame_range_process


@shared_task(
    name=PROCESS_FRAME_RANGE,
    bind=True,
    acks_late=True,  # acknowledged when done: a worker killed mid-range leaves it to be delivered again
    reject_on_worker_lost=True,
    ignore_result=True,  # the outcome lives in the database
    soft_time_limit=settings.EPISODE_RANGE_SOFT_TIME_LIMIT,
    time_limit=settings.EPISODE_RANGE_TIME_LIMIT,
    autoretry_for=(OperationalError, InterfaceError),  # the database went away for a moment
    retry_backoff=True,
    max_retries=3,
)
def process_frame_range(self, frame_range_id: int) -> None:
    """Segment one frame range of an episode's run; repeating it never duplicates detections."""
    frame_range_process(frame_range_id=frame_range_id, worker=self.request.hostname or "")
