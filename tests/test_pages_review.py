"""The Review page and the correction controls through Django's client: a login is needed to label (a visitor of a
public site is sent to log in and sees no controls); members find Review in the navigation."""
import pytest

from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db


def test_visitors_are_sent_to_log_in_even_on_a_public_site_and_see_no_label_controls(client, settings, user, media):
    settings.PUBLIC_READ = True
    episode = crafted_episode("Open", held(character("pip", "Pip"), "happy", 0, 1), owner=user, pictures=True)
    response = client.get("/review/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/review/")
    page = client.get(f"/episodes/{episode.pk}/").content.decode()
    assert "data-face=" not in page and "labels.js" not in page and 'href="/review/"' not in page
    frames = client.get("/frames/?character=pip").content.decode()
    assert "data-face=" not in frames and "Apply to selected" not in frames


def test_members_find_review_in_the_navigation_and_faces_they_can_correct(logged_in, user, media):
    episode = crafted_episode("Mine", held(character("pip", "Pip"), "happy", 0, 1), owner=user, pictures=True)
    page = logged_in.get("/review/").content.decode()
    assert 'href="/review/" aria-current="page">Review</a>' in page
    assert 'data-api="/api/review/"' in page and "review.js" in page
    assert page.count('class="emo-') >= 7 and "<kbd>x</kbd> Not a face" in page and "<kbd>u</kbd> Undo" in page
    episode_page = logged_in.get(f"/episodes/{episode.pk}/").content.decode()
    assert episode_page.count("data-face=") == 8 and "labels.js" in episode_page
    gallery = logged_in.get("/characters/pip/?emotion=happy").content.decode()
    assert "data-face=" in gallery and "Apply to selected" in gallery


def test_review_narrows_to_a_character_or_an_episode_and_says_when_there_is_none(logged_in, user, media):
    character("pip", "Pip")
    episode = crafted_episode("Mine", held(character("pip", "Pip"), "happy", 0, 1), owner=user, pictures=True)
    page = logged_in.get(f"/review/?character=pip&episode={episode.pk}").content.decode()
    assert 'data-character="pip"' in page and f'data-episode="{episode.pk}"' in page
    assert '<option value="pip" selected>Pip</option>' in page
    unknown = logged_in.get("/review/?character=nobody&episode=99999")
    assert unknown.status_code == 400
    text = unknown.content.decode()
    assert "There is no character &#x27;nobody&#x27;" in text and "There is no episode &#x27;99999&#x27;" in text
    assert 'data-character=""' in text
