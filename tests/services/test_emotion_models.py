"""The emotion models' registry, through its services: a training (run here, in the test's process, by the very
function the task calls) from the active model and from scratch, its files and report; the fixed held-out split;
refusals; failure leaving nothing; activation (staff only) switching what classification and new runs use."""
from pathlib import Path

import numpy as np
import pytest

from emotions.exceptions import ModelNotAllowed, ModelRefused
from emotions.models import EmotionModel
from emotions.services.classifier import active_weights, classifier_load, weights_path
from emotions.services.emotion_models import (
    emotion_model_activate,
    emotion_model_cancel,
    emotion_model_shipped,
    emotion_model_start,
    emotion_model_train,
    models_dir,
)
from emotions.services.model_data import detection_face, held_out, training_data_write
from tests.emotion_faces import imported_dataset, labelled_site_faces, studio_face
from tests.factories import user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def quick(settings, media):
    settings.EMOTION_TRAINING_STUDIO_FACES = 5
    settings.EMOTION_TRAINING_DEVICE = "cpu"
    return settings


@pytest.fixture
def staff(db):
    return user_make("sam", is_staff=True)


def trained(model: EmotionModel) -> EmotionModel:
    emotion_model_train(model_id=model.pk)
    model.refresh_from_db()
    assert model.status == "done", model.error
    return model


@pytest.mark.slow
def test_a_model_fine_tuned_from_the_shipped_one_keeps_its_files_and_report(quick, ana):
    labelled_site_faces(10)
    imported_dataset("posters", 5)
    model = trained(emotion_model_start(user=ana, epochs=2))

    shipped = emotion_model_shipped()
    assert model.parent == shipped and shipped.kind == "shipped" and model.preset == shipped.preset == "toon"
    weights = weights_path(model.weights)
    assert weights.parent == models_dir() and weights.is_file() and len(model.weights_sha256) == 64
    assert sorted(p.name.split(".", 1)[1] for p in models_dir().iterdir()) == \
        ["confusion.png", "curves.png", "json", "pt"]
    report = model.report
    assert [row["epoch"] for row in report["history"]] == [1, 2]
    assert set(report["tests"]) == {"site", "studio", "imported"}
    site = report["tests"]["site"]
    assert site["n"] == model.data["counts"]["site"]["testing"] > 0
    assert set(site["per_class"]) == {"happy", "sad", "surprise"} and "f1" in site["per_class"]["happy"]
    assert len(site["confusion"]) == 3
    assert report["tests"]["imported"]["n"] == 3  # every fifth of 5 per emotion, the dataset's own split
    assert set(report["parent_tests"]) == {"site", "studio", "imported"}  # the parent on the very same faces
    assert report["fine_tuned_from"]["sha256"] == shipped.weights_sha256
    assert model.progress["phase"] == "done" and model.seconds > 0 and model.device == "cpu"


def test_a_labelled_face_is_learnt_as_the_cnn_read_it_from_its_stored_crop(media):
    (face,) = labelled_site_faces(1, emotions=("happy",))
    read = detection_face(face)
    drawn = studio_face("happy", 0, look="line-art")
    assert read.shape == drawn.shape  # the CNN's square exactly, out of the wider native-size crop
    assert np.abs(read.astype(int) - drawn.astype(int)).mean() < 3  # JPEG's loss alone


def test_every_face_keeps_its_split_whatever_the_training(quick, tmp_path):
    faces = labelled_site_faces(10)
    first = training_data_write(root=tmp_path / "a", site=True, datasets=[], studio=False, studio_apart=False)
    labelled_site_faces(3)  # more labels arrive: the earlier faces stay where they were
    second = training_data_write(root=tmp_path / "b", site=True, datasets=[], studio=False, studio_apart=False)

    def testing(root):
        return {p.name for p in (root / "train" / "site").glob("*/testing/*.png")}

    expected = {f"face-{f.pk}.png" for f in faces if held_out(f"detection-{f.pk}")}
    assert testing(tmp_path / "a") == expected
    assert expected <= testing(tmp_path / "b")
    assert 0 < first.faces(split="testing") < first.faces(split="training")
    assert second.faces() == 39


@pytest.mark.slow
def test_a_model_from_scratch_on_studio_faces_alone(quick, ana):
    quick.EMOTION_TRAINING_STUDIO_FACES = 10
    model = trained(emotion_model_start(user=ana, start="scratch", preset="seed", optimizer="adamw", epochs=1,
                                        site=False))
    assert model.parent is None and model.preset == "seed" and model.report["config"]["optimizer"] == "adamw"
    assert set(model.report["tests"]) == {"studio"} and model.report["tests"]["studio"]["n"] == 14


def test_a_training_that_cannot_learn_fails_readably_and_leaves_no_file(quick, ana):
    labelled_site_faces(4, emotions=("happy",))
    model = emotion_model_start(user=ana, start="scratch", epochs=1, studio=False)
    emotion_model_train(model_id=model.pk)
    model.refresh_from_db()
    # one emotion (or, as the split falls, no test face): the core's sentence either way, never a traceback
    assert model.status == "failed" and model.error.startswith("need ") and "Error" not in model.error
    assert model.weights == "" and not (models_dir().exists() and any(models_dir().iterdir()))


def test_refusals_say_why(quick, ana):
    with pytest.raises(ModelRefused, match="no faces to learn from"):
        emotion_model_start(user=ana)
    labelled_site_faces(2)
    with pytest.raises(ModelRefused, match="epochs must be 1 to"):
        emotion_model_start(user=ana, epochs=0)
    with pytest.raises(ModelRefused, match="unknown optimizer"):
        emotion_model_start(user=ana, optimizer="lbfgs")
    with pytest.raises(ModelRefused, match="no imported dataset nope"):
        emotion_model_start(user=ana, datasets=["nope"])
    with pytest.raises(ModelRefused, match="keeps the active model's preset"):
        emotion_model_start(user=ana, preset="seed")
    first = emotion_model_start(user=ana)
    with pytest.raises(ModelRefused) as busy:
        emotion_model_start(user=ana)
    assert busy.value.code == "busy" and busy.value.conflict
    with pytest.raises(ModelNotAllowed):
        emotion_model_start(user=None)
    cancelled = emotion_model_cancel(model=first, user=ana)
    assert cancelled.status == "cancelled" and cancelled.cancel_requested
    emotion_model_train(model_id=first.pk)  # a cancelled one that reaches a worker is left alone
    assert EmotionModel.objects.get(pk=first.pk).status == "cancelled"


def test_a_training_cancelled_as_its_worker_died_ends_cancelled_when_delivered_again(quick, ana):
    labelled_site_faces(2)
    model = emotion_model_start(user=ana)
    EmotionModel.objects.filter(pk=model.pk).update(status="training")  # a worker had begun it
    emotion_model_cancel(model=model, user=ana)  # ... and died before it read the cancel
    assert EmotionModel.objects.get(pk=model.pk).status == "training"
    emotion_model_train(model_id=model.pk)  # acks_late: the message comes back to another worker
    model.refresh_from_db()
    assert (model.status, model.weights) == ("cancelled", "") and model.finished
    assert emotion_model_start(user=ana).status == "queued", "the next training is no longer refused as busy"


@pytest.mark.slow
def test_only_staff_activate_and_the_active_model_is_what_classification_uses(quick, ana, bob, staff):
    labelled_site_faces(5)
    model = trained(emotion_model_start(user=ana, epochs=1))
    with pytest.raises(ModelNotAllowed, match="Only staff"):
        emotion_model_activate(model=model, user=ana)
    with pytest.raises(ModelNotAllowed):
        emotion_model_cancel(model=model, user=bob)
    assert active_weights() == Path(quick.EMOTION_WEIGHTS)

    emotion_model_activate(model=model, user=staff)
    assert active_weights().resolve() == weights_path(model.weights).resolve()
    assert classifier_load().info["epochs"] == 1  # the site's classifier is the new model

    shipped = emotion_model_shipped()
    emotion_model_activate(model=shipped, user=staff)  # back to the shipped weights
    assert EmotionModel.objects.filter(active=True).get() == shipped
    assert active_weights().resolve() == Path(quick.EMOTION_WEIGHTS).resolve()
    with pytest.raises(ModelRefused) as refused:
        emotion_model_activate(model=emotion_model_start(user=ana), user=staff)
    assert refused.value.code == "not_done"


@pytest.mark.slow
def test_the_optimiser_experiment_compares_the_dissertations_five_and_keeps_no_weights(quick, ana, staff):
    labelled_site_faces(4)
    model = trained(emotion_model_start(user=ana, kind="optimizers", epochs=1, runs=1))
    assert model.preset == "seed" and model.weights == "" and model.parent is None
    assert sorted(model.report["optimizers"]) == ["adadelta", "adagrad", "adam", "rmsprop", "sgd"]
    assert all(len(r["history"]) == 1 and 0 <= r["accuracy_mean"] <= 1 for r in model.report["optimizers"].values())
    assert model.progress["phase"] == "done"
    with pytest.raises(ModelRefused) as refused:
        emotion_model_activate(model=model, user=staff)
    assert refused.value.code == "not_done"
