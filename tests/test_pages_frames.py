"""The frame search through Django's client: filters narrow the frames, bad filters are a 400 naming what is
known, keyset pages, the references ZIP and its refusals, the drawing search and its refusals, the read rule,
and a bounded number of queries."""
import csv
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import Detection, ProcessingRun, Status
from tests.factories import character, crafted_episode, held, jpeg, studio_face_png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public(settings, media):
    settings.PUBLIC_READ = True


@pytest.fixture
def catalogue():
    """Two episodes: Pip happy and angry in the first, Pip and Marmalade happy in the second."""
    pip, marmalade = character("pip", "Pip"), character("marmalade", "Marmalade")
    first = crafted_episode("Cheese Heist", held(pip, "happy", 0, 1, confidence=0.9)
                            + held(pip, "angry", 1, 2, confidence=0.6), pictures=True)
    second = crafted_episode("Night Shift", held(pip, "happy", 0, 0.5, confidence=0.75)
                             + held(marmalade, "happy", 0, 1, confidence=0.8), pictures=True)
    return {"pip": pip, "marmalade": marmalade, "first": first, "second": second}


def frames(client, query: str) -> list[Detection]:
    response = client.get(f"/frames/?{query}")
    assert response.status_code == 200, response.content.decode()[:2000]
    return response.context["frames"]


def test_each_filter_narrows_the_frames(client, catalogue):
    everything = frames(client, "")
    assert len(everything) == 8 + 8 + 4 + 8
    assert [d.confidence for d in everything] == sorted((d.confidence for d in everything), reverse=True)

    assert {d.character.slug for d in frames(client, "character=pip")} == {"pip"}
    assert len(frames(client, "character=pip")) == 20
    happy = frames(client, "emotion=happy")
    assert len(happy) == 20 and {d.emotion for d in happy} == {"happy"}
    assert {d.confidence for d in frames(client, "min_confidence=0.8")} == {0.9, 0.8}
    assert {d.episode_id for d in frames(client, f"episode={catalogue['second'].pk}")} == {catalogue["second"].pk}
    both = frames(client, f"character=pip&emotion=happy&episode={catalogue['first'].pk}")
    assert len(both) == 8 and all(d.confidence == 0.9 for d in both)


def test_a_result_is_the_frame_with_its_face_boxed_captioned_and_linked_to_its_time(client, catalogue):
    response = client.get("/frames/?character=marmalade")
    html = response.content.decode()
    d = response.context["frames"][0]
    item = re.search(rf'<li class="tile frame-result emo-happy" data-id="{d.pk}">.*?</li>', html, re.S).group(0)
    assert f'<img loading="lazy" src="/api/detections/{d.pk}/frame.jpg"' in item
    # Face first: the crop fills the card (the frame is its inset), and the crop's own size is said.
    assert d.crop and item.index(f'src="/api/detections/{d.pk}/crop.jpg"') < item.index("frame.jpg")
    assert 'class="frame-link face-first"' in item and "Marmalade's face, happy" in item
    # The box (10, 10, 50, 50) on a 640 x 480 frame, in percent.
    assert 'style="left: 1.563%; top: 2.083%; width: 7.813%; height: 10.417%"' in item
    assert f'href="/episodes/{d.episode_id}/?t={d.time:.2f}"' in item
    assert "Marmalade</strong>" in item and '<span class="badge emo-happy">happy</span>' in item and "80%" in item
    assert "Night Shift ·" in item
    assert f'<label class="pick"><input type="checkbox" name="ids" value="{d.pk}"> Select' in item


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
    # 100 frames in 5 confidences: the id breaks the ties across page boundaries.
    crafted_episode("Long", [(pip, "happy", i * 0.1, 0.1, 0.5 + (i % 5) * 0.1) for i in range(100)], pictures=True)
    expected = list(Detection.objects.order_by("-confidence", "-id").values_list("pk", flat=True))

    seen, url = [], "/frames/?character=pip&emotion=happy"
    while url:
        response = client.get(url)
        seen.append([d.pk for d in response.context["frames"]])
        following = re.search(r'<a rel="next" href="([^"]+)"', response.content.decode())
        url = "/frames/" + following.group(1).replace("&amp;", "&") if following else None

    assert [len(p) for p in seen] == [48, 48, 4]
    assert sum(seen, []) == expected
    assert "character=pip" in following_query(client, expected[47])


def following_query(client, last_pk: int) -> str:
    last = Detection.objects.get(pk=last_pk)
    html = client.get(f"/frames/?character=pip&emotion=happy&after={last.confidence!r}_{last.pk}").content.decode()
    return re.search(r'<a href="\?([^"]+)">First page</a>', html).group(1)


def test_an_unfinished_runs_faces_are_never_shown(client, catalogue):
    run = catalogue["first"].current_run
    ProcessingRun.objects.filter(pk=run.pk).update(status=Status.PROCESSING)
    assert {d.episode_id for d in frames(client, "")} == {catalogue["second"].pk}


# -- the references ZIP ---------------------------------------------------------------------------------------
def test_the_zip_holds_exactly_the_selected_frames_their_crops_and_a_manifest(client, catalogue):
    chosen = list(Detection.objects.filter(character__slug="pip", emotion="happy").order_by("id")[:3])
    response = client.post("/frames/download.zip", {"ids": [d.pk for d in chosen]})

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="toonsite-pip-happy-3-frames.zip"'
    pack = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = {f"{d.pk}-pip-happy-cheese-heist.jpg" for d in chosen}
    assert set(pack.namelist()) == ({f"frames/{n}" for n in names} | {f"crops/{n}" for n in names}
                                    | {"manifest.csv", "manifest.json"})
    d = chosen[0]
    name = f"{d.pk}-pip-happy-cheese-heist.jpg"
    assert pack.read(f"frames/{name}") == default_storage.open(d.frame_image.name).read()
    assert pack.read(f"crops/{name}") == default_storage.open(d.crop.name).read()

    manifest = json.loads(pack.read("manifest.json"))["frames"]
    assert [row["id"] for row in manifest] == [d.pk for d in chosen]
    assert manifest[0] == {
        "id": d.pk, "episode": catalogue["first"].pk, "title": "Cheese Heist", "time": d.time, "frame": d.frame,
        "character": "pip", "emotion": "happy", "confidence": 0.9, "box": {"x": 10, "y": 10, "w": 50, "h": 50},
        "frame_file": f"frames/{name}", "crop_file": f"crops/{name}", "missing": [],
    }
    rows = list(csv.DictReader(io.StringIO(pack.read("manifest.csv").decode())))
    assert [int(r["id"]) for r in rows] == [d.pk for d in chosen] and rows[0]["box"] == "10,10,50,50"


def test_missing_stored_pictures_are_skipped_and_listed(client, catalogue):
    d, other = Detection.objects.filter(character__slug="marmalade").order_by("id")[:2]
    default_storage.delete(d.frame_image.name)
    response = client.post("/frames/download.zip", {"ids": [d.pk, other.pk]})
    pack = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert not any(n.startswith(f"frames/{d.pk}-") for n in pack.namelist())
    assert any(n.startswith(f"crops/{d.pk}-") for n in pack.namelist())
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
    found = response.context["frames"]
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
