"""Episodes through the real queue: Celery worker processes on Redis, with PostgreSQL, processing frame ranges.

Each test gets a queue of its own, so workers of other test runs on the same Redis never take its tasks.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

from emotions.models import Detection, Episode, FrameRange, Status
from emotions.services.ranges import episode_process_here
from emotions.services.runs import episode_process
from tests.checks import check_against_truth, check_processed, confidences, rows_without_confidence
from tests.factories import upload
from tests.processes import ROOT, VISIBILITY_TIMEOUT, CeleryWorker, process_env
from toonvision.studio.episode import write_episode
from toonvision.truth_metrics import truth_path

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class PreforkWorker(CeleryWorker):
    """A worker with Celery's default prefork pool, as `make run` and the images start it. The solo pool of
    `start_worker` holds even an early-acknowledged task's message until the task ends, so only this pool shows
    what a task that is not acknowledged late would lose."""

    def __init__(self, env: dict, log_path, queues: str):
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "toonsite", "worker", "--queues", queues, "--pool", "prefork",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             "--hostname", f"test-prefork-{os.getpid()}@%h"],
            cwd=ROOT, env=process_env(env), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )


@pytest.fixture
def start_prefork_worker(tmp_path):
    """Start prefork workers (a main process and one child each, killed together); all stopped at the end."""
    workers = []

    def start(env: dict, queues: str) -> PreforkWorker:
        worker = PreforkWorker(env, tmp_path / f"prefork-{len(workers)}.log", queues)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(episode: Episode, condition, timeout: float, what: str, worker=None) -> list[float]:
    """Poll the episode until condition(episode) holds; the progress values seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        episode.refresh_from_db()
        seen.append(episode.progress)
        if condition(episode):
            return seen
        assert episode.status != Status.FAILED, episode.error
        time.sleep(0.05)
    log = worker.log_path.read_text()[-3000:] if worker else ""
    raise AssertionError(f"{what} not within {timeout} s: {episode.status} at {episode.progress:.0%}\n{log}")


def test_a_worker_on_redis_takes_an_uploaded_episode_to_done(queue_env, start_worker, characters, tmp_path):
    video = tmp_path / "pilot.mp4"
    write_episode(video, seconds=4, seed=21)
    worker = start_worker(queue_env, queues=queue_env["EPISODE_QUEUE"])

    episode = upload(video, title="Pilot")
    episode_process(episode=episode)
    seen = wait_for(episode, lambda e: e.status == Status.DONE, 120, "the episode done", worker)

    detections = check_processed(episode)
    check_against_truth(episode, truth_path(video), detections)
    assert any(0 < p < 1 for p in seen), "progress was never seen between 0 and 1"
    assert seen == sorted(seen), "progress went backwards"
    ranges = episode.current_run.ranges.all()
    assert len(ranges) == 4 and all(r.worker.startswith("test-") and r.attempts == 1 for r in ranges)


def test_a_worker_killed_mid_episode_loses_nothing_and_duplicates_nothing(
    queue_env, start_prefork_worker, characters, tmp_path
):
    video = tmp_path / "long.mp4"
    write_episode(video, seconds=6, seed=5)
    first = start_prefork_worker(queue_env, queues=queue_env["EPISODE_QUEUE"])
    episode = upload(video, title="Interrupted")
    run = episode_process(episode=episode)

    def one_done_one_under_way(_):
        states = list(FrameRange.objects.filter(run=run).values_list("status", flat=True))
        return Status.DONE in states and Status.PROCESSING in states

    wait_for(episode, one_done_one_under_way, 120, "a range done and another under way", first)
    in_flight = FrameRange.objects.get(run=run, status=Status.PROCESSING)
    first.stop(signal.SIGKILL)
    killed_at = time.monotonic()
    episode.refresh_from_db()
    assert episode.status == Status.PROCESSING and episode.progress < 1

    # The dead worker's task stays unacknowledged in Redis; a worker started after the visibility timeout
    # finds it there and takes it up again, along with the ranges nobody had started.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    second = start_prefork_worker(queue_env, queues=queue_env["EPISODE_QUEUE"])
    wait_for(episode, lambda e: e.status == Status.DONE, 150, "the episode done after the kill", second)

    check_processed(episode)
    in_flight.refresh_from_db()
    assert in_flight.status == Status.DONE and in_flight.attempts == 2
    queued = Detection.objects.filter(run=run)
    rows, queued_confidences = rows_without_confidence(queued), confidences(queued)
    assert rows and len(rows) == len(set(rows)) == sum(r.detection_count for r in run.ranges.all())

    # The same episode processed without interruption, here and now, finds exactly the same faces.
    uninterrupted = episode_process_here(episode=episode)
    again = Detection.objects.filter(run=uninterrupted)
    assert rows_without_confidence(again) == rows
    assert confidences(again) == pytest.approx(queued_confidences, abs=1e-4)
