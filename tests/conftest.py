"""Fixtures shared by the whole suite: real services, a real Celery worker process, studio faces."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNDER_CI = os.environ.get("CI", "").lower() == "true"


def require_service(name: str, url: str | None) -> None:
    """Skip (with the reason) when a real service is missing; under CI a missing service fails the run."""
    problem = None
    if not url:
        problem = f"no URL for {name} in the environment (make test exports one when the service answers)"
    else:
        parsed = urlparse(url)
        try:
            socket.create_connection((parsed.hostname, parsed.port), timeout=2).close()
        except OSError as error:
            problem = f"{name} at {parsed.hostname}:{parsed.port} is unreachable: {error}"
    if problem and UNDER_CI:
        pytest.fail(f"CI needs the real {name}: {problem}")
    if problem:
        pytest.skip(problem)


@pytest.fixture
def postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    require_service("PostgreSQL", url if url.startswith(("postgres://", "postgresql://")) else None)
    return url


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    require_service("Redis", url or None)
    return url


def process_env(overrides: dict | None = None) -> dict:
    """This process's environment for a child process; an override of None removes the variable."""
    merged = {**os.environ, "DJANGO_SETTINGS_MODULE": "toonsite.settings", **(overrides or {})}
    return {key: value for key, value in merged.items() if value is not None}


def manage_py(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run manage.py in its own process, as a user would, with the test settings' data folder."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class CeleryWorker:
    """A real `celery worker` process on the given environment, stopped (or killed) by the test."""

    def __init__(self, env: dict, log_path: Path, queues: str = "cpu,gpu"):
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "toonsite", "worker", "--queues", queues, "--pool", "solo",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO", "--hostname", f"test-{os.getpid()}@%h"],
            cwd=ROOT,
            env=process_env(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.3)
        raise RuntimeError(f"worker not ready after {timeout} s:\n{self.log_path.read_text()}")

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture
def start_worker(tmp_path):
    """Start real Celery worker processes; every one is stopped when the test ends."""
    workers = []

    def start(env: dict, queues: str = "cpu,gpu") -> CeleryWorker:
        worker = CeleryWorker(env, tmp_path / f"worker-{len(workers)}.log", queues)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="session")
def studio_faces(tmp_path_factory):
    """A small studio dataset drawn with a seed that the shipped weights never saw in training."""
    from toonvision.studio import write_face_dataset

    out = tmp_path_factory.mktemp("studio-faces")
    write_face_dataset(out, per_class=6, seed=90210)
    return out
