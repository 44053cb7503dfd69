"""Recommendations and the leaderboard in Chromium: picking a character and an emotion in the form ranks the
episode where Pip is happier first, with its figures, and its link opens it; the leaderboard ranks the cast."""
import re

import pytest
from django.template.defaultfilters import floatformat
from playwright.sync_api import expect

from recommender import selectors
from tests.browser.pages import shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_moods(processed_episode, cast):
    """Two studio episodes: Pip happy 80% of his screen time in one, 20% in the other."""
    return {
        "grey": processed_episode("A grey day", seconds=6, seed=302, bias={"pip": {"happy": 0.2}}),
        "sunny": processed_episode("A sunny day", seconds=6, seed=301, bias={"pip": {"happy": 0.8}}),
    }


def test_picking_pip_and_happy_ranks_the_happier_episode_first_with_its_figures(logged_in_page, two_moods, cast):
    page = logged_in_page
    page.goto("/recommendations/")
    page.get_by_label("Character").select_option(label="Pip")
    page.get_by_label("Sad").click()  # the mouse on one chip, then the keyboard back to Happy
    page.keyboard.press("ArrowLeft")  # neutral
    page.keyboard.press("ArrowLeft")  # happy
    expect(page.get_by_label("Happy")).to_be_checked()
    page.get_by_role("button", name="Rank the episodes").click()
    page.wait_for_url("**/recommendations/?character=pip&emotion=happy")

    entries = page.locator("li.ranked")
    expect(entries.locator("h3 a")).to_have_text(["A sunny day", "A grey day"])
    (best, *_) = selectors.episode_ranking(character=cast["pip"], emotion="happy")
    first = entries.first
    for term, value in [("Happy", f"{floatformat(best.emotion_seconds, 1)} s"),
                        ("Confidence-weighted", f"{floatformat(best.weighted_seconds, 1)} s"),
                        ("Pip on screen", f"{floatformat(best.character_seconds, 1)} s"),
                        ("Faces", str(best.detections))]:
        expect(first.locator("dt", has_text=term).locator("xpath=following-sibling::dd")).to_have_text(value)
    expect(first.locator(".score-value")).to_have_text(f"score {best.score:.3f}")
    expect(first.locator(".thumb img")).to_have_js_property("complete", True)
    expect(first.get_by_role("link", name=re.compile(r"Jump to Pip's happy moment at \d:\d\d"))).to_be_visible()
    how = page.locator("details.formula")
    expect(how.get_by_text("one happy frame does not make the happiest episode")).to_be_hidden()
    how.get_by_text("How is this ranked?").click()
    expect(how.get_by_text("one happy frame does not make the happiest episode")).to_be_visible()
    shoot(page, "recommendations")

    first.get_by_role("link", name="A sunny day").click()
    page.wait_for_url(f"**/episodes/{two_moods['sunny'].pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("A sunny day")


def test_the_leaderboard_ranks_the_cast_by_the_emotion_chosen(logged_in_page, two_moods):
    page = logged_in_page
    page.goto("/recommendations/?character=pip&emotion=happy")
    page.get_by_role("link", name="See the leaderboard").click()
    page.wait_for_url("**/leaderboard/?emotion=happy")

    expected = [row.character.name for row in selectors.character_leaderboard(emotion="happy")]
    assert "Pip" in expected
    expect(page.locator("li.ranked h3 a")).to_have_text(expected)
    shoot(page, "leaderboard")

    page.get_by_role("link", name="Sad", exact=True).click()
    page.wait_for_url("**/leaderboard/?emotion=sad")
    expect(page.get_by_role("link", name="Sad", exact=True)).to_have_attribute("aria-current", "page")
    expected = [row.character.name for row in selectors.character_leaderboard(emotion="sad")]
    expect(page.locator("li.ranked h3 a")).to_have_text(expected)
    page.get_by_role("link", name="Pip", exact=True).click()
    page.wait_for_url("**/characters/pip/")
