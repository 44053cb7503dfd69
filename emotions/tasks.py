"""Celery tasks of the emotions app: thin wrappers that call one service each."""
from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from emotions import processing, services


@shared_task(name="emotions.tasks.classify_encoded_images")
def classify_encoded_images(encoded: list[str]) -> list[dict]:
    """Classify base64-encoded face images; routed to the gpu queue, where the CNN lives."""
    return [result.as_dict() for result in services.encoded_images_classify(encoded=encoded)]


@shared_task(
    name="emotions.tasks.process_frame_range",
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
    processing.frame_range_process(frame_range_id=frame_range_id, worker=self.request.hostname or "")
