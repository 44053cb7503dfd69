"""Emotion models through the real queue: a Celery worker on Redis, with PostgreSQL, fine-tunes the active model on
an imported labelled dataset and the site's labels; the model lands in the registry with its report; staff activate
it, re-classify the stored faces with it (labels kept, summaries rebuilt), and the next episode is processed with it.
A training cancelled mid-way keeps no file."""
import time

import pytest
from rest_framework.test import APIClient

from emotions.models import Detection, EmotionModel, Episode, EpisodeEmotion
from emotions.services.classifier import weights_path
from emotions.services.emotion_models import models_dir
from emotions.services.runs import episode_process
from tests.checks import wait_episode
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



def summaries_of(episode: Episode) -> dict:
    return {(r.character_id, r.emotion): (r.detections, r.weighted_seconds)
            for r in EpisodeEmotion.objects.filter(episode=episode)}


def summaries_from_faces(episode: Episode) -> dict:
    totals: dict = {}
    for face in Detection.objects.published().filter(episode=episode):
        n, weighted = totals.get((face.character_id, face.emotion), (0, 0.0))
        totals[(face.character_id, face.emotion)] = (n + 1, weighted + face.duration * face.confidence)
    return totals


def test_an_imported_dataset_trains_a_model_from_the_active_one_which_staff_activate(
        models_env, start_worker, ana_api, sam_api, characters, studio_episode, media):
    worker = start_worker(models_env, queues=models_env["EPISODE_QUEUE"])
    imported_dataset("posters", 10)  # what import_dataset makes: DatasetFace rows, a fifth in the testing split
    labelled_site_faces(5)
    before = upload(studio_episode, title="Read by the shipped model")
    episode_process(episode=before)
    wait_episode(before, 240, worker)

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

    # Re-classify: the stored faces are read again with the active model, the labels kept, the summaries rebuilt.
    old_faces = dict(Detection.objects.published().values_list("pk", "emotion"))
    labelled = dict(Detection.objects.published().filter(labelled=True).values_list("pk", "emotion"))
    old_summaries = summaries_of(before)
    assert ana_api.post(f"/api/models/{pk}/reclassify/").status_code == 403
    queued = sam_api.post(f"/api/models/{pk}/reclassify/")
    assert queued.status_code == 202 and queued.json()["report"]["reclassify"]["status"] == "queued"
    wait_model(sam_api, pk, lambda b: b["report"].get("reclassify", {}).get("status") in ("done", "failed"), 240,
               "re-classification", worker)
    note = sam_api.get(f"/api/models/{pk}/").json()["report"]["reclassify"]
    assert note["status"] == "done", note
    assert note["faces"] + note["labelled"] == len(old_faces) and note["labelled"] == len(labelled) > 0
    now = dict(Detection.objects.published().values_list("pk", "emotion"))
    assert {k: now[k] for k in labelled} == labelled  # people's labels win over the new model
    assert note["changed"] == sum(now[k] != v for k, v in old_faces.items())
    new_summaries = summaries_of(before)
    fresh = summaries_from_faces(before)  # the summaries are rebuilt from what the faces now say
    assert {k: n for k, (n, _) in new_summaries.items()} == {k: n for k, (n, _) in fresh.items()}
    assert {k: w for k, (_, w) in new_summaries.items()} == pytest.approx({k: w for k, (_, w) in fresh.items()})
    assert new_summaries != old_summaries  # and they changed with the new model's readings

    episode = before  # processed again: the new run reads its faces with the new model
    run = episode_process(episode=episode, force=True)
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
