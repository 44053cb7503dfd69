"""emotions.services.recovery called directly, with the clock moved by hand: a range whose worker went silent is
queued again, one out of attempts fails its run with the reason, a lost queued range is sent again, a run left
complete is finished; "Process again" takes over a stuck run; the claim yields to a live worker."""
from datetime import timedelta

import pytest
from django.utils import timezone

from emotions.models import FrameRange, ProcessingRun, Status
from emotions.services.ranges import MAX_RANGE_ATTEMPTS, _range_claim
from emotions.services.recovery import runs_recover
from emotions.services.runs import episode_process
from tests.factories import upload
from tests.processes import command_output

pytestmark = pytest.mark.django_db
STALE = 60


@pytest.fixture
def sent(monkeypatch):
    """The range ids the sweep sends again, instead of a broker."""
    ids = []
    monkeypatch.setattr("emotions.services.recovery.frame_ranges_enqueue", lambda *, range_ids: ids.extend(range_ids))
    return ids


@pytest.fixture
def run(characters, settings, studio_episode):
    settings.EPISODE_RANGE_FRAMES = 24
    settings.RECOVERY_STALE_SECONDS = STALE
    run = episode_process(episode=upload(studio_episode), enqueue=False)
    # Everything happened long ago, unless a test says otherwise.
    long_ago = timezone.now() - timedelta(hours=1)
    ProcessingRun.objects.filter(pk=run.pk).update(created=long_ago)
    run.ranges.update(queued=long_ago)
    return run


def ranges(run) -> list[FrameRange]:
    return list(run.ranges.order_by("index"))


def sweep(capture):
    with capture(execute=True):
        return runs_recover()


def test_a_range_whose_worker_went_silent_is_queued_again(run, sent, django_capture_on_commit_callbacks):
    first, second, third = ranges(run)
    ago = timezone.now() - timedelta(seconds=STALE + 5)
    FrameRange.objects.filter(pk=first.pk).update(status=Status.PROCESSING, attempts=1, heartbeat=ago)
    FrameRange.objects.filter(pk=second.pk).update(status=Status.PROCESSING, attempts=1, heartbeat=timezone.now())
    FrameRange.objects.filter(pk=third.pk).update(status=Status.DONE)

    recovery = sweep(django_capture_on_commit_callbacks)

    assert recovery.requeued == sent == [first.pk]  # the second is beating: left alone
    first.refresh_from_db()
    assert (first.status, first.requeues) == (Status.QUEUED, 1) and first.queued > ago
    assert sweep(django_capture_on_commit_callbacks).requeued == []  # just sent: not again at once


def test_a_range_out_of_attempts_fails_its_run_and_episode_with_the_reason(
    run, sent, django_capture_on_commit_callbacks
):
    first = ranges(run)[0]
    FrameRange.objects.filter(pk=first.pk).update(
        status=Status.PROCESSING, attempts=MAX_RANGE_ATTEMPTS, worker="w1@host",
        heartbeat=timezone.now() - timedelta(seconds=STALE + 5),
    )
    recovery = sweep(django_capture_on_commit_callbacks)

    run.refresh_from_db()
    run.episode.refresh_from_db()
    assert recovery.failed == [run.pk] and first.pk not in sent
    assert run.status == Status.FAILED and run.episode.status == Status.FAILED
    assert run.episode.error.startswith("frames 0-24 (") and f"gave up after {MAX_RANGE_ATTEMPTS} attempts" in run.error
    assert "w1@host" in run.error


def test_lost_queued_ranges_are_sent_again_when_nobody_is_working(run, sent, django_capture_on_commit_callbacks):
    assert sorted(sweep(django_capture_on_commit_callbacks).requeued) == sorted(r.pk for r in ranges(run))


def test_while_a_worker_is_busy_queued_ranges_wait_longer_each_time(run, sent, django_capture_on_commit_callbacks):
    busy, waiting, other = ranges(run)
    FrameRange.objects.filter(pk=busy.pk).update(status=Status.PROCESSING, attempts=1, heartbeat=timezone.now())
    ago = timezone.now() - timedelta(seconds=STALE * 3)
    FrameRange.objects.filter(pk=waiting.pk).update(queued=ago, requeues=1)  # patience 2 × stale: lost
    FrameRange.objects.filter(pk=other.pk).update(queued=ago, requeues=2)  # patience 4 × stale: waits

    assert sweep(django_capture_on_commit_callbacks).requeued == [waiting.pk]


def test_a_run_left_complete_is_finished(run, sent, django_capture_on_commit_callbacks):
    run.ranges.update(status=Status.DONE)
    assert sweep(django_capture_on_commit_callbacks).finished == [run.pk]
    run.refresh_from_db()
    assert run.status == Status.DONE


def test_process_again_takes_over_a_stuck_run_but_not_a_live_one(run, settings):
    episode = run.episode
    FrameRange.objects.filter(pk=ranges(run)[0].pk).update(status=Status.PROCESSING, heartbeat=timezone.now())
    with pytest.raises(Exception, match="already being processed"):
        episode_process(episode=episode, enqueue=False)

    run.ranges.update(heartbeat=timezone.now() - timedelta(seconds=STALE + 5))
    new = episode_process(episode=episode, enqueue=False)
    run.refresh_from_db()
    episode.refresh_from_db()
    assert episode.current_run_id == new.pk and run.status == Status.FAILED
    assert run.error == f"abandoned for run {new.pk}: stuck, no sign of life for {STALE} s"


def test_the_claim_yields_to_a_live_worker_but_not_to_its_own_retry(run):
    first = ranges(run)[0]
    FrameRange.objects.filter(pk=first.pk).update(status=Status.PROCESSING, attempts=1, heartbeat=timezone.now())
    assert _range_claim(first.pk, "w2@host") is None  # a duplicate task: dropped
    claimed = _range_claim(first.pk, "w1@host", retry=True)
    assert claimed is not None and claimed.attempts == 1  # a retry after a database error is no new attempt

    FrameRange.objects.filter(pk=first.pk).update(heartbeat=timezone.now() - timedelta(seconds=STALE + 5))
    assert _range_claim(first.pk, "w2@host").attempts == 2  # its worker went silent: taken over


def test_recover_runs_command_reports_what_it_did(run, sent):
    assert "Queued again: 3 ranges; failed: 0 runs; finished: 0 runs." in command_output("recover_runs")


def test_the_watchdog_goes_on_after_a_failed_sweep(monkeypatch):
    import threading

    from emotions import watchdog

    calls = []

    def failing():
        calls.append(1)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(watchdog, "runs_recover", failing)
    stop = threading.Event()
    monkeypatch.setattr(stop, "wait", lambda _: len(calls) >= 3)  # three sweeps, then stop
    watchdog._sweep_forever(0.01, stop)
    assert len(calls) == 3
