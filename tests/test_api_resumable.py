"""Resumable uploads over tus (/api/uploads/): an episode sent in pieces, resumed from the offset the server reports
after a connection lost mid-way, becomes the same episode a single upload makes; bad requests are clear 4xx and
leave nothing."""
import base64
import uuid

import pytest
from rest_framework.test import APIClient

from emotions.models import Episode
from tests.factories import user_make

pytestmark = pytest.mark.django_db

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def metadata(**values) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def create(api, length: int, **meta):
    return api.post("/api/uploads/", HTTP_UPLOAD_LENGTH=str(length),
                    HTTP_UPLOAD_METADATA=metadata(**(meta or {"filename": "pilot.mp4", "title": "Pilot"})), **TUS)


def send(api, location: str, offset: int, data: bytes):
    return api.generic("PATCH", location, data, content_type="application/offset+octet-stream",
                       HTTP_UPLOAD_OFFSET=str(offset), **TUS)


def offset_of(api, location: str) -> int:
    response = api.head(location, **TUS)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return int(response["Upload-Offset"])


@pytest.fixture
def resumable_dir(settings, tmp_path):
    settings.RESUMABLE_UPLOAD_DIR = str(tmp_path / "resumable")
    return tmp_path / "resumable"


@pytest.fixture
def quiet_queue(settings):
    settings.EPISODE_QUEUE = f"resumable-test-{uuid.uuid4().hex[:8]}"  # nobody listens: nothing is processed here


def test_an_episode_sent_in_pieces_and_resumed_becomes_the_episode(api, cast, media, studio_episode, resumable_dir,
                                                                  quiet_queue, fresh_throttles):
    video = studio_episode.read_bytes()
    created = create(api, len(video))
    assert created.status_code == 201, created.content
    location = created["Location"]
    assert created["Tus-Resumable"] == "1.0.0" and "Upload-Expires" in created

    half = len(video) // 2
    first = send(api, location, 0, video[:half])
    assert first.status_code == 204 and first["Upload-Offset"] == str(half)
    # The connection drops mid-way through the next piece: what arrived is kept, and HEAD says where it stands.
    arrived = half + 1000
    assert send(api, location, half, video[half:arrived]).status_code == 204
    assert offset_of(api, location) == arrived
    assert not Episode.objects.exists()

    last = send(api, location, arrived, video[arrived:])

    assert last.status_code == 201, last.content
    episode = Episode.objects.get()
    assert last.json()["id"] == episode.pk and last["Location"] == last.json()["url"]
    assert (episode.title, episode.size_bytes, episode.frame_count) == ("Pilot", len(video), 72)
    assert episode.current_run.status == "queued"  # its processing is queued, as for a single upload
    assert not any(resumable_dir.iterdir())  # the pieces are gone once they became the episode
    assert api.head(location, **TUS).status_code == 404


def test_bytes_sent_from_the_wrong_offset_are_refused_and_not_kept(api, resumable_dir, fresh_throttles):
    location = create(api, 1000)["Location"]
    assert send(api, location, 0, b"x" * 300).status_code == 204

    for offset in (0, 600):
        response = send(api, location, offset, b"y" * 100)
        assert response.status_code == 409
        assert response.json() == {"detail": f"the upload is at byte 300, not {offset}: send from there",
                                   "code": "offset_mismatch"}
    assert offset_of(api, location) == 300


def test_more_bytes_than_declared_are_a_413_and_the_request_keeps_nothing(api, resumable_dir, fresh_throttles):
    location = create(api, 100)["Location"]
    response = send(api, location, 0, b"x" * 150)
    assert response.status_code == 413 and "more bytes were sent than the 100 declared" in response.json()["detail"]
    assert offset_of(api, location) == 0


def test_a_complete_upload_that_is_not_a_video_is_refused_and_nothing_is_kept(api, media, resumable_dir,
                                                                               fresh_throttles):
    location = create(api, 11, filename="notes.mp4")["Location"]
    response = send(api, location, 0, b"not a video")
    assert response.status_code == 400 and response.json()["code"] == "not_a_video"
    assert "notes.mp4" in response.json()["detail"]
    assert not Episode.objects.exists() and not any(resumable_dir.iterdir())
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


@pytest.mark.parametrize("headers, status, words", [
    ({"HTTP_UPLOAD_LENGTH": "ten"}, 400, "Upload-Length header must be a whole number"),
    ({"HTTP_UPLOAD_LENGTH": "0"}, 400, "is empty"),
    ({"HTTP_UPLOAD_LENGTH": str(10**13)}, 413, "the largest episode accepted is"),
    ({"HTTP_UPLOAD_LENGTH": "10", "HTTP_UPLOAD_METADATA": "filename !!!"}, 400, "is not base64"),
])
def test_a_bad_creation_is_a_clear_4xx(api, resumable_dir, fresh_throttles, headers, status, words):
    response = api.post("/api/uploads/", **headers, **TUS)
    assert response.status_code == status and words in response.json()["detail"]
    assert not resumable_dir.exists() or not any(resumable_dir.iterdir())


def test_the_protocol_is_checked_and_announced(api, resumable_dir, fresh_throttles):
    refused = api.post("/api/uploads/", HTTP_UPLOAD_LENGTH="10")  # no Tus-Resumable header
    assert refused.status_code == 412 and refused["Tus-Version"] == "1.0.0"
    options = api.options("/api/uploads/")
    assert options.status_code == 204 and options["Tus-Extension"] == "creation,termination,expiration"
    location = create(api, 10)["Location"]
    wrong_type = api.generic("PATCH", location, b"x", content_type="application/json", HTTP_UPLOAD_OFFSET="0", **TUS)
    assert wrong_type.status_code == 415
    assert api.generic("PATCH", location, b"x", content_type="application/offset+octet-stream",
                       **TUS).status_code == 400  # no Upload-Offset


def test_an_upload_is_its_owners_alone_and_needs_a_login(api, resumable_dir, fresh_throttles):
    location = create(api, 10)["Location"]
    other = APIClient()
    other.force_authenticate(user_make("bo", password="bo-secret"))
    assert other.head(location, **TUS).status_code == 404
    assert send(other, location, 0, b"x" * 10).status_code == 404
    assert other.delete(location, **TUS).status_code == 404
    assert APIClient().post("/api/uploads/", HTTP_UPLOAD_LENGTH="10", **TUS).status_code == 401
    assert api.head("/api/uploads/not-an-id/", **TUS).status_code == 404

    assert api.delete(location, **TUS).status_code == 204  # the owner gives it up: its bytes are gone
    assert api.head(location, **TUS).status_code == 404 and not any(resumable_dir.iterdir())


def test_creating_resumable_uploads_counts_as_uploading(api, resumable_dir, settings, fresh_throttles):
    settings.UPLOAD_THROTTLE_RATE = "2/minute"
    assert [create(api, 10).status_code for _ in range(3)] == [201, 201, 429]


def test_the_sweep_removes_only_expired_uploads(api, resumable_dir, settings, fresh_throttles):
    from emotions.services.resumable import resumable_sweep

    location = create(api, 10)["Location"]
    assert resumable_sweep() == [] and offset_of(api, location) == 0
    settings.RESUMABLE_UPLOAD_EXPIRY_SECONDS = -1  # as if a day had passed
    assert len(resumable_sweep()) == 1 and not any(resumable_dir.iterdir())
