"""The episode pages through Django's client: the list, the episode page (lanes, moments, alike episodes) in few
queries, the video's HTTP ranges, the read rule, a missing episode, the plain upload form, and the moments' keyset
pages."""
import html
import importlib
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from emotions.models import Episode, Status
from emotions.selectors.episodes import timeline_ticks
from tests.checks import nothing_left
from tests.factories import character, crafted_episode, held

pytestmark = pytest.mark.django_db

VIDEO_BYTES = bytes(range(256)) * 40  # 10,240 bytes standing in for a video file


@pytest.fixture
def episodes(user, media):
    """Two alike episodes (Pip mostly happy) and one of Marmalade alone, with faces and summaries."""
    pip, marmalade = character("pip", "Pip"), character("marmalade", "Marmalade")
    sunny = crafted_episode("Sunny day", held(pip, "happy", 0, 6, track=1) + held(pip, "sad", 6, 8, track=1)
                            + held(marmalade, "angry", 2, 5, confidence=0.4, track=2), owner=user, duration=10)
    picnic = crafted_episode("Picnic", held(pip, "happy", 0, 4) + held(marmalade, "angry", 4, 6), duration=8)
    alone = crafted_episode("Cat nap", held(marmalade, "neutral", 0, 3), duration=5)
    return {"sunny": sunny, "picnic": picnic, "alone": alone}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# -- the list ------------------------------------------------------------------------------------------------------
def test_the_list_shows_episodes_newest_first_with_their_characters_main_emotions(
    logged_in, episodes, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = logged_in.get("/episodes/")
    assert response.status_code == 200
    page = text(response)
    assert page.index("Cat nap") < page.index("Picnic") < page.index("Sunny day")
    sunny = page[page.index("Sunny day"):page.index("</li> </ul>", page.index("Sunny day"))]
    assert re.search(r"Pip <span class=\"badge emo-happy\">happy 75%", sunny)
    assert re.search(r"Marmalade <span class=\"badge emo-angry\">angry 100%", sunny)
    assert "status-done" in sunny and "0:10" in sunny


def test_the_list_filters_by_status_and_title_and_explains_a_bad_status(logged_in, episodes):
    Episode.objects.filter(pk=episodes["picnic"].pk).update(status=Status.PROCESSING, progress=0.4)
    processing = text(logged_in.get("/episodes/?status=processing"))
    assert "Picnic" in processing and "Sunny day" not in processing and "Processing: 40% done" in processing
    found = text(logged_in.get("/episodes/?search=nap"))
    assert "Cat nap" in found and "Picnic" not in found

    bad = logged_in.get("/episodes/?status=asleep")
    assert bad.status_code == 400
    assert "unknown status asleep" in text(bad)


def test_the_list_is_paginated(logged_in, media):
    for n in range(23):
        crafted_episode(f"Episode {n:02d}", [], duration=3)
    first, second = text(logged_in.get("/episodes/")), text(logged_in.get("/episodes/?page=2"))
    assert "Episode 22" in first and "Episode 03" in first and "Episode 02" not in first
    assert "Episode 02" in second and "Episode 00" in second and "Episode 03" not in second
    assert 'href="?page=2"' in first


# -- the episode page ------------------------------------------------------------------------------------------------
def test_the_episode_page_shows_lanes_summaries_faces_and_alike_episodes_in_few_queries(
    logged_in, episodes, django_assert_max_num_queries
):
    sunny = episodes["sunny"]
    # (15: one of them is whether the viewer likes the episode, for its like button)
    with django_assert_max_num_queries(15):
        response = logged_in.get(f"/episodes/{sunny.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert "<h1>Sunny day</h1>" in page
    # A lane per character, most screen time first, each stretch of one emotion one segment (to a bucket's width).
    assert page.index('data-character="pip"') < page.index('data-character="marmalade"')
    segments = [(label, float(start), float(end)) for start, end, label in re.findall(
        r'class="segment[^"]*" data-start="([\d.]+)" data-end="([\d.]+)".*?aria-label="([^"]+)"', page)]
    assert [label for label, _, _ in segments] == [
        "Pip happy 0:00–0:05", "Pip sad 0:06–0:07", "Marmalade angry 0:02–0:04"]
    bucket = 10 / 150
    for (_, start, end), (true_start, true_end) in zip(segments, [(0, 6), (6, 8), (2, 5)], strict=True):
        assert start == pytest.approx(true_start, abs=bucket) and end == pytest.approx(true_end, abs=bucket)
    # The same stretches marked on the video's seek bar, a row a character, in the lanes' order.
    bar = page[page.index('id="seekbar"'):page.index('id="seekbar-help"')]
    rows = re.findall(r'<div class="seek-lane" data-character="(\w+)">(.*?)</div>', bar, re.S)
    assert [slug for slug, _ in rows] == ["pip", "marmalade"]
    markers = [(emotion, float(start)) for _, markup in rows
               for emotion, start in re.findall(r'class="marker emo-(\w+)" data-start="([\d.]+)"', markup)]
    assert markers == [(label.split()[1], start) for label, start, _ in segments]
    # The lanes are one keyboard widget: a grid with a single tab stop.
    lanes = page[page.index('id="lanes"'):page.index('class="axis"')]
    assert 'role="grid"' in lanes and lanes.count('role="row"') == 2 and lanes.count('role="gridcell"') == 3
    assert lanes.count('tabindex="0"') == 1 and lanes.count('tabindex="-1"') == 2
    # Round time ticks: every 2 s over the 10 s episode, as m:ss.
    axis = page[page.index('class="axis"'):]
    assert re.findall(r'<span(?: class="end")? style="left: [\d.]+%">(\d:\d\d)</span>', axis)[:7] == [
        "0:00", "0:02", "0:04", "0:06", "0:08", "0:10"]
    assert '<video id="episode-video"' in page and f'src="/episodes/{sunny.pk}/video"' in page
    assert f'<track kind="subtitles" src="/api/episodes/{sunny.pk}/subtitles.vtt"' in page
    assert 'aria-label="Pip happy 75%"' in page
    # Its moments, not its 88 analysed frames: one card a character's run of one emotion, in time order, each its
    # best face large with its span, face count and a Play button that seeks the player to its start.
    moments = page[page.index('id="moments"'):page.index('id="similar-heading"')]
    cards = re.findall(r'<li class="tile frame-result emo-(\w+)" data-id="(\d+)" data-moment="\d+"(.*?)</li>', moments)
    assert [emotion for emotion, _, _ in cards] == ["happy", "angry", "sad"]
    happy, angry, sad = (card for _, _, card in cards)
    assert "0:00–0:06 (6.0 s)" in happy and "48 faces" in happy and 'data-seek="0.000"' in happy
    assert "▶ Play 0:00" in happy and f'href="/episodes/{sunny.pk}/?t=0.00"' in happy
    assert "0:02–0:05 (3.0 s)" in angry and 'data-seek="2.000"' in angry and "unsure" in angry  # 40%: marked
    assert "unsure" not in happy and "16 faces" in sad
    assert "Sunny day" not in happy  # the episode's own title is not repeated on its cards
    assert 'id="download"' in moments and "Download selected as ZIP" in moments and 'rel="next"' not in moments
    # Picnic (Pip happy, Marmalade angry) is alike; the cat's nap shares Marmalade but none of its emotions.
    similar = page[page.index("More like this"):]
    assert f'href="/episodes/{episodes["picnic"].pk}/"><strong>Picnic' in similar and "Cat nap" not in similar
    assert "With Marmalade, Pip" in similar


@pytest.mark.parametrize(("duration", "step", "count"), [
    (4, 1, 5), (10, 2, 6), (30, 5, 7), (100, 15, 7), (600, 120, 6), (1320, 180, 8), (7200, 900, 9)])
def test_time_ticks_fall_on_round_times_six_to_ten_of_them(duration, step, count):
    ticks = timeline_ticks(duration=duration)
    assert [t["at"] for t in ticks] == [i * step for i in range(count)]
    assert ticks[-1]["left"] <= 100 and ticks[0]["left"] == 0


def test_t_starts_the_video_there_and_a_bad_t_is_explained(logged_in, episodes):
    pk = episodes["sunny"].pk
    page = text(logged_in.get(f"/episodes/{pk}/?t=2"))
    assert 'data-start="2.000"' in page and f'src="/episodes/{pk}/video#t=2.000"' in page
    bad = logged_in.get(f"/episodes/{pk}/?t=soon")
    assert bad.status_code == 400 and "Enter a number" in text(bad)


def test_a_missing_episode_is_a_404_page(logged_in):
    response = logged_in.get("/episodes/999999/")
    assert response.status_code == 404
    assert "There is no episode 999999" in text(response)
    assert logged_in.get("/episodes/999999/video").status_code == 404


def test_moments_page_by_start_and_id_without_repeats(logged_in, media):
    pip, marmalade = character("pip", "Pip"), character("marmalade", "Marmalade")
    # Both on screen at the same moments, lone faces (no track: a moment each): equal starts, told apart by id.
    episode = crafted_episode("Duet", held(pip, "happy", 0, 8) + held(marmalade, "sad", 0, 8), duration=8)
    seen, url = [], f"/episodes/{episode.pk}/"
    while url:
        page = text(logged_in.get(url))
        cards = re.findall(r'data-moment="(\d+)".*?data-seek="([\d.]+)"', page)
        assert cards and len(cards) <= 24
        if seen:
            assert float(cards[0][1]) >= float(seen[-1][1])  # page 2 starts where page 1 ended
        seen += cards
        following = re.search(r'href="\?after=([^"#]+)#moments" rel="next"', page)
        url = f"/episodes/{episode.pk}/?after={following.group(1)}" if following else None
    ids = [int(pk) for pk, _ in seen]
    assert len(ids) == len(set(ids)) == 128
    assert [float(t) for _, t in seen] == sorted(float(t) for _, t in seen)


def test_a_bad_after_key_is_a_400(logged_in, episodes):
    response = logged_in.get(f"/episodes/{episodes['sunny'].pk}/?after=yesterday")
    assert response.status_code == 400
    assert "like 12.5_3401" in text(response)


def test_the_owner_may_delete_and_others_may_not(client, logged_in, episodes, django_capture_on_commit_callbacks):
    theirs, mine = episodes["picnic"], episodes["sunny"]
    bob = get_user_model().objects.create_user("bob", password="x")
    assert 'value="delete"' in text(logged_in.get(f"/episodes/{mine.pk}/"))
    assert 'value="delete"' not in text(logged_in.get(f"/episodes/{theirs.pk}/"))
    assert logged_in.post(f"/episodes/{theirs.pk}/", {"action": "delete"}).status_code == 403

    client.force_login(bob)
    assert client.post(f"/episodes/{mine.pk}/", {"action": "delete"}).status_code == 403
    client.force_login(get_user_model().objects.get(username="ana"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/episodes/{mine.pk}/", {"action": "delete"})
    assert response.status_code == 302 and response["Location"] == "/episodes/"
    assert not Episode.objects.filter(pk=mine.pk).exists() and Episode.objects.filter(pk=theirs.pk).exists()


# -- the read rule ---------------------------------------------------------------------------------------------------
def test_pages_need_a_login_unless_the_site_is_public(client, episodes, settings):
    pk = episodes["sunny"].pk
    default_storage.save(episodes["sunny"].file.name, ContentFile(VIDEO_BYTES))
    urls = ["/episodes/", f"/episodes/{pk}/", f"/episodes/{pk}/video"]
    settings.PUBLIC_READ = False
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url
    assert client.get("/episodes/upload/").status_code == 302
    settings.PUBLIC_READ = True
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/episodes/upload/").status_code == 302  # uploading always needs a login


# -- the video and its ranges ----------------------------------------------------------------------------------------
@pytest.fixture
def video_url(episodes):
    episode = episodes["sunny"]
    assert default_storage.save(episode.file.name, ContentFile(VIDEO_BYTES)) == episode.file.name
    return f"/episodes/{episode.pk}/video"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_whole_video_is_a_200_that_says_it_takes_ranges(logged_in, video_url):
    response = logged_in.get(video_url)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes" and response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(len(VIDEO_BYTES)) and body(response) == VIDEO_BYTES


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=100-299", 100, 299),
    ("bytes=10000-", 10000, len(VIDEO_BYTES) - 1),
    ("bytes=-40", len(VIDEO_BYTES) - 40, len(VIDEO_BYTES) - 1),
    ("bytes=10200-99999", 10200, len(VIDEO_BYTES) - 1),  # an end past the file stops at its last byte
])
def test_a_range_is_a_206_with_just_those_bytes(logged_in, video_url, header, start, end):
    response = logged_in.get(video_url, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(VIDEO_BYTES)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert body(response) == VIDEO_BYTES[start:end + 1]


def test_a_range_past_the_end_is_a_416(logged_in, video_url):
    response = logged_in.get(video_url, HTTP_RANGE=f"bytes={len(VIDEO_BYTES)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"


@pytest.mark.parametrize("header", [
    "bytes=0-" + "9" * 5000,  # past Python's 4300-digit int(): it was a 500
    "bytes=" + "1" * 5000 + "-",
    "bytes=-" + "9" * 5000,
    "bytes=0-" + "9" * 20,  # past any file's size: 2**63 has 19 digits
])
def test_an_absurd_range_is_a_416_not_a_500(logged_in, video_url, header):
    response = logged_in.get(video_url, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"


# -- what the video is served as ---------------------------------------------------------------------------------
def test_a_real_mp4_named_html_is_stored_as_mp4_and_served_as_video_mp4(logged_in, cast, studio_episode, quiet_queue,
                                                                         media):
    """Stored XSS: the type once came from the uploader's file name, so a real MP4 called evil.html (markup in its
    metadata) was served as text/html. The type, the stored name and the download name now come from the probe."""
    with open(studio_episode, "rb") as handle:
        upload = SimpleUploadedFile("evil.html", handle.read(), content_type="text/html")
    assert logged_in.post("/episodes/upload/", {"file": upload, "title": "Evil"}).status_code == 302
    episode = Episode.objects.get()
    response = logged_in.get(f"/episodes/{episode.pk}/video")
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert response["Content-Disposition"] == f'inline; filename="episode-{episode.pk}.mp4"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert episode.container == "mov,mp4,m4a,3gp,3g2,mj2" and episode.file.name.endswith("/evil.mp4")


@pytest.mark.parametrize(("container", "codec", "content_type", "disposition"), [
    ("mov,mp4,m4a,3gp,3g2,mj2", "h264", "video/mp4", "inline; filename=\"episode-{pk}.mp4\""),
    ("matroska,webm", "vp9", "video/webm", "inline; filename=\"episode-{pk}.webm\""),
    ("matroska,webm", "h264", "video/x-matroska", "inline; filename=\"episode-{pk}.mkv\""),
    ("avi", "mpeg4", "video/x-msvideo", "inline; filename=\"episode-{pk}.avi\""),
    ("mpegts", "h264", "video/mp2t", "inline; filename=\"episode-{pk}.ts\""),
    ("h264", "h264", "application/octet-stream", "attachment; filename=\"episode-{pk}.h264\""),
    ("hevc", "hevc", "application/octet-stream", "attachment; filename=\"episode-{pk}.hevc\""),
    ("", "h264", "application/octet-stream", "attachment; filename=\"episode-{pk}.bin\""),
])
def test_the_video_type_comes_from_the_probed_container_never_the_file_name(
    logged_in, episodes, video_url, container, codec, content_type, disposition
):
    episode = episodes["sunny"]
    Episode.objects.filter(pk=episode.pk).update(container=container, codec=codec)
    response = logged_in.get(video_url)
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == disposition.format(pk=episode.pk)


@pytest.mark.parametrize(("name", "codec", "container"), [
    ("episodes/aa/x/pilot.mp4", "h264", "mov,mp4,m4a,3gp,3g2,mj2"),
    ("episodes/aa/x/pilot.WEBM", "vp9", "matroska,webm"),
    ("episodes/aa/x/pilot.ts", "h264", "mpegts"),
    ("episodes/aa/x/evil.html", "vp8", "matroska,webm"),
    ("episodes/aa/x/evil.html", "h264", "mov,mp4,m4a,3gp,3g2,mj2"),
    ("episodes/aa.b/x/noextension", "h264", "mov,mp4,m4a,3gp,3g2,mj2"),
])
def test_episodes_stored_before_the_container_get_one_guessed_from_a_videos_extension_or_codec(name, codec,
                                                                                                 container):
    migration = importlib.import_module("emotions.migrations.0006_episode_container")
    assert migration.guessed_container(name, codec) == container


# -- the plain upload form -------------------------------------------------------------------------------------------
@pytest.fixture
def quiet_queue(settings):
    settings.EPISODE_QUEUE = f"pages-test-{uuid.uuid4().hex[:8]}"  # nobody listens: nothing is processed here
    settings.EPISODE_RANGE_FRAMES = 24


def test_the_upload_page_offers_a_labelled_file_input(logged_in, settings):
    page = text(logged_in.get("/episodes/upload/"))
    assert '<label for="id_file">' in page and 'id="id_file"' in page
    assert f'data-max-bytes="{settings.MAX_EPISODE_UPLOAD_BYTES}"' in page


def test_a_video_posted_without_javascript_becomes_an_episode_and_opens_its_page(
    logged_in, cast, studio_episode, quiet_queue
):
    with open(studio_episode, "rb") as handle:
        response = logged_in.post("/episodes/upload/", {"file": handle, "title": "Pilot"})
    episode = Episode.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/episodes/{episode.pk}/"
    assert (episode.title, episode.owner.username, episode.status) == ("Pilot", "ana", "queued")
    assert episode.current_run is not None


def test_a_posted_video_whose_run_cannot_be_started_keeps_nothing(logged_in, cast, studio_episode, quiet_queue,
                                                                 media, settings):
    """Kept and queued, or nothing: with the run unable to start (the emotion weights missing) no Episode row or
    file stays behind, queued with no run and never processed."""
    settings.EMOTION_WEIGHTS = media / "no-such-weights.pt"
    with open(studio_episode, "rb") as handle:
        response = logged_in.post("/episodes/upload/", {"file": handle, "title": "Pilot"})
    assert response.status_code == 503
    assert "The site's emotion model cannot be read now" in html.unescape(" ".join(response.content.decode().split()))
    assert not Episode.objects.exists()
    assert not (media / "episodes").exists() or not [p for p in (media / "episodes").rglob("*") if p.is_file()]


def test_with_no_character_to_look_for_a_posted_video_is_kept_failed_and_the_page_says_why(
    logged_in, studio_episode, quiet_queue, media, settings
):
    settings.CAST_DIR = media / "no-cast"
    with open(studio_episode, "rb") as handle:
        response = logged_in.post("/episodes/upload/", {"file": handle, "title": "Pilot"}, follow=True)
    episode = Episode.objects.get()
    assert (episode.status, episode.current_run) == (Status.FAILED, None)
    assert "The episode is kept but cannot be processed: no characters to look for" in text(response)


def test_a_file_that_is_not_a_video_is_a_400_with_the_reason_and_nothing_kept(logged_in, media, quiet_queue):
    fake = SimpleUploadedFile("pilot.mp4", b"this is a shopping list, not a video", content_type="video/mp4")
    response = logged_in.post("/episodes/upload/", {"file": fake, "title": "Pilot"})
    assert response.status_code == 400
    assert "Not uploaded:" in text(response) and "not a video: pilot.mp4" in text(response)
    assert nothing_left(media)


def test_an_oversized_upload_is_a_413_and_a_duplicate_names_the_episode(
    logged_in, cast, studio_episode, quiet_queue, settings, media
):
    with open(studio_episode, "rb") as handle:
        logged_in.post("/episodes/upload/", {"file": handle, "title": "Pilot"})
    first = Episode.objects.get()
    with open(studio_episode, "rb") as handle:
        again = logged_in.post("/episodes/upload/", {"file": handle, "title": "Again"})
    assert again.status_code == 409
    assert "already uploaded" in text(again) and f'href="/episodes/{first.pk}/">Pilot</a>' in text(again)

    settings.MAX_EPISODE_UPLOAD_BYTES = 1000
    big = SimpleUploadedFile("big.mp4", b"x" * 5000, content_type="video/mp4")
    response = logged_in.post("/episodes/upload/", {"file": big})
    assert response.status_code == 413 and "the largest episode accepted is" in text(response)
    assert Episode.objects.count() == 1


def test_the_owner_processes_again_and_the_page_then_follows_the_progress(
    logged_in, episodes, cast, quiet_queue
):
    sunny = episodes["sunny"]
    assert 'value="reprocess"' in text(logged_in.get(f"/episodes/{sunny.pk}/"))
    response = logged_in.post(f"/episodes/{sunny.pk}/", {"action": "reprocess"})
    assert response.status_code == 302 and response["Location"] == f"/episodes/{sunny.pk}/"
    sunny.refresh_from_db()
    assert sunny.status == "queued" and sunny.current_run.status == "queued"

    page = text(logged_in.get(f"/episodes/{sunny.pk}/"))
    assert f'data-poll="/api/episodes/{sunny.pk}/"' in page and "The page reloads when it is done" in page
    assert "Processing again" in page  # the message
    assert 'value="reprocess"' not in page  # not while a run is under way
    # The moments of the finished run stay on show until the new one is done.
    assert len(re.findall(r'data-moment="\d+"', page)) == 3
