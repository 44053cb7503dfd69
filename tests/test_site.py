"""The site as a browser sees it: login, the home page, bad uploads, the first login command."""
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import manage_py

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client):
    client.force_login(get_user_model().objects.create_user("ana", password="x"))
    return client


def test_home_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_shows_the_cast_and_the_model(logged_in):
    page = logged_in.get("/").content.decode()
    assert "Marmalade" in page and "Pip" in page
    assert "Preset <code>toon</code>" in page


def test_health_answers_without_a_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_file_that_is_not_an_image_is_refused_with_a_message(logged_in):
    fake = SimpleUploadedFile("face.png", b"this is not a picture", content_type="image/png")
    response = logged_in.post("/", {"image": fake})
    assert response.status_code == 400
    assert "not a readable image" in response.content.decode()


def test_an_empty_upload_is_refused(logged_in):
    response = logged_in.post("/", {"image": SimpleUploadedFile("face.png", b"", content_type="image/png")})
    assert response.status_code == 400
    assert "empty" in response.content.decode()


def test_an_oversized_image_is_refused(logged_in, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 10
    response = logged_in.post("/", {"image": SimpleUploadedFile("face.png", b"x" * 11, content_type="image/png")})
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()


def test_ensure_login_creates_one_admin_once_and_prints_it(tmp_path):
    site = {"TOONSITE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert manage_py("migrate", "--noinput", env=site).returncode == 0

    first = manage_py("ensure_login", env=site)
    second = manage_py("ensure_login", env=site)

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Log in as: admin / ")
    assert second.stdout == first.stdout  # the same login, not a second account


def test_the_page_says_so_when_no_worker_answers(logged_in, settings, studio_faces):
    settings.CLASSIFY_WAIT_SECONDS = 1
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0]
    with open(face, "rb") as handle:
        response = logged_in.post("/", {"image": handle})
    assert response.status_code == 503
    assert "No worker answered within 1 s" in response.content.decode()


def test_cast_portraits_are_pngs_and_unknown_members_are_404(client):
    portrait = client.get("/cast/pip.png")
    assert portrait.status_code == 200 and portrait["Content-Type"] == "image/png"
    assert portrait.content.startswith(b"\x89PNG") and portrait.content == client.get("/cast/pip.png").content
    assert client.get("/cast/nobody.png").status_code == 404
