"""Teaching a character through the real queue: a Celery worker on Redis, with PostgreSQL, trains a version of a
character from faces marked through the API on a studio guest's episode (one no shipped cascade knows), then finds
it in every episode; a training cancelled mid-way, and one that cannot learn, leave no file behind."""
import time

import pytest
from rest_framework.test import APIClient

from emotions.models import CharacterExample, CharacterVersion, Detection
from emotions.services.runs import episode_process
from tests.checks import media_files, wait_episode
from tests.factories import upload, user_make
from tests.teaching import GUEST, marked_boxes

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def teaching_env(queue_env):
    return {**queue_env, "CHARACTER_TRAINING_DEVICE": "cpu"}


@pytest.fixture
def ana_api(db):
    client = APIClient()
    client.force_authenticate(user_make("ana"))
    return client


def wait_version(version_id: int, condition, timeout: float, what: str, worker) -> list[dict]:
    """Poll the version until condition(version) holds; the progress reports seen while it trained."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = CharacterVersion.objects.get(pk=version_id)
        if version.status == "training" and (not seen or seen[-1] != version.progress):
            seen.append(version.progress)
        if condition(version):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{what} not within {timeout} s: {version.status} {version.progress} {version.error}\n"
                         f"{worker.log_path.read_text()[-3000:]}")



def create_and_mark(api, episode, video, count):
    assert api.post("/api/characters/", {"name": "Bramble"}, format="multipart").status_code == 201
    for frame, marked in marked_boxes(video, count):
        response = api.post(f"/api/characters/{GUEST}/examples/",
                            {"episode": episode.pk, "frame": frame, "box": marked}, format="json")
        assert response.status_code == 201, response.json()


def version_files(media) -> list:
    return [p for p in media_files(media) if p.suffix in (".xml", ".json", ".jpg") and "detections" not in p.parts
            and ("taught" in p.parts or "previews" in p.parts)]


def test_a_character_marked_trained_accepted_and_found_everywhere(teaching_env, start_worker, characters, ana_api,
                                                                  guest_episode, media):
    worker = start_worker(teaching_env, queues=teaching_env["EPISODE_QUEUE"])
    episode = upload(guest_episode, title="Bramble's day")
    episode_process(episode=episode)
    wait_episode(episode, 180, worker)
    before = ana_api.get(f"/api/episodes/{episode.pk}/").json()["looked_for"]
    assert GUEST not in [c["slug"] for c in before]  # the shipped cast was looked for; Bramble is nobody yet

    create_and_mark(ana_api, episode, guest_episode, 20)
    started = ana_api.post(f"/api/characters/{GUEST}/train/")
    assert started.status_code == 202, started.json()
    version_id = CharacterVersion.objects.get(character__slug=GUEST, number=1).pk
    seen = wait_version(version_id, lambda v: v.status in ("done", "failed", "cancelled"), 400, "training", worker)
    body = ana_api.get(f"/api/characters/{GUEST}/versions/1/").json()
    assert body["status"] == "done", body["error"]
    assert any("stage" in report and "stages" in report for report in seen), seen  # stage k of N, live
    assert body["report"]["holdout_hit_rate"] > 0.5 and body["device"] == "cpu" and body["examples_used"] == 20
    assert body["preview"] and all(ana_api.get(f["image_url"]).status_code == 200 for f in body["preview"])
    assert sum(len(f["hits"]) for f in body["preview"]) > 0

    accepted = ana_api.post(f"/api/characters/{GUEST}/versions/1/accept/")
    assert accepted.status_code == 200 and accepted.json()["active"] is True
    found = ana_api.post(f"/api/characters/{GUEST}/find-everywhere/")
    assert found.status_code == 202 and found.json() == {"episodes": 1}
    wait_episode(episode, 180, worker)

    faces = Detection.objects.published().filter(episode=episode, character__slug=GUEST).count()
    assert faces > 0
    looked_for = {c["slug"]: c["faces"] for c in ana_api.get(f"/api/episodes/{episode.pk}/").json()["looked_for"]}
    assert looked_for[GUEST] == faces
    search = ana_api.get(f"/api/detections/?character={GUEST}").json()
    assert search["results"] and {r["character"]["slug"] for r in search["results"]} == {GUEST}


def test_a_training_cancelled_mid_way_stops_and_keeps_no_file(teaching_env, start_worker, ana_api, guest_episode,
                                                              media):
    worker = start_worker(teaching_env, queues=teaching_env["EPISODE_QUEUE"])
    episode = upload(guest_episode, title="Bramble's day")
    create_and_mark(ana_api, episode, guest_episode, 20)
    assert ana_api.post(f"/api/characters/{GUEST}/train/").status_code == 202
    version_id = CharacterVersion.objects.get(character__slug=GUEST).pk
    wait_version(version_id, lambda v: v.status == "training" and "stage" in v.progress, 300,
                 "training under way", worker)
    cancelled = ana_api.post(f"/api/characters/{GUEST}/versions/1/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
    wait_version(version_id, lambda v: v.status != "training", 120, "training stopped", worker)
    version = CharacterVersion.objects.get(pk=version_id)
    assert version.status == "cancelled" and not version.cascade and version.preview == []
    assert version_files(media) == []


def test_a_training_whose_example_is_lost_fails_in_words_and_keeps_no_file(teaching_env, start_worker, ana_api,
                                                                            guest_episode, media):
    worker = start_worker(teaching_env, queues=teaching_env["EPISODE_QUEUE"])
    episode = upload(guest_episode, title="Bramble's day")
    create_and_mark(ana_api, episode, guest_episode, 10)
    lost = CharacterExample.objects.filter(character__slug=GUEST).first()
    (media / lost.image.name).unlink()  # the media storage lost a file
    assert ana_api.post(f"/api/characters/{GUEST}/train/").status_code == 202
    version_id = CharacterVersion.objects.get(character__slug=GUEST).pk
    wait_version(version_id, lambda v: v.status in ("done", "failed", "cancelled"), 300, "training ended", worker)
    body = ana_api.get(f"/api/characters/{GUEST}/versions/1/").json()
    assert body["status"] == "failed" and body["error"].startswith(f"the stored picture of example {lost.pk}")
    assert version_files(media) == []
