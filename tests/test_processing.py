"""Episodes from upload to detections, through the services and the process_episode command, on the real database
(SQLite, or PostgreSQL when DATABASE_URL names one), real studio episodes and real cascades."""
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from emotions import tasks
from emotions.exceptions import ProcessingRefused
from emotions.models import Character, Detection, Episode, EpisodeEmotion, FrameRange, ProcessingRun, Status
from emotions.services.episodes import episode_delete
from emotions.services.ranges import episode_process_here, frame_range_process
from emotions.services.runs import episode_process, episode_resume
from tests.checks import check_against_truth, check_processed, detection_rows, media_files
from tests.factories import episode_row, truncated_copy, upload
from tests.processes import assert_clean_failure, manage_py
from toonsite.celery import app
from toonvision.truth_metrics import truth_path

OPENCV_CASCADES = Path(cv2.data.haarcascades)


# -- the models' constraints -------------------------------------------------------------------------
@pytest.mark.django_db
def test_an_episode_sha256_is_unique_and_progress_stays_within_0_and_1():
    episode_row()
    with pytest.raises(IntegrityError), transaction.atomic():
        episode_row(title="again")
    with pytest.raises(IntegrityError), transaction.atomic():
        episode_row(sha256="b" * 64, progress=1.5)
    with pytest.raises(IntegrityError), transaction.atomic():
        episode_row(sha256="c" * 64, fps=0)


@pytest.mark.django_db
def test_frame_ranges_are_unique_per_run_and_never_empty():
    run = ProcessingRun.objects.create(episode=episode_row(), weights_name="w", weights_sha256="s", range_frames=24)
    FrameRange.objects.create(run=run, index=0, start=0, stop=24)
    with pytest.raises(IntegrityError), transaction.atomic():
        FrameRange.objects.create(run=run, index=1, start=0, stop=24)
    with pytest.raises(IntegrityError), transaction.atomic():
        FrameRange.objects.create(run=run, index=2, start=30, stop=30)


@pytest.mark.django_db
def test_detections_refuse_a_face_twice_on_a_track_an_unknown_emotion_and_confidence_above_1():
    episode = episode_row()
    run = ProcessingRun.objects.create(episode=episode, weights_name="w", weights_sha256="s", range_frames=24)
    character = Character.objects.create(name="Pip", slug="pip", cascade="cascades/pip.xml")
    face = dict(episode=episode, run=run, frame=3, time=0.125, duration=0.125, character=character, x=1, y=2, w=30,
                h=30, emotion="happy", confidence=0.9, probabilities={"happy": 0.9}, track=7)
    Detection.objects.create(**face)
    for change in ({"x": 5}, {"emotion": "bored", "track": 8}, {"confidence": 1.2, "track": 9}, {"w": 0, "track": 10}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Detection.objects.create(**{**face, **change})
    Detection.objects.create(**{**face, "track": None})  # untracked faces (the seed method) are not limited
    assert Detection.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        character.delete()  # a character with detections is protected


@pytest.mark.django_db
def test_a_character_needs_a_usable_slug_and_detection_parameters():
    with pytest.raises(ValidationError, match="bad character name"):
        Character(name="Bad", slug="Not A Slug!", cascade="cascades/x.xml").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Character.objects.create(name="a", slug="a", cascade="c.xml", scale_factor=1.0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Character.objects.create(name="b", slug="b", cascade="c.xml", min_size=40, max_size=20)


# -- processing ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_process_episode_sync_finds_faces_and_summarises_them(characters, settings, studio_episode, capsys):
    settings.EPISODE_RANGE_FRAMES = 24
    get_user_model().objects.create_user("bo")

    call_command("process_episode", str(studio_episode), "--title", "Pilot", "--owner", "bo", "--sync",
                 "--no-progress")

    episode = Episode.objects.get()
    assert episode.owner.username == "bo" and episode.title == "Pilot"
    detections = check_processed(episode)
    check_against_truth(episode, truth_path(studio_episode), detections)
    assert episode.current_run.ranges.count() == 3
    out = capsys.readouterr().out
    assert f"episode {episode.pk} ('Pilot'): 72 frames" in out and f"{len(detections)} faces" in out


def test_process_episode_run_as_a_process_refuses_a_missing_video_cleanly(tmp_path):
    """The command as a user runs it: a mistake is exit status 1 and the reason on stderr, no traceback."""
    assert_clean_failure(manage_py("process_episode", str(tmp_path / "missing.mp4"), "--title", "X", "--sync"),
                         "no such file")


@pytest.mark.django_db
def test_process_episode_refuses_a_duplicate_an_unknown_owner_and_a_non_video(characters, studio_episode, tmp_path):
    call_command("process_episode", str(studio_episode), "--title", "A", "--sync", "--no-progress")
    with pytest.raises(CommandError, match="already uploaded as episode"):
        call_command("process_episode", str(studio_episode), "--title", "B", "--sync", "--no-progress")
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("process_episode", str(studio_episode), "--title", "C", "--owner", "nobody", "--sync")
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(CommandError, match="not a video: notes.mp4"):
        call_command("process_episode", str(tmp_path / "notes.mp4"), "--title", "D", "--sync")
    assert Episode.objects.count() == 1


@pytest.mark.django_db
def test_a_range_run_twice_keeps_the_same_detections_and_files(characters, settings, studio_episode, media):
    settings.EPISODE_RANGE_FRAMES = 24
    episode = upload(studio_episode)
    run = episode_process_here(episode=episode)
    before = detection_rows(Detection.objects.filter(run=run))
    files_before = media_files(media)
    busiest = max(run.ranges.all(), key=lambda r: r.detection_count)
    assert busiest.detection_count > 0

    # A redelivered task for a range already done changes nothing.
    assert frame_range_process(frame_range_id=busiest.pk) is False
    assert detection_rows(Detection.objects.filter(run=run)) == before

    # A duplicate that finds the range unfinished (its first attempt died before recording it, and its heartbeat
    # went silent) rewrites it: the same detections and pictures, none twice.
    FrameRange.objects.filter(pk=busiest.pk).update(
        status=Status.PROCESSING, heartbeat=timezone.now() - timedelta(seconds=settings.RECOVERY_STALE_SECONDS + 1)
    )
    ProcessingRun.objects.filter(pk=run.pk).update(status=Status.PROCESSING)
    assert frame_range_process(frame_range_id=busiest.pk) is True

    assert detection_rows(Detection.objects.filter(run=run)) == before
    assert media_files(media) == files_before
    busiest.refresh_from_db()
    assert busiest.attempts == 2 and busiest.status == Status.DONE
    check_processed(episode)


@pytest.mark.django_db
def test_reprocessing_keeps_the_history_and_replaces_the_detections(
    characters, settings, studio_episode, media, django_capture_on_commit_callbacks
):
    settings.EPISODE_RANGE_FRAMES = 48
    episode = upload(studio_episode)
    first = episode_process_here(episode=episode)
    rows = detection_rows(Detection.objects.filter(run=first))
    first_files = {d.crop.name for d in Detection.objects.filter(run=first)}

    with django_capture_on_commit_callbacks(execute=True):
        second = episode_process_here(episode=episode)

    episode.refresh_from_db()
    assert episode.current_run == second and list(episode.runs.all()) == [second, first]
    assert first.__class__.objects.get(pk=first.pk).status == Status.DONE  # history is kept
    assert not Detection.objects.filter(run=first).exists()
    assert detection_rows(Detection.objects.filter(run=second)) == rows  # the same pipeline finds the same faces
    assert not any(default_storage.exists(name) for name in first_files)
    assert set(EpisodeEmotion.objects.filter(episode=episode).values_list("run", flat=True)) == {second.pk}
    check_processed(episode)


@pytest.mark.django_db
def test_a_failure_marks_the_episode_failed_with_a_reason_and_it_can_be_retried(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 24
    episode = upload(studio_episode)
    stored = Path(default_storage.path(episode.file.name))
    whole = stored.read_bytes()
    truncated_copy(studio_episode, stored)  # the stored file was damaged after upload

    with pytest.raises(ValueError, match="truncated|corrupt|not a video"):
        episode_process_here(episode=episode)

    episode.refresh_from_db()
    assert episode.status == Status.FAILED and episode.current_run.status == Status.FAILED
    assert episode.error.startswith("frames ") and ("truncated" in episode.error or "video" in episode.error)
    failed = episode.current_run.ranges.filter(status=Status.FAILED).get()
    assert failed.error and failed.attempts == 1
    # The rest of the run is not worth doing: its other ranges are dropped when their tasks arrive.
    queued = episode.current_run.ranges.filter(status=Status.QUEUED).first()
    if queued:
        assert frame_range_process(frame_range_id=queued.pk) is False

    stored.write_bytes(whole)
    episode_process_here(episode=episode)
    check_processed(episode)
    assert episode.runs.count() == 2


@pytest.mark.django_db
def test_an_episode_under_way_is_not_started_twice(characters, studio_episode):
    episode = upload(studio_episode)
    episode_process(episode=episode)  # queued; no worker here and the callback never runs
    with pytest.raises(ProcessingRefused, match="already being processed"):
        episode_process(episode=episode)
    forced = episode_process_here(episode=episode, force=True)
    assert forced.status == Status.DONE
    assert [r.status for r in episode.runs.all()] == [Status.DONE, Status.FAILED]
    assert "abandoned for run" in episode.runs.last().error


@pytest.mark.django_db
def test_resuming_queues_the_unfinished_ranges_of_the_run_under_way(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 24
    episode = upload(studio_episode)
    with pytest.raises(ProcessingRefused, match="no run under way"):
        episode_resume(episode=episode)
    run = episode_process(episode=episode)  # queued; no worker here and the callback never runs
    first, second, third = run.ranges.order_by("start")
    frame_range_process(frame_range_id=first.pk)  # done
    FrameRange.objects.filter(pk=second.pk).update(status=Status.PROCESSING)  # its worker was killed

    assert episode_resume(episode=episode) == [second.pk, third.pk]

    for frame_range in (second, third):
        frame_range_process(frame_range_id=frame_range.pk)
    check_processed(episode)


@pytest.mark.django_db
def test_with_no_character_to_look_for_the_episode_fails_saying_so(media, settings, studio_episode):
    settings.CAST_DIR = media / "no-cast"
    episode = upload(studio_episode)
    with pytest.raises(ProcessingRefused, match="no characters to look for"):
        episode_process(episode=episode)
    episode.refresh_from_db()
    assert episode.status == Status.FAILED and "no characters" in episode.error and episode.current_run is None


@pytest.mark.django_db
def test_deleting_an_episode_removes_its_files(characters, settings, studio_episode, media,
                                               django_capture_on_commit_callbacks):
    settings.EPISODE_RANGE_FRAMES = 72
    episode = upload(studio_episode)
    episode_process_here(episode=episode)
    cascades = {Path(default_storage.path(c.cascade.name)) for c in Character.objects.all()}
    assert set(media_files(media)) > cascades

    with django_capture_on_commit_callbacks(execute=True):
        episode_delete(episode=episode)

    assert not Episode.objects.exists() and not Detection.objects.exists() and not ProcessingRun.objects.exists()
    assert set(media_files(media)) == cascades


# -- the queue's settings ------------------------------------------------------------------------------
def test_range_tasks_are_acknowledged_late_and_time_limited():
    task = tasks.process_frame_range
    assert task.acks_late and task.reject_on_worker_lost and task.ignore_result
    assert 0 < task.soft_time_limit < task.time_limit
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost and app.conf.worker_prefetch_multiplier == 1


def test_range_tasks_retry_a_database_error_over_minutes_not_seconds(settings):
    task = tasks.process_frame_range
    waits = [min(task.retry_backoff * 2**n, task.retry_backoff_max) for n in range(task.max_retries)]
    assert not task.retry_jitter and sum(waits) > 10 * 60, waits  # outlives a database restart
    assert task.retry_backoff_max < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 10**9)


@pytest.mark.slow
def test_redis_hands_a_dead_workers_tasks_on_after_the_visibility_timeout_from_the_environment(tmp_path):
    show = "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS)"
    env = {"TOONSITE_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:6379/3", "CELERY_BROKER_URL": None}
    default = manage_py("shell", "-c", show, env={**env, "CELERY_VISIBILITY_TIMEOUT": None,
                                                   "EPISODE_RANGE_TIME_LIMIT": None})
    longer = manage_py("shell", "-c", show, env={**env, "CELERY_VISIBILITY_TIMEOUT": None,
                                                  "EPISODE_RANGE_TIME_LIMIT": "1200"})
    short = manage_py("shell", "-c", show, env={**env, "CELERY_VISIBILITY_TIMEOUT": "7"})
    assert default.returncode == longer.returncode == short.returncode == 0, default.stderr + short.stderr
    # A minute past the longest range task (660 s by default), not an hour.
    assert default.stdout.strip().splitlines()[-1] == "{'visibility_timeout': 720}"
    assert longer.stdout.strip().splitlines()[-1] == "{'visibility_timeout': 1260}"
    assert short.stdout.strip().splitlines()[-1] == "{'visibility_timeout': 7}"


# -- the admin -------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_admin_shows_everything_processing_made(characters, settings, studio_episode, client):
    settings.EPISODE_RANGE_FRAMES = 48
    episode = upload(studio_episode, title="Admin pilot")
    run = episode_process_here(episode=episode)
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    detection = Detection.objects.filter(run=run).first()
    pages = {
        "/admin/emotions/character/": "Characters",
        f"/admin/emotions/character/{characters[0].pk}/change/": characters[0].slug,
        "/admin/emotions/episode/": "Admin pilot",
        f"/admin/emotions/episode/{episode.pk}/change/": episode.sha256,
        f"/admin/emotions/processingrun/{run.pk}/change/": run.weights_sha256,
        "/admin/emotions/framerange/": f"run {run.pk} of Admin pilot",
        "/admin/emotions/detection/": detection.crop.url,
        f"/admin/emotions/detection/{detection.pk}/change/": detection.emotion,
        "/admin/emotions/episodeemotion/": "Admin pilot",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200 and text in response.content.decode(), url
    assert client.get("/admin/emotions/episode/add/").status_code == 403  # uploads go through episode_create


@pytest.mark.django_db
def test_staff_add_a_character_in_the_admin_only_with_a_cascade_that_loads(client, media):
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    form = {"name": "Frog", "slug": "frog", "scale_factor": "1.1", "min_neighbors": "3", "min_size": "24",
            "max_size": "0", "active": "on"}

    refused = client.post("/admin/emotions/character/add/", {**form, "cascade": SimpleUploadedFile("f.xml", b"<a/>")})
    assert refused.status_code == 200 and "f.xml is not an OpenCV cascade" in refused.content.decode()
    assert not Character.objects.exists()

    xml = (OPENCV_CASCADES / "haarcascade_frontalface_alt2.xml").read_bytes()
    added = client.post("/admin/emotions/character/add/", {**form, "cascade": SimpleUploadedFile("frog.xml", xml)})
    assert added.status_code == 302
    frog = Character.objects.get(slug="frog")
    assert len(frog.cascade_sha256) == 64 and default_storage.open(frog.cascade.name).read() == xml


def tracks_of(run) -> dict:
    """A run's tracks as {track id: the (frame, character, box, emotion) of each of its faces}."""
    tracks: dict = {}
    for d in Detection.objects.filter(run=run).select_related("character"):
        tracks.setdefault(d.track, set()).add((d.frame, d.character.slug, d.x, d.y, d.w, d.h, d.emotion))
    return tracks


def test_a_face_track_keeps_one_id_across_range_boundaries_as_in_an_unsplit_run(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 10_000  # one range
    episode = upload(studio_episode)
    whole = tracks_of(episode_process_here(episode=episode))
    settings.EPISODE_RANGE_FRAMES = 24  # three ranges, segmented apart
    run = episode_process_here(episode=episode, force=True)
    split = tracks_of(run)
    crossing = [faces for faces in whole.values() if len({frame // 24 for frame, *_ in faces}) > 1]
    assert crossing, "no track of this episode crosses a range boundary: the test proves nothing"
    assert sorted(map(sorted, split.values())) == sorted(map(sorted, whole.values()))
    assert len(split) == len(whole) and run.ranges.count() == 3
    check_processed(episode)


def test_a_characters_colours_go_into_the_run_and_turn_away_faces_without_them(characters, settings, studio_episode):
    """A taught character's appearance is applied by the range workers: Pip given Marmalade's colours is not found."""
    from toonvision.appearance import face_region, learn_appearance
    from toonvision.studio.cascade_data import star_frames

    settings.EPISODE_RANGE_FRAMES = 10_000
    episode = upload(studio_episode)
    seen = episode_process_here(episode=episode).detections.filter(character__slug="pip").count()
    assert seen > 0
    marmalade = [face_region(frame, f["box"]) for frame, faces in star_frames("marmalade", seed=5, count=12)
                 for f in faces if f["character"] == "marmalade"]
    appearance, _ = learn_appearance(marmalade[:-3], marmalade[-3:])
    Character.objects.filter(slug="pip").update(appearance=appearance.as_json())
    run = episode_process_here(episode=episode, force=True)
    assert [e["appearance"] for e in run.cascades if e["slug"] == "pip"] == [appearance.as_json()]
    assert run.detections.filter(character__slug="pip").count() == 0
    assert run.detections.filter(character__slug="marmalade").count() > 0


def test_processing_an_episode_again_keeps_what_people_said_of_its_faces(characters, settings, studio_episode, media):
    from emotions.models import FaceLabel
    from emotions.services.labels import face_label_apply
    from tests.factories import user_make

    settings.EPISODE_RANGE_FRAMES = 10_000
    ana = user_make("ana")
    episode = upload(studio_episode)
    first = episode_process_here(episode=episode)
    faces = list(first.detections.filter(interpolated=False).order_by("frame", "pk"))
    relabelled, rejected = faces[0], faces[-1]
    other = "angry" if relabelled.emotion != "angry" else "happy"
    face_label_apply(detection=relabelled, user=ana, emotion=other)
    face_label_apply(detection=rejected, user=ana, verdict="not_face")

    run = episode_process_here(episode=episode, force=True)

    def now(face):  # the new run's face on the same frame with the same character and box
        return run.detections.get(frame=face.frame, character=face.character, x=face.x, y=face.y, w=face.w, h=face.h)

    again = now(relabelled)
    assert (again.emotion, again.confidence, again.labelled, again.rejected) == (other, 1.0, True, False)
    assert [label.emotion for label in again.labels.all()] == [other] and again.labels.get().user == ana
    assert now(rejected).rejected and not Detection.objects.published().filter(pk=now(rejected).pk).exists()
    assert FaceLabel.objects.count() == 2 and not Detection.objects.exclude(run=run).exists()
    summary = EpisodeEmotion.objects.get(episode=episode, character=relabelled.character, emotion=other)
    assert summary.detections >= 1  # the summaries count the carried label


def test_a_ranges_pictures_come_from_the_frames_segmentation_decoded_and_equal_a_fresh_decode(
        characters, settings, studio_episode, media):
    """Each range is decoded once: its crops and frames are cut from the colour frames segmentation kept, and are
    exactly what decoding the video again gives."""
    from emotions.services.ranges import JPEG_QUALITY
    from toonvision.crops import crop_encode, stored_crop
    from toonvision.segmentation import crop_margins, segment_video
    from toonvision.video import decode_frames

    settings.EPISODE_RANGE_FRAMES = 10_000
    episode = upload(studio_episode)
    run = episode_process_here(episode=episode)
    fresh = {f.index: f.bgr() for f in decode_frames(studio_episode)}
    stored_margin, cnn_margin = crop_margins(run.method, run.options)
    faces = list(run.detections.all())
    assert faces
    for face in faces:
        expected = crop_encode(stored_crop(fresh[face.frame], face.box, stored_margin=stored_margin,
                                           cnn_margin=cnn_margin))
        assert face.crop.read() == expected, f"crop of face {face.pk} on frame {face.frame}"
        ok, jpeg = cv2.imencode(".jpg", fresh[face.frame], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        assert face.frame_image.read() == jpeg.tobytes()

    from toonvision.detection import load_cast
    from toonvision.inference import EmotionClassifier
    kept = segment_video(studio_episode, load_cast(settings.CAST_DIR), EmotionClassifier.load(settings.EMOTION_WEIGHTS),
                         keep_colour=True)
    with_faces = {d.frame for d in kept.detections if not d.interpolated}
    assert with_faces <= set(kept.colour_frames) <= set(kept.analyzed)
    assert all(np.array_equal(kept.colour_frames[i], fresh[i]) for i in kept.colour_frames)
