"""The home page in Chromium: first-run steps on a new site, recent episodes and the cast once there are some,
progress that follows the processing without a reload, a keyboard walk from the top, and phone widths."""
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from emotions.models import Episode
from tests.browser.pages import PASSWORD, log_in, shoot
from tests.factories import crafted_episode, held

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NAV = ["Episodes", "Upload", "Characters", "Frames", "Recommendations", "Leaderboard"]


def processing(title: str, progress: float) -> Episode:
    """An episode a worker is part way through."""
    episode = crafted_episode(title, [])
    Episode.objects.filter(pk=episode.pk).update(status="processing", progress=progress)
    return episode


def test_a_new_site_shows_a_newcomer_the_steps_to_start(page, cast):
    get_user_model().objects.create_user("boss", password=PASSWORD, is_staff=True)
    log_in(page, "boss")
    page.goto("/")

    steps = page.get_by_role("region", name="Welcome: no episodes yet. Here is how to start")
    expect(steps.get_by_role("listitem")).to_have_count(3)
    expect(steps).to_contain_text(".venv/bin/python manage.py synth_episode out.mp4 --seconds 20")
    expect(steps.get_by_role("link", name="add characters in the admin")).to_be_visible()
    expect(page.get_by_role("heading", name="Recent episodes")).to_have_count(0)
    shoot(page, "home-first-run")

    steps.get_by_role("link", name="Upload a video").click()
    page.wait_for_url("**/episodes/upload/")


def test_home_shows_recent_episodes_newest_first_and_the_cast(logged_in_page, processed_episode, cast):
    processed_episode("Morning in the pantry", seed=301, bias={"pip": {"happy": 0.8}})
    processed_episode("The cat's nap", seed=305, bias={"marmalade": {"sad": 0.7}})
    processing("Tomorrow's episode", 0.35)
    page = logged_in_page
    page.goto("/")

    recent = page.get_by_role("region", name="Recent episodes")
    expect(recent.locator("h3 a")).to_have_text(["The cat's nap", "Morning in the pantry"])
    expect(recent.locator(".tile").first.locator(".moods .badge").first).to_contain_text(":")
    expect(page.get_by_role("region", name="Processing now")).to_contain_text("Tomorrow's episode")
    cast_region = page.get_by_role("region", name="The cast")
    for name in ["Marmalade", "Pip"]:
        member = cast_region.get_by_role("link", name=name)
        expect(member.locator("img")).to_have_js_property("complete", True)
        assert member.locator("img").evaluate("img => img.naturalWidth") > 0  # the portrait, not a broken image
    expect(page.get_by_text("Welcome: no episodes yet")).to_have_count(0)
    shoot(page, "home")

    cast_region.get_by_role("link", name="Pip").click()
    page.wait_for_url("**/characters/pip/")


def test_progress_follows_the_processing_and_a_finished_episode_moves_to_recent(logged_in_page):
    episode = processing("Halfway there", 0.4)
    page = logged_in_page
    page.goto("/")
    bar = page.get_by_role("progressbar", name="Halfway there: progress")
    expect(bar).to_have_attribute("aria-valuenow", "40")

    Episode.objects.filter(pk=episode.pk).update(progress=0.75)
    expect(bar).to_have_attribute("aria-valuenow", "75")  # read from /api/episodes/<id>/, no reload
    expect(page.get_by_role("region", name="Processing now")).to_contain_text("75%")

    Episode.objects.filter(pk=episode.pk).update(status="done", progress=1.0)
    expect(page.get_by_role("region", name="Recent episodes").locator("h3 a")).to_have_text(["Halfway there"])
    expect(page.get_by_role("region", name="Processing now")).to_have_count(0)


def test_a_keyboard_walk_from_the_top_reaches_the_skip_link_then_the_nav_in_order(logged_in_page):
    page = logged_in_page
    page.goto("/")

    focused = []
    for _ in range(2 + len(NAV)):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert focused == ["Skip to content", "ToonSite", *NAV]

    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_at_phone_width_the_nav_folds_behind_a_menu_button_and_nothing_overflows(phone_page, user, cast):
    pip, cat = cast["pip"], cast["marmalade"]
    long_title = "The extraordinarily long-winded adventures of Pip and Marmalade in the pantry"
    crafted_episode(long_title, held(pip, "happy", 0, 8) + held(cat, "surprise", 0, 4), owner=user)
    crafted_episode("Short", held(pip, "sad", 0, 6), owner=user)
    processing("Still going", 0.6)
    page = phone_page
    log_in(page, user.username)

    for url in ["/", "/recommendations/?character=pip&emotion=happy", "/leaderboard/?emotion=happy"]:
        page.goto(url)
        menu = page.get_by_role("button", name="Menu")
        nav = page.get_by_role("navigation", name="Site")
        expect(nav).to_be_hidden()  # folded: the header is one row, the page starts right under it
        brand, button = page.locator(".brand").bounding_box(), menu.bounding_box()
        assert abs(brand["y"] + brand["height"] / 2 - button["y"] - button["height"] / 2) < 8, url  # one row
        assert page.locator(".topbar").bounding_box()["height"] < 80, url
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        for name in NAV:
            expect(nav.get_by_role("link", name=name)).to_be_in_viewport()
        expect(nav.get_by_role("link", name=NAV[0])).to_be_focused()
        if url == "/":
            shoot(page, "home-phone-menu", full_page=False)
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        expect(menu).to_be_focused()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), url
        if url == "/":
            expect(page.get_by_role("link", name=long_title)).to_be_visible()
            shoot(page, "home-phone")
        else:
            expect(page.locator("li.ranked").first).to_be_visible()
