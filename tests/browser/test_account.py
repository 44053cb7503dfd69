"""Logging in and out in the browser, and the admin link that only staff see."""
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.pages import PASSWORD, log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_visitor_is_sent_to_log_in_and_comes_back_to_the_page_they_asked_for(page, user):
    page.goto("/characters/")
    assert "/accounts/login/" in page.url
    shoot(page, "login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/characters/")
    expect(page.get_by_role("button", name=f"Log out {user.username}")).to_be_visible()


def test_a_wrong_password_is_refused_in_plain_words(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("didn't match")).to_be_visible()
    assert "/accounts/login/" in page.url


def test_logging_out_ends_the_session(page, user):
    log_in(page, user.username)
    page.get_by_role("button", name=f"Log out {user.username}").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("finds the characters' faces")  # the landing page
    page.goto("/episodes/")
    assert "/accounts/login/" in page.url


def test_staff_see_the_admin_and_others_do_not(page, user):
    log_in(page, user.username)
    assert page.get_by_role("link", name="Admin", exact=True).count() == 0
    page.get_by_role("button", name=f"Log out {user.username}").click()

    get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True, is_superuser=True)
    log_in(page, "sam")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    expect(page.get_by_role("link", name="Episodes").first).to_be_visible()
