"""emotions.services.moments: a crafted episode's faces grouped into the exact moments (one track's run of one
emotion), their best faces and times; a label splits and joins them; publishing a run builds them; the command and
the migration build them for old episodes."""
import io
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command

from emotions.models import Detection, Moment, Status
from emotions.services.labels import face_label_apply, face_label_undo, faces_label_bulk
from emotions.services.moments import moment_rows, run_moments_build
from emotions.services.runs import episode_process, run_finish_if_complete
from tests.factories import character, crafted_episode, held, upload, user_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    """Pip along track 1: happy 0-1 s (one face at 0.5 s surer), angry 1-1.5 s, happy again 1.5-2 s; Marmalade
    along track 2: sad 0-1 s; and two faces of Pip with no track (the seed method's)."""
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    happy = held(pip, "happy", 0, 1, confidence=0.7, track=1)
    happy[4] = (pip, "happy", 0.5, 0.125, 0.95, 1)
    faces = (happy + held(pip, "angry", 1, 1.5, confidence=0.6, track=1)
             + held(pip, "happy", 1.5, 2, confidence=0.8, track=1) + held(cat, "sad", 0, 1, confidence=0.5, track=2)
             + [(pip, "surprise", 5.0, 0.25, 0.9), (pip, "surprise", 5.25, 0.25, 0.4)])
    return crafted_episode("Scene", faces)


def moments(episode) -> list[tuple]:
    return [(m.character.slug, m.track, m.emotion, m.start, m.end, m.faces, m.best.time, m.best_confidence)
            for m in Moment.objects.filter(episode=episode).select_related("best", "character")
            .order_by("character__slug", "track", "start")]


def test_a_tracks_runs_of_one_emotion_are_its_moments_and_lone_faces_are_their_own(scene):
    assert moments(scene) == [
        ("marmalade", 2, "sad", 0.0, 1.0, 8, 0.0, 0.5),  # equal confidences: the earliest face is the best
        ("pip", 1, "happy", 0.0, 1.0, 8, 0.5, 0.95),
        ("pip", 1, "angry", 1.0, 1.5, 4, 1.0, 0.6),
        ("pip", 1, "happy", 1.5, 2.0, 4, 1.5, 0.8),
        ("pip", None, "surprise", 5.0, 5.25, 1, 5.0, 0.9),
        ("pip", None, "surprise", 5.25, 5.5, 1, 5.25, 0.4),
    ]
    first = Moment.objects.get(episode=scene, track=1, start=0.0)
    assert first.mean_confidence == pytest.approx((7 * 0.7 + 0.95) / 8)
    assert first.run_id == scene.current_run_id and first.best.frame == 12
    assert run_moments_build(run=scene.current_run) == 6 and Moment.objects.count() == 6  # replaced, not added to


def test_relabelling_a_face_splits_a_moment_and_labelling_the_odd_run_joins_them(scene, settings):
    settings.PUBLIC_READ = True
    ana = user_make("ana")
    middle = Detection.objects.get(episode=scene, track=2, time=0.5)
    label = face_label_apply(detection=middle, user=ana, emotion="happy")
    sad = [m for m in moments(scene) if m[0] == "marmalade"]
    assert sad == [("marmalade", 2, "sad", 0.0, 0.5, 4, 0.0, 0.5),
                   ("marmalade", 2, "happy", 0.5, 0.625, 1, 0.5, 1.0),  # a labelled face counts as 1.0
                   ("marmalade", 2, "sad", 0.625, 1.0, 3, 0.625, 0.5)]

    angry = Detection.objects.filter(episode=scene, track=1, emotion="angry").values_list("pk", flat=True)
    faces_label_bulk(ids=list(angry), user=ana, emotion="happy")
    pip = [m for m in moments(scene) if m[1] == 1]
    assert pip == [("pip", 1, "happy", 0.0, 2.0, 16, 1.0, 1.0)]  # the earliest labelled face is the best now
    assert Moment.objects.get(episode=scene, track=1).mean_confidence == pytest.approx(
        (7 * 0.7 + 0.95 + 4 * 1.0 + 4 * 0.8) / 16)

    assert face_label_undo(detection=middle, user=ana) is None and label.pk
    assert [m for m in moments(scene) if m[0] == "marmalade"] == [("marmalade", 2, "sad", 0.0, 1.0, 8, 0.0, 0.5)]


def test_a_rejected_face_leaves_its_moment_and_the_faces_either_side_join(settings, media):
    settings.PUBLIC_READ = True
    pip = character("pip", "Pip")
    episode = crafted_episode("Blink", held(pip, "happy", 0, 0.5, track=3) + held(pip, "sad", 0.5, 0.625, track=3)
                              + held(pip, "happy", 0.625, 1, track=3), pictures=True)
    odd = Detection.objects.get(episode=episode, emotion="sad")
    faces_label_bulk(ids=[odd.pk], user=user_make("ana"), verdict="not_face")
    assert moments(episode) == [("pip", 3, "happy", 0.0, 1.0, 7, 0.0, 0.9)]


def test_moment_rows_is_pure_and_an_unfinished_run_changes_nothing(scene):
    assert moment_rows([]) == []
    run = scene.current_run
    run.status = "processing"
    assert run_moments_build(run=run) is None and Moment.objects.filter(episode=scene).count() == 6


def test_the_command_builds_old_episodes_moments_again_and_refuses_an_unknown_episode(scene):
    before = moments(scene)
    Moment.objects.all().delete()
    out = io.StringIO()
    call_command("build_moments", stdout=out)
    assert moments(scene) == before and "built 6 moment(s) in 1 episode(s)" in out.getvalue()
    with pytest.raises(CommandError, match="no episode 99999"):
        call_command("build_moments", "--episode", "99999")


def test_the_migration_builds_the_same_moments_for_episodes_processed_before(scene):
    before = moments(scene)
    Moment.objects.all().delete()
    import_module("emotions.migrations.0013_moments").build_moments(django_apps, None)
    assert moments(scene) == before


def test_publishing_a_run_builds_its_moments_in_place_of_the_older_runs(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 24
    episode = upload(studio_episode)
    pip = character("pip")
    for emotions in (["happy"] * 3, ["happy"] * 5 + ["sad"] * 3):  # a first run, then a second that replaces it
        run = episode_process(episode=episode, enqueue=False, force=True)
        Detection.objects.bulk_create([
            Detection(episode=episode, run=run, frame=f, time=f / 24, duration=1 / 24, character=pip, x=1, y=1, w=10,
                      h=10, emotion=emotion, confidence=0.5 + f / 100, track=7)
            for f, emotion in enumerate(emotions)
        ])
        run.ranges.update(status=Status.DONE)
        assert run_finish_if_complete(run_id=run.pk)
    assert [(m.run_id, m.emotion, m.start, m.end, m.faces, m.best.frame)
            for m in Moment.objects.filter(episode=episode).order_by("start")] == [
        (run.pk, "happy", 0.0, pytest.approx(5 / 24), 5, 4), (run.pk, "sad", 5 / 24, pytest.approx(8 / 24), 3, 7)]
