"""The character pages in Chromium: the cast's tiles, Pip's emotion tabs of moments (each its best face large,
the episodes taking turns) switched by click and by arrow keys, "Load more" appending the next page without a
reload, a ZIP of ticked moments, and the breakdown chart."""
import re

import pytest
from playwright.sync_api import expect

from emotions.models import Detection, Moment
from emotions.views import characters as characters_view
from tests.browser.pages import shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pip_episodes(processed_episode, settings):
    settings.PUBLIC_READ = True
    happy = processed_episode("Pip's Big Cheese", seconds=24, seed=311, bias={"pip": {"happy": 0.9}})
    angry = processed_episode("Marmalade Wakes Up", seconds=4, seed=312, bias={"pip": {"angry": 0.7}})
    return happy, angry


PAGE = 4  # moments a page here: two short studio episodes hold fewer moments than the site's 24 a page


def test_the_cast_and_pips_emotion_browser(page, pip_episodes, monkeypatch):
    monkeypatch.setattr(characters_view, "MOMENTS_PAGE_SIZE", PAGE)
    moments = Moment.objects.published().filter(character__slug="pip").exclude(best__crop="")
    counts = {e: moments.filter(emotion=e).count() for e in ("happy", "angry")}
    assert PAGE < counts["happy"] <= 2 * PAGE, counts  # a second page, and the last
    crops = Detection.objects.published().filter(character__slug="pip").exclude(crop="")
    faces = {e: crops.filter(emotion=e).count() for e in ("happy", "angry")}

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
    expect(happy).to_contain_text(str(faces["happy"]))  # the tab counts faces; its cards are moments
    gallery = page.get_by_role("tabpanel")
    cards = gallery.locator("li.frame-result")
    expect(cards).to_have_count(PAGE)
    expect(gallery.locator(".face-pic img").first).to_have_attribute("alt", re.compile(r"^Pip's face, happy"))
    # The episodes take turns: when the page holds both, the first two cards come from both.
    shown = Moment.objects.in_bulk([int(pk) for pk in cards.evaluate_all("els => els.map(e => e.dataset.moment)")])
    episodes = [shown[int(cards.nth(i).get_attribute("data-moment"))].episode_id for i in range(PAGE)]
    assert len(set(episodes[:2])) == min(2, len(set(episodes)))
    for i in range(3):
        moment = Moment.objects.get(pk=cards.nth(i).get_attribute("data-moment"))
        expect(cards.nth(i).locator(".faces")).to_have_text(f"{moment.faces} face{'s' if moment.faces > 1 else ''}")
        expect(cards.nth(i).locator(".span")).to_contain_text(f"({moment.end - moment.start:.1f} s)")

    # The chart: each emotion's share and seconds as text.
    chart = page.locator("figure.chart")
    expect(chart.locator("li.emo-happy")).to_contain_text(re.compile(r"\d+\.\d% · \d+\.\d s · \d+ faces"))
    # Every bar's track is as long as the others, whatever the width of each row's figures.
    tracks = chart.locator(".bar").evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().width))")
    assert len(tracks) == 7 and len(set(tracks)) == 1, tracks

    # "Load more" appends the next page without leaving the page; no moment twice; the last page has no button.
    page.evaluate("window.notReloaded = true")
    gallery.get_by_role("button", name="Load more").click()
    expect(cards).to_have_count(counts["happy"])
    assert page.evaluate("window.notReloaded") is True
    assert len(set(cards.evaluate_all("els => els.map(e => e.dataset.moment)"))) == counts["happy"]
    expect(gallery.get_by_role("button", name="Load more")).to_have_count(0)
    # Ticked cards go to the references ZIP, the appended ones too.
    cards.nth(0).get_by_role("checkbox").check()
    cards.nth(counts["happy"] - 1).get_by_role("checkbox").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    cards.nth(0).get_by_role("checkbox").uncheck()
    cards.nth(counts["happy"] - 1).get_by_role("checkbox").uncheck()
    page.mouse.move(0, 0)  # no card hovered (a hovered card's frame grows over its face)
    page.evaluate("document.activeElement.blur()")
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    # A function, not a bare expression: Playwright evals those, and the CSP refuses eval.
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    shoot(page, "character")  # the chart and all of Pip's happy moments

    # A click switches the tab in place.
    tabs.get_by_role("tab", name=re.compile("^Angry")).click()
    angry = tabs.get_by_role("tab", name=re.compile("^Angry"))
    expect(angry).to_have_attribute("aria-selected", "true")
    expect(happy).to_have_attribute("aria-selected", "false")
    expect(page).to_have_url(re.compile(r"\?emotion=angry$"))
    expect(cards).to_have_count(min(counts["angry"], PAGE))
    expect(gallery.locator(".face-pic img").first).to_have_attribute("alt", re.compile(r"^Pip's face, angry"))
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
    expect(gallery.locator(".face-pic img").first).to_have_attribute("alt", re.compile(r"^Pip's face, angry"))

    # A card leads to its episode at its moment's start.
    first = gallery.locator("a.frame-link").first
    href = first.get_attribute("href")
    first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    assert re.search(r"/episodes/\d+/\?t=\d+\.\d\d$", page.url)
