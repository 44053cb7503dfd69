"""Re-classifying stored faces: the CNN over the stored crops alone reads what segmentation read, a person's
label wins, another model's reading lands everywhere, and the summaries follow."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage

from emotions.models import Detection, EmotionModel, EpisodeEmotion, Status
from emotions.services.ranges import episode_process_here
from emotions.services.reclassify import detections_reclassify, reclassify_weights
from tests.factories import upload
from toonvision.crops import cnn_input
from toonvision.inference import EmotionClassifier, WeightsError
from toonvision.segmentation import crop_margins

SEED_WEIGHTS = Path(django_settings.BASE_DIR) / "emotions" / "weights" / "seed.pt"


@pytest.fixture
def processed(cast, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 1000  # one range: its tracks are smoothed exactly as a re-read smooths them
    episode = upload(studio_episode)
    episode_process_here(episode=episode)
    episode.refresh_from_db()
    assert episode.status == Status.DONE
    return episode


def faces_of(episode):
    return {d.pk: d for d in Detection.objects.filter(episode=episode)}


@pytest.mark.django_db
def test_the_same_model_over_the_stored_crops_reads_what_segmentation_read(processed):
    before = faces_of(processed)
    assert len(before) >= 30
    done = detections_reclassify(episode=processed)
    after = faces_of(processed)
    assert done.faces == len(before) and done.missing == 0 and done.episodes == [processed.pk]
    same = np.mean([after[pk].emotion == d.emotion for pk, d in before.items()])
    assert same >= 0.99
    real = [pk for pk, d in before.items() if not d.interpolated]  # interpolated faces had no reading of their own
    difference = np.array([max(abs(after[pk].probabilities[c] - before[pk].probabilities[c])
                               for c in before[pk].probabilities) for pk in real])
    assert np.median(difference) < 0.005 and np.quantile(difference, 0.95) < 0.02


@pytest.mark.django_db
def test_another_model_rereads_every_face_but_a_person_s_label_wins(processed):
    faces = list(Detection.objects.filter(episode=processed).order_by("pk"))
    labelled = faces[:3]
    Detection.objects.filter(pk__in=[d.pk for d in labelled]).update(labelled=True, emotion="disgust", confidence=1.0)
    seed = EmotionClassifier.load(SEED_WEIGHTS, device="cpu")
    progressed = []

    done = detections_reclassify(episode=processed, weights=SEED_WEIGHTS, progress=progressed.append)

    assert done.labelled == 3 and done.faces == len(faces) - 3 == sum(progressed)
    after = faces_of(processed)
    for d in labelled:
        assert after[d.pk].emotion == "disgust" and after[d.pk].confidence == 1.0
        assert after[d.pk].probabilities == d.probabilities
    # The rest carry the seed model's probabilities (of its own classes) and an emotion from them.
    rest = [after[d.pk] for d in faces[3:]]
    assert all(set(d.probabilities) == set(seed.classes) for d in rest)
    assert all(d.emotion in seed.classes and 0 <= d.confidence <= 1 for d in rest)
    stored, cnn = crop_margins(processed.current_run.method, processed.current_run.options)
    crops = [cv2.imdecode(np.frombuffer(default_storage.open(d.crop.name).read(), np.uint8), cv2.IMREAD_COLOR)
             for d in rest]
    expected = seed.predict_proba([cnn_input(c, stored_margin=stored, cnn_margin=cnn, size=seed.input_size)
                                   for c in crops])
    got = np.array([[d.probabilities[c] for c in seed.classes] for d in rest])
    assert np.abs(got - expected).max() < 1e-5
    # The summaries are rebuilt from the faces as they now stand.
    for row in EpisodeEmotion.objects.filter(episode=processed):
        assert row.detections == Detection.objects.filter(
            episode=processed, character=row.character, emotion=row.emotion
        ).count()
    assert EpisodeEmotion.objects.filter(episode=processed, emotion="disgust").exists()


@pytest.mark.django_db
def test_one_character_only_and_bad_weights_write_nothing(processed, tmp_path):
    before = faces_of(processed)
    slug = next(iter(before.values())).character.slug
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsError, match="not a readable weights file"):
        detections_reclassify(weights=bad)
    assert faces_of(processed) == before and all(
        faces_of(processed)[pk].probabilities == d.probabilities for pk, d in before.items()
    )
    done = detections_reclassify(character=before[next(iter(before))].character, weights=SEED_WEIGHTS)
    after = faces_of(processed)
    mine = [pk for pk, d in before.items() if d.character.slug == slug]
    others = [pk for pk in before if pk not in mine]
    assert done.faces == len(mine)
    assert all(after[pk].probabilities != before[pk].probabilities for pk in mine)
    assert all(after[pk].probabilities == before[pk].probabilities for pk in others)


@pytest.mark.django_db
def test_the_weights_default_to_the_active_model_then_the_setting(settings, tmp_path):
    assert reclassify_weights() == Path(settings.EMOTION_WEIGHTS)
    assert reclassify_weights(weights="x.pt") == Path("x.pt")
    EmotionModel.objects.create(name="m", status="done", active=True, weights="emotions/weights/seed.pt")
    assert reclassify_weights() == Path(settings.BASE_DIR) / "emotions/weights/seed.pt"
