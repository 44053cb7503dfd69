"""A full disk, for real (issue "safe to put on the internet", finding 7): media and the upload spool on a small
tmpfs. An upload that does not fit is a 507 with the reason and leaves no partial file, spooled copy or row (the API
and the page); a range whose pictures do not fit fails its episode readably and leaves no picture without a row;
what a killed web process left in the spool is swept at start-up."""
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from emotions.models import Detection, Episode, Status
from emotions.services.episodes import episode_create
from emotions.services.ranges import frame_range_process
from emotions.services.runs import episode_process

pytestmark = pytest.mark.django_db


def files_under(folder) -> list[Path]:
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs at tmp_path/disk (unmounted after); a skip, with the reason, where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {(mounted.stderr or mounted.stdout).strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, *, leave: int) -> None:
    """Fill the disk up to `leave` bytes free, with a file beside media and the spool."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with open(disk / "filler", "ab") as out:
        out.write(b"\0" * max(free - leave, 0))


@pytest.fixture
def on_small_disk(small_disk, media, settings):
    """Media and the upload spool on the small disk (after the media fixture, so the cast is stored there too);
    the throttles' counters fresh."""
    settings.MEDIA_ROOT = small_disk / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(small_disk / "spool")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    cache.clear()
    return small_disk


def assert_nothing_kept(settings):
    assert not Episode.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []  # no partial episode file
    assert files_under(settings.FILE_UPLOAD_TEMP_DIR) == []  # no spooled copy


# -- uploads --------------------------------------------------------------------------------------------------------
def post_api(api, name: str, data: bytes):
    return api.post("/api/episodes/", {"file": SimpleUploadedFile(name, data), "title": "Full"}, format="multipart")


def test_an_api_upload_that_fills_the_media_disk_is_a_507_and_keeps_nothing(api, on_small_disk, settings,
                                                                          studio_episode):
    video = studio_episode.read_bytes()
    fill(on_small_disk, leave=len(video) * 3 // 2)  # the spool's copy fits; the stored one runs out half way
    response = post_api(api, "pilot.mp4", video)
    assert response.status_code == 507, response.content
    body = response.json()
    assert body["code"] == "storage_full" and "no room to store pilot.mp4" in body["detail"], body
    assert_nothing_kept(settings)


def test_an_api_upload_larger_than_the_spools_room_is_a_507_and_keeps_nothing(api, on_small_disk, settings):
    response = post_api(api, "big.mp4", b"\1" * (5 * 2**20))  # over 2.5 MB: Django spools it to the small disk
    assert response.status_code == 507, response.content
    assert response.json()["code"] == "storage_full" and "try again later" in response.json()["detail"]
    assert_nothing_kept(settings)


@pytest.mark.parametrize("where", ["media", "spool"])
def test_a_page_upload_that_does_not_fit_is_a_507_saying_so_and_keeps_nothing(logged_in, on_small_disk, settings,
                                                                              studio_episode, where):
    if where == "media":
        data = studio_episode.read_bytes()
        fill(on_small_disk, leave=len(data) * 3 // 2)
    else:
        data = b"\1" * (5 * 2**20)
    response = logged_in.post("/episodes/upload/", {"file": SimpleUploadedFile("pilot.mp4", data), "title": "Full"})
    assert response.status_code == 507
    page = " ".join(response.content.decode().split())
    assert "Not uploaded:" in page and "The server has no room to store" in page and "try again later" in page
    assert_nothing_kept(settings)


# -- the worker -----------------------------------------------------------------------------------------------------
def test_a_range_whose_pictures_do_not_fit_fails_its_episode_and_leaves_no_picture_without_a_row(
    on_small_disk, cast, settings, studio_episode
):
    settings.EPISODE_RANGE_FRAMES = 240  # one range: the whole episode
    with open(studio_episode, "rb") as handle:
        episode = episode_create(owner=None, file=File(handle, name="pilot.mp4"), title="Full")
    run = episode_process(episode=episode, enqueue=False)
    fill(on_small_disk, leave=120 * 1024)  # room for a few frames and faces, not for all of them
    with pytest.raises(OSError, match="no room left in the media storage"):
        frame_range_process(frame_range_id=run.ranges.get().pk)

    episode.refresh_from_db()
    assert episode.status == Status.FAILED and "no room left in the media storage" in episode.error, episode.error
    assert not Detection.objects.exists()
    assert files_under(Path(settings.MEDIA_ROOT) / "detections") == []  # nothing stored is left without its row


# -- the spool at start-up --------------------------------------------------------------------------------------------
def test_the_start_up_sweep_removes_what_a_killed_web_process_left_spooled(settings, tmp_path):
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    left = spool / "tmpabc123.upload.mp4"
    left.write_bytes(b"\1" * 5 * 2**20)  # what a gunicorn killed mid-upload leaves
    copy = spool / "toonsite-upload-xyz"
    copy.mkdir()
    (copy / "pilot.mp4").write_bytes(b"\1" * 1000)
    call_command("sweep_upload_spool")
    assert list(spool.iterdir()) == []

    recent = spool / "tmpnew.upload.mp4"
    recent.write_bytes(b"\1")
    old = spool / "tmpold.upload.mp4"
    old.write_bytes(b"\1")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    call_command("sweep_upload_spool", "--older-than", "600")
    assert list(spool.iterdir()) == [recent]


def test_the_start_up_sweep_removes_old_partial_media_files_and_spares_live_writes(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    folder = settings.MEDIA_ROOT / "detections" / "3" / "7" / "faces"
    folder.mkdir(parents=True)
    stored = folder / "0000012-pip-1.jpg"
    stored.write_bytes(b"\xff\xd8 a whole crop")
    abandoned = folder / ".partial-abc123"  # a worker killed while writing a crop leaves this
    abandoned.write_bytes(b"\xff\xd8 half")
    two_hours_ago = time.time() - 7200
    os.utime(abandoned, (two_hours_ago, two_hours_ago))
    live = folder / ".partial-def456"  # a write under way right now
    live.write_bytes(b"\xff")

    call_command("sweep_upload_spool")

    assert sorted(p.name for p in folder.iterdir()) == sorted([stored.name, live.name])


def test_uploads_spool_in_a_folder_of_the_sites_own(settings):
    assert Path(settings.FILE_UPLOAD_TEMP_DIR) == settings.DATA_DIR / "upload-spool"
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_dir()
