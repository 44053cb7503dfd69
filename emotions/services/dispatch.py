"""Queue work for the Celery workers, by task name.

The rule between services and tasks: tasks import services (at the top) and call one each; services never
import tasks. A service that queues work sends the task by its registered name through the Celery app, so the
import graph has no services <-> tasks circle, eager or lazy.
"""
from celery import current_app
from django.conf import settings

PROCESS_FRAME_RANGE = "emotions.tasks.process_frame_range"
RECOVER_RUNS = "emotions.tasks.recover_runs"
TRAIN_CHARACTER_VERSION = "emotions.tasks.train_character_version"
TRAIN_EMOTION_MODEL = "emotions.tasks.train_emotion_model"
RECLASSIFY_FACES = "emotions.tasks.reclassify_faces"


def frame_ranges_enqueue(*, range_ids: list[int]) -> None:
    """One segmentation task per frame range, on EPISODE_QUEUE (gpu by default, where the segmenting workers are)."""
    for range_id in range_ids:
        current_app.send_task(PROCESS_FRAME_RANGE, args=(range_id,), queue=settings.EPISODE_QUEUE)


def character_version_enqueue(*, version_id: int) -> None:
    """Train one character version, on EPISODE_QUEUE (its workers have the GPU, when there is one)."""
    current_app.send_task(TRAIN_CHARACTER_VERSION, args=(version_id,), queue=settings.EPISODE_QUEUE)


def emotion_model_enqueue(*, model_id: int) -> None:
    """Train one emotion model, on EPISODE_QUEUE (its workers have the GPU, when there is one)."""
    current_app.send_task(TRAIN_EMOTION_MODEL, args=(model_id,), queue=settings.EPISODE_QUEUE)


def faces_reclassify_enqueue(*, model_id: int) -> None:
    """Re-read every stored face with an activated model, on EPISODE_QUEUE (where the CNN's workers are)."""
    current_app.send_task(RECLASSIFY_FACES, args=(model_id,), queue=settings.EPISODE_QUEUE)
