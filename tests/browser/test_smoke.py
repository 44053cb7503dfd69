import pytest

from tests.browser.conftest import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login(page, user):
    page.goto("/accounts/login/")
    shoot(page, "login")
    log_in(page, user.username)
    assert page.get_by_role("button", name=f"Log out {user.username}").is_visible()
