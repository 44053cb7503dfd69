"""The real services: PostgreSQL under the ORM, Celery workers on Redis and on the embedded broker."""
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from emotions.services.classifier import images_classify
from tests.processes import manage_py
from toonvision.images import read_image

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def first_face(root: Path, character: str, emotion: str) -> Path:
    return sorted((root / character / emotion).glob("*.png"))[0]


@pytest.mark.django_db
def test_the_orm_runs_on_postgresql_when_configured(postgres_url):
    assert connection.vendor == "postgresql"
    get_user_model().objects.create_user("pg-user", password="secret")
    assert get_user_model().objects.get(username="pg-user").check_password("secret")


@pytest.mark.django_db
def test_home_page_classifies_a_face_with_no_worker_running_on_redis(client, redis_url, studio_faces):
    """The card answers from the web process: no worker is started, and none is needed."""
    client.force_login(get_user_model().objects.create_user("ana", password="x"))
    face = first_face(studio_faces, "pip", "surprise")

    with open(face, "rb") as handle:
        response = client.post("/", {"image": handle})

    assert response.status_code == 200, response.content.decode()[:500]
    answer = response.context["result"]
    local = images_classify(images=[read_image(face)])[0]
    assert answer.emotion == local.emotion == "surprise"
    assert answer.probabilities == pytest.approx(local.probabilities, abs=1e-5)
    assert b"Surprise" in response.content
    assert b"The face you uploaded" in response.content  # the upload is shown beside its result


def test_a_worker_on_the_embedded_broker_needs_no_server(tmp_path, start_worker):
    embedded = {"TOONSITE_DATA_DIR": str(tmp_path / "site"), "REDIS_URL": None, "CELERY_BROKER_URL": None,
                "CELERY_RESULT_BACKEND": None, "DATABASE_URL": None}
    start_worker(embedded)
    # Celery's own echo task, on the episodes' queue (the only one): a message there and its answer back.
    send = (
        "import json; from django.conf import settings; from toonsite.celery import app; "
        "result = app.send_task('celery.accumulate', args=('pong', 7), queue=settings.EPISODE_QUEUE); "
        "print(json.dumps(result.get(timeout=60)))"
    )

    sent = manage_py("shell", "-c", send, env=embedded)

    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout.strip().splitlines()[-1]) == ["pong", 7]
    broker = tmp_path / "site" / "celery" / "broker"
    assert (broker / "queue").is_dir()
    assert list((broker / "control").glob("*.exchange"))  # kombu's bookkeeping stays in the data folder too
