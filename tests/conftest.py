"""Fixtures shared by the whole suite: real services, a real Celery worker process, a media folder of the test's
own, studio faces and episodes, the cast, users and API clients. Plain makers are in tests/factories.py."""
import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import cv2
import pytest
from django.contrib.auth import get_user_model
from django.core.files import File
from rest_framework.test import APIClient

from tests.factories import user_make
from tests.processes import ROOT, UNDER_CI, VISIBILITY_TIMEOUT, WATCHDOG_ENV, CeleryWorker, test_database_url

OPENCV_CASCADES = Path(cv2.data.haarcascades)


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


@pytest.fixture
def start_worker(tmp_path):
    """Start real Celery worker processes; every one is stopped when the test ends."""
    workers = []

    def start(env: dict, queues: str = "gpu") -> CeleryWorker:
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


@pytest.fixture(scope="session")
def studio_episode(tmp_path_factory):
    """A 3 s studio episode (H.264) with its truth file."""
    from toonvision.studio.episode import write_episode

    out = tmp_path_factory.mktemp("studio-episode") / "episode.mp4"
    write_episode(out, seconds=3, seed=11)
    return out


@pytest.fixture
def fresh_throttles():
    """Throttle counters of the test's own: they live in the cache, emptied before and after."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of the test's own, so "nothing left behind" can be checked by listing it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def cast(db, media, settings):
    """The shipped cast when cascades/cast.json is there, else Pip from the shipped cascades/pip.xml."""
    from emotions.services.cast import character_create, character_sync_cast

    synced = character_sync_cast()
    if synced:
        return {c.slug: c for c in synced}
    with open(ROOT / "cascades" / "pip.xml", "rb") as handle:
        pip = character_create(name="Pip", slug="pip", cascade=File(handle, name="pip.xml"))
    return {"pip": pip}


@pytest.fixture
def characters(db, media, settings):
    """The shipped cast when cascades/cast.json is there; until then stand-ins from OpenCV's own cascades, which
    find faces (not the right ones) on studio frames: enough to check structure and idempotency."""
    from emotions.services.cast import character_create, character_sync_cast

    shipped = character_sync_cast()
    if shipped:
        return shipped
    settings.CAST_DIR = Path(settings.BASE_DIR) / "no-cast-here"
    made = []
    for slug, xml, neighbours in (("face", "haarcascade_frontalface_alt2.xml", 1), ("eye", "haarcascade_eye.xml", 3)):
        with open(OPENCV_CASCADES / xml, "rb") as handle:
            made.append(character_create(
                name=slug.title(), slug=slug, cascade=File(handle, name=xml), scale_factor=1.1,
                min_neighbors=neighbours, min_size=24, max_size=0,
            ))
    return made


@pytest.fixture
def user(db):
    return user_make("ana", password="ana-secret")


@pytest.fixture
def logged_in(client, user):
    """Django's test client, logged in as `user`."""
    client.force_login(user)
    return client


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff_api(db):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("sam", password="x", is_staff=True))
    return client


@pytest.fixture
def other_api(db):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("bob", password="x"))
    return client


@pytest.fixture
def queue_env(postgres_url, redis_url, settings, media):
    """Settings and a worker environment with a queue of this test's own, so workers of other test runs on the
    same Redis never take its tasks."""
    queue = f"episodes-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    settings.EPISODE_QUEUE = queue
    settings.EPISODE_RANGE_FRAMES = 24
    settings.RECOVERY_STALE_SECONDS = int(WATCHDOG_ENV["RECOVERY_STALE_SECONDS"])
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": str(media),
        "EPISODE_QUEUE": queue,
        "EPISODE_RANGE_FRAMES": "24",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "CELERY_BROKER_URL": None,
        "CELERY_RESULT_BACKEND": None,
        **WATCHDOG_ENV,
    }


@pytest.fixture(scope="session")
def guest_episode(tmp_path_factory):
    """An 8 s studio episode starring the guest Bramble (two shots), whom no shipped cascade knows."""
    from tests.teaching import remember_truth
    from toonvision.studio.episode import write_episode

    out = tmp_path_factory.mktemp("guest-episode") / "bramble.mp4"
    write_episode(out, seconds=8, seed=5, cast=("bramble",))
    return remember_truth(out)
