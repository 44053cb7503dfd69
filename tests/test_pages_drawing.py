"""The drawing search's pages through Django's client: the drawing shown back beside its reading, searched as read,
for a chosen emotion or by look only, in pages of 24 kept server-side (no upload again), its results moments (one
per track's run of an emotion, dealt out by episode), an unsure reading warned of, and the kept drawing's refusals
(another user's, unknown, bad choices)."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import character, crafted_episode, held, studio_face_png

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(settings, media):
    """28 lone faces with crops (no track: a moment each): Pip happy (16) and angry (8), Marmalade sad (4)."""
    settings.PUBLIC_READ = True
    pip, marmalade = character("pip", "Pip"), character("marmalade", "Marmalade")
    crafted_episode("Cheese Heist", held(pip, "happy", 0, 2, confidence=0.9) + held(pip, "angry", 2, 3, confidence=0.7)
                    + held(marmalade, "sad", 0, 0.5, confidence=0.8), pictures=True)
    return {"pip": pip, "marmalade": marmalade}


def search(client, **data):
    drawing = SimpleUploadedFile("mine.png", studio_face_png("pip", "happy"), content_type="image/png")
    response = client.post("/frames/drawing/", {"image": drawing, **data})
    assert response.status_code == 200, response.content.decode()[:3000]
    return response


def ids(response) -> list[int]:
    return [m.pk for m in response.context["moments"]]


def faces(response) -> list:
    """The best face of each moment on the page, in the order shown."""
    return [m.best for m in response.context["moments"]]


def test_the_drawing_is_shown_beside_its_reading_with_every_choice(logged_in, catalogue):
    response = search(logged_in)
    html = response.content.decode()
    reading = response.context["classification"]
    shown = r'<img src="data:image/png;base64,[A-Za-z0-9+/=]{100,}" alt="Your drawing, as searched with"'
    assert re.search(shown, html)
    assert f"As read: {reading.emotion} {round(reading.confidence * 100)}%" in html
    radios = re.findall(r'<input type="radio" name="emotion" value="(\w*)"', html)
    assert radios[0] == "" and radios[-1] == "look" and len(radios) == 8 and reading.emotion not in radios
    token = response.context["drawing"].token
    assert f'action="/frames/drawing/{token}/"' in html


def test_pages_of_24_keep_the_drawing_between_them(logged_in, catalogue):
    first = search(logged_in)
    token = first.context["drawing"].token
    assert len(ids(first)) == 24 and first.context["next_url"] == f"/frames/drawing/{token}/?page=2"
    assert not first.context["previous_url"]
    second = logged_in.get(first.context["next_url"])
    assert second.status_code == 200
    assert len(ids(second)) == 4 and not set(ids(first)) & set(ids(second))
    html = second.content.decode()
    assert f'href="/frames/drawing/{token}/"' in html and "Previous page" in html and 'rel="next"' not in html
    assert "(page 2 · 4 moments)" in html
    # Past the last face: an empty page that says so; past the last page allowed, a 400 that names it.
    third = logged_in.get(f"/frames/drawing/{token}/?page=3")
    assert third.status_code == 200 and "No more alike moments" in third.content.decode()
    refused = logged_in.get(f"/frames/drawing/{token}/?page=21")
    assert refused.status_code == 400 and "Page" in refused.content.decode()


def test_a_chosen_emotion_comes_first_and_by_look_takes_every_emotion(logged_in, catalogue):
    token = search(logged_in, character="pip").context["drawing"].token
    angry = logged_in.get(f"/frames/drawing/{token}/?emotion=angry&character=pip")
    shown = faces(angry)
    assert [d.emotion for d in shown[:8]] == ["angry"] * 8 and {d.emotion for d in shown[8:]} == {"happy"}
    html = angry.content.decode()
    assert 'value="angry" checked' in html and 'Alike moments: <span class="badge emo-angry">angry</span> first' in html
    assert angry.context["next_url"] == ""  # Pip's 24 faces fit one page
    surprise = logged_in.get(f"/frames/drawing/{token}/?emotion=surprise&character=pip").content.decode()
    assert "No stored moment of Pip shows surprise: these are the closest in look of the other emotions." in surprise
    assert "No stored moment" not in html  # angry ones exist

    by_look = logged_in.get(f"/frames/drawing/{token}/?emotion=look")
    shown = faces(by_look) + faces(logged_in.get(by_look.context["next_url"]))
    assert len(shown) == 28 and {d.emotion for d in shown} == {"happy", "angry", "sad"}  # every emotion and character
    scores = [d.similarity for d in shown]
    assert scores == sorted(scores, reverse=True)  # one episode: dealing out by episode keeps the look's order
    html = by_look.content.decode()
    assert "Alike moments by look only" in html and 'value="look" checked' in html


def test_results_are_moments_one_a_run_and_the_episodes_take_turns(logged_in, settings, media):
    settings.PUBLIC_READ = True
    pip = character("pip", "Pip")
    # One shot of Pip happy for 4 s (32 near-identical faces along one track) in "Long", two short ones in "Short".
    crafted_episode("Long", held(pip, "happy", 0, 4, confidence=0.9, track=1)
                    + held(pip, "happy", 5, 6, confidence=0.85, track=2), pictures=True)
    crafted_episode("Short", held(pip, "happy", 0, 0.5, confidence=0.8, track=1)
                    + held(pip, "happy", 1, 1.5, confidence=0.7, track=2), pictures=True)
    response = search(logged_in, emotion="happy", character="pip")
    moments = response.context["moments"]
    assert sorted(m.faces for m in moments) == [4, 4, 8, 32]  # a result a moment, not 48 faces
    assert [m.episode.title for m in moments][:2] in (["Long", "Short"], ["Short", "Long"])  # they take turns
    html = response.content.decode()
    assert html.count('data-moment="') == 4 and "32 faces" in html and "(page 1 · 4 moments)" in html


def test_an_unsure_reading_is_warned_of(logged_in, catalogue, settings):
    settings.LOW_CONFIDENCE = 0.0
    assert 'id="unsure-warning"' not in search(logged_in).content.decode()
    settings.LOW_CONFIDENCE = 1.01  # any reading is below it
    html = search(logged_in).content.decode()
    assert 'id="unsure-warning"' in html and "The model is unsure of this reading" in html
    assert '<span class="unsure"' in html


def test_a_kept_drawing_is_its_uploaders_only_and_bad_choices_are_explained(logged_in, client, catalogue, user):
    token = search(logged_in).context["drawing"].token
    other = get_user_model().objects.create_user("bo", password="x")
    client.force_login(other)
    gone = client.get(f"/frames/drawing/{token}/")
    assert gone.status_code == 404 and "That drawing is no longer kept" in gone.content.decode()
    client.force_login(user)
    assert client.get("/frames/drawing/not-a-token-at-all-really/").status_code == 404
    assert client.get("/frames/drawing/x%3Cscript%3E/").status_code == 404
    bad = client.get(f"/frames/drawing/{token}/?emotion=glee")
    assert bad.status_code == 400 and "unknown emotion glee" in bad.content.decode()
    assert client.get(f"/frames/drawing/{token}/?character=nobody").status_code == 400
    assert client.get(f"/frames/drawing/{token}/?page=0").status_code == 400
    client.logout()
    assert client.get(f"/frames/drawing/{token}/")["Location"].startswith("/accounts/login/")
