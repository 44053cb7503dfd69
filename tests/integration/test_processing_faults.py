"""Ordinary faults through the real components, each ending done with the faces an uninterrupted run finds (or
failed with a reason), never stuck "processing": a worker killed mid-range on the filesystem broker and on Redis,
a Redis without persistence restarted while ranges are queued, PostgreSQL refused for 30 s mid-run.

The workers run with short watchdog settings (tests/processes.py WATCHDOG_ENV: a range silent for 8 s counts as
lost, a sweep every 2 s, database retries over a few seconds) so each test ends in a minute or two.
"""
import re
import select
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

from emotions.models import Detection, Episode, FrameRange, Status
from emotions.services.ranges import episode_process_here
from emotions.services.runs import episode_process
from tests.checks import confidences, rows_without_confidence
from tests.factories import upload
from tests.processes import manage_py
from toonvision.studio.episode import write_episode

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "faulty.mp4"
    # 24 ranges of 24 frames. A range takes about a tenth of a second on a quiet machine now (the fast scan and the
    # bfloat16 CNN): 8 ranges could all end between two looks at them, and then no test catches one under way.
    write_episode(path, seconds=24, seed=5)
    return path


@pytest.fixture
def fault_env(queue_env):
    """queue_env already holds the short watchdog settings (tests/processes.py WATCHDOG_ENV)."""
    assert queue_env["RECOVERY_STALE_SECONDS"] and queue_env["RECOVERY_INTERVAL_SECONDS"]
    return queue_env


def wait_until(condition, timeout: float, what: str, worker=None, episode: Episode | None = None):
    """Poll condition() until it holds; fail (with the episode's state and the worker's log) at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    state = ""
    if episode is not None:
        episode.refresh_from_db()
        state = f"episode {episode.status} at {episode.progress:.0%}; ranges " + ", ".join(
            f"{r.index}:{r.status}/{r.attempts}" for r in FrameRange.objects.filter(run=episode.current_run_id)
        )
    log = worker.log_path.read_text()[-4000:] if worker else ""
    raise AssertionError(f"{what}: not within {timeout} s (stuck): {state}\n{log}")


def mid_range(episode: Episode):
    """True once one range of the episode's run is done and another is being segmented."""
    episode.refresh_from_db()
    states = set(FrameRange.objects.filter(run=episode.current_run_id).values_list("status", flat=True))
    return {Status.DONE, Status.PROCESSING} <= states


def finished(episode: Episode):
    episode.refresh_from_db()
    return episode.status in (Status.DONE, Status.FAILED)


def check_done_as_if_uninterrupted(episode: Episode) -> None:
    """Done, no face twice, and the very faces a run without faults finds, here and now."""
    episode.refresh_from_db()
    assert episode.status == Status.DONE, f"{episode.status}: {episode.error}"
    run = episode.current_run
    faulty = Detection.objects.filter(run=run)
    rows, faulty_confidences = rows_without_confidence(faulty), confidences(faulty)
    assert rows and len(rows) == len(set(rows)) == sum(r.detection_count for r in run.ranges.all())
    clean = Detection.objects.filter(run=episode_process_here(episode=episode))  # replaces the faulty run's faces
    assert rows_without_confidence(clean) == rows
    assert confidences(clean) == pytest.approx(faulty_confidences, abs=1e-4)


def check_done_or_failed_with_a_reason(episode: Episode) -> None:
    episode.refresh_from_db()
    if episode.status == Status.FAILED:
        assert re.match(r"frames \d+-\d+ \(", episode.error), episode.error
    else:
        check_done_as_if_uninterrupted(episode)


def queue_from_a_user_process(video, env: dict) -> Episode:
    """`process_episode --no-wait` in its own process, on the worker's broker (as a user queues an episode)."""
    queued = manage_py("process_episode", str(video), "--title", "Faulty", "--no-wait", env=env)
    assert queued.returncode == 0, queued.stderr
    return Episode.objects.get(title="Faulty")


# -- a worker killed mid-range ---------------------------------------------------------------------------
def test_a_worker_killed_mid_range_on_the_filesystem_broker_is_recovered(fault_env, start_worker, characters,
                                                                         video, tmp_path):
    env = {**fault_env, "REDIS_URL": None, "TOONSITE_DATA_DIR": str(tmp_path / "data")}  # `make run`'s broker
    first = start_worker(env, queues=env["EPISODE_QUEUE"])
    episode = queue_from_a_user_process(video, env)
    wait_until(lambda: mid_range(episode), 120, "a range done and another under way", first, episode)
    first.stop(signal.SIGKILL)  # the filesystem broker forgets the task it had handed out

    second = start_worker(env, queues=env["EPISODE_QUEUE"])
    wait_until(lambda: finished(episode), 150, "the episode done after the kill", second, episode)
    assert max(r.attempts for r in episode.current_run.ranges.all()) == 2  # the killed range, taken over
    check_done_as_if_uninterrupted(episode)


def test_a_worker_killed_mid_range_on_redis_is_recovered_without_waiting_for_the_visibility_timeout(
    fault_env, start_worker, characters, video
):
    env = {**fault_env, "CELERY_VISIBILITY_TIMEOUT": None}  # its default: 12 minutes
    first = start_worker(env, queues=env["EPISODE_QUEUE"])
    episode = upload(video, title="Faulty")
    episode_process(episode=episode)
    wait_until(lambda: mid_range(episode), 120, "a range done and another under way", first, episode)
    first.stop(signal.SIGKILL)
    killed = time.monotonic()

    second = start_worker(env, queues=env["EPISODE_QUEUE"])
    wait_until(lambda: finished(episode), 150, "the episode done after the kill", second, episode)
    assert time.monotonic() - killed < 600  # well before Redis would hand the dead worker's task on
    check_done_as_if_uninterrupted(episode)


# -- Redis restarted without persistence -----------------------------------------------------------------
@contextmanager
def private_redis(tmp_path):
    """A redis-server of this test's own on a free port, without persistence; restart() loses everything."""
    port = free_port()
    processes = []

    def start():
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        wait_until(lambda: _answers(port), 10, "the private redis-server up")

    def restart():
        processes[-1].send_signal(signal.SIGKILL)
        processes[-1].wait(timeout=10)
        time.sleep(1)
        start()

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_redis_restarted_without_persistence_while_ranges_are_queued_is_recovered(
    fault_env, start_worker, characters, video, tmp_path
):
    with private_redis(tmp_path) as (url, restart):
        env = {**fault_env, "REDIS_URL": url}
        worker = start_worker(env, queues=env["EPISODE_QUEUE"])
        episode = queue_from_a_user_process(video, env)
        wait_until(lambda: mid_range(episode), 120, "a range done and another under way", worker, episode)
        assert FrameRange.objects.filter(run=episode.current_run_id, status=Status.QUEUED).exists()
        restart()  # the queued ranges' messages are gone
        wait_until(lambda: finished(episode), 150, "the episode done after the restart", worker, episode)
    check_done_as_if_uninterrupted(episode)


# -- PostgreSQL refused for 30 s -----------------------------------------------------------------------------
class FlakyProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL: refuse(seconds) drops every connection through it and
    closes new ones at once for that long. Only the worker goes through it; the test keeps its own connection."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing_until = 0.0
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def refuse(self, seconds: float) -> None:
        self.refusing_until = time.monotonic() + seconds
        with self.lock:
            for sock in list(self.open):
                _close(sock)
            self.open.clear()

    def close(self) -> None:
        self.closed = True
        self.refuse(0)
        _close(self.listener)

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.refusing_until:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            with self.lock:
                self.open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self.lock:
                self.open -= {a, b}
            _close(a)
            _close(b)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def test_postgresql_refused_for_30_seconds_mid_run_ends_done_or_failed_with_a_reason(
    fault_env, start_worker, characters, video
):
    from django.db import connection

    proxy = FlakyProxy(connection.settings_dict["HOST"] or "127.0.0.1", int(connection.settings_dict["PORT"] or 5432))
    try:
        through_proxy = re.sub(r"@[^/]+/", f"@127.0.0.1:{proxy.port}/", fault_env["DATABASE_URL"])
        worker = start_worker({**fault_env, "DATABASE_URL": through_proxy}, queues=fault_env["EPISODE_QUEUE"])
        episode = upload(video, title="Faulty")
        episode_process(episode=episode)
        wait_until(lambda: mid_range(episode), 120, "a range done and another under way", worker, episode)
        proxy.refuse(30)
        time.sleep(30)
        wait_until(lambda: finished(episode), 150, "the episode finished after the outage", worker, episode)
    finally:
        proxy.close()
    assert "OperationalError" in worker.log_path.read_text()  # the outage did reach the worker
    check_done_or_failed_with_a_reason(episode)
