"""The REST API through DRF's client: auth rules, episodes, timelines and subtitles, characters, face search,
classification, bad input (a clear 4xx, nothing left behind), and the schema and its docs page."""
import re
import uuid
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emotions.models import Character, Detection, Episode, EpisodeEmotion, ProcessingRun, Status
from emotions.services.classifier import images_classify
from emotions.services.episodes import episode_create
from emotions.services.ranges import episode_process_here, frame_range_process
from tests.checks import media_files, nothing_left
from tests.factories import character, crafted_episode, held, jpeg, studio_face_png, truncated_copy
from tests.processes import ROOT
from toonvision.emotions import EMOTIONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttles")]  # throttles count in the cache


# -- fixtures and helpers --------------------------------------------------------------------------------------
# -- authentication and permissions -----------------------------------------------------------------------------
READS = ["/api/", "/api/episodes/", "/api/characters/", "/api/detections/", "/api/leaderboard/?emotion=happy"]


@pytest.mark.parametrize("url", READS)
def test_anonymous_users_read_nothing_unless_the_site_is_public(url, settings):
    client = APIClient()
    settings.PUBLIC_READ = False
    refused = client.get(url)
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token"
    assert "Log in" in refused.json()["detail"]

    settings.PUBLIC_READ = True
    assert client.get(url).status_code == 200


def test_public_read_never_lets_anonymous_users_write(settings, studio_episode):
    settings.PUBLIC_READ = True
    client = APIClient()
    with open(studio_episode, "rb") as handle:
        assert client.post("/api/episodes/", {"file": handle}, format="multipart").status_code == 401
    assert client.post("/api/classify/", {"image": SimpleUploadedFile("a.png", studio_face_png())},
                       format="multipart").status_code == 401
    assert not Episode.objects.exists()


def test_a_token_from_drf_create_token_or_the_obtain_endpoint_authenticates(user, capsys):
    call_command("drf_create_token", "ana")
    key = Token.objects.get(user=user).key
    assert key in capsys.readouterr().out

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/episodes/").status_code == 200

    obtained = APIClient().post("/api/auth/token/", {"username": "ana", "password": "ana-secret"}, format="json")
    assert obtained.status_code == 200 and obtained.json() == {"token": key}
    wrong = APIClient().post("/api/auth/token/", {"username": "ana", "password": "nope"}, format="json")
    assert wrong.status_code == 400

    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert bad.get("/api/episodes/").status_code == 401


def test_an_unknown_api_address_is_a_json_404(api):
    for url in ("/api/nowhere/", "/api/episodes/null/", "/api/characters/%F0%9F%90%AD/"):
        response = api.get(url)
        assert response.status_code == 404 and response.json() == {"detail": "Not found.", "code": "not_found"}
    assert b"<html" in APIClient().get("/nowhere/").content.lower()  # pages outside the API keep HTML


def test_a_session_login_authenticates_too(user):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(request=RequestFactory().post("/accounts/login/"), username="ana", password="ana-secret")
    assert client.get("/api/episodes/").status_code == 200


# -- episodes: upload, detail, list, delete, reprocess ----------------------------------------------------------
def upload(client, path: Path, title="Pilot", name=None):
    with open(path, "rb") as handle:
        return client.post("/api/episodes/", {"file": File(handle, name=name or path.name), "title": title},
                           format="multipart")


def test_an_upload_is_stored_enqueued_and_its_detail_follows_processing(
    api, user, cast, studio_episode, settings, django_capture_on_commit_callbacks
):
    settings.EPISODE_RANGE_FRAMES = 24
    settings.EPISODE_QUEUE = f"api-test-{uuid.uuid4().hex[:8]}"  # nobody listens: the ranges are run here below
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(api, studio_episode)
    assert response.status_code == 201, response.json()
    body = response.json()
    episode = Episode.objects.get()
    assert body["id"] == episode.pk and response["Location"] == body["url"]
    assert (body["title"], body["owner"], body["status"], body["progress"]) == ("Pilot", "ana", "queued", 0.0)
    assert body["frame_count"] == 72 and body["fps"] == pytest.approx(24) and body["duration"] == pytest.approx(3)
    assert body["size_bytes"] == studio_episode.stat().st_size and body["codec"] == "h264"
    run = body["current_run"]
    assert run["status"] == "queued" and run["ranges"] == 3 and run["ranges_done"] == 0
    assert run["characters"] == sorted(cast)
    assert len(callbacks) == 1  # processing was enqueued once the episode's run was committed
    enqueued = list(episode.current_run.ranges.order_by("start").values_list("pk", flat=True))

    for range_id in enqueued:  # what the worker would do with the queued tasks
        frame_range_process(frame_range_id=range_id)

    detail = api.get(body["url"]).json()
    assert (detail["status"], detail["progress"], detail["error"]) == ("done", 1.0, "")
    assert detail["current_run"]["ranges_done"] == 3 and detail["current_run"]["detection_count"] > 0
    pip = next(c for c in detail["characters"] if c["slug"] == "pip")
    summaries = EpisodeEmotion.objects.filter(episode=episode, character__slug="pip")
    assert pip["seconds"] == pytest.approx(sum(s.seconds for s in summaries))
    assert {e: v["seconds"] for e, v in pip["emotions"].items()} == pytest.approx(
        {s.emotion: s.seconds for s in summaries})
    assert sum(v["share"] for v in pip["emotions"].values()) == pytest.approx(1.0)
    assert detail["timeline_url"].endswith(f"/api/episodes/{episode.pk}/timeline/")


def test_the_episode_list_filters_by_status_owner_and_title(api, user, other_api):
    bob = get_user_model().objects.get(username="bob")
    crafted_episode("Cheese heist", [], owner=user)
    crafted_episode("Night at the pantry", [], owner=bob)
    queued = crafted_episode("Cheese and crackers", [], owner=bob)
    Episode.objects.filter(pk=queued.pk).update(status=Status.QUEUED)

    def titles(query=""):
        response = api.get("/api/episodes/" + query)
        assert response.status_code == 200, response.json()
        return sorted(e["title"] for e in response.json()["results"])

    assert titles() == ["Cheese and crackers", "Cheese heist", "Night at the pantry"]
    assert titles("?owner=me") == ["Cheese heist"]
    assert titles("?owner=bob") == ["Cheese and crackers", "Night at the pantry"]
    assert titles("?status=queued") == ["Cheese and crackers"]
    assert titles("?search=CHEESE&status=done") == ["Cheese heist"]
    page = api.get("/api/episodes/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert api.get("/api/episodes/?status=sleeping").json()["detail"].startswith("status: unknown status")
    assert api.get("/api/episodes/?owner=nobody").status_code == 400


def test_only_the_owner_or_staff_delete_an_episode_and_its_files_go(
    api, user, other_api, staff_api, media, django_capture_on_commit_callbacks
):
    mine = crafted_episode("Mine", held(character("pip"), "happy", 0, 1), owner=user, pictures=True)
    theirs = crafted_episode("Theirs", held(character("pip"), "sad", 0, 1), owner=None, pictures=True)
    assert media_files(media)

    assert other_api.delete(f"/api/episodes/{mine.pk}/").status_code == 403
    assert APIClient().delete(f"/api/episodes/{mine.pk}/").status_code == 401
    assert api.delete(f"/api/episodes/{theirs.pk}/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/episodes/{mine.pk}/").status_code == 204
        assert staff_api.delete(f"/api/episodes/{theirs.pk}/").status_code == 204
    assert api.delete(f"/api/episodes/{mine.pk}/").status_code == 404
    assert not Episode.objects.exists() and not Detection.objects.exists() and media_files(media) == []


def test_reprocessing_is_for_the_owner_or_staff_and_refused_while_a_run_is_under_way(
    api, user, other_api, staff_api, cast, studio_episode, settings
):
    settings.EPISODE_QUEUE = f"api-test-{uuid.uuid4().hex[:8]}"
    with open(studio_episode, "rb") as handle:
        episode = episode_create(owner=user, file=File(handle, name="pilot.mp4"), title="Pilot")
    episode_process_here(episode=episode)

    assert other_api.post(f"/api/episodes/{episode.pk}/reprocess/").status_code == 403
    response = api.post(f"/api/episodes/{episode.pk}/reprocess/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert episode.runs.count() == 2

    busy = staff_api.post(f"/api/episodes/{episode.pk}/reprocess/")
    assert busy.status_code == 409 and "already being processed" in busy.json()["detail"]
    assert busy.json()["code"] == "busy" and episode.runs.count() == 2


# -- bad uploads: a clear 4xx, nothing left behind ----------------------------------------------------------
@pytest.mark.parametrize("case", ["not a video", "truncated", "empty", "no file"])
def test_a_bad_upload_is_a_400_with_the_reason_and_leaves_nothing(case, api, media, studio_episode, tmp_path):
    path = tmp_path / "upload.mp4"
    if case == "not a video":
        path.write_text("a script, not an episode\n" * 100)
    elif case == "truncated":
        truncated_copy(studio_episode, path)
    elif case == "empty":
        path.write_bytes(b"")
    if case == "no file":
        response = api.post("/api/episodes/", {"title": "nothing"}, format="multipart")
    else:
        response = upload(api, path)

    assert response.status_code == 400, response.json()
    detail = response.json()["detail"]
    expected = {"not a video": "not a video", "truncated": "truncated", "empty": "upload.mp4 is empty",
                "no file": "file: No file was submitted."}[case]
    assert expected in detail, detail
    assert str(tmp_path) not in detail
    assert nothing_left(media)


def test_an_oversize_upload_is_a_413_before_it_is_kept(api, media, settings, studio_episode):
    settings.MAX_EPISODE_UPLOAD_BYTES = studio_episode.stat().st_size - 1
    response = upload(api, studio_episode)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and "the largest episode accepted" in response.json()["detail"]

    settings.MAX_EPISODE_UPLOAD_BYTES = 1000  # far over: refused from the declared length, before reading it
    response = upload(api, studio_episode)
    assert response.status_code == 413 and "the upload is" in response.json()["detail"]
    assert nothing_left(media)


def test_a_second_upload_of_the_same_bytes_is_a_409_naming_the_first(api, cast, media, studio_episode, settings):
    settings.EPISODE_QUEUE = f"api-test-{uuid.uuid4().hex[:8]}"
    first = upload(api, studio_episode).json()
    kept = media_files(media)
    again = upload(api, studio_episode, name="renamed.mkv", title="Again")
    assert again.status_code == 409
    assert again.json()["episode"] == first["id"] and again.json()["episode_url"] == first["url"]
    assert f"already uploaded as episode {first['id']}" in again.json()["detail"]
    assert Episode.objects.count() == 1 and media_files(media) == kept


def test_uploads_are_throttled_per_user(api, media, settings, tmp_path):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    assert [upload(api, notes).status_code for _ in range(3)] == [400, 400, 429]
    assert api.get("/api/episodes/").status_code == 200  # reading is not throttled


# -- timeline and subtitles -----------------------------------------------------------------------------------
@pytest.fixture
def scene(user):
    """Pip happy for 0-4 s, Marmalade angry 3-7 s, Pip sad 8-9.5 s, a 0.1 s flicker of Pip surprised at 12 s,
    and Pip happy again 14-15 s and 15.25-16 s (a gap under 0.5 s: one cue)."""
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    faces = (held(pip, "happy", 0, 4) + held(cat, "angry", 3, 7, step=0.25, confidence=0.5)
             + held(pip, "sad", 8, 9.5) + held(pip, "surprise", 12, 12.125) + held(pip, "happy", 14, 15)
             + held(pip, "happy", 15.25, 16))
    return crafted_episode("Scene", faces, owner=user, duration=17.5)


def test_the_timeline_adds_up_each_characters_emotion_seconds_per_bucket(api, scene):
    response = api.get(f"/api/episodes/{scene.pk}/timeline/?bucket=5")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["episode"], body["bucket"], body["duration"]) == (scene.pk, 5.0, 17.5)
    assert [(b["start"], b["end"]) for b in body["buckets"]] == [(0, 5), (5, 10), (10, 15), (15, 17.5)]
    expected = [
        {"pip": {"happy": 4.0}, "marmalade": {"angry": 2.0}},
        {"pip": {"sad": 1.5}, "marmalade": {"angry": 2.0}},
        {"pip": {"surprise": 0.125, "happy": 1.0}},
        {"pip": {"happy": 0.75}},
    ]
    assert [b["characters"] for b in body["buckets"]] == [
        {who: pytest.approx(per) for who, per in bucket.items()} for bucket in expected]
    for summary in EpisodeEmotion.objects.filter(episode=scene).select_related("character"):
        total = sum(b["characters"].get(summary.character.slug, {}).get(summary.emotion, 0) for b in body["buckets"])
        assert total == pytest.approx(summary.seconds)

    assert len(api.get(f"/api/episodes/{scene.pk}/timeline/").json()["buckets"]) == 4  # 5 s by default


@pytest.mark.parametrize("bucket, words", [("0", "greater than or equal to 0.1"), ("-3", "greater than"),
                                           ("soon", "A valid number is required"), ("nan", "valid number"),
                                           ("0.1", None)])
def test_a_bad_timeline_bucket_is_a_400(api, user, bucket, words):
    long = crafted_episode("Long", [], owner=user, duration=3 * 3600)
    response = api.get(f"/api/episodes/{long.pk}/timeline/?bucket={bucket}")
    assert response.status_code == 400
    assert (words or "the most a timeline has is 10000") in response.json()["detail"]


def test_the_subtitles_are_webvtt_with_merged_runs_and_characters_together(api, scene):
    response = api.get(f"/api/episodes/{scene.pk}/subtitles.vtt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.content.decode() == (
        "WEBVTT - Scene\n\n"
        "1\n00:00:00.000 --> 00:00:03.000\nPip: happy\n\n"
        "2\n00:00:03.000 --> 00:00:04.000\nMarmalade: angry\nPip: happy\n\n"
        "3\n00:00:04.000 --> 00:00:07.000\nMarmalade: angry\n\n"
        "4\n00:00:08.000 --> 00:00:09.500\nPip: sad\n\n"
        "5\n00:00:14.000 --> 00:00:16.000\nPip: happy\n"
    )
    assert api.get("/api/episodes/999999/subtitles.vtt").status_code == 404
    asked = api.get(f"/api/episodes/{scene.pk}/subtitles.vtt", HTTP_ACCEPT="text/vtt")
    assert asked.status_code == 200 and asked.content.startswith(b"WEBVTT")


def test_subtitle_text_cannot_break_the_file(api, user):
    odd = character("odd", "A --> B\n<b>&")
    episode = crafted_episode("Two\nlines", held(odd, "fear", 1, 2), owner=user)
    text = api.get(f"/api/episodes/{episode.pk}/subtitles.vtt").content.decode()
    assert text == "WEBVTT - Two lines\n\n1\n00:00:01.000 --> 00:00:02.000\nA -&gt; B &lt;b&gt;&amp;: fear\n"


# -- characters -------------------------------------------------------------------------------------------------
def test_a_characters_detail_breaks_its_emotions_down_across_episodes(api, user):
    pip = character("pip", "Pip")
    crafted_episode("One", held(pip, "happy", 0, 3) + held(pip, "sad", 3, 4), owner=user)
    crafted_episode("Two", held(pip, "happy", 0, 1), owner=user)
    listed = api.get("/api/characters/").json()
    assert [c["slug"] for c in listed["results"]] == ["pip"]
    assert listed["results"][0]["portrait_url"].endswith("/cast/pip.png")

    body = api.get("/api/characters/pip/").json()
    assert (body["name"], body["screen_seconds"], body["episodes"]) == ("Pip", pytest.approx(5.0), 2)
    emotions = {e["emotion"]: e for e in body["emotions"]}
    assert list(emotions) == ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
    assert emotions["happy"]["seconds"] == pytest.approx(4.0) and emotions["happy"]["share"] == pytest.approx(0.8)
    assert emotions["sad"]["detections"] == 8 and emotions["angry"]["seconds"] == 0
    assert api.get("/api/characters/nobody/").status_code == 404


def test_staff_add_a_character_whose_cascade_loads(staff_api, api, media):
    with open(ROOT / "cascades" / "pip.xml", "rb") as handle:
        response = staff_api.post("/api/characters/", {"name": "Pip Two", "slug": "pip-two", "cascade": handle,
                                                       "min_neighbors": 5}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["min_neighbors"], body["scale_factor"], body["screen_seconds"]) == (
        "pip-two", 5, 1.1, 0)
    stored = Character.objects.get(slug="pip-two")
    assert default_storage.open(stored.cascade.name).read() == (ROOT / "cascades" / "pip.xml").read_bytes()

    with open(ROOT / "cascades" / "pip.xml", "rb") as handle:
        refused = api.post("/api/characters/", {"name": "X", "slug": "x", "cascade": handle}, format="multipart")
    assert refused.status_code == 403


@pytest.mark.parametrize("case", ["malformed", "html", "bad params", "bad slug", "taken slug"])
def test_a_bad_character_upload_is_a_400_with_the_reason_and_leaves_nothing(case, staff_api, media):
    cascade = (ROOT / "cascades" / "pip.xml").read_bytes()
    form = {"name": "Bad", "slug": "bad"}
    if case == "malformed":
        cascade = cascade[: len(cascade) // 3]
    elif case == "html":
        cascade = b"<html><body>not a cascade</body></html>"
    elif case == "bad params":
        form.update(min_size=40, max_size=20)
    elif case == "bad slug":
        form["slug"] = "Not A Slug!"
    else:
        character("bad")
    form["cascade"] = SimpleUploadedFile("bad.xml", cascade)
    before = media_files(media)
    response = staff_api.post("/api/characters/", form, format="multipart")

    assert response.status_code == 400, response.json()
    words = {"malformed": "bad.xml", "html": "bad.xml is not an OpenCV cascade", "bad params": "max_size",
             "bad slug": "slug", "taken slug": "already exists"}[case]
    assert words in response.json()["detail"], response.json()
    assert Character.objects.filter(slug__in=["bad", "Not A Slug!"]).count() == (case == "taken slug")
    assert media_files(media) == before


# -- face search ------------------------------------------------------------------------------------------------
@pytest.fixture
def faces(user, media):
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    first = crafted_episode("First", [
        (pip, "happy", 1.0, 0.5, 0.95), (pip, "happy", 2.0, 0.5, 0.60), (pip, "sad", 3.0, 0.5, 0.80),
        (cat, "happy", 4.0, 0.5, 0.70), (cat, "angry", 9.0, 0.5, 0.99),
    ], owner=user, pictures=True)
    second = crafted_episode("Second", [(pip, "happy", 0.5, 0.5, 0.85), (pip, "happy", 30.0, 0.5, 0.75)],
                             owner=user, duration=40, pictures=True)
    return first, second


def search(api, query=""):
    response = api.get("/api/detections/" + query)
    assert response.status_code == 200, response.json()
    return response.json()


def test_faces_are_searched_by_character_emotion_confidence_episode_and_time(api, faces):
    first, second = faces

    def found(query):
        return [(r["character"]["slug"], r["emotion"], r["confidence"]) for r in search(api, query)["results"]]

    assert found("?character=pip&emotion=happy") == [
        ("pip", "happy", 0.95), ("pip", "happy", 0.85), ("pip", "happy", 0.75), ("pip", "happy", 0.6)]
    assert found("?emotion=happy&min_confidence=0.8") == [("pip", "happy", 0.95), ("pip", "happy", 0.85)]
    assert found(f"?episode={first.pk}&character=marmalade") == [("marmalade", "angry", 0.99),
                                                                  ("marmalade", "happy", 0.7)]
    assert found(f"?episode={first.pk}&start=2&end=4&ordering=time") == [("pip", "happy", 0.6), ("pip", "sad", 0.8)]
    assert [r["time"] for r in search(api, "?ordering=-time")["results"]][:2] == [30.0, 9.0]

    result = search(api, f"?episode={second.pk}&ordering=time")["results"][1]
    assert (result["time"], result["timecode"], result["frame"]) == (30.0, "00:00:30.000", 720)
    assert result["episode"] == {"id": second.pk, "title": "Second",
                                 "url": f"http://testserver/api/episodes/{second.pk}/"}
    assert result["box"] == {"x": 10, "y": 10, "w": 50, "h": 50} and result["probabilities"] == {"happy": 0.75}
    crop, frame = api.get(result["crop_url"]), api.get(result["frame_url"])
    assert crop.status_code == frame.status_code == 200 and crop["Content-Type"] == "image/jpeg"
    assert b"".join(crop.streaming_content) == jpeg()
    assert cv2.imdecode(np.frombuffer(b"".join(frame.streaming_content), np.uint8), cv2.IMREAD_COLOR).shape == (
        64, 64, 3)


def test_cursor_pages_walk_every_face_once_in_order(api, user):
    pip = character("pip")
    crafted_episode("Many", [(pip, "happy", i * 0.1, 0.1, round(0.5 + (i % 10) / 20, 2)) for i in range(23)],
                    owner=user)
    for ordering, key in (("-confidence", lambda r: (-r["confidence"], -r["id"])),
                          ("time", lambda r: (r["time"], r["id"]))):
        seen, url = [], f"/api/detections/?page_size=5&ordering={ordering}"
        while url:
            page = api.get(url).json()
            assert len(page["results"]) <= 5
            seen += page["results"]
            url = page["next"]
        assert len(seen) == 23 and len({r["id"] for r in seen}) == 23
        assert seen == sorted(seen, key=key)
    assert api.get("/api/detections/?cursor=garbage").status_code == 404


@pytest.mark.parametrize("query, words", [
    ("?character=bruno", "character: unknown character 'bruno'; known characters: marmalade, pip"),
    ("?character=%25(value)s", "character: unknown character '%(value)s'"),  # found by schemathesis: was a 500
    ("?emotion=bored", "emotion: unknown emotion bored; expected one of angry, disgust, fear, happy"),
    ("?min_confidence=2", "min_confidence: Ensure this value is less than or equal to 1"),
    ("?episode=999999", "episode: no episode 999999"),
    ("?start=5&end=2", "end (2) must come after start (5)"),
    ("?ordering=frame", "cannot order by 'frame'; use one of confidence, -confidence, time, -time"),
])
def test_a_bad_face_search_is_a_400_that_says_why(api, faces, query, words):
    response = api.get("/api/detections/" + query)
    assert response.status_code == 400
    assert words in response.json()["detail"], response.json()


def test_only_finished_runs_faces_are_searchable(api, faces):
    first, _ = faces
    ProcessingRun.objects.filter(episode=first).update(status=Status.PROCESSING)
    assert {r["episode"]["title"] for r in search(api)["results"]} == {"Second"}
    hidden = Detection.objects.filter(episode=first).first()
    assert api.get(f"/api/detections/{hidden.pk}/crop.jpg").status_code == 404


# -- classification and similar faces -------------------------------------------------------------------------
def test_classify_answers_every_emotions_probability(api):
    response = api.post("/api/classify/", {"image": SimpleUploadedFile("pip.png", studio_face_png())},
                        format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body["probabilities"]) == {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}
    assert sum(body["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    assert body["emotion"] == max(body["probabilities"], key=body["probabilities"].get) == "happy"


@pytest.mark.parametrize("case", ["not an image", "empty", "too large", "truncated"])
def test_a_bad_image_is_a_400_that_says_why(api, settings, case):
    data = {"not an image": b"GIF? no, a letter", "empty": b"", "too large": studio_face_png(),
            "truncated": studio_face_png()[:200]}[case]
    if case == "too large":
        settings.MAX_IMAGE_UPLOAD_BYTES = 100
    for url in ("/api/classify/", "/api/search/similar/"):
        response = api.post(url, {"image": SimpleUploadedFile("face.png", data)}, format="multipart")
        assert response.status_code == 400
        words = {"not an image": "not a readable image", "empty": "empty", "too large": "the limit is 100",
                 "truncated": "not a readable image"}[case]
        assert words in response.json()["detail"], response.json()


def test_a_drawing_finds_faces_of_its_emotion_first_then_by_appearance(api, cast, studio_episode, settings, user):
    settings.EPISODE_RANGE_FRAMES = 72
    with open(studio_episode, "rb") as handle:
        episode = episode_create(owner=user, file=File(handle, name="e.mp4"), title="E")
    episode_process_here(episode=episode)
    stored = list(Detection.objects.filter(episode=episode).order_by("-confidence", "id"))
    # The drawing: a stored face whose crop the CNN reads as the emotion the pipeline gave it (the pipeline
    # classified a crop of the full frame and smoothed along the track, so not every stored crop does).
    target, crop = None, None
    for detection in stored:
        crop = default_storage.open(detection.crop.name).read()
        image = cv2.imdecode(np.frombuffer(crop, np.uint8), cv2.IMREAD_COLOR)
        if images_classify(images=[image])[0].emotion == detection.emotion:
            target = detection
            break
    assert target is not None

    response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("mine.jpg", crop), "limit": 50},
                        format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["query"]["emotion"] == target.emotion
    results = body["results"]
    assert results[0]["detection"]["id"] == target.pk and results[0]["similarity"] == pytest.approx(1.0, abs=1e-3)
    assert results[0]["detection"]["crop_url"].endswith(f"/api/detections/{target.pk}/crop.jpg")
    flags = [r["same_emotion"] for r in results]
    assert flags == sorted(flags, reverse=True)
    assert all((r["detection"]["emotion"] == target.emotion) == r["same_emotion"] for r in results)
    for group in (True, False):
        scores = [r["similarity"] for r in results if r["same_emotion"] is group]
        assert scores == sorted(scores, reverse=True)
    assert len(results) == min(50, len(stored))

    only = api.post("/api/search/similar/", {"image": SimpleUploadedFile("mine.jpg", crop), "character": "nobody"},
                    format="multipart")
    assert only.status_code == 400 and "unknown character 'nobody'" in only.json()["detail"]


# -- the schema and its docs page -------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/schema/?format=json", "/api/docs/", "/api/docs/?script="])
def test_the_schema_and_its_docs_follow_the_read_rule(url, settings, user):
    client = APIClient()
    settings.PUBLIC_READ = False
    refused = client.get(url)
    if url.startswith("/api/docs/"):  # a page: off to log in, as the site's other pages do
        assert refused.status_code == 302 and refused["Location"].startswith("/accounts/login/?next=")
    else:
        assert refused.status_code == 401 and "Log in" in refused.json()["detail"]
    client.force_login(user)
    assert client.get(url).status_code == 200

    settings.PUBLIC_READ = True
    assert APIClient().get(url).status_code == 200


def test_the_schema_is_openapi_3_and_the_docs_page_uses_local_assets(settings, user):
    settings.WHITENOISE_USE_FINDERS = True  # whitenoise serves what collectstatic would gather (no collectstatic here)
    client = APIClient()
    client.force_login(user)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["openapi"].startswith("3.") and "/api/detections/" in spec["paths"]
    assert "tokenAuth" in spec["components"]["securitySchemes"]
    assert "(weighted_seconds + k / 7) / (screen_seconds + k)" in (
        spec["paths"]["/api/recommendations/"]["get"]["description"])

    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if "//" in a], assets  # nothing from another host
    assert "<script>" not in html and "<style>" not in html  # the CSP allows neither inline
    assets.remove("/api/docs/?script=")  # the init script, a file of its own
    init = client.get("/api/docs/?script=")
    assert init["Content-Type"].startswith("application/javascript") and b"SwaggerUIBundle" in init.content
    static = "/" + settings.STATIC_URL.lstrip("/")
    assert any(a == static + "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" for a in assets)
    for asset in assets:
        assert asset.startswith(static), asset
        assert finders.find(asset.removeprefix(static)), asset  # collectstatic gathers it
        served = client.get(asset)
        assert served.status_code == 200 and b"".join(served.streaming_content), asset


@pytest.mark.django_db(transaction=True)  # commits for real, so the tasks are sent inside the request
def test_with_the_queue_unreachable_an_upload_is_kept_queued_for_the_watchdog(
    api, user, cast, studio_episode, media, settings, caplog
):
    from toonsite.celery import app

    settings.EPISODE_QUEUE = f"api-test-{uuid.uuid4().hex[:8]}"  # the forced run below is queued where none listens
    settings.EPISODE_RANGE_FRAMES = 24

    broker = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    app._pool, app.amqp._producer_pool = None, None
    try:
        response = upload(api, studio_episode)
        episode = Episode.objects.get()
        run = episode.current_run
        queued = (run.status, run.ranges.count(), run.ranges.filter(status="queued").count())
        reprocess = api.post(f"/api/episodes/{episode.pk}/reprocess/", {"force": True}, format="json")
    finally:
        app.conf.broker_url = broker
        app._pool, app.amqp._producer_pool = None, None
    # The episode, its file and its run were committed together; the lost send is logged and the run stays
    # queued with all its ranges, for the watchdog to send again.
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "queued" and response.json()["current_run"]["ranges"] == 3
    assert "could not be sent" in caplog.text and "stays queued" in caplog.text
    assert queued == ("queued", 3, 3)
    # Processing again, asked for while the queue is still out of reach, says so (and keeps what it has).
    assert reprocess.status_code == 503, reprocess.content
    assert reprocess.json()["code"] == "queue_unavailable" and "try again later" in reprocess.json()["detail"]


def test_an_upload_whose_run_cannot_be_started_keeps_nothing(api, cast, studio_episode, media, settings):
    """Storing the episode and starting its run are one outcome: when the run cannot start (here the emotion
    weights are missing), neither the Episode row nor its file stays behind, unprocessed forever."""
    settings.EMOTION_WEIGHTS = media / "no-such-weights.pt"
    response = upload(api, studio_episode)
    assert response.status_code == 503, response.content  # the server's fault, said so, never a 500
    assert response.json()["code"] == "model_unavailable" and "no-such-weights.pt" in response.json()["detail"]
    assert not Episode.objects.exists() and not ProcessingRun.objects.exists()
    assert not (media / "episodes").exists() or media_files(media / "episodes") == []


def test_processing_again_without_a_readable_model_is_a_503_that_keeps_the_episode(api, cast, studio_episode, media,
                                                                                 settings):
    episode = Episode.objects.get(pk=upload(api, studio_episode).json()["id"])
    runs = ProcessingRun.objects.filter(episode=episode).count()
    settings.EMOTION_WEIGHTS = media / "no-such-weights.pt"
    response = api.post(f"/api/episodes/{episode.pk}/reprocess/", {"force": True}, format="json")
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "model_unavailable"
    assert Episode.objects.filter(pk=episode.pk).exists()
    assert ProcessingRun.objects.filter(episode=episode).count() == runs  # no run started, the old ones kept


def test_with_no_character_to_look_for_an_upload_is_kept_and_failed_saying_so(api, studio_episode, media, settings):
    settings.CAST_DIR = media / "no-cast"
    response = upload(api, studio_episode)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "failed" and "no characters to look for" in body["error"]
    assert Episode.objects.get().current_run is None


def test_subtitle_cues_give_each_character_one_emotion_and_never_last_no_time(api, user):
    """Pip happy with a 0.2 s flicker of surprise inside, then surprised for good; Marmalade arriving 0.1 s after
    Pip turns: once "Pip: happy, surprise" cues and slivers of a few milliseconds were written."""
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    faces = (held(pip, "happy", 0, 2) + held(pip, "surprise", 2, 2.25) + held(pip, "happy", 2.25, 4)
             + held(pip, "surprise", 4, 6) + held(cat, "angry", 4.125, 6)
             + [(pip, "sad", 5.0, 0.125, 0.4)])  # a second, less confident face of Pip at one moment
    episode = crafted_episode("Flicker", faces, owner=user, duration=7)

    text = api.get(f"/api/episodes/{episode.pk}/subtitles.vtt").content.decode()

    assert text == (
        "WEBVTT - Flicker\n\n"
        "1\n00:00:00.000 --> 00:00:04.000\nPip: happy\n\n"
        "2\n00:00:04.000 --> 00:00:06.000\nMarmalade: angry\nPip: surprise\n"
    )


def test_subtitle_cues_of_a_busy_episode_follow_each_other_and_none_is_a_sliver(user):
    from emotions.selectors.episodes import CUE_MIN_SECONDS, episode_emotion_cues

    rng = np.random.default_rng(5)
    cast = [character(slug, slug.title()) for slug in ("pip", "marmalade", "bramble")]
    faces = [(cast[int(rng.integers(3))], EMOTIONS[int(rng.integers(7))], round(float(t), 3), 0.125,
              float(rng.uniform(0.3, 1))) for t in np.sort(rng.uniform(0, 60, 1500))]
    cues = episode_emotion_cues(episode=crafted_episode("Busy", faces, owner=user, duration=61))

    assert cues
    for cue, following in zip(cues, cues[1:]):
        assert cue.end <= following.start
    for cue in cues:
        assert cue.end - cue.start >= CUE_MIN_SECONDS - 1e-9
        assert cue.labels and all(isinstance(emotion, str) and emotion in EMOTIONS for emotion in cue.labels.values())
