"""The site as a browser sees it: login, the home page, bad uploads, the first login command."""
import html
import re
import subprocess
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import Detection, Episode
from emotions.services.classifier import images_classify
from tests.factories import character, crafted_episode, held
from tests.processes import ROOT, manage_py, process_env
from toonvision.images import read_image
from toonvision.video import probe_video

pytestmark = pytest.mark.django_db


def test_a_visitor_who_may_not_read_gets_a_landing_page_that_says_what_the_site_is(client):
    response = client.get("/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "finds the characters' faces in cartoon episodes, and the emotion on each" in page
    assert '<a class="button" href="/accounts/login/">Log in</a>' in page
    assert "Accounts are by invitation" in page and "/accounts/register/" not in page
    assert 'aria-label="Site"' not in page  # no navigation into pages that would only send them to log in
    assert client.get("/episodes/")["Location"].startswith("/accounts/login/")  # the pages still need a login


def test_home_shows_the_cast_and_the_model(logged_in, cast):
    page = logged_in.get("/").content.decode()
    for slug, name in [("marmalade", "Marmalade"), ("pip", "Pip")]:
        # Each member's studio portrait, in a link to the character's page.
        assert re.search(rf'<a class="member" href="/characters/{slug}/">\s*<img src="/cast/{slug}.png"[^>]*>\s*'
                         rf'<span class="body">{name}</span>', page)
    assert "preset <code>toon</code>" in page


def test_the_model_card_says_what_its_accuracy_was_measured_on_and_shows_no_server_path(logged_in, settings):
    page = logged_in.get("/").content.decode()

    assert "<code>toon.pt</code>" in page
    assert str(settings.BASE_DIR) not in page and str(settings.EMOTION_WEIGHTS) not in page
    held_out = re.search(r"It read ([\d.]+)% of (\d+) faces held out of that same set correctly", page)
    assert held_out and int(held_out.group(2)) > 0
    assert "Faces drawn in another style read less well" in page


def test_no_page_shows_a_server_path(logged_in, settings, media):
    """Honest numbers and no leaks: where the site, its data or its uploads live on the server is in no page."""
    pip = character("pip", "Pip")
    episode = crafted_episode("Paths", held(pip, "happy", 0, 2, track=1), pictures=True)
    pages = ["/", "/episodes/", f"/episodes/{episode.pk}/", "/characters/", "/characters/pip/", "/frames/",
             "/frames/?character=pip", "/review/", "/models/", "/datasets/", "/recommendations/?character=pip"
             "&emotion=happy", "/leaderboard/", "/recommendations/for-you/", "/episodes/upload/"]
    places = {str(settings.BASE_DIR), str(settings.DATA_DIR), str(settings.MEDIA_ROOT), str(settings.EMOTION_WEIGHTS)}
    for url in pages:
        response = logged_in.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert not [place for place in places if place in page], url


def test_health_answers_without_a_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_file_that_is_not_an_image_is_refused_with_a_message(logged_in):
    fake = SimpleUploadedFile("face.png", b"this is not a picture", content_type="image/png")
    response = logged_in.post("/", {"image": fake})
    assert response.status_code == 400
    assert "not a readable image" in response.content.decode()


def test_an_empty_upload_is_refused(logged_in):
    response = logged_in.post("/", {"image": SimpleUploadedFile("face.png", b"", content_type="image/png")})
    assert response.status_code == 400
    assert "empty" in response.content.decode()


def test_an_oversized_image_is_refused(logged_in, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 10
    response = logged_in.post("/", {"image": SimpleUploadedFile("face.png", b"x" * 11, content_type="image/png")})
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()


@pytest.mark.slow
def test_ensure_login_creates_one_admin_once_and_prints_it(tmp_path):
    site = {"TOONSITE_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert manage_py("migrate", "--noinput", env=site).returncode == 0

    first = manage_py("ensure_login", env=site)
    second = manage_py("ensure_login", env=site)

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Log in as: admin / ")
    assert second.stdout == first.stdout  # the same login, not a second account


def test_the_card_classifies_a_face_in_the_web_process_with_no_worker_running(logged_in, settings, studio_faces):
    """It used to queue the face and hold a web worker up to 30 s waiting for a Celery worker, then answer 503."""
    settings.EPISODE_QUEUE = "nobody-listens"
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0]
    started = time.monotonic()
    with open(face, "rb") as handle:
        response = logged_in.post("/", {"image": handle})
    assert response.status_code == 200 and time.monotonic() - started < 10
    result = response.context["result"]
    assert result.emotion == images_classify(images=[read_image(face)])[0].emotion == "happy"
    assert re.search(r'<div class="result" data-emotion="happy">\s*<div>\s*<h3>Happy', response.content.decode())
    assert '<span class="unsure"' not in response.content.decode().split('<div class="result"')[1].split("</h3>")[0]


def test_a_reading_below_the_low_confidence_mark_is_marked_unsure(logged_in, settings, studio_faces):
    settings.LOW_CONFIDENCE = 1.01  # every reading counts as unsure
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0]
    with open(face, "rb") as handle:
        page = logged_in.post("/", {"image": handle}).content.decode()
    heading = page.split('<div class="result"')[1].split("</h3>")[0]
    assert '<span class="unsure" title="the model gives this emotion less than 101%: check it by eye">unsure</span>' \
        in heading


def test_the_card_says_so_at_once_when_the_model_cannot_load(logged_in, settings, studio_faces, tmp_path):
    settings.EMOTION_WEIGHTS = tmp_path / "missing.pt"
    face = sorted((studio_faces / "pip" / "happy").glob("*.png"))[0]
    with open(face, "rb") as handle:
        response = logged_in.post("/", {"image": handle})
    assert response.status_code == 503
    assert "The emotion model cannot be loaded, so no face can be classified now" in response.content.decode()
    assert str(tmp_path) not in response.content.decode()  # no server path in the page


def test_cast_portraits_are_pngs_and_unknown_members_are_404(client):
    portrait = client.get("/cast/pip.png")
    assert portrait.status_code == 200 and portrait["Content-Type"] == "image/png"
    assert portrait.content.startswith(b"\x89PNG") and portrait.content == client.get("/cast/pip.png").content
    assert client.get("/cast/nobody.png").status_code == 404


# -- the home page -------------------------------------------------------------------------------------------
def tiles(html: str) -> list[str]:
    """The titles of the recent episodes' tiles, in the order shown."""
    section = html[html.index('id="recent"'):]
    return re.findall(r'<h3><a href="/episodes/\d+/">([^<]+)</a></h3>', section[:section.index("</section>")])


def test_a_new_site_tells_a_newcomer_how_to_start(logged_in):
    page = logged_in.get("/").content.decode()

    assert "Welcome: no episodes yet" in page
    assert '<a href="/episodes/upload/">Upload a video</a>' in page
    assert ".venv/bin/python manage.py synth_episode out.mp4 --seconds 20</code>" in page
    assert 'href="/frames/"' in page and 'href="/recommendations/"' in page
    assert "/admin/emotions/character/add/" not in page  # only staff may add characters
    assert 'id="recent"' not in page and 'id="processing"' not in page


def test_staff_on_a_new_site_are_pointed_to_the_admin_to_add_characters(client):
    client.force_login(get_user_model().objects.create_user("boss", password="x", is_staff=True))
    page = client.get("/").content.decode()
    assert '<a href="/admin/emotions/character/add/">add characters in the admin</a>' in page


def test_home_shows_what_is_processing_and_the_recent_episodes_newest_first(logged_in):
    pip, cat = character("pip", "Pip"), character("marmalade", "Marmalade")
    crafted_episode("Old", held(pip, "sad", 0, 5))
    crafted_episode("New", held(pip, "happy", 0, 8) + held(pip, "sad", 8, 10) + held(cat, "angry", 0, 2))
    busy = crafted_episode("Busy", [])
    Episode.objects.filter(pk=busy.pk).update(status="processing", progress=0.4)

    page = logged_in.get("/").content.decode()

    assert "Welcome" not in page
    processing = page[page.index('id="processing"'):page.index('id="recent"')]
    assert f'data-episode-api="/api/episodes/{busy.pk}/"' in processing and ">Busy</a>" in processing
    assert 'aria-valuenow="40"' in processing and "--value: 0.4000" in processing
    assert tiles(page) == ["New", "Old"]
    new = page[page.index(">New</a>"):page.index(">Old</a>")]
    assert "Pip: happy 80%" in new and "Marmalade: angry 100%" in new
    assert "0:20" in new  # its duration


def test_home_caps_the_recent_episodes(logged_in):
    for n in range(15):
        crafted_episode(f"Episode {n}", [])
    assert tiles(logged_in.get("/").content.decode()) == [f"Episode {n}" for n in range(14, 2, -1)]


def test_a_character_the_studio_cannot_draw_shows_its_best_face_or_its_initials(logged_in):
    bruno, zed = character("bruno", "Bruno Bear"), character("zed", "Zed")
    crafted_episode("Faces", [(bruno, "happy", 1.0, 0.5, 0.6), (bruno, "sad", 2.0, 0.5, 0.9)], pictures=True)
    best = Detection.objects.get(character=bruno, confidence=0.9)

    page = logged_in.get("/").content.decode()

    assert re.search(rf'href="/characters/bruno/">\s*<img src="/api/detections/{best.pk}/crop.jpg"', page)
    assert re.search(r'href="/characters/zed/">\s*<span class="initials" aria-hidden="true">Z</span>', page)
    assert zed.name in page


def test_a_public_site_shows_home_to_visitors_but_classifying_needs_a_login(client, settings):
    settings.PUBLIC_READ = True
    assert "Welcome: no episodes yet" in client.get("/").content.decode()

    fake = SimpleUploadedFile("face.png", b"not a picture", content_type="image/png")
    response = client.post("/", {"image": fake})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_home_makes_a_few_queries_however_many_episodes_and_characters(logged_in, django_assert_max_num_queries):
    pip = character("pip", "Pip")
    for n in range(20):
        crafted_episode(f"Episode {n}", held(pip, "happy", 0, 1) + held(character(f"extra{n}"), "sad", 0, 1))
        busy = crafted_episode(f"Busy {n}", [])
        Episode.objects.filter(pk=busy.pk).update(status="queued")
    with django_assert_max_num_queries(7):  # one of them: which emotion model is active (the model card)
        page = logged_in.get("/").content.decode()
    assert len(tiles(page)) == 12 and page.count("data-episode-api=") == 10


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/episodes/", "/characters/", "/frames/", "/recommendations/",
                                 "/api/docs/", "/api/episodes/", "/healthz", "/no-such-page/"])
def test_every_answer_carries_the_content_security_policy(logged_in, url):
    policy = logged_in.get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "style-src-attr": "'unsafe-inline'",
        "img-src": "'self' data:", "media-src": "'self'", "object-src": "'none'", "base-uri": "'self'",
        "frame-ancestors": "'none'", "form-action": "'self'",
    }


def test_no_template_holds_an_inline_script_or_style_element():
    """The policy refuses inline scripts and <style>; the pages' scripts are static files."""
    from tests.processes import ROOT

    templates = [p for folder in ("emotions/templates", "recommender/templates", "toonsite/templates")
                 for p in (ROOT / folder).rglob("*.html")]
    assert len(templates) > 10
    for path in templates:
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {path}"
        assert "<style" not in html, f"inline style element in {path}"
        assert not re.search(r"\son[a-z]+=", html), f"an inline event handler in {path}"


@pytest.mark.slow
def test_the_first_run_guides_command_runs_as_printed(logged_in, tmp_path):
    """A newcomer copies the guide's command into a shell in the folder ToonSite runs from."""
    page = logged_in.get("/").content.decode()
    command = html.unescape(re.search(r'<code id="synth-command">([^<]+)</code>', page).group(1))
    for name in (".venv", "manage.py"):  # the folder ToonSite runs from, without writing into the checkout
        (tmp_path / name).symlink_to(ROOT / name)

    result = subprocess.run(command, shell=True, cwd=tmp_path, env=process_env(), capture_output=True, text=True,
                            timeout=300)

    assert result.returncode == 0, result.stderr[-2000:]
    assert probe_video(tmp_path / "out.mp4").duration == pytest.approx(20, abs=0.1)
