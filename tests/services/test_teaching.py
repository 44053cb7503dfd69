"""emotions.services.teaching called directly: creating a character to teach, starting, cancelling and running a
training (the real trainer, in this process), accepting and switching versions, the preview's marks, finding the
character everywhere, and who may do each."""
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.exceptions import TeachingNotAllowed, TeachingRefused
from emotions.models import Character, CharacterExample, CharacterVersion, ProcessingRun
from emotions.services.dispatch import TRAIN_CHARACTER_VERSION
from emotions.services.examples import example_add_from_frame
from emotions.services.runs import episode_process
from emotions.services.teaching import (
    MIN_EXAMPLES,
    character_create,
    character_find_everywhere,
    preview_add_missed,
    preview_mark_wrong,
    training_cancel,
    training_run,
    training_start,
    version_accept,
    version_activate,
)
from tests.factories import studio_face_png, upload
from tests.teaching import marked_boxes

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(media, guest_episode):
    return upload(guest_episode, title="Bramble's day")


@pytest.fixture
def sent(monkeypatch):
    """The tasks services queue, by name and arguments (the broker is not needed to see what was sent)."""
    from celery import current_app

    calls = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args=(), **kw: calls.append((name, args, kw)))
    return calls


def mark(character, episode, user, count):
    """Mark `count` of Bramble's faces on her episode, as someone on the episode page does."""
    video = default_storage.path(episode.file.name)
    return [example_add_from_frame(character=character, episode=episode, frame=frame, box=box, user=user)
            for frame, box in marked_boxes(video, count)]


def media_names(media, suffix):
    return sorted(str(p.relative_to(media)) for p in media.rglob(f"*{suffix}"))


def test_a_new_character_takes_its_slug_from_its_name_and_waits_inactive(ana, media):
    files = [SimpleUploadedFile(f"{n}.png", studio_face_png(seed=n)) for n in range(3)]
    bramble = character_create(name="Bramble the Fox", creator=ana, mirror=False, files=files)
    assert (bramble.slug, bramble.active, bramble.mirror, bramble.creator) == ("bramble-the-fox", False, False, ana)
    assert not bramble.cascade and bramble.examples.count() == 3
    with pytest.raises(TeachingRefused, match="there is a character 'Bramble the Fox' already") as refused:
        character_create(name="bramble the fox", creator=ana)
    assert refused.value.code == "duplicate"
    with pytest.raises(TeachingRefused, match="needs a letter or a digit"):
        character_create(name="!!!", creator=ana)


def test_one_bad_file_creates_no_character(ana, media):
    with pytest.raises(TeachingRefused, match="not a readable image"):
        character_create(name="Juniper", creator=ana, files=[SimpleUploadedFile("x.png", b"nope")])
    assert not Character.objects.filter(slug="juniper").exists() and media_names(media, ".png") == []


def test_training_is_refused_below_the_minimum_and_for_another_user(episode, ana, bob, sent,
                                                                      django_capture_on_commit_callbacks):
    bramble = character_create(name="Bramble", creator=ana)
    mark(bramble, episode, ana, MIN_EXAMPLES - 1)
    with pytest.raises(TeachingRefused, match=f"has {MIN_EXAMPLES - 1} example faces; training needs at least "
                                              f"{MIN_EXAMPLES}") as refused:
        training_start(character=bramble, user=ana)
    assert refused.value.code == "too_few_examples"
    mark(bramble, episode, bob, 1)  # anyone may add examples ...
    with pytest.raises(TeachingNotAllowed, match="only the creator of Bramble or staff"):
        training_start(character=bramble, user=bob)  # ... but only ana (or staff) may train her character
    with django_capture_on_commit_callbacks(execute=True):
        version = training_start(character=bramble, user=ana)
    assert (version.number, version.status) == (1, "queued")
    assert sent == [(TRAIN_CHARACTER_VERSION, (version.pk,), {"queue": "gpu"})]
    with pytest.raises(TeachingRefused, match="being trained already") as busy:
        training_start(character=bramble, user=ana)
    assert busy.value.code == "busy"


def test_a_version_cancelled_while_queued_is_never_trained(episode, ana, bob, sent, media):
    bramble = character_create(name="Bramble", creator=ana)
    mark(bramble, episode, ana, MIN_EXAMPLES)
    version = training_start(character=bramble, user=ana)
    with pytest.raises(TeachingNotAllowed):
        training_cancel(version, user=bob)
    training_cancel(version, user=ana)
    training_run(version.pk)  # the queued task arrives after all
    version.refresh_from_db()
    assert (version.status, version.cascade.name, version.started) == ("cancelled", "", None)
    with pytest.raises(TeachingRefused, match="not under way"):
        training_cancel(version, user=ana)
    assert media_names(media, ".xml") == []


def test_a_version_cancelled_as_its_worker_died_ends_cancelled_when_delivered_again(episode, ana, sent, media):
    bramble = character_create(name="Bramble", creator=ana)
    mark(bramble, episode, ana, MIN_EXAMPLES)
    version = training_start(character=bramble, user=ana)
    CharacterVersion.objects.filter(pk=version.pk).update(status="training")  # a worker had begun it
    training_cancel(version, user=ana)  # ... and died before it read the cancel
    assert CharacterVersion.objects.get(pk=version.pk).status == "training"
    training_run(version.pk)  # acks_late: the message comes back to another worker
    version.refresh_from_db()
    assert (version.status, version.cascade.name) == ("cancelled", "") and version.finished
    assert training_start(character=bramble, user=ana).status == "queued"
    assert media_names(media, ".xml") == []


def test_a_training_whose_example_is_lost_fails_in_words_and_keeps_nothing(episode, ana, sent, media):
    bramble = character_create(name="Bramble", creator=ana)
    lost, *_ = mark(bramble, episode, ana, MIN_EXAMPLES)
    version = training_start(character=bramble, user=ana)
    default_storage.delete(lost.image.name)  # the media storage lost a file meanwhile
    training_run(version.pk)
    version.refresh_from_db()
    assert version.status == "failed" and version.finished
    assert version.error == (f"the stored picture of example {lost.pk} ({lost.image.name}) is missing or "
                             "unreadable: delete that example, or add it again")
    assert not version.cascade and version.preview == []
    assert media_names(media, ".xml") == media_names(media, ".json") == media_names(media, ".jpg") == []


@pytest.mark.slow
def test_train_accept_preview_marks_switch_and_find_everywhere(episode, ana, bob, sent, media, settings,
                                                               characters, django_capture_on_commit_callbacks):
    settings.CHARACTER_TRAINING_DEVICE = "cpu"
    bramble = character_create(name="Bramble", creator=ana)
    mark(bramble, episode, ana, 20)
    version = training_start(character=bramble, user=ana)
    training_run(version.pk)
    version.refresh_from_db()
    assert version.status == "done", version.error
    assert version.examples_used == 20 and version.device == "cpu" and version.seconds > 0
    for key in ("holdout_hit_rate", "holdout_false_alarms_per_frame", "examples", "holdout_examples", "seconds",
                "device", "stages_trained", "stop_reason"):
        assert key in version.report, key
    assert set(version.detection) == {"scale_factor", "min_neighbors", "min_size", "max_size"}
    assert version.progress["phase"] == "done"
    stored = json.loads(default_storage.open(version.cascade.name.replace(".xml", ".json")).read())
    assert stored["character"] == "bramble" and stored["detection"] == version.detection
    assert stored["appearance"] == version.appearance and 0 < version.appearance["threshold"] <= 1
    assert 1 <= len(version.preview) <= settings.CHARACTER_PREVIEW_FRAMES
    for entry in version.preview:
        assert entry["episode"] == episode.pk and 0 <= entry["frame"] < episode.frame_count
        assert default_storage.exists(entry["image"]) and entry["image"].endswith(".jpg")
    assert sum(len(e["hits"]) for e in version.preview) > 0  # Bramble is on every frame of her episode

    with pytest.raises(TeachingNotAllowed):
        version_accept(version, user=bob)
    bramble = version_accept(version, user=ana)
    assert bramble.active and bramble.active_version == version and bramble.cascade.name == version.cascade.name
    assert bramble.min_neighbors == version.detection["min_neighbors"]
    assert bramble.appearance == version.appearance  # her colours go with her cascade
    run = episode_process(episode=episode, force=True, enqueue=False)
    [entry] = [entry for entry in run.cascades if entry["slug"] == "bramble"]
    assert entry["appearance"] == version.appearance  # the run keeps the colours it looks for

    # The preview's marks: a hit that is wrong becomes a negative, a missed face a positive.
    frame_index = next(i for i, e in enumerate(version.preview) if e["hits"])
    with pytest.raises(TeachingNotAllowed):
        preview_mark_wrong(version, frame_index=frame_index, hit_index=0, user=bob)
    wrong = preview_mark_wrong(version, frame_index=frame_index, hit_index=0, user=ana)
    assert (wrong.kind, wrong.source, list(wrong.box)) == ("negative", "preview",
                                                           version.preview[frame_index]["hits"][0])
    assert preview_mark_wrong(version, hit_index=0, user=ana).pk == wrong.pk  # the same hit, counted flat: once
    missed = preview_add_missed(version, frame_index=0, box=[0, 0, 40, 40], user=ana)
    assert (missed.kind, missed.source, missed.frame) == ("positive", "preview", version.preview[0]["frame"])
    with pytest.raises(TeachingRefused, match="the preview has frames"):
        preview_add_missed(version, frame_index=99, box=[0, 0, 40, 40], user=ana)

    # Switching versions: another trained version's parameters become the character's, and back.
    other = CharacterVersion.objects.create(
        character=bramble, number=2, status="done", cascade=version.cascade.name, cascade_sha256="f" * 64,
        detection={**version.detection, "min_neighbors": version.detection["min_neighbors"] + 3},
    )
    switched = version_activate(other, user=ana)
    assert switched.min_neighbors == version.detection["min_neighbors"] + 3 and switched.appearance is None
    assert version_activate(version, user=ana).appearance == version.appearance
    failed = CharacterVersion.objects.create(character=bramble, number=3, status="failed", error="no")
    with pytest.raises(TeachingRefused, match="only a trained version"):
        version_activate(failed, user=ana)

    # Finding it everywhere: every episode processed again, with Bramble looked for.
    ProcessingRun.objects.filter(pk=run.pk).update(status="failed")  # that run ended: nothing under way
    with pytest.raises(TeachingNotAllowed):
        character_find_everywhere(bramble, user=bob)
    with django_capture_on_commit_callbacks(execute=True):
        assert character_find_everywhere(bramble, user=ana) == 1
    latest = ProcessingRun.objects.filter(episode=episode).order_by("-pk").first()
    assert latest.pk != run.pk and latest.status == "queued"
    assert "bramble" in [entry["slug"] for entry in latest.cascades]
    assert len([s for s in sent if s[0] == "emotions.tasks.process_frame_range"]) == latest.ranges.count()
    assert CharacterExample.objects.filter(character=bramble).count() == 22
