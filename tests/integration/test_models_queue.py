"""Emotion models through the real queue: a Celery worker on Redis, with PostgreSQL, fine-tunes the active model on
an imported labelled dataset and the site's labels; the model lands in the registry with its report; staff activate
it and the next episode is processed with it. A training cancelled mid-way keeps no file."""
import time

import pytest
from rest_framework.test import APIClient

from emotions.models import EmotionModel, Episode, Status
from emotions.services.classifier import weights_path
from emotions.services.emotion_models import models_dir
from emotions.services.runs import episode_process
from tests.emotion_faces import imported_dataset, labelled_site_faces
from tests.factories import upload, user_make

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def models_env(queue_env, settings):
    settings.EMOTION_TRAINING_STUDIO_FACES = 5
    return {**queue_env, "EMOTION_TRAINING_DEVICE": "cpu", "EMOTION_TRAINING_STUDIO_FACES": "5"}


@pytest.fixture
def ana_api(db):
    client = APIClient()
    client.force_authenticate(user_make("ana"))
    return client


@pytest.fixture
def sam_api(db):
    client = APIClient()
    client.force_authenticate(user_make("sam", is_staff=True))
    return client


def wait_model(api, pk: int, condition, timeout: float, what: str, worker) -> list[dict]:
    """Poll the model through the API until condition(body) holds; the progress reports seen while it trained."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/models/{pk}/").json()
        if body["status"] == "training" and (not seen or seen[-1] != body["progress"]):
            seen.append(body["progress"])
        if condition(body):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{what} not within {timeout} s: {body['status']} {body['progress']} {body['error']}\n"
                         f"{worker.log_path.read_text()[-3000:]}")


def wait_episode(episode: Episode, timeout: float, worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        episode.refresh_from_db()
        assert episode.status != Status.FAILED, episode.error
        if episode.status == Status.DONE:
            return
        time.sleep(0.1)
    raise AssertionError(f"episode not done within {timeout} s\n{worker.log_path.read_text()[-3000:]}")


def test_an_imported_dataset_trains_a_model_from_the_active_one_which_staff_activate(
        models_env, start_worker, ana_api, sam_api, characters, studio_episode, media):
    worker = start_worker(models_env, queues=models_env["EPISODE_QUEUE"])
    imported_dataset("posters", 10)  # what import_dataset makes: DatasetFace rows, a fifth in the testing split
    labelled_site_faces(5)

    started = ana_api.post("/api/models/", {"epochs": 4}, format="json")
    assert started.status_code == 202, started.json()
    pk = started.json()["id"]
    seen = wait_model(ana_api, pk, lambda b: b["status"] not in ("queued", "training"), 400, "training", worker)
    body = ana_api.get(f"/api/models/{pk}/").json()
    assert body["status"] == "done", body["error"]
    assert any(p.get("phase") == "training" and "seconds_left" in p and "loss" in p for p in seen), seen

    registry = {row["id"]: row for row in ana_api.get("/api/models/").json()}
    shipped = next(row for row in registry.values() if row["kind"] == "shipped")
    assert registry[pk]["parent"] == shipped["id"] and body["preset"] == "toon" and body["device"] == "cpu"
    report = body["report"]
    assert [row["epoch"] for row in report["history"]] == [1, 2, 3, 4]
    assert set(report["tests"]) == {"site", "studio", "imported"}
    assert report["tests"]["imported"]["n"] == 6 and len(report["tests"]["imported"]["confusion"]) == 3
    assert report["tests"]["site"]["n"] == body["data"]["counts"]["site"]["testing"] > 0  # the fixed split
    assert body["data"]["counts"]["dataset-posters"] == {"training": 24, "testing": 6}
    assert body["scores"]["imported"]["accuracy"] == report["tests"]["imported"]["accuracy"]
    assert ana_api.get(body["curves_url"]).status_code == 200 and ana_api.get(body["confusion_url"]).status_code == 200
    weights = weights_path(EmotionModel.objects.get(pk=pk).weights)
    assert weights.parent == models_dir() and weights.is_file()

    assert ana_api.post(f"/api/models/{pk}/activate/").status_code == 403
    activated = sam_api.post(f"/api/models/{pk}/activate/")
    assert activated.status_code == 200 and activated.json()["active"] is True

    episode = upload(studio_episode, title="After the new model")
    run = episode_process(episode=episode)
    assert weights_path(run.weights_name).resolve() == weights.resolve()
    assert run.weights_sha256 == body["weights_sha256"]
    wait_episode(episode, 240, worker)  # the worker read faces with the new model's very file


def test_a_training_cancelled_mid_way_keeps_no_file(models_env, start_worker, ana_api, media):
    worker = start_worker(models_env, queues=models_env["EPISODE_QUEUE"])
    labelled_site_faces(5)
    pk = ana_api.post("/api/models/", {"epochs": 200, "start": "scratch", "preset": "seed"},
                      format="json").json()["id"]
    wait_model(ana_api, pk, lambda b: b["progress"].get("phase") == "training", 300, "training under way", worker)
    cancelled = ana_api.post(f"/api/models/{pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    wait_model(ana_api, pk, lambda b: b["status"] != "training", 120, "training stopped", worker)
    model = EmotionModel.objects.get(pk=pk)
    assert model.status == "cancelled" and model.weights == "" and model.report == {}
    assert not models_dir().exists() or list(models_dir().iterdir()) == []
