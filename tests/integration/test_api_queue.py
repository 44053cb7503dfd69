"""The API end to end: a studio episode uploaded through /api/episodes/ (multipart, token auth) is processed by a real
Celery worker on Redis with PostgreSQL; its detections, summaries, timeline, subtitles and recommendations are then
checked through the API against the episode's truth file."""
import json
import time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emotions.models import Episode, EpisodeEmotion
from tests.checks import check_processed
from toonvision.studio.episode import write_episode
from toonvision.tracking import iou
from toonvision.truth_metrics import truth_path

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_episode_uploaded_through_the_api_is_processed_by_a_worker_and_recommended(
    queue_env, start_worker, cast, tmp_path
):
    video = tmp_path / "sunny.mp4"
    drawn = write_episode(video, seconds=6, seed=77, emotion_bias={"pip": {"happy": 0.7}})
    worker = start_worker(queue_env, queues=queue_env["EPISODE_QUEUE"])
    user = get_user_model().objects.create_user("ana", password="x")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    with open(video, "rb") as handle:
        response = client.post("/api/episodes/", {"file": handle, "title": "Sunny"}, format="multipart")
    assert response.status_code == 201, response.json()
    url = response.json()["url"]

    seen, deadline = [], time.monotonic() + 150
    while True:
        detail = client.get(url).json()
        seen.append(detail["progress"])
        assert detail["status"] != "failed", detail["error"]
        if detail["status"] == "done":
            break
        assert time.monotonic() < deadline, f"not done: {detail}\n{worker.log_path.read_text()[-3000:]}"
        time.sleep(0.2)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert detail["current_run"]["ranges_done"] == detail["current_run"]["ranges"] == 6  # 144 frames / 24

    # The detections, as the API lists them, are the run's, and the cast's faces lie on the truth's.
    episode = Episode.objects.get(pk=detail["id"])
    detections = check_processed(episode)
    truth = {f["index"]: f["faces"] for f in json.loads(truth_path(video).read_text())["frames"]}
    listed, page = [], f"/api/detections/?episode={episode.pk}&ordering=time&page_size=200"
    while page:
        body = client.get(page).json()
        listed += body["results"]
        page = body["next"]
    assert sorted(r["id"] for r in listed) == sorted(d.pk for d in detections)
    pip = [r for r in listed if r["character"]["slug"] == "pip" and not r["interpolated"]]
    on_truth = [
        r for r in pip
        if any(t["character"] == "pip" and iou(tuple(r["box"].values()), t["box"]) >= 0.3 for t in truth[r["frame"]])
    ]
    assert pip and len(on_truth) / len(pip) >= 0.6, f"{len(on_truth)} of {len(pip)} Pip faces lie on the truth"
    agree = [r for r in on_truth if any(t["character"] == "pip" and t["emotion"] == r["emotion"]
                                        for t in truth[r["frame"]])]
    assert len(agree) / len(on_truth) >= 0.6, f"{len(agree)} of {len(on_truth)} Pip faces show the true emotion"

    # The summaries say how long Pip was happy: about what the studio drew.
    true_share = drawn["screen_time"]["pip"]["happy"] / sum(drawn["screen_time"]["pip"].values())
    pip_summary = next(c for c in detail["characters"] if c["slug"] == "pip")
    assert pip_summary["emotions"]["happy"]["share"] == pytest.approx(true_share, abs=0.2)

    # The timeline adds up to the summaries; the subtitles say it too.
    timeline = client.get(f"{url}timeline/?bucket=2").json()
    for summary in EpisodeEmotion.objects.filter(episode=episode).select_related("character"):
        total = sum(b["characters"].get(summary.character.slug, {}).get(summary.emotion, 0)
                    for b in timeline["buckets"])
        assert total == pytest.approx(summary.seconds)
    subtitles = client.get(f"{url}subtitles.vtt")
    assert subtitles["Content-Type"].startswith("text/vtt") and "Pip: happy" in subtitles.content.decode()

    # The happiest-mouse ranking holds the episode, with the summaries' figures behind its score.
    ranking = client.get("/api/recommendations/?character=pip&emotion=happy").json()
    (entry,) = ranking["results"]
    assert entry["episode"]["id"] == episode.pk
    assert entry["character_seconds"] == pytest.approx(pip_summary["seconds"])
    assert entry["emotion_seconds"] == pytest.approx(pip_summary["emotions"]["happy"]["seconds"])
    k = ranking["prior_seconds"]
    assert entry["score"] == pytest.approx((entry["weighted_seconds"] + k / 7) / (entry["character_seconds"] + k))
