"""Throttles that hold (issue "safe to put on the internet", finding 8): the page's upload form spends the API's
allowance (one counter per user), every web process counts in the same shared cache by default, and password
guesses on the login page and the token endpoint are locked out for a while (per username and per address)."""
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from emotions.models import Episode
from tests.processes import manage_py, test_database_url

NOTES = b"a shopping list, not a video"
pytestmark = pytest.mark.usefixtures("fresh_throttles")


def api_upload(client):
    return client.post("/api/episodes/", {"file": SimpleUploadedFile("notes.mp4", NOTES)}, format="multipart")


def page_upload(client):
    return client.post("/episodes/upload/", {"file": SimpleUploadedFile("notes.mp4", NOTES), "title": "Notes"})


def words(response) -> str:
    return " ".join(response.content.decode().split())


# -- uploads --------------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_page_form_is_refused_once_the_api_spent_the_users_allowance(client, user, settings, media):
    settings.UPLOAD_THROTTLE_RATE = "2/hour"
    api = APIClient()
    api.force_authenticate(user)
    client.force_login(user)
    assert [api_upload(api).status_code, page_upload(client).status_code] == [400, 400]  # counted, not stored

    page = page_upload(client)
    assert page.status_code == 429
    assert "Not uploaded:" in words(page) and "Too many uploads or image searches for now; try again in" in words(page)
    refused = api_upload(api)
    assert refused.status_code == 429 and refused["Retry-After"]
    assert refused.json()["code"] == "throttled" and "try again in" in refused.json()["detail"]
    assert not Episode.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/frames/drawing/", "/"], ids=["drawing search", "classify card"])
def test_the_pages_image_posts_spend_the_apis_image_allowance(client, user, settings, studio_faces, page):
    settings.IMAGE_THROTTLE_RATE = "2/hour"
    api = APIClient()
    api.force_authenticate(user)
    client.force_login(user)
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0].read_bytes()

    assert api.post("/api/classify/", {"image": SimpleUploadedFile("face.png", face)},
                    format="multipart").status_code == 200
    assert client.post(page, {"image": SimpleUploadedFile("face.png", face)}).status_code == 200  # the second
    refused = client.post(page, {"image": SimpleUploadedFile("face.png", face)})

    assert refused.status_code == 429
    assert "Too many uploads or image searches for now; try again in" in words(refused)
    assert api.post("/api/classify/", {"image": SimpleUploadedFile("face.png", face)},
                    format="multipart").status_code == 429


@pytest.mark.django_db
def test_the_shared_cache_is_the_default():
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


@pytest.mark.django_db(transaction=True)  # the other process sees what this one commits, and the reverse
def test_two_processes_count_uploads_together(user, settings, media, postgres_url):
    """Another web process (a manage.py shell of its own) spends the allowance; this one is then refused."""
    settings.UPLOAD_THROTTLE_RATE = "3/hour"
    spend = (  # what the API's upload throttle does for three of ana's uploads in that process
        "from types import SimpleNamespace; from django.contrib.auth import get_user_model; "
        "from django.test import RequestFactory; from emotions.throttles import SettingsScopedRateThrottle; "
        "request = RequestFactory().post('/api/episodes/'); "
        "request.user = get_user_model().objects.get(username='ana'); "
        "view = SimpleNamespace(throttle_scope='uploads'); "
        "print([SettingsScopedRateThrottle().allow_request(request, view) for _ in range(3)])"
    )
    other = manage_py("shell", "-c", spend, env={
        "DATABASE_URL": test_database_url(), "UPLOAD_THROTTLE_RATE": "3/hour", "CACHE_URL": None,
        "TOONSITE_DATA_DIR": str(settings.DATA_DIR),
    })
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip().splitlines()[-1] == "[True, True, True]"  # the other process took all three

    api = APIClient()
    api.force_authenticate(user)
    assert api_upload(api).status_code == 429


# -- password guesses ------------------------------------------------------------------------------------------------
@pytest.fixture
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)
    return settings


def token(username="ana", password="ana-secret", address="203.0.113.7"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json")


@pytest.mark.django_db
def test_wrong_passwords_lock_the_token_endpoint_even_for_the_right_one_until_the_window_passes(user, lockout):
    # The third wrong password reaches the limit: it, and the right one after it, are refused.
    assert [token(password="guess").status_code for _ in range(3)] == [400, 400, 429]
    refused = token()
    assert refused.status_code == 429, refused.content
    body = refused.json()
    assert body["code"] == "locked_out" and "too many failed logins" in body["detail"]
    assert "even with the right password" in body["detail"]
    assert token(address="198.51.100.9").status_code == 429  # the username is locked from any address

    time.sleep(2.2)
    assert token().status_code == 200


@pytest.mark.django_db
def test_guesses_from_one_address_lock_it_for_every_username(user, lockout, django_user_model):
    django_user_model.objects.create_user("bob", password="bob-secret")
    guesses = [token(username=name, password="guess").status_code for name in ("carol", "dave", "erin")]
    assert guesses == [400, 400, 429]  # no such users: guessing names from one address
    assert token(username="bob", password="bob-secret").status_code == 429
    assert token(username="bob", password="bob-secret", address="198.51.100.9").status_code == 200


@pytest.mark.django_db
def test_wrong_passwords_lock_the_login_page_and_it_says_so(client, user, lockout):
    def log_in(password):
        return client.post("/accounts/login/", {"username": "ana", "password": password}, REMOTE_ADDR="203.0.113.7")

    assert [log_in("guess").status_code for _ in range(3)] == [200, 200, 429]  # the form again, "didn't match"
    refused = log_in("ana-secret")
    assert refused.status_code == 429
    assert "Too many failed logins for this username or from this address" in words(refused)
    assert "_auth_user_id" not in client.session

    time.sleep(2.2)
    assert log_in("ana-secret").status_code == 302
