"""Celery tasks of the emotions app: thin wrappers that take ids, call one service, and hold no logic.

Tasks import services; services never import tasks (they queue work by name: emotions.services.dispatch)."""
from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError

from emotions.services.dispatch import (
    PROCESS_FRAME_RANGE,
    RECLASSIFY_FACES,
    RECOVER_RUNS,
    TRAIN_CHARACTER_VERSION,
    TRAIN_EMOTION_MODEL,
)
from emotions.services.emotion_models import emotion_model_train
from emotions.services.ranges import frame_range_process
from emotions.services.reclassify import emotion_model_reclassify_run
from emotions.services.recovery import runs_recover
from emotions.services.teaching import training_run
from emotions.watchdog import watchdog_start


@shared_task(
    name=PROCESS_FRAME_RANGE,
    bind=True,
    acks_late=True,  # acknowledged when done: a worker killed mid-range leaves it to be delivered again
    reject_on_worker_lost=True,
    ignore_result=True,  # the outcome lives in the database
    soft_time_limit=settings.EPISODE_RANGE_SOFT_TIME_LIMIT,
    time_limit=settings.EPISODE_RANGE_TIME_LIMIT,
    autoretry_for=(OperationalError, InterfaceError),  # the database went away: retry over minutes, not seconds
    retry_backoff=settings.EPISODE_RANGE_RETRY_BACKOFF,
    retry_backoff_max=settings.EPISODE_RANGE_RETRY_BACKOFF_MAX,
    retry_jitter=False,
    max_retries=settings.EPISODE_RANGE_RETRIES,
)
def process_frame_range(self, frame_range_id: int) -> None:
    """Segment one frame range of an episode's run; repeating it never duplicates detections."""
    frame_range_process(
        frame_range_id=frame_range_id, worker=self.request.hostname or "", retry=bool(self.request.retries)
    )


@shared_task(name=RECOVER_RUNS, ignore_result=True)
def recover_runs() -> None:
    """One watchdog sweep (for `celery beat`; every worker also sweeps by itself: emotions/watchdog.py)."""
    runs_recover()


@shared_task(
    name=TRAIN_CHARACTER_VERSION,
    acks_late=True,  # a worker killed mid-training leaves the version to be trained again
    reject_on_worker_lost=True,
    ignore_result=True,  # the outcome lives in the version row
    soft_time_limit=settings.CHARACTER_TRAINING_SOFT_TIME_LIMIT,
    time_limit=settings.CHARACTER_TRAINING_TIME_LIMIT,
)
def train_character_version(version_id: int) -> None:
    """Train one version of a character's cascade, with its preview; failures are written to the version."""
    training_run(version_id)


@shared_task(
    name=TRAIN_EMOTION_MODEL,
    acks_late=True,  # a worker killed mid-training leaves the model to be trained again
    reject_on_worker_lost=True,
    ignore_result=True,  # the outcome lives in the model's row
    soft_time_limit=settings.EMOTION_TRAINING_SOFT_TIME_LIMIT,
    time_limit=settings.EMOTION_TRAINING_TIME_LIMIT,
)
def train_emotion_model(model_id: int) -> None:
    """Train one emotion model and score it on the fixed held-out faces; failures are written to its row."""
    emotion_model_train(model_id=model_id)


@shared_task(name=RECLASSIFY_FACES, ignore_result=True, soft_time_limit=settings.EMOTION_TRAINING_SOFT_TIME_LIMIT,
             time_limit=settings.EMOTION_TRAINING_TIME_LIMIT)
def reclassify_faces(model_id: int) -> None:
    """Re-read every stored face with an activated model; the outcome is written to the model's report."""
    emotion_model_reclassify_run(model_id=model_id)


@worker_ready.connect
def _start_watchdog(**_) -> None:
    watchdog_start()
