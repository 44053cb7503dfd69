"""Likes, For you and "More like this" in Chromium: on processed studio episodes, the viewer likes one from its
page, sees "More like this" explain itself with thumbnails, opens For you from the navigation and finds the
episodes ranked with their reasons and thumbnails, the liked one left out."""
import re

import pytest
from playwright.sync_api import expect

from recommender import alike
from tests.browser.pages import SCREENSHOTS, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def expect_loaded(image) -> None:
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0


def test_liking_an_episode_brings_alike_episodes_for_you_with_their_reasons(logged_in_page, processed_episode,
                                                                            user):
    sunny = processed_episode("A sunny day", seconds=6, seed=301, bias={"pip": {"happy": 0.8}})
    processed_episode("A bright day", seconds=6, seed=303, bias={"pip": {"happy": 0.7}})
    processed_episode("A grey day", seconds=6, seed=302, bias={"pip": {"happy": 0.2}})
    page = logged_in_page

    page.goto(f"/episodes/{sunny.pk}/")
    like = page.get_by_role("button", name="Like")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    page.wait_for_url(f"**/episodes/{sunny.pk}/")
    expect(page.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status").filter(has_text="You like A sunny day")).to_be_visible()

    # More like this: the episodes alike, each with the character-emotion that makes them so and a thumbnail.
    similar = alike.episode_similar(episode=sunny)
    assert similar, "the three episodes share Pip"
    tiles = page.locator("ul.similar li.tile")
    expect(tiles.locator("strong")).to_have_text([s.episode.title for s in similar][:6])
    expect(tiles.first.locator(".reason")).to_have_text(similar[0].reason.text(here=True))
    assert re.fullmatch(r"\w+ is \w+ \d+% of the time \(\d+% here\)", similar[0].reason.text(here=True))
    tiles.first.scroll_into_view_if_needed()  # its thumbnail loads lazily, when it comes into view
    expect_loaded(tiles.first.locator("img"))
    page.locator("section[aria-labelledby=similar-heading]").screenshot(path=str(SCREENSHOTS / "more-like-this.png"))

    page.get_by_role("navigation", name="Site").get_by_role("link", name="For you").click()
    page.wait_for_url("**/recommendations/for-you/")
    ranking = alike.for_you(user=user)
    assert "A sunny day" not in [r.episode.title for r in ranking]  # liked, so left out
    entries = page.locator("li.ranked")
    expect(entries.locator("h3 a")).to_have_text([r.episode.title for r in ranking])
    first = entries.first
    expect(first.locator(".reason")).to_have_text(ranking[0].reason.text())
    expect(first.locator(".reason")).to_contain_text(re.compile(r"^Like A sunny day: \w+ is \w+ \d+% of the time"))
    expect_loaded(first.locator(".thumb img"))
    expect(first.get_by_role("link", name=re.compile(r"Jump to \w+'s \w+ moment at \d:\d\d"))).to_be_visible()
    expect(page.locator(".likes-line")).to_contain_text("You like A sunny day")
    shoot(page, "for-you")

    # A liked character counts too, from its page; and unliking the episode brings it back to the ranking.
    page.goto(f"/episodes/{sunny.pk}/")
    page.goto("/characters/pip/")
    page.get_by_role("button", name="Like").click()
    page.wait_for_url("**/characters/pip/")
    expect(page.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "true")
    page.goto(f"/episodes/{sunny.pk}/")
    page.get_by_role("button", name="Like").click()
    expect(page.get_by_role("button", name="Like")).to_have_attribute("aria-pressed", "false")
    page.goto("/recommendations/for-you/")
    expect(page.locator("li.ranked h3 a")).to_have_text([r.episode.title for r in alike.for_you(user=user)])
    expect(page.locator("li.ranked h3 a", has_text="A sunny day")).to_have_count(1)
    expect(page.locator(".reason").first).to_contain_text("You like Pip: on screen")


def test_with_no_likes_for_you_says_how_to_get_recommendations(logged_in_page):
    page = logged_in_page
    page.goto("/recommendations/")
    page.get_by_role("link", name="episodes for you").click()
    page.wait_for_url("**/recommendations/for-you/")
    expect(page.get_by_role("heading", name="Like something to get recommendations")).to_be_visible()
    expect(page.get_by_role("link", name="who is the happiest on the leaderboard")).to_be_visible()
