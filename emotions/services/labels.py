"""People's labels on detected faces: an emotion, "not a face" or "not this character", one face or many at once,
and undoing the latest. Labels win: the label in force is written onto the Detection, so every page, the API, the
timeline, the subtitles and the rebuilt summaries read it without a join.

- An emotion label sets the face's emotion and its confidence to 1.0: a person's word is certain, so the face
  counts its whole screen time in the summaries' confidence-weighted seconds, is no longer marked "unsure", and
  ranks first among the character's faces. Its probabilities stay the model's; the label keeps what the model had
  said (emotion and confidence), so an undo puts the face back exactly.
- A "not a face" or "not this character" label rejects the face (`Detection.objects.published()` leaves it out of
  every result) and adds it, cut from its stored frame, as a negative example of that character (source `label`),
  which the next training of the character's detector learns from. Undoing the label removes that example again.
- Every change rebuilds the summaries (EpisodeEmotion) of the episodes it touched, so rankings follow at once.
- Processing an episode again (a new character found everywhere, a new model) keeps what people said: as the new
  run is published, each labelled face's labels move to the new run's face of the same character on the same frame
  (boxes overlapping at IoU >= 0.5), which takes the label in force (run_labels_carry).
"""
from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable

import cv2
import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from emotions.access import can_label, can_undo_label
from emotions.exceptions import LabelNotAllowed, LabelRefused, TeachingRefused, storage_full_refused
from emotions.models import CharacterExample, Detection, FaceLabel, Status
from emotions.services.examples import MIN_EXAMPLE_SIDE, episode_frames, png
from emotions.services.storage import storage_delete
from emotions.services.summaries import episode_emotions_build
from toonvision.emotions import EMOTIONS
from toonvision.tracking import iou

logger = logging.getLogger(__name__)

Verdict = FaceLabel.Verdict
REJECTIONS = (Verdict.NOT_FACE, Verdict.NOT_CHARACTER)
MAX_BULK_FACES = 500  # faces one bulk label may change
CARRY_IOU = 0.5  # a new run's face is a labelled old one when their boxes overlap this much (same character, frame)


def face_label_apply(*, detection: Detection, user, verdict: str = Verdict.EMOTION, emotion: str = "") -> FaceLabel:
    """Label one face; the label is in force at once and the episode's summaries are rebuilt."""
    return faces_label_bulk(ids=[detection.pk], user=user, verdict=verdict, emotion=emotion)[0]


def faces_label_bulk(*, ids: Iterable[int], user, verdict: str = Verdict.EMOTION, emotion: str = "") -> list[FaceLabel]:
    """Give these faces (detections of finished runs) one label each, all or none; LabelRefused naming any id that
    is not such a face."""
    if not can_label(user):
        raise LabelNotAllowed("log in to label faces")
    verdict, emotion = _verdict_check(verdict, emotion)
    ids = _ids_check(ids)
    stored: list[str] = []
    try:
        with transaction.atomic():
            faces = _locked(ids)
            labels = []
            for detection in faces:
                model_emotion, model_confidence = _model_said(detection)
                label = FaceLabel.objects.create(
                    detection=detection, verdict=verdict, emotion=emotion, model_emotion=model_emotion,
                    model_confidence=model_confidence, user=user,
                )
                stored += _put(detection, label, user=user)
                labels.append(label)
            _summaries_rebuild(faces)
    except BaseException:
        storage_delete(stored)
        raise
    logger.info("%s labelled %d faces %s", user, len(labels), emotion or verdict)
    return labels


def face_label_undo(*, detection: Detection, user) -> FaceLabel | None:
    """Undo the face's latest label (its author's or staff's to undo): the face goes back to the label before it,
    or to what the model had said; returns the label now in force (None: the model's word)."""
    if not can_label(user):
        raise LabelNotAllowed("log in to label faces")
    with transaction.atomic():
        detection = _locked([detection.pk])[0]
        latest = detection.labels.order_by("-created", "-id").first()
        if latest is None:
            raise LabelRefused(f"face {detection.pk} has no label to undo", code="nothing_to_undo")
        if not can_undo_label(user, latest):
            raise LabelNotAllowed("only whoever gave a label, or staff, may undo it")
        latest.delete()
        previous = detection.labels.order_by("-created", "-id").first()
        _put(detection, previous, user=user, model=(latest.model_emotion, latest.model_confidence))
        _summaries_rebuild([detection])
    return previous


def run_labels_carry(*, run) -> int:
    """Move the labels of the episode's faces of older runs onto the matching faces of `run` (called as it is
    published, before the older faces go), with the label in force; returns how many faces kept their labels."""
    old = list(Detection.objects.filter(episode_id=run.episode_id).exclude(run=run)
               .filter(Q(labelled=True) | Q(rejected=True)))
    if not old:
        return 0
    candidates = defaultdict(list)
    for face in Detection.objects.filter(run=run, frame__in={d.frame for d in old}):
        candidates[(face.character_id, face.frame)].append(face)
    carried = []
    for face in old:
        match = max(candidates[(face.character_id, face.frame)], key=lambda d: iou(d.box, face.box), default=None)
        if match is None or match.labelled or match.rejected or iou(match.box, face.box) < CARRY_IOU:
            continue
        FaceLabel.objects.filter(detection=face).update(detection=match)
        if face.rejected:
            match.labelled = match.rejected = True
        else:  # an emotion label: the person's emotion, certain
            match.emotion, match.confidence, match.labelled = face.emotion, 1.0, True
        carried.append(match)
    Detection.objects.bulk_update(carried, ["emotion", "confidence", "labelled", "rejected"])
    if len(carried) < len(old):
        logger.info("run %s: %d of %d labelled faces were not found again; their labels go with them",
                    run.pk, len(old) - len(carried), len(old))
    return len(carried)


# -- the label in force, written onto the face ---------------------------------------------------------------------
def _put(detection: Detection, label: FaceLabel | None, *, user, model: tuple[str, float] | None = None) -> list[str]:
    """Write the label in force (None: the model's word, `model`) onto the face; add or remove its negative example
    as it becomes rejected or not. Returns the names of the files it stored."""
    was_rejected = detection.rejected
    if label is None:
        detection.emotion, detection.confidence = model
        detection.labelled = detection.rejected = False
    else:
        rejected = label.verdict in REJECTIONS
        detection.emotion = label.model_emotion if rejected else label.emotion
        detection.confidence = label.model_confidence if rejected else 1.0
        detection.labelled, detection.rejected = True, rejected
    detection.save(update_fields=["emotion", "confidence", "labelled", "rejected"])
    if detection.rejected and not was_rejected:
        return _negative_add(detection, user)
    if was_rejected and not detection.rejected:
        _negative_remove(detection)
    return []


def _model_said(detection: Detection) -> tuple[str, float]:
    """What the model had said of the face: kept on its labels once one is in force, else the face's own."""
    if detection.labelled:
        first = detection.labels.order_by("created", "id").first()
        if first is not None:
            return first.model_emotion, first.model_confidence
    return detection.emotion, detection.confidence


def _negative_add(detection: Detection, user) -> list[str]:
    """The rejected face as a negative example of its character, cut from its stored frame (or the video's)."""
    box = _box_in_frame(detection)
    if box is None:
        logger.info("face %s is too small to be a negative example; it is rejected only", detection.pk)
        return []
    image = _frame(detection)
    if image is None:
        logger.warning("face %s: no frame to cut a negative example from; it is rejected only", detection.pk)
        return []
    x, y, w, h = box
    example = CharacterExample(
        character_id=detection.character_id, kind=CharacterExample.Kind.NEGATIVE, episode_id=detection.episode_id,
        frame=detection.frame, x=x, y=y, w=w, h=h, source=CharacterExample.Source.LABEL, created_by=user,
    )
    with storage_full_refused("the negative example"):
        example.image.save(f"{uuid.uuid4().hex[:16]}.png", ContentFile(png(image[y:y + h, x:x + w])), save=False)
    example.save()
    return [example.image.name]


def _negative_remove(detection: Detection) -> None:
    examples = list(CharacterExample.objects.filter(
        character_id=detection.character_id, kind=CharacterExample.Kind.NEGATIVE, source=CharacterExample.Source.LABEL,
        episode_id=detection.episode_id, frame=detection.frame,
    ))
    box = _box_in_frame(detection)
    gone = [e for e in examples if e.box == box]
    names = [e.image.name for e in gone]
    CharacterExample.objects.filter(pk__in=[e.pk for e in gone]).delete()
    transaction.on_commit(lambda: storage_delete(names))


def _box_in_frame(detection: Detection) -> tuple[int, int, int, int] | None:
    episode = detection.episode
    x, y = min(detection.x, episode.width), min(detection.y, episode.height)
    w, h = min(detection.w, episode.width - x), min(detection.h, episode.height - y)
    return (x, y, w, h) if min(w, h) >= MIN_EXAMPLE_SIDE else None


def _frame(detection: Detection) -> np.ndarray | None:
    """The face's whole frame, BGR: the stored frame picture when it is there and the video's size, else decoded."""
    episode = detection.episode
    if detection.frame_image:
        try:
            with detection.frame_image.open("rb") as handle:
                image = cv2.imdecode(np.frombuffer(handle.read(), np.uint8), cv2.IMREAD_COLOR)
            if image is not None and image.shape[:2] == (episode.height, episode.width):
                return image
        except OSError:
            pass
    try:
        return episode_frames(episode, [detection.frame])[detection.frame]
    except TeachingRefused:
        return None


# -- checks and locks ----------------------------------------------------------------------------------------------
def _verdict_check(verdict: str, emotion: str) -> tuple[str, str]:
    if verdict not in Verdict.values:
        raise LabelRefused(f"a label's verdict is one of {', '.join(Verdict.values)}, not {verdict!r}",
                           code="bad_verdict")
    emotion = (emotion or "").strip().lower()
    if verdict == Verdict.EMOTION and emotion not in EMOTIONS:
        raise LabelRefused(f"say which emotion: one of {', '.join(EMOTIONS)} (got {emotion!r})", code="bad_emotion")
    if verdict != Verdict.EMOTION and emotion:
        raise LabelRefused(f"a {verdict} label has no emotion (got {emotion!r})", code="bad_emotion")
    return verdict, emotion


def _ids_check(ids: Iterable[int]) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(pk) for pk in ids))
    except (TypeError, ValueError):
        raise LabelRefused("faces are given by their ids, whole numbers", code="bad_ids") from None
    if not ids:
        raise LabelRefused("no faces to label: give one or more face ids", code="bad_ids")
    if len(ids) > MAX_BULK_FACES:
        raise LabelRefused(f"{len(ids)} faces at once; at most {MAX_BULK_FACES}", code="bad_ids")
    return ids


def _locked(ids: list[int]) -> list[Detection]:
    """These faces of finished runs (a rejected one included, so it can be labelled again), locked, in id order."""
    found = {d.pk: d for d in Detection.objects.select_for_update(of=("self",)).select_related("episode")
             .filter(pk__in=ids, run__status=Status.DONE).order_by("pk")}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise LabelRefused(f"no face with id {', '.join(map(str, missing[:10]))} among the finished episodes' faces",
                           code="unknown_face")
    return [found[pk] for pk in ids]


def _summaries_rebuild(faces: list[Detection]) -> None:
    """Rebuild the summaries of each episode these faces are shown in (their run is a finished one, so the one whose
    faces the episode shows)."""
    runs = {d.run_id: d.episode for d in faces}
    for run_id, episode in runs.items():
        episode_emotions_build(episode=episode, run=episode.runs.get(pk=run_id))
