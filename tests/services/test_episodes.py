"""emotions.services.episodes called directly: an upload is probed, hashed and stored; what is not a whole video,
too large, or already uploaded is refused with a reason, and nothing is left in storage."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from emotions.exceptions import DuplicateEpisode, EpisodeRejected
from emotions.models import Episode, Status
from emotions.services.episodes import episode_create
from tests.checks import media_files
from tests.factories import truncated_copy, upload
from toonvision.studio.episode import truth_path


@pytest.mark.django_db
def test_an_upload_is_probed_hashed_and_stored(media, studio_episode):
    owner = get_user_model().objects.create_user("ana")
    episode = upload(studio_episode, title="  Pilot ", owner=owner)

    truth = json.loads(truth_path(studio_episode).read_text())
    assert (episode.title, episode.owner, episode.status, episode.progress) == ("Pilot", owner, Status.QUEUED, 0.0)
    assert (episode.frame_count, episode.width, episode.height) == (
        truth["frame_count"], truth["width"], truth["height"])
    assert episode.fps == pytest.approx(truth["fps"]) and episode.duration == pytest.approx(3.0, abs=0.05)
    assert episode.size_bytes == studio_episode.stat().st_size and episode.codec == "h264"
    assert default_storage.open(episode.file.name).read() == studio_episode.read_bytes()
    assert episode.file.name.startswith(f"episodes/{episode.sha256[:2]}/{episode.sha256}/")


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["text renamed .mp4", "empty", "truncated mp4", "image renamed .mp4"])
def test_what_is_not_a_whole_video_is_refused_and_leaves_nothing(case, media, studio_episode, tmp_path):
    path = tmp_path / "upload.mp4"
    if case == "text renamed .mp4":
        path.write_text("these are not the frames you are looking for\n" * 50)
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "truncated mp4":
        truncated_copy(studio_episode, path)
    else:
        cv2.imwrite(str(tmp_path / "still.png"), np.full((64, 64, 3), 200, np.uint8))
        path.write_bytes((tmp_path / "still.png").read_bytes())

    with pytest.raises(EpisodeRejected) as caught:
        upload(path)

    expected = {"empty": ("empty", "upload.mp4 is empty"), "truncated mp4": ("not_a_video", "truncated video")}
    code, words = expected.get(case, ("not_a_video", "not a video"))
    assert caught.value.code == code and words in str(caught.value), str(caught.value)
    assert str(tmp_path) not in str(caught.value)  # the message names the upload, not where it was spooled
    assert not Episode.objects.exists() and media_files(media) == []


@pytest.mark.django_db
def test_an_oversize_upload_is_refused_before_and_while_it_is_read(media, settings, studio_episode):
    settings.MAX_EPISODE_UPLOAD_BYTES = studio_episode.stat().st_size - 1
    with pytest.raises(EpisodeRejected, match="the largest episode accepted") as caught:
        upload(studio_episode)
    assert caught.value.code == "too_large"

    class Unsized(File):  # a stream whose size is not known up front is cut off while it is copied
        size = None

    with open(studio_episode, "rb") as handle, pytest.raises(EpisodeRejected, match="largest"):
        episode_create(owner=None, file=Unsized(handle, name="big.mp4"), title="big")
    assert not Episode.objects.exists() and media_files(media) == []


@pytest.mark.django_db
def test_a_reupload_is_recognised_by_its_bytes_whatever_its_name(media, studio_episode):
    first = upload(studio_episode, title="First")
    renamed = SimpleUploadedFile("another-name.mkv", studio_episode.read_bytes(), content_type="video/x-matroska")

    with pytest.raises(DuplicateEpisode, match=f"already uploaded as episode {first.pk}") as caught:
        episode_create(owner=None, file=renamed, title="Second")

    assert caught.value.code == "duplicate" and caught.value.episode == first
    assert list(Episode.objects.values_list("title", flat=True)) == ["First"]
    assert media_files(media) == [Path(default_storage.path(first.file.name))]


@pytest.mark.django_db
def test_a_form_upload_spooled_to_disk_is_used_where_it_is(media, studio_episode):
    spooled = TemporaryUploadedFile("clip.mp4", "video/mp4", studio_episode.stat().st_size, None)
    spooled.write(studio_episode.read_bytes())
    episode = episode_create(owner=None, file=spooled, title="Spooled")
    assert episode.frame_count == 72 and episode.file.name.endswith("/clip.mp4")
