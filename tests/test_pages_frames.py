"""The frame search through Django's client: results are moments, which filters narrow and episodes take turns in;
bad filters are a 400 naming what is known, keyset pages, the references ZIP and its refusals, the drawing search and
its refusals, the read rule, and a bounded number of queries."""
import csv
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import Detection, Moment, ProcessingRun, Status
from emotions.selectors.detections import detection_crop_side
from tests.factories import character, crafted_episode, held, jpeg, studio_face_png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public(settings, media):
    settings.PUBLIC_READ = True


@pytest.fixture
def catalogue():
    """Two episodes: Pip happy then angry along one track in the first; Pip and Marmalade happy in the second."""
    pip, marmalade = character("pip", "Pip"), character("marmalade", "Marmalade")
    first = crafted_episode("Cheese Heist", held(pip, "happy", 0, 1, confidence=0.9, track=1)
                            + held(pip, "angry", 1, 2, confidence=0.6, track=1), pictures=True)
    second = crafted_episode("Night Shift", held(pip, "happy", 0, 0.5, confidence=0.75, track=1)
                             + held(marmalade, "happy", 0, 1, confidence=0.8, track=2), pictures=True)
    return {"pip": pip, "marmalade": marmalade, "first": first, "second": second}


def moments(client, query: str) -> list[Moment]:
    response = client.get(f"/frames/?{query}")
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.context["moments"]


def test_results_are_moments_each_filter_narrows_them_and_episodes_take_turns(client, catalogue):
    everything = moments(client, "")
    # One result per track's run of one emotion, not one per frame: 4 moments of 28 faces.
    assert [(m.episode.title, m.character.slug, m.emotion, m.best_confidence, m.faces) for m in everything] == [
        ("Cheese Heist", "pip", "happy", 0.9, 8),
        ("Night Shift", "marmalade", "happy", 0.8, 8),  # the episodes take turns, each most confident first
        ("Cheese Heist", "pip", "angry", 0.6, 8),
        ("Night Shift", "pip", "happy", 0.75, 4),
    ]
    assert {m.character.slug for m in moments(client, "character=pip")} == {"pip"}
    assert len(moments(client, "character=pip")) == 3
    happy = moments(client, "emotion=happy")
    assert len(happy) == 3 and {m.emotion for m in happy} == {"happy"}
    assert {m.best_confidence for m in moments(client, "min_confidence=0.8")} == {0.9, 0.8}
    assert {m.episode_id for m in moments(client, f"episode={catalogue['second'].pk}")} == {catalogue["second"].pk}
    (both,) = moments(client, f"character=pip&emotion=happy&episode={catalogue['first'].pk}")
    assert (both.start, both.end, both.faces, both.best.time) == (0.0, 1.0, 8, 0.0)


def test_a_page_deals_its_moments_out_by_episode(client):
    pip = character("pip", "Pip")
    # Episode A's five moments are all surer than episode B's: by confidence alone, A would fill the page's top.
    crafted_episode("A", [(pip, "happy", i, 0.5, 0.95 - i * 0.01) for i in range(5)], pictures=True)
    crafted_episode("B", [(pip, "happy", i, 0.5, 0.85 - i * 0.01) for i in range(3)], pictures=True)
    shown = moments(client, "emotion=happy")
    assert [m.episode.title for m in shown] == ["A", "B", "A", "B", "A", "B", "A", "A"]
    assert [m.best_confidence for m in shown if m.episode.title == "A"] == pytest.approx([0.95, 0.94, 0.93, 0.92, 0.91])


def test_a_result_is_the_moments_best_face_on_its_frame_with_its_span_and_linked_to_its_start(client, catalogue):
    response = client.get("/frames/?character=marmalade")
    html = response.content.decode()
    m = response.context["moments"][0]
    d = m.best
    item = re.search(rf'<li class="tile frame-result emo-happy" data-id="{d.pk}" data-moment="{m.pk}">.*?</li>',
                     html, re.S).group(0)
    assert f'<img loading="lazy" src="/api/detections/{d.pk}/frame.jpg"' in item
    # Face first: the crop fills the card (the frame is its inset), and the crop's own size is said.
    assert d.crop and item.index(f'src="/api/detections/{d.pk}/crop.jpg"') < item.index("frame.jpg")
    assert 'class="frame-link face-first"' in item and "Marmalade's face, happy" in item
    # The box (10, 10, 50, 50) on a 640 x 480 frame, in percent.
    assert 'style="left: 1.563%; top: 2.083%; width: 7.813%; height: 10.417%"' in item
    assert f'href="/episodes/{d.episode_id}/?t={m.start:.2f}"' in item
    assert "Marmalade</strong>" in item and '<span class="badge emo-happy">happy</span>' in item and "80%" in item
    assert 'Night Shift<br><span class="span">0:00–0:01 (1.0 s)</span><br><span class="faces">8 faces</span>' in item
    assert f'<label class="pick"><input type="checkbox" name="ids" value="{d.pk}"> Select' in item
    assert "(1 moment on this page)" in html


@pytest.mark.parametrize("query, messages", [
    ("character=pipp", ["unknown character &#x27;pipp&#x27;; known characters: marmalade, pip"]),
    ("emotion=grumpy", ['<select id="f-emotion" name="emotion" aria-invalid="true">',
                        "unknown emotion grumpy; expected one of angry, disgust, fear, happy, neutral, sad"]),
    ("min_confidence=lots&episode=99999", ["Minimum confidence: Enter a number.", "Episode: no episode 99999",
                                           'name="min_confidence" type="number" min="0" max="1" step="0.05" '
                                           'inputmode="decimal"\n             value="lots" aria-invalid="true"']),
    ("after=soon", ["&#x27;soon&#x27; is not a page key"]),
])
def test_bad_filters_rerender_the_form_with_the_reason_and_a_400(client, catalogue, query, messages):
    response = client.get(f"/frames/?{query}")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in html and '<form method="get"' in html
    for message in messages:
        assert message in html
    assert "frame-result" not in html


def test_keyset_pages_continue_each_other_with_no_repeat_and_no_gap(client):
    pip = character("pip", "Pip")
    # 100 lone faces (100 moments) in 5 confidences: the id breaks the ties across page boundaries.
    crafted_episode("Long", [(pip, "happy", i * 0.1, 0.1, 0.5 + (i % 5) * 0.1) for i in range(100)], pictures=True)
    expected = list(Moment.objects.order_by("-best_confidence", "-id").values_list("pk", flat=True))

    seen, url = [], "/frames/?character=pip&emotion=happy"
    while url:
        response = client.get(url)
        seen.append([m.pk for m in response.context["moments"]])
        following = re.search(r'<a rel="next" href="([^"]+)"', response.content.decode())
        url = "/frames/" + following.group(1).replace("&amp;", "&") if following else None

    assert [len(p) for p in seen] == [48, 48, 4]
    assert sum(seen, []) == expected
    assert "character=pip" in following_query(client, expected[47])


def following_query(client, last_pk: int) -> str:
    last = Moment.objects.get(pk=last_pk)
    html = client.get(f"/frames/?character=pip&emotion=happy&after={last.best_confidence!r}_{last.pk}").content.decode()
    return re.search(r'<a href="\?([^"]+)">First page</a>', html).group(1)


def test_an_unfinished_runs_faces_are_never_shown(client, catalogue):
    run = catalogue["first"].current_run
    ProcessingRun.objects.filter(pk=run.pk).update(status=Status.PROCESSING)
    assert {m.episode_id for m in moments(client, "")} == {catalogue["second"].pk}


# -- the references ZIP ---------------------------------------------------------------------------------------
def test_the_zip_holds_exactly_the_selected_frames_their_crops_and_a_manifest(client, catalogue):
    chosen = list(Detection.objects.filter(character__slug="pip", emotion="happy").order_by("id")[:3])
    response = client.post("/frames/download.zip", {"ids": [d.pk for d in chosen]})

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="toonsite-pip-happy-3-frames.zip"'
    pack = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    def named(d):  # character, emotion, episode and time: an animator's folder sorts by what they look for
        minutes, seconds = divmod(d.time, 60)
        return f"pip-happy-cheese-heist-{int(minutes)}m{seconds:05.2f}s-{d.pk}.jpg"

    names = {named(d) for d in chosen}
    assert set(pack.namelist()) == ({f"frames/{n}" for n in names} | {f"crops/{n}" for n in names}
                                    | {"manifest.csv", "manifest.json"})
    d = chosen[0]
    name = named(d)
    assert pack.read(f"frames/{name}") == default_storage.open(d.frame_image.name).read()
    assert pack.read(f"crops/{name}") == default_storage.open(d.crop.name).read()

    manifest = json.loads(pack.read("manifest.json"))["frames"]
    assert [row["id"] for row in manifest] == [d.pk for d in chosen]
    assert manifest[0] == {
        "id": d.pk, "episode": catalogue["first"].pk, "title": "Cheese Heist", "time": d.time, "frame": d.frame,
        "character": "pip", "emotion": "happy", "confidence": 0.9, "box": {"x": 10, "y": 10, "w": 50, "h": 50},
        "crop_px": detection_crop_side(d), "frame_px": [640, 480],
        "frame_file": f"frames/{name}", "crop_file": f"crops/{name}", "missing": [],
    }
    rows = list(csv.DictReader(io.StringIO(pack.read("manifest.csv").decode())))
    assert [int(r["id"]) for r in rows] == [d.pk for d in chosen] and rows[0]["box"] == "10,10,50,50"


def test_missing_stored_pictures_are_skipped_and_listed(client, catalogue):
    d, other = Detection.objects.filter(character__slug="marmalade").order_by("id")[:2]
    default_storage.delete(d.frame_image.name)
    response = client.post("/frames/download.zip", {"ids": [d.pk, other.pk]})
    pack = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert not any(n.startswith("frames/") and n.endswith(f"-{d.pk}.jpg") for n in pack.namelist())
    assert any(n.startswith("crops/") and n.endswith(f"-{d.pk}.jpg") for n in pack.namelist())
    rows = {row["id"]: row for row in json.loads(pack.read("manifest.json"))["frames"]}
    assert rows[d.pk]["missing"] == ["frame"] and rows[d.pk]["frame_file"] == ""
    assert rows[other.pk]["missing"] == []
    assert response["Content-Disposition"].endswith('filename="toonsite-marmalade-happy-2-frames.zip"')


def test_a_zip_is_refused_with_the_reason(client, catalogue):
    published = Detection.objects.order_by("id").first()
    hidden = Detection.objects.filter(episode=catalogue["second"]).first()
    ProcessingRun.objects.filter(pk=catalogue["second"].current_run_id).update(status=Status.FAILED)
    cases = [
        ({}, "Select at least one frame to download."),
        ({"ids": ["abc"]}, "&#x27;abc&#x27; is not a frame id"),
        ({"ids": list(range(1, 202))}, "You selected 201 frames; one download holds at most 200."),
        ({"ids": [published.pk, 999999]}, "No published frame has the id 999999"),
        ({"ids": [hidden.pk]}, f"No published frame has the id {hidden.pk}"),
    ]
    for data, reason in cases:
        response = client.post("/frames/download.zip", data)
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
        assert reason in response.content.decode(), data
    assert client.get("/frames/download.zip").status_code == 405


# -- search by drawing -------------------------------------------------------------------------------------------
def test_a_drawing_finds_alike_faces_shown_as_selectable_frames(logged_in, catalogue):
    drawing = SimpleUploadedFile("mine.png", studio_face_png("pip", "happy"), content_type="image/png")
    response = logged_in.post("/frames/drawing/", {"image": drawing, "character": "pip"})
    html = response.content.decode()
    assert response.status_code == 200, html[:3000]
    classification = response.context["classification"]
    assert f"Your drawing looks <span class=\"badge emo-{classification.emotion}\">" in html
    assert len(re.findall(r'<li class="emo-\w+"><span class="label">', html)) == 7  # every probability
    found = [m.best for m in response.context["moments"]]
    assert found and {d.character.slug for d in found} == {"pip"}
    if classification.emotion in {"happy", "angry"}:  # Pip shows these: the faces of the drawing's emotion come first
        assert found[0].emotion == classification.emotion
    assert html.count('name="ids"') == len(found) and 'action="/frames/download.zip"' in html


def test_drawing_search_refuses_bad_uploads_with_the_reason(logged_in, catalogue, settings):
    cases = [
        ({"image": SimpleUploadedFile("a.png", b"not a picture at all")}, 400, "not a readable image"),
        ({"image": SimpleUploadedFile("a.png", b"")}, 400, "The submitted file is empty."),
        ({}, 400, "This field is required."),
        ({"image": SimpleUploadedFile("a.jpg", jpeg()), "character": "nobody"}, 400, "unknown character"),
    ]
    for data, status, reason in cases:
        response = logged_in.post("/frames/drawing/", data)
        assert response.status_code == status and reason in response.content.decode(), reason
    settings.MAX_IMAGE_UPLOAD_BYTES = 100
    response = logged_in.post("/frames/drawing/", {"image": SimpleUploadedFile("a.jpg", jpeg(size=64))})
    assert response.status_code == 413 and "the limit is 100" in response.content.decode()


def test_drawing_search_needs_a_login(client, catalogue):
    response = client.post("/frames/drawing/", {"image": SimpleUploadedFile("a.jpg", jpeg())})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "Log in</a> to search by a drawing" in client.get("/frames/").content.decode()


# -- access and cost ---------------------------------------------------------------------------------------------
def test_the_search_needs_a_login_unless_the_site_is_public(client, catalogue, settings):
    settings.PUBLIC_READ = False
    response = client.get("/frames/?emotion=happy")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/frames/%3Femotion%3Dhappy"
    assert client.post("/frames/download.zip", {"ids": [1]}).status_code == 302
    client.force_login(get_user_model().objects.create_user("ana", password="x"))
    assert client.get("/frames/?emotion=happy").status_code == 200


def test_the_search_makes_a_bounded_number_of_queries(logged_in, catalogue, django_assert_max_num_queries):
    for n in range(5):  # more episodes and characters must not mean more queries
        crafted_episode(f"More {n}", held(character(f"extra{n}"), "happy", 0, 2), pictures=True)
    with django_assert_max_num_queries(7):
        assert logged_in.get("/frames/?emotion=happy&min_confidence=0.5").status_code == 200
    with django_assert_max_num_queries(7):
        assert logged_in.get("/frames/?character=pip").status_code == 200
    ids = list(Detection.objects.values_list("pk", flat=True)[:40])
    with django_assert_max_num_queries(4):
        response = logged_in.post("/frames/download.zip", {"ids": ids})
        assert response.status_code == 200
