"""Scoring a classifier on a labelled dataset: accuracy, macro F1, per-class metrics, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .datasets import FaceDataset, load_arrays, load_dataset


class EvaluationError(ValueError):
    """A dataset that the classifier cannot be scored on."""


def evaluate(classifier, dataset: FaceDataset | Path | str, batch_size: int = 256) -> dict:
    """Score ``classifier`` on **every** readable sample of ``dataset`` (it is taken to be a held-out set).

    Predictions are restricted to the emotions present in the dataset (argmax over those columns only),
    so a model of seven emotions is scored fairly on e.g. the dissertation's three. Returns exactly
    {"accuracy", "macro_f1", "n", "classes", "per_class", "confusion"}; see ``compute_metrics``.
    Unreadable images are skipped (and recorded in ``dataset.skipped``).
    """
    if not isinstance(dataset, FaceDataset):
        dataset = load_dataset(dataset)
    unknown = [c for c in dataset.classes if c not in classifier.classes]
    if unknown:
        raise EvaluationError(
            f"the dataset has emotion(s) the model was not trained on: {', '.join(unknown)} "
            f"(the model knows {', '.join(classifier.classes)})"
        )
    images, labels = load_arrays(dataset, classifier.input_size)  # may drop unreadable images (and classes)
    columns = [list(classifier.classes).index(c) for c in dataset.classes]
    probabilities = classifier.predict_proba(images, batch_size=batch_size)[:, columns]
    return compute_metrics(labels, probabilities.argmax(axis=1), dataset.classes)


def compute_metrics(y_true: Sequence[int], y_pred: Sequence[int], classes: Sequence[str]) -> dict:
    """Accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix (rows true).

    Labels index ``classes``. A precision or recall with nothing to divide by counts as 0 (as sklearn's
    zero_division=0); macro F1 is the plain mean of the per-class F1 scores over ``classes``.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    k = len(classes)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D and the same length, got {y_true.shape} and {y_pred.shape}")
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= k):
        raise ValueError(f"labels must index the {k} classes")
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    hits = np.diag(confusion).astype(np.float64)
    predicted = confusion.sum(axis=0).astype(np.float64)
    actual = confusion.sum(axis=1).astype(np.float64)
    precision = _safe_divide(hits, predicted)
    recall = _safe_divide(hits, actual)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    n = int(y_true.size)
    return {
        "accuracy": float(hits.sum() / n) if n else 0.0,
        "macro_f1": float(f1.mean()) if k else 0.0,
        "n": n,
        "classes": list(classes),
        "per_class": {
            c: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "n": int(actual[i])}
            for i, c in enumerate(classes)
        },
        "confusion": confusion.tolist(),
    }


def _safe_divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with 0 wherever b is 0."""
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)
