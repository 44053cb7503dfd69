"""Accounts: by invitation unless the site opts in to sign-up (OPEN_REGISTRATION), throttled per address."""
import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

GOOD = {"username": "newcomer", "password1": "a long pass phrase 7", "password2": "a long pass phrase 7"}


def test_sign_up_is_closed_by_default_and_says_who_makes_accounts(client):
    response = client.post("/accounts/register/", GOOD)

    assert response.status_code == 403
    assert "makes accounts by invitation: ask its owner" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_an_open_site_makes_the_account_and_logs_the_visitor_in(client, settings, fresh_throttles):
    settings.OPEN_REGISTRATION = True
    landing = client.get("/").content.decode()
    assert '<a class="button secondary" href="/accounts/register/">Create an account</a>' in landing

    response = client.post("/accounts/register/", GOOD)

    assert response.status_code == 302 and response["Location"] == "/"
    user = get_user_model().objects.get(username="newcomer")
    assert not user.is_staff and user.check_password(GOOD["password1"])
    assert "Welcome: no episodes yet" in client.get("/").content.decode()  # logged in: the site, not the landing


@pytest.mark.parametrize("change, message", [
    ({"password2": "something else 8"}, "The two password fields didn’t match."),
    ({"password1": "123", "password2": "123"}, "This password is too short."),
    ({"username": "bad name!"}, "Enter a valid username."),
])
def test_a_bad_sign_up_is_a_400_that_says_what_to_fix(client, settings, fresh_throttles, change, message):
    settings.OPEN_REGISTRATION = True
    response = client.post("/accounts/register/", {**GOOD, **change})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not get_user_model().objects.exists()


def test_sign_ups_from_one_address_are_throttled(client, settings, fresh_throttles):
    settings.OPEN_REGISTRATION = True
    settings.REGISTRATION_THROTTLE_RATE = "2/hour"
    for n in range(2):
        assert client.post("/accounts/register/", {**GOOD, "username": f"bot{n}"}).status_code == 302
        client.logout()

    response = client.post("/accounts/register/", {**GOOD, "username": "bot2"})

    assert response.status_code == 429
    assert "Too many accounts made from this address for now; try again in" in response.content.decode()
    assert get_user_model().objects.count() == 2
