"""emotions.services.runs called directly: a busy episode is refused, force abandons the run under way, resuming
re-queues only the unfinished ranges, and finishing a run is safe to repeat."""
import pytest

from emotions.exceptions import ProcessingRefused
from emotions.models import FrameRange, ProcessingRun, Status
from emotions.services.runs import episode_process, episode_resume, run_finish_if_complete
from tests.factories import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 24
    return upload(studio_episode)


def test_a_busy_episode_is_refused_and_keeps_its_run(episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = episode_process(episode=episode, enqueue=False)
    with pytest.raises(ProcessingRefused, match="already being processed") as refused:
        episode_process(episode=episode, enqueue=False)
    assert refused.value.code == "busy"
    assert list(ProcessingRun.objects.values_list("pk", flat=True)) == [first.pk]
    episode.refresh_from_db()
    assert episode.current_run_id == first.pk


def test_force_abandons_the_run_under_way_for_a_new_one(episode):
    old = episode_process(episode=episode, enqueue=False)
    new = episode_process(episode=episode, force=True, enqueue=False)
    old.refresh_from_db()
    episode.refresh_from_db()
    assert old.status == Status.FAILED and old.error == f"abandoned for run {new.pk}" and old.finished
    assert episode.current_run_id == new.pk and episode.status == Status.QUEUED
    assert [r.start for r in new.ranges.order_by("start")] == [0, 24, 48]  # 72 frames in ranges of 24


def test_resume_requeues_only_the_unfinished_ranges(episode, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("emotions.services.runs.frame_ranges_enqueue", lambda *, range_ids: queued.append(range_ids))
    run = episode_process(episode=episode, enqueue=False)
    first, *rest = run.ranges.order_by("start")
    FrameRange.objects.filter(pk=first.pk).update(status=Status.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        resumed = episode_resume(episode=episode)

    assert resumed == [r.pk for r in rest] and queued == [resumed]


def test_resume_refuses_an_episode_with_no_run_under_way(episode):
    with pytest.raises(ProcessingRefused, match="no run under way") as refused:
        episode_resume(episode=episode)
    assert refused.value.code == "not_running"


def test_finishing_a_run_is_idempotent(episode):
    run = episode_process(episode=episode, enqueue=False)
    assert run_finish_if_complete(run_id=run.pk) is False  # ranges still to do
    run.ranges.update(status=Status.DONE)

    assert run_finish_if_complete(run_id=run.pk) is True
    assert run_finish_if_complete(run_id=run.pk) is False  # a second call changes nothing
    run.refresh_from_db()
    episode.refresh_from_db()
    assert run.status == Status.DONE and (episode.status, episode.progress) == (Status.DONE, 1.0)
    assert run_finish_if_complete(run_id=10**9) is False  # a run that is gone


def test_a_character_being_taught_has_no_cascade_and_is_never_looked_for(episode):
    """An active character with no cascade (taught, no accepted version yet) stays out of a run's snapshot."""
    from emotions.models import Character

    Character.objects.create(name="Bramble", slug="bramble", active=True)  # no cascade
    run = episode_process(episode=episode, enqueue=False)
    slugs = [entry["slug"] for entry in run.cascades]
    assert "bramble" not in slugs and slugs
