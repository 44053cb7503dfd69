"""The emotion CNN for the site: the classifier loaded once per process, classifying images in a batch, what the
home page says of the model, and the thumbnails shown beside a result."""
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.db import DatabaseError

from emotions.models import EmotionModel
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
def _load_classifier(path: str, device: str, size: int, mtime_ns: int, precision: str) -> EmotionClassifier:
    """Keyed by the file's size and modification time too: weights written again under the same name (retrained
    shipped weights) are loaded anew, never served stale from this process's cache."""
    return EmotionClassifier.load(path, device=device or None, precision=precision)


def weights_path(name: str | Path) -> Path:
    """A weights file as a model row or a run names it: relative to the project unless absolute."""
    path = Path(name)
    return path if path.is_absolute() else settings.BASE_DIR / path


def active_weights() -> Path:
    """The weights new processing and classification use: the active model's (emotions.services.emotion_models
    activates one), else EMOTION_WEIGHTS (the shipped weights unless the environment names others)."""
    try:
        name = EmotionModel.objects.filter(active=True).exclude(weights="").values_list("weights", flat=True).first()
    except DatabaseError:  # no database here (a command on a machine with only the weights), or not migrated yet
        name = None
    return weights_path(name) if name else Path(settings.EMOTION_WEIGHTS)


def classifier_load(*, weights=None, device: str | None = None) -> EmotionClassifier:
    """A classifier for the given weights and device, each defaulting to the settings (loaded once per process):
    with no arguments, the model in use (active_weights())."""
    path = Path(weights or active_weights())
    try:
        stat = path.stat()
        size, mtime_ns = stat.st_size, stat.st_mtime_ns
    except OSError:  # missing: EmotionClassifier.load says so in its words
        size = mtime_ns = -1
    return _load_classifier(str(path), device or settings.TORCH_DEVICE, size, mtime_ns, settings.EMOTION_PRECISION)


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
    """What the home page says of the active model: its file's name (never the server's path), and its accuracy
    only with what it was measured on. A missing or broken weights file is reported, not raised."""
    weights = active_weights()
    name = weights.name
    try:
        classifier = classifier_load(weights=weights)
    except (ValueError, OSError) as error:
        return {"name": name, "error": model_error_words(error)}
    info = classifier.info
    return {
        "name": name,
        "arch": classifier.arch,
        "classes": list(classifier.classes),
        "device": str(classifier.device),
        "test_accuracy": info.get("accuracy"),
        "trained_on": info.get("n_train"),
        "tested_on": info.get("n_test"),
        "dataset": Path(str(info.get("dataset") or "")).name,
    }


def model_error_words(error: BaseException) -> str:
    """Why the model cannot load, for a page: the weights' folder (a server path) left out, their name kept."""
    folder = str(active_weights().parent)
    return str(error).replace(folder + "/", "").replace(folder, "")


def image_thumbnail_png(*, image: np.ndarray, size: int = 160) -> bytes:
    """A PNG of a (decoded) image scaled to fit size x size, for showing it beside its result."""
    scale = size / max(image.shape[:2])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    return cv2.imencode(".png", resized)[1].tobytes()
