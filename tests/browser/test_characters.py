"""The character pages in Chromium: the cast's tiles, Pip's emotion tabs switched by click and by arrow keys,
"Load more" appending the next page of crops without a reload, and the breakdown chart."""
import re

import pytest
from playwright.sync_api import expect

from emotions.models import Detection
from tests.browser.pages import shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pip_episodes(processed_episode, settings):
    settings.PUBLIC_READ = True
    happy = processed_episode("Pip's Big Cheese", seconds=24, seed=311, bias={"pip": {"happy": 0.9}})
    angry = processed_episode("Marmalade Wakes Up", seconds=4, seed=312, bias={"pip": {"angry": 0.7}})
    return happy, angry


def test_the_cast_and_pips_emotion_browser(page, pip_episodes):
    crops = Detection.objects.published().filter(character__slug="pip").exclude(crop="")
    counts = {e: crops.filter(emotion=e).count() for e in ("happy", "angry")}
    assert counts["happy"] > 48, counts  # enough for a second page

    page.goto("/characters/")
    pip_tile = page.locator(".character-tile", has_text="Pip")
    expect(pip_tile.get_by_role("img", name="Pip's portrait")).to_be_visible()
    expect(pip_tile).to_contain_text("on screen in 2 episodes")
    expect(page.locator(".character-tile", has_text="Marmalade")).to_be_visible()
    shoot(page, "characters")

    pip_tile.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/characters/pip/$"))
    tabs = page.get_by_role("tablist", name="Emotions")
    happy = tabs.get_by_role("tab", name=re.compile("^Happy"))
    expect(happy).to_have_attribute("aria-selected", "true")
    expect(happy).to_contain_text(str(counts["happy"]))
    gallery = page.get_by_role("tabpanel")
    expect(gallery.locator("li.face")).to_have_count(48)
    expect(gallery.get_by_role("img").first).to_have_attribute("alt", re.compile(r"^Pip looking happy"))

    # The chart: each emotion's share and seconds as text.
    chart = page.locator("figure.chart")
    expect(chart.locator("li.emo-happy")).to_contain_text(re.compile(r"\d+\.\d% · \d+\.\d s · \d+ faces"))

    # "Load more" appends the next 48 (or fewer) without leaving the page.
    page.evaluate("window.notReloaded = true")
    gallery.get_by_role("button", name="Load more").click()
    expect(gallery.locator("li.face")).to_have_count(min(counts["happy"], 96))
    assert page.evaluate("window.notReloaded") is True
    assert len(set(gallery.locator("li.face img").evaluate_all("els => els.map(e => e.src)"))) == min(
        counts["happy"], 96)
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    # A function, not a bare expression: Playwright evals those, and the CSP refuses eval.
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    shoot(page, "character")

    # A click switches the tab in place.
    tabs.get_by_role("tab", name=re.compile("^Angry")).click()
    angry = tabs.get_by_role("tab", name=re.compile("^Angry"))
    expect(angry).to_have_attribute("aria-selected", "true")
    expect(happy).to_have_attribute("aria-selected", "false")
    expect(page).to_have_url(re.compile(r"\?emotion=angry$"))
    expect(gallery.locator("li.face")).to_have_count(min(counts["angry"], 48))
    expect(gallery.get_by_role("img").first).to_have_attribute("alt", re.compile(r"^Pip looking angry"))
    assert page.evaluate("window.notReloaded") is True

    # Arrow keys move along the tabs (wrapping), as ARIA tabs do, and show the focused one's faces.
    angry.focus()
    page.keyboard.press("ArrowRight")
    disgust = tabs.get_by_role("tab", name=re.compile("^Disgust"))
    expect(disgust).to_be_focused()
    expect(disgust).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile(r"\?emotion=disgust$"))
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    surprise = tabs.get_by_role("tab", name=re.compile("^Surprise"))
    expect(surprise).to_be_focused()
    expect(surprise).to_have_attribute("aria-selected", "true")
    page.keyboard.press("End")
    page.keyboard.press("Home")
    expect(angry).to_be_focused()
    expect(gallery.get_by_role("img").first).to_have_attribute("alt", re.compile(r"^Pip looking angry"))

    # A crop leads to its episode at its time.
    first = gallery.get_by_role("link").first
    href = first.get_attribute("href")
    first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    assert re.search(r"/episodes/\d+/\?t=\d+\.\d\d$", page.url)
