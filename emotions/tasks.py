"""Celery tasks of the emotions app: thin wrappers that call one service each."""
from celery import shared_task

from emotions import services


@shared_task(name="emotions.tasks.classify_encoded_images")
def classify_encoded_images(encoded: list[str]) -> list[dict]:
    """Classify base64-encoded face images; routed to the gpu queue, where the CNN lives."""
    return [result.as_dict() for result in services.encoded_images_classify(encoded=encoded)]
