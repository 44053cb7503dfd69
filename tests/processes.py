"""Child processes as a user starts them: manage.py, Celery workers, and what a clean failure looks like."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
UNDER_CI = os.environ.get("CI", "").lower() == "true"
VISIBILITY_TIMEOUT = 5  # seconds before Redis hands a dead worker's unacknowledged task to another
# Test workers' watchdog: a range silent 8 s counts as lost, a sweep every 2 s, database retries over 7 s.
WATCHDOG_ENV = {
    "RECOVERY_STALE_SECONDS": "8", "RECOVERY_INTERVAL_SECONDS": "2",
    "EPISODE_RANGE_RETRIES": "3", "EPISODE_RANGE_RETRY_BACKOFF": "1", "EPISODE_RANGE_RETRY_BACKOFF_MAX": "4",
}


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


def assert_clean_failure(result: subprocess.CompletedProcess, *expected: str) -> None:
    """A mistake gets a clear message and a nonzero exit, never a traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for worker processes."""
    from django.db import connection

    s = connection.settings_dict
    password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
    return f"postgres://{quote(s['USER'] or '', safe='')}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class CeleryWorker:
    """A real `celery worker` process on the given environment, stopped (or killed) by the test."""

    def __init__(self, env: dict, log_path: Path, queues: str = "gpu"):
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


def command_refusal(name: str, *args: str, **options) -> str:
    """Run a management command in this process and return the message of the CommandError it must raise: what
    manage.py prints on stderr before it exits with status 1 (ToonCommand turns user mistakes into one)."""
    import io

    import pytest
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command(name, *args, stdout=io.StringIO(), stderr=io.StringIO(), **options)
    return str(refused.value)


def command_output(name: str, *args: str, **options) -> str:
    """Run a management command in this process and return what it wrote on stdout."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()
