"""SQLite, the default database, under the web's and the worker's writes at once: nothing fails with "database
is locked" (finding 5 of the internet-safety issue: uploads left queued forever). Real processes on a real
SQLite file, configured exactly as `make run` configures it."""
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 150

# What the web (an upload: read, then write in one transaction) and the worker (a range's progress and results)
# do to the same rows, over and over: each transaction reads a row and then writes.
WRITER = """
import sys
from django.db import transaction
from emotions.models import Episode
failures = 0
for i in range({rounds}):
    try:
        with transaction.atomic():
            episode = Episode.objects.get(pk=1)
            Episode.objects.filter(pk=episode.pk).update(progress=(i % 100) / 100)
            Episode.objects.create(title="w{name}-%d" % i, sha256="{name}%063d" % i, size_bytes=1, duration=1,
                                   fps=24, frame_count=24, width=64, height=64)
    except Exception as error:
        failures += 1
        print("FAILED", type(error).__name__, error, file=sys.stderr)
print("failures", failures)
"""


def site_env(tmp_path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "DJANGO_SETTINGS_MODULE": "toonsite.settings", "TOONSITE_DATA_DIR": str(tmp_path)}


def manage(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_concurrent_read_then_write_transactions_never_hit_database_is_locked(tmp_path):
    env = site_env(tmp_path)
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    seed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from emotions.models import Episode; from django.db import connection; "
         "Episode.objects.create(pk=1, title='shared', sha256='0' * 64, size_bytes=1, duration=1, fps=24, "
         "frame_count=24, width=64, height=64); "
         "print(connection.cursor().execute('PRAGMA journal_mode').fetchone()[0])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert seed.returncode == 0, seed.stderr
    assert seed.stdout.split()[-1] == "wal"

    writers = [manage(env, "shell", "-c", WRITER.format(rounds=ROUNDS, name=name)) for name in "ab"]
    deadline = time.monotonic() + 240
    outputs = [writer.communicate(timeout=max(1, deadline - time.monotonic())) for writer in writers]

    for writer, (out, err) in zip(writers, outputs):
        assert writer.returncode == 0, err[-2000:]
        assert out.split()[-2:] == ["failures", "0"], err[-2000:]
    count = subprocess.run([sys.executable, "manage.py", "shell", "-c",
                            "from emotions.models import Episode; print(Episode.objects.count())"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert count.stdout.split()[-1] == str(1 + 2 * ROUNDS)  # every write of both processes is there
