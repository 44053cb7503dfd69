"""Re-classify, not re-process: read every stored face again with an emotion model, from its stored crop alone
(only the CNN runs: no decoding, no detection), and rebuild the touched episodes' summaries.

A face a person labelled keeps its emotion (a label wins over any model); the others take the model's new
probabilities, and along each track the emotion is smoothed again as segmentation smooths it (a Viterbi pass
with the run's switch cost), so a re-read equals what processing with that model would have said.

Staff start it from the model registry as a job (emotion_model_reclassify, on EPISODE_QUEUE: the task
reclassify_faces), whose outcome goes in the model's report; `manage.py reclassify` runs the same service.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from emotions.exceptions import ModelNotAllowed, ModelRefused
from emotions.models import Character, Detection, EmotionModel, Episode, ProcessingRun
from emotions.services.classifier import active_weights, classifier_load, weights_path
from emotions.services.dispatch import faces_reclassify_enqueue
from emotions.services.moments import run_moments_build
from emotions.services.summaries import episode_emotions_build
from toonvision.crops import crops_classify
from toonvision.segmentation import crop_margins, fast_options_from
from toonvision.tracking import run_confidence, smooth_emotions

logger = logging.getLogger(__name__)

BATCH = 256  # faces per CNN batch
CHUNK = 4096  # faces read from storage at a time
WRITE_BATCH = 1000


@dataclass
class Reclassified:
    """What a re-classification did: faces read, changed (emotion), kept for their label, missing crops, the
    episodes whose summaries were rebuilt, seconds, and the weights used."""

    weights: str
    faces: int = 0
    changed: int = 0
    labelled: int = 0
    missing: int = 0
    episodes: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def faces_per_second(self) -> float:
        return self.faces / self.seconds if self.seconds else 0.0


def reclassify_weights(*, weights: str | Path | None = None) -> Path:
    """The weights to re-read with: those given, else the model in use (the active model's, else EMOTION_WEIGHTS)."""
    return Path(weights) if weights else active_weights()


def detections_reclassify(
    *, episode: Episode | None = None, character: Character | None = None, weights: str | Path | None = None,
    progress: Callable[[int], None] | None = None, batch_size: int = BATCH,
) -> Reclassified:
    """Re-read the published faces (of one episode, one character, or all) with the model; see the module.
    Bad weights raise WeightsError (a ValueError) before anything is written."""
    path = reclassify_weights(weights=weights)
    classifier = classifier_load(weights=path)
    began = time.perf_counter()
    result = Reclassified(weights=path.name)
    faces = Detection.objects.published().exclude(crop="")
    if episode is not None:
        faces = faces.filter(episode=episode)
    if character is not None:
        faces = faces.filter(character=character)
    result.labelled = faces.filter(labelled=True).count()
    touched: set[int] = set()
    for run in ProcessingRun.objects.filter(pk__in=faces.values("run_id").distinct()).order_by("pk"):
        rows = list(
            faces.filter(run=run, labelled=False).order_by("track", "frame", "pk")
            .values_list("pk", "track", "crop", "emotion")
        )
        if not rows:
            continue
        probabilities = _read(classifier, run, [r[2] for r in rows], batch_size, progress)
        changed = _write(run, rows, probabilities, classifier.classes)
        run_moments_build(run=run)  # new emotions, new moments
        result.faces += len(rows)
        result.missing += int(np.isnan(probabilities[:, 0]).sum())
        result.changed += changed
        touched.add(run.episode_id)
    for touched_episode in Episode.objects.filter(pk__in=touched).select_related("current_run"):
        if touched_episode.current_run is not None:
            episode_emotions_build(episode=touched_episode, run=touched_episode.current_run)
    result.episodes = sorted(touched)
    result.seconds = time.perf_counter() - began
    logger.info("re-classified %d faces with %s in %.1f s (%.0f faces/s), %d changed, %d labelled kept",
                result.faces, result.weights, result.seconds, result.faces_per_second, result.changed,
                result.labelled)
    return result


def _read(classifier, run: ProcessingRun, names: list[str], batch_size: int, progress) -> np.ndarray:
    """The model's probabilities for the run's crops, a chunk at a time (files read and decoded by threads while
    the CNN reads the batch before)."""
    stored_margin, cnn_margin = crop_margins(run.method, run.options)
    out = np.empty((len(names), len(classifier.classes)), dtype=np.float32)
    for start in range(0, len(names), CHUNK):
        chunk = names[start : start + CHUNK]
        out[start : start + len(chunk)] = crops_classify(
            classifier, chunk, stored_margin=stored_margin, cnn_margin=cnn_margin, batch_size=batch_size,
            load=_crop_bytes,
        )
        if progress:
            progress(len(chunk))
    return out


def _crop_bytes(name: str) -> bytes | None:
    try:
        with default_storage.open(name, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _write(run: ProcessingRun, rows: list, probabilities: np.ndarray, classes) -> int:
    """Smooth each track's new probabilities, then write emotion, confidence and probabilities in batches; a face
    labelled meanwhile (a person was quicker) is left alone. Returns how many faces changed emotion."""
    switch_cost = fast_options_from(run.options).switch_cost
    updates: list[tuple[int, str, float, str]] = []
    changed = 0
    for lo, hi in _tracks(rows):
        index = np.arange(lo, hi)[~np.isnan(probabilities[lo:hi, 0])]  # a missing crop keeps what it had
        if not len(index):
            continue
        block = probabilities[index]
        if rows[lo][1] is None:  # no track (the seed method): each face on its own
            path, confidence = block.argmax(1), block.max(1)
        else:
            path = smooth_emotions(block, switch_cost)
            confidence = run_confidence(block, path)
        for i, best, conf, row in zip(index, path, confidence, block):
            pk, _, _, before = rows[i]
            emotion = classes[int(best)]
            changed += emotion != before
            updates.append((pk, emotion, min(1.0, max(0.0, float(conf))),
                            json.dumps({c: round(float(p), 6) for c, p in zip(classes, row)})))
    for start in range(0, len(updates), WRITE_BATCH):
        _update(updates[start : start + WRITE_BATCH])
    return changed


def _update(rows: list[tuple[int, str, float, str]]) -> None:
    """Write (pk, emotion, confidence, probabilities JSON) onto faces still unlabelled, in one statement: a face a
    person labelled meanwhile is left alone. Django's bulk_update builds a CASE per row and field, which took as
    long as the CNN itself; PostgreSQL takes the batch as arrays (unnest), SQLite as one executemany."""
    table = connection.ops.quote_name(Detection._meta.db_table)
    if connection.vendor == "postgresql":
        ids, emotions, confidences, probabilities = (list(column) for column in zip(*rows))
        sql = (f"UPDATE {table} AS d SET emotion = v.emotion, confidence = v.confidence, "
               "probabilities = v.probabilities::jsonb FROM unnest(%s::bigint[], %s::text[], %s::float8[], "
               "%s::text[]) AS v(id, emotion, confidence, probabilities) WHERE d.id = v.id AND NOT d.labelled")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [ids, emotions, confidences, probabilities])
    elif connection.vendor == "sqlite":
        sql = f"UPDATE {table} SET emotion = %s, confidence = %s, probabilities = %s WHERE id = %s AND NOT labelled"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [(e, c, p, pk) for pk, e, c, p in rows])
    else:
        with transaction.atomic():
            labelled = set(Detection.objects.select_for_update().filter(pk__in=[r[0] for r in rows], labelled=True)
                           .values_list("pk", flat=True))
            Detection.objects.bulk_update(
                [Detection(pk=pk, emotion=e, confidence=c, probabilities=json.loads(p))
                 for pk, e, c, p in rows if pk not in labelled],
                ["emotion", "confidence", "probabilities"],
            )


def _tracks(rows: list) -> list[tuple[int, int]]:
    """[lo, hi) spans of rows (ordered by track, frame) that share a track; faces with no track one span each."""
    spans, lo = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][1] != rows[lo][1] or rows[lo][1] is None:
            spans.append((lo, i))
            lo = i
    return spans


# -- the job, from the model registry ---------------------------------------------------------------------------------
def emotion_model_reclassify(*, model: EmotionModel, user) -> EmotionModel:
    """Queue a re-reading of every stored face with the active model (staff only): only the CNN runs, over the stored
    crops; faces people labelled keep their labels, and the summaries are rebuilt. Its outcome goes in the model's
    report under "reclassify"."""
    if not (user and user.is_authenticated and user.is_staff):
        raise ModelNotAllowed("Only staff may re-classify the stored faces: it changes every episode's figures.")
    with transaction.atomic():
        model = EmotionModel.objects.select_for_update().get(pk=model.pk)
        if not model.active:
            raise ModelRefused(f"{model.name} is not the active model: activate it first, then re-classify with it",
                               code="not_active")
        if (model.report or {}).get("reclassify", {}).get("status") in ("queued", "running"):
            raise ModelRefused(f"the stored faces are already being re-read with {model.name}", code="busy")
        queued = {"status": "queued", "queued": timezone.now().isoformat()}
        model.report = {**(model.report or {}), "reclassify": queued}
        model.save(update_fields=["report"])
        transaction.on_commit(lambda: faces_reclassify_enqueue(model_id=model.pk))
    return model


def emotion_model_reclassify_run(*, model_id: int) -> None:
    """The re-classification job: every published face re-read with this model's weights (if it is still active)."""
    model = EmotionModel.objects.filter(pk=model_id).first()
    if model is None:
        return
    _reclassify_note(model_id, status="running")
    try:
        if not model.active or not model.weights:
            raise ModelRefused(f"{model.name} is no longer the active model; nothing was re-read", code="not_active")
        done = detections_reclassify(weights=weights_path(model.weights))
    except Exception as error:
        _reclassify_note(model_id, status="failed", error=_job_reason(error))
        logger.exception("re-classifying with model %s failed", model_id)
        return
    _reclassify_note(model_id, status="done", faces=done.faces, changed=done.changed, labelled=done.labelled,
                     episodes=len(done.episodes), seconds=round(done.seconds, 1),
                     faces_per_second=round(done.faces_per_second))


def _reclassify_note(model_id: int, **note) -> None:
    with transaction.atomic():
        model = EmotionModel.objects.select_for_update().get(pk=model_id)
        model.report = {**(model.report or {}), "reclassify": {**note, "at": timezone.now().isoformat()}}
        model.save(update_fields=["report"])


def _job_reason(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return "re-classifying took longer than a job may take"
    if isinstance(error, ValueError | OSError):  # bad weights, a refusal, storage away: each says it in words
        return str(error)
    return f"re-classifying failed ({type(error).__name__}: {error})"
