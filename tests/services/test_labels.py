"""emotions.services.labels called directly: labels win everywhere (the face, the results, the summaries), keep what
the model said, undo exactly, reject faces into negative examples, and refuse what they cannot do, changing nothing."""
import cv2
import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.storage import default_storage

from emotions.exceptions import LabelNotAllowed, LabelRefused
from emotions.models import CharacterExample, Detection, EpisodeEmotion, FaceLabel
from emotions.selectors.detections import detection_list
from emotions.selectors.review import review_faces
from emotions.services.labels import face_label_apply, face_label_undo, faces_label_bulk
from tests.factories import character, crafted_episode, frame_at_video_size, held, user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana():
    return user_make("ana")


@pytest.fixture
def episode(media):
    pip = character("pip")
    return crafted_episode("Labels", held(pip, "happy", 0, 2, confidence=0.8) + held(pip, "sad", 2, 3, confidence=0.4),
                           pictures=True)


def _summary(episode, emotion):
    row = EpisodeEmotion.objects.filter(episode=episode, emotion=emotion).first()
    return (row.seconds, row.weighted_seconds, row.detections) if row else (0.0, 0.0, 0)


def _a_sad_face(episode) -> Detection:
    return Detection.objects.filter(episode=episode, emotion="sad").order_by("time").first()


def test_an_emotion_label_wins_on_the_face_and_in_the_summaries_and_keeps_what_the_model_said(episode, ana):
    face = _a_sad_face(episode)
    assert _summary(episode, "happy") == pytest.approx((2.0, 1.6, 16))

    label = face_label_apply(detection=face, user=ana, verdict="emotion", emotion="happy")

    face.refresh_from_db()
    assert (face.emotion, face.confidence, face.labelled, face.rejected) == ("happy", 1.0, True, False)
    assert (label.user, label.model_emotion, label.model_confidence) == (ana, "sad", pytest.approx(0.4))
    assert face.probabilities == {"sad": 0.4}  # the model's probabilities stay as they were
    # The summaries are rebuilt from the label: one more happy face, counted at full weight.
    assert _summary(episode, "happy") == pytest.approx((2.125, 1.725, 17))
    assert _summary(episode, "sad") == pytest.approx((0.875, 0.35, 7))


def test_undo_goes_back_to_the_label_before_then_to_the_model_exactly(episode, ana):
    face = _a_sad_face(episode)
    before = _summary(episode, "sad")
    face_label_apply(detection=face, user=ana, emotion="happy")
    face_label_apply(detection=face, user=ana, emotion="angry")
    second = FaceLabel.objects.filter(detection=face).order_by("-id").first()
    assert second.model_emotion == "sad"  # still what the model said, not the first label

    in_force = face_label_undo(detection=face, user=ana)
    face.refresh_from_db()
    assert in_force.emotion == "happy" and face.emotion == "happy" and face.labelled

    assert face_label_undo(detection=face, user=ana) is None
    face.refresh_from_db()
    assert (face.emotion, face.confidence, face.labelled) == ("sad", pytest.approx(0.4), False)
    assert _summary(episode, "sad") == pytest.approx(before)
    with pytest.raises(LabelRefused) as refused:
        face_label_undo(detection=face, user=ana)
    assert refused.value.code == "nothing_to_undo"


@pytest.mark.parametrize("verdict", ["not_face", "not_character"])
def test_a_rejected_face_leaves_the_results_and_becomes_a_negative_example_until_undone(
        episode, ana, verdict, django_capture_on_commit_callbacks):
    face = _a_sad_face(episode)
    frame_at_video_size(face)

    face_label_apply(detection=face, user=ana, verdict=verdict)

    face.refresh_from_db()
    assert face.rejected and not detection_list().filter(pk=face.pk).exists()
    assert _summary(episode, "sad") == pytest.approx((0.875, 0.35, 7))
    example = CharacterExample.objects.get(character=face.character, kind="negative")
    assert (example.episode_id, example.frame, example.box, example.source, example.created_by) == (
        episode.pk, face.frame, face.box, "label", ana)
    crop = cv2.imdecode(np.frombuffer(default_storage.open(example.image.name).read(), np.uint8), cv2.IMREAD_COLOR)
    assert crop.shape[:2] == (face.h, face.w) and crop[..., 2].min() > 200  # cut from the face's own box

    with django_capture_on_commit_callbacks(execute=True):
        face_label_undo(detection=face, user=ana)
    face.refresh_from_db()
    assert not face.rejected and detection_list().filter(pk=face.pk).exists()
    assert not CharacterExample.objects.exists() and not default_storage.exists(example.image.name)
    assert _summary(episode, "sad") == pytest.approx((1.0, 0.4, 8))


def test_bulk_labels_every_face_or_none(episode, ana):
    sad = list(Detection.objects.filter(episode=episode, emotion="sad").values_list("pk", flat=True))
    with pytest.raises(LabelRefused) as refused:
        faces_label_bulk(ids=[*sad, 999_999], user=ana, emotion="fear")
    assert "999999" in str(refused.value)
    assert not FaceLabel.objects.exists() and Detection.objects.filter(emotion="fear").count() == 0

    labels = faces_label_bulk(ids=sad, user=ana, emotion="fear")
    assert len(labels) == len(sad) == Detection.objects.filter(emotion="fear", labelled=True).count()
    assert _summary(episode, "fear") == pytest.approx((1.0, 1.0, 8))


def test_labelling_needs_a_login_and_only_the_author_or_staff_undo(episode, ana):
    face = _a_sad_face(episode)
    with pytest.raises(LabelNotAllowed):
        face_label_apply(detection=face, user=AnonymousUser(), emotion="happy")
    face_label_apply(detection=face, user=ana, emotion="happy")
    with pytest.raises(LabelNotAllowed):
        face_label_undo(detection=face, user=user_make("bob"))
    face_label_undo(detection=face, user=user_make("sam", is_staff=True))
    face.refresh_from_db()
    assert face.emotion == "sad" and not FaceLabel.objects.exists()


@pytest.mark.parametrize("verdict,emotion", [("emotion", ""), ("emotion", "bored"), ("not_face", "happy"),
                                             ("maybe", "")])
def test_a_bad_verdict_or_emotion_is_refused_and_changes_nothing(episode, ana, verdict, emotion):
    face = _a_sad_face(episode)
    with pytest.raises(LabelRefused):
        face_label_apply(detection=face, user=ana, verdict=verdict, emotion=emotion)
    face.refresh_from_db()
    assert face.emotion == "sad" and not face.labelled and not FaceLabel.objects.exists()


def test_review_puts_the_least_sure_first_one_per_track_spread_over_characters(media, ana):
    pip, cat = character("pip"), character("marmalade")
    episode = crafted_episode("Review", held(pip, "happy", 0, 1, confidence=0.9) + held(cat, "sad", 0, 1,
                                                                                        confidence=0.5),
                              pictures=True)
    faces = list(Detection.objects.filter(episode=episode).order_by("pk"))
    for n, face in enumerate(faces):  # margins: pip's faces 0.8 .. 0.1, the cat's 0.45 .. 0.1
        other = 0.1 + 0.05 * n if face.character == pip else 0.05 + 0.02 * n
        face.probabilities = {face.emotion: face.confidence, "neutral": round(min(other, face.confidence - 0.01), 3)}
        face.track = 1 if face.character == pip and n < 3 else None  # three of pip's faces on one track
        face.save()
    batch = review_faces(limit=50)
    assert batch[0].margin == min(face.margin for face in batch)
    assert [d.character_id for d in batch[:4]] in ([cat.pk, pip.pk] * 2, [pip.pk, cat.pk] * 2)  # dealt in turns
    assert sum(1 for d in batch if d.track == 1) == 1
    face_label_apply(detection=batch[0], user=ana, emotion="happy")
    assert batch[0].pk not in {d.pk for d in review_faces(limit=50)}


def test_a_rejected_face_relabelled_with_an_emotion_is_back_and_its_negative_example_gone(
        episode, ana, django_capture_on_commit_callbacks):
    face = _a_sad_face(episode)
    frame_at_video_size(face)
    face_label_apply(detection=face, user=ana, verdict="not_character")
    face_label_apply(detection=face, user=ana, verdict="not_face")  # still rejected: still one example
    assert CharacterExample.objects.filter(kind="negative").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        face_label_apply(detection=face, user=ana, emotion="fear")
    face.refresh_from_db()
    assert (face.emotion, face.rejected, face.labelled) == ("fear", False, True)
    assert not CharacterExample.objects.exists()


def test_a_face_too_small_to_learn_from_is_rejected_without_an_example(episode, ana):
    face = _a_sad_face(episode)
    Detection.objects.filter(pk=face.pk).update(w=12, h=12)
    face.refresh_from_db()
    frame_at_video_size(face)
    face_label_apply(detection=face, user=ana, verdict="not_face")
    face.refresh_from_db()
    assert face.rejected and not CharacterExample.objects.exists()
