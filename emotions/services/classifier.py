"""The emotion CNN for the site: the classifier loaded once per process, classifying images in a batch, what the
home page says of the model, and the thumbnails shown beside a result."""
from dataclasses import asdict, dataclass
from functools import lru_cache

import cv2
import numpy as np
from django.conf import settings

from toonvision.inference import EmotionClassifier


@dataclass(frozen=True)
class Classification:
    """One image's emotion: the most likely one, its probability, and every class's probability."""

    emotion: str
    confidence: float
    probabilities: dict[str, float]

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=2)
def _load_classifier(path: str, device: str) -> EmotionClassifier:
    return EmotionClassifier.load(path, device=device or None)


def classifier_load(*, weights=None, device: str | None = None) -> EmotionClassifier:
    """A classifier for the given weights and device, each defaulting to the settings (loaded once per process):
    with no arguments, the model in use (the shipped weights unless EMOTION_WEIGHTS names others)."""
    return _load_classifier(str(weights or settings.EMOTION_WEIGHTS), device or settings.TORCH_DEVICE)


def images_classify(*, images: list[np.ndarray]) -> list[Classification]:
    """Classify face images (BGR arrays) in one batch with the active model."""
    if not images:
        return []
    classifier = classifier_load()
    probabilities = classifier.predict_proba(images)
    results = []
    for row in probabilities:
        best = int(np.argmax(row))
        results.append(
            Classification(
                emotion=classifier.classes[best],
                confidence=float(row[best]),
                probabilities={name: float(p) for name, p in zip(classifier.classes, row)},
            )
        )
    return results


def model_summary() -> dict:
    """What the home page says of the active model; a missing or broken weights file is reported, not raised."""
    try:
        classifier = classifier_load()
    except (ValueError, OSError) as error:
        return {"path": str(settings.EMOTION_WEIGHTS), "error": str(error)}
    return {
        "path": str(settings.EMOTION_WEIGHTS),
        "arch": classifier.arch,
        "classes": list(classifier.classes),
        "device": str(classifier.device),
        "test_accuracy": classifier.info.get("accuracy"),
        "trained_on": classifier.info.get("n_train"),
    }


def image_thumbnail_png(*, image: np.ndarray, size: int = 160) -> bytes:
    """A PNG of a (decoded) image scaled to fit size x size, for showing it beside its result."""
    scale = size / max(image.shape[:2])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    return cv2.imencode(".png", resized)[1].tobytes()
