"""A visitor's first look in Chromium: the landing page says what the site is and how to get in, at desktop and
phone widths, and on a site that opts in to sign-up a visitor makes an account and lands in the site."""
import pytest
from playwright.sync_api import expect

from tests.browser.pages import shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_visitor_sees_what_the_site_is_and_how_to_log_in(page, phone_page, cast):
    page.goto("/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("finds the characters' faces in cartoon episodes")
    for use in ("For animators", "For viewers", "For your own tools"):
        expect(page.get_by_role("heading", name=use)).to_be_visible()
    expect(page.get_by_text("Accounts are by invitation: ask the site's owner.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Site")).to_have_count(0)
    shoot(page, "landing")

    phone_page.goto("/")
    heading = phone_page.get_by_role("heading", level=1)
    expect(heading).to_be_in_viewport()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the landing page scrolls sideways on a phone ({width} px)"
    shoot(phone_page, "landing-phone")

    page.get_by_role("link", name="Log in").first.click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_text("finds cartoon characters' faces in episodes")).to_be_visible()


def test_on_an_open_site_a_visitor_signs_up_and_is_in(page, cast, settings, fresh_throttles):
    settings.OPEN_REGISTRATION = True
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password:", exact=True).fill("a long pass phrase 7")
    page.get_by_label("Password confirmation:").fill("a long pass phrase 7")
    page.get_by_role("button", name="Create the account").click()

    expect(page.get_by_role("button", name="Log out newcomer")).to_be_visible()
    expect(page.get_by_role("navigation", name="Site")).to_be_visible()
