"""Uploads that attack the probe (issue: "safe to put on the internet", findings 2-4), through the real API and
the real FFmpeg: playlists and concat lists naming files on the server, a live playlist that never ends, and
videos past the picture, length and frame limits. Each is a clear 400 and leaves nothing behind."""
from pathlib import Path

import av
import numpy as np
import pytest

from emotions.models import Episode
from toonvision.video import VideoWriter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def spool(settings, tmp_path, media, fresh_throttles):
    """The test's own media and spool folders, so "nothing left behind" is checked by listing them."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()


@pytest.fixture(scope="module")
def private_video(tmp_path_factory) -> Path:
    """A real video outside MEDIA_ROOT that nobody uploaded: what a hostile playlist tries to reach."""
    path = tmp_path_factory.mktemp("server-files") / "private.mp4"
    write_video(path, width=320, height=240, frames=24)
    return path


def write_video(path: Path, *, width: int, height: int, frames: int, fps: float = 24) -> Path:
    with VideoWriter(path, width=width, height=height, fps=fps) as writer:
        for i in range(frames):
            writer.write(np.full((height, width, 3), (i * 9) % 255, np.uint8))
    return path


def upload(api, path: Path):
    with open(path, "rb") as handle:
        return api.post("/api/episodes/", {"file": handle, "title": "probe"}, format="multipart")


def assert_refused_and_nothing_kept(response, settings, code: str, words: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and words in body["detail"], body
    assert Episode.objects.count() == 0
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []  # no spooled copy left


@pytest.mark.parametrize("live", [False, True], ids=["ended playlist", "live playlist"])
def test_an_hls_playlist_naming_a_server_file_is_not_a_video(api, settings, tmp_path, private_video, live):
    # Without #EXT-X-ENDLIST FFmpeg's HLS demuxer waits for the playlist to grow: it used to hang the request.
    playlist = tmp_path / "episode.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n" + str(private_video) + "\n"
                        + ("" if live else "#EXT-X-ENDLIST\n"))
    assert_refused_and_nothing_kept(upload(api, playlist), settings, "not_a_video", "not a video: episode.m3u8")


def test_a_concat_list_naming_a_server_file_is_not_a_video(api, settings, tmp_path, private_video):
    listing = tmp_path / "episode.mp4"  # the name claims a video; the content is FFmpeg's concat script
    listing.write_text(f"ffconcat version 1.0\nfile '{private_video}'\n")
    assert_refused_and_nothing_kept(upload(api, listing), settings, "not_a_video", "not a video: episode.mp4")


def test_a_picture_larger_than_max_video_pixels_is_refused(api, settings, tmp_path):
    settings.MAX_VIDEO_PIXELS = 320 * 240
    video = write_video(tmp_path / "huge.mp4", width=640, height=480, frames=4)
    assert_refused_and_nothing_kept(upload(api, video), settings, "over_limits",
                                    "huge.mp4 is 640x480 (0.3 megapixels); the largest picture accepted is 0.1")


def test_an_episode_longer_than_max_episode_seconds_is_refused(api, settings, tmp_path):
    settings.MAX_EPISODE_SECONDS = 60
    video = write_video(tmp_path / "long.mp4", width=96, height=96, frames=122, fps=2)  # 61 s
    assert_refused_and_nothing_kept(upload(api, video), settings, "over_limits",
                                    "long.mp4 lasts 1.0 minutes; the longest episode accepted lasts 1 minutes")


def test_an_episode_with_more_frames_than_max_episode_frames_is_refused(api, settings, tmp_path):
    settings.MAX_EPISODE_FRAMES = 10
    video = write_video(tmp_path / "many.mp4", width=96, height=96, frames=12)
    assert_refused_and_nothing_kept(upload(api, video), settings, "over_limits",
                                    "many.mp4 has 12 frames; an episode may have at most 10")


def test_a_thumbnail_sized_video_is_too_small_to_find_faces_in(api, settings, tmp_path):
    video = write_video(tmp_path / "tiny.mp4", width=16, height=16, frames=24)
    assert_refused_and_nothing_kept(upload(api, video), settings, "over_limits",
                                    "tiny.mp4 is 16x16: too small to find faces in")


def test_a_codec_outside_the_allow_list_is_refused(api, settings, tmp_path):
    video = tmp_path / "frames.mov"
    with av.open(str(video), "w") as container:  # PNG pictures in QuickTime: a container we take, a codec not
        stream = container.add_stream("png", rate=24)
        stream.width, stream.height, stream.pix_fmt = 96, 96, "rgb24"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.full((96, 96, 3), i * 40, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    assert_refused_and_nothing_kept(upload(api, video), settings, "not_a_video", "unsupported video codec 'png'")


def test_a_probe_past_its_time_limit_refuses_the_upload(api, settings, private_video):
    settings.UPLOAD_PROBE_TIMEOUT = 0.01  # no child process starts that fast: the deadline always passes
    assert_refused_and_nothing_kept(upload(api, private_video), settings, "not_a_video",
                                    "took longer than 0.01 s")


def test_an_ordinary_episode_under_the_limits_is_still_accepted(api, settings, private_video):
    response = upload(api, private_video)
    assert response.status_code == 201, response.content
    assert Episode.objects.get().width == 320
    assert list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()) == []
