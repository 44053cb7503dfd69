"""Episode pages: the upload page (a script uploads through the API; the plain form works without it), the list,
the episode page (video, emotion timeline, subtitles, summaries, moments, alike episodes) and the video itself,
streamed with HTTP ranges so browsers can seek."""
import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from kombu.exceptions import OperationalError as BrokerUnreachable

from emotions.access import can_change_episode
from emotions.exceptions import (
    DuplicateEpisode,
    EpisodeRejected,
    ModelUnavailable,
    ProcessingRefused,
    StorageFull,
    storage_full_of,
)
from emotions.filters import EpisodeFilter
from emotions.forms import EpisodePageForm, EpisodeUploadForm
from emotions.media import video_media
from emotions.models import Episode, Status
from emotions.selectors.episodes import (
    episode_character_emotions,
    episode_main_emotions,
    episode_timeline_lanes,
    episode_video_file,
)
from emotions.selectors.episodes import (
    episode_detail as episode_detail_read,
)
from emotions.selectors.episodes import (
    episode_list as episode_list_read,
)
from emotions.selectors.moments import episode_moment_page
from emotions.services.episodes import episode_delete
from emotions.services.episodes import episode_upload as episode_upload_and_queue
from emotions.services.runs import episode_process
from emotions.throttles import page_throttle_refusal
from emotions.validation import page_key, sentence, upload_declared_oversize
from emotions.views.access import read_page
from emotions.views.teaching import marking_context
from recommender.alike import episode_similar
from recommender.selectors import like_exists

EPISODES_PER_PAGE = 20
SIMILAR_EPISODES = 6
VIDEO_CHUNK = 256 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# A byte position longer than this is past any file (2**63 has 19 digits): the range is refused, not parsed
# (int() refuses strings over 4300 digits, and nothing is gained by reading a longer one).
RANGE_DIGITS = 19


# -- the list ----------------------------------------------------------------------------------------------------
@read_page
def episode_list(request):
    """Episodes, newest first, filtered by status and title, each with its characters' main emotions."""
    query = {key: request.GET[key] for key in ("status", "search") if request.GET.get(key)}
    filterset = EpisodeFilter(query, queryset=episode_list_read())
    if not filterset.is_valid():
        return render(request, "emotions/episode_list.html", _list_context(filterset, None), status=400)
    page = Paginator(filterset.qs, EPISODES_PER_PAGE).get_page(request.GET.get("page"))
    mains = episode_main_emotions(episode_ids=[e.pk for e in page])
    for episode in page:
        episode.main_emotions = mains.get(episode.pk, [])
        episode.looked_for = _looked_for(episode)
    return render(request, "emotions/episode_list.html", _list_context(filterset, page))


def _list_context(filterset, page) -> dict:
    query = {key: value for key, value in filterset.data.items() if key in ("status", "search")}
    return {"filterset": filterset, "page": page, "statuses": Status.choices, "query": query}


# -- upload --------------------------------------------------------------------------------------------------------
@login_required
def episode_upload(request):
    """The upload page; a plain multipart POST (no JavaScript) keeps and queues the episode (or keeps nothing),
    then opens its page."""
    limit = settings.MAX_EPISODE_UPLOAD_BYTES
    if request.method != "POST":
        return _upload_page(request, EpisodeUploadForm())
    refusal = page_throttle_refusal(request)  # the API's upload allowance, one counter per user through either
    if refusal:
        return _upload_page(request, EpisodeUploadForm(), reason=refusal, status=429)
    oversize = upload_declared_oversize(request, limit=limit)
    if oversize:  # refused before a byte of it is read
        return _upload_page(request, EpisodeUploadForm(), reason=sentence(oversize), status=413)
    try:
        form = EpisodeUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return _upload_page(request, form, status=400)
        episode = episode_upload_and_queue(
            owner=request.user, file=form.cleaned_data["file"], title=form.cleaned_data["title"]
        )
    except DuplicateEpisode as error:
        return _upload_page(request, form, reason=f"{error}.", duplicate=error.episode, status=409)
    except EpisodeRejected as error:
        return _upload_page(request, form, reason=f"{error}.", status=413 if error.code == "too_large" else 400)
    except ModelUnavailable as error:
        return _upload_page(request, form, reason=sentence(str(error)), status=503)
    except (StorageFull, OSError) as error:  # an OSError here is the spool's, while Django read the upload
        if (full := storage_full_of(error)) is None:
            raise
        return _upload_page(request, EpisodeUploadForm(), reason=sentence(str(full)), status=507)
    if episode.status == Status.FAILED:  # kept, but there is nothing to look for
        messages.error(request, f"The episode is kept but cannot be processed: {episode.error}.")
    return redirect("episode-detail", pk=episode.pk)


def _upload_page(request, form, *, reason: str = "", duplicate=None, status: int = 200):
    context = {"form": form, "reason": reason, "duplicate": duplicate,
               "max_bytes": settings.MAX_EPISODE_UPLOAD_BYTES,
               "chunk_bytes": settings.RESUMABLE_CHUNK_MAX_BYTES // 2}
    return render(request, "emotions/episode_upload.html", context, status=status)


# -- the episode page ------------------------------------------------------------------------------------------------
@read_page
@require_http_methods(["GET", "HEAD", "POST"])
def episode_detail(request, pk: int):
    """The episode: video with ?t= start, timeline lanes, subtitles, summaries, a page of moments, alike episodes.
    A POST (owner or staff) processes it again or deletes it."""
    try:
        episode = episode_detail_read(pk=pk)
    except Episode.DoesNotExist:
        return render(request, "emotions/episode_detail.html", {"missing": pk}, status=404)
    if request.method == "POST":
        return _episode_action(request, episode)
    form = EpisodePageForm(request.GET)
    if not form.is_valid():
        return render(request, "emotions/episode_detail.html", {"episode": episode, "form": form}, status=400)
    characters = episode_character_emotions(episode=episode)
    moments, following = episode_moment_page(episode=episode, after=form.cleaned_data["after"])
    names = {c["slug"]: c["name"] for c in characters}
    context = {
        "episode": episode, "form": form, "start": form.cleaned_data["t"] or 0,
        "characters": _with_bars(characters),
        "timeline": episode_timeline_lanes(episode=episode, names=names),
        "moments": moments, "after": form.cleaned_data["after"],
        "next_after": page_key(following) if following else None,
        "similar": _similar(episode, names),
        "liked": like_exists(user=request.user, episode=episode),
        "can_change": can_change_episode(request.user, episode),
        "looked_for": _looked_for(episode),
        "marking": marking_context(request.user, episode),
    }
    return render(request, "emotions/episode_detail.html", context)


def _looked_for(episode) -> list[str]:
    """The names of the characters the episode's latest run looked for."""
    run = episode.current_run
    return [entry.get("name") or entry.get("slug", "") for entry in (run.cascades if run else [])]


def _with_bars(characters: list[dict]) -> list[dict]:
    """Each character's emotions as a list, largest share first, for the summary's bars."""
    for entry in characters:
        entry["bars"] = sorted(({"emotion": e, **f} for e, f in entry["emotions"].items()), key=lambda b: -b["share"])
    return characters


def _similar(episode, names: dict[str, str]) -> list[dict]:
    """Alike episodes, their shared characters by name, their reason in words and their thumbnail."""
    return [{"episode": s.episode, "similarity": s.similarity, "reason": s.reason.text(here=True),
             "emotion": s.reason.emotion, "best_face": s.best_face, "best_time": s.best_time,
             "shared_characters": [names.get(slug, slug) for slug in s.shared_characters]}
            for s in episode_similar(episode=episode, limit=SIMILAR_EPISODES)]


def _episode_action(request, episode):
    """"Process again" or "Delete", for the episode's owner or staff."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    if not can_change_episode(request.user, episode):
        return HttpResponse("Only the episode's owner or staff may change it.", status=403,
                            content_type="text/plain; charset=utf-8")
    action = request.POST.get("action")
    if action == "delete":
        episode_delete(episode=episode)
        messages.success(request, f"Episode “{episode.title}” was deleted.")
        return redirect("episode-list")
    if action == "reprocess":
        try:
            episode_process(episode=episode, force=episode.status == Status.FAILED)
            messages.success(request, "Processing again: the page follows its progress.")
        except (ProcessingRefused, ModelUnavailable) as error:
            messages.error(request, f"Not processed again: {error}.")
        except BrokerUnreachable:
            messages.error(request, "The task queue is unreachable; try again later.")
        return redirect("episode-detail", pk=episode.pk)
    return HttpResponse("Unknown action: use reprocess or delete.", status=400,
                        content_type="text/plain; charset=utf-8")


# -- the video -----------------------------------------------------------------------------------------------------
@read_page
def episode_video(request, pk: int):
    """The episode's video from storage; a single `Range: bytes=` request gets 206 with just those bytes (416 when
    it lies past the end), which is what lets a browser seek without downloading the whole file. Its type comes
    from the container the probe found (emotions.media), never from a file name."""
    try:
        video = episode_video_file(pk=pk)
    except Episode.DoesNotExist:
        return _plain(f"There is no episode {pk}.", 404)
    name, media = video["file"], video_media(container=video["container"], codec=video["codec"])
    if not name or not default_storage.exists(name):
        return _plain(f"Episode {pk} has no stored video.", 404)
    size = default_storage.size(name)
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if wanted == "unsatisfiable":
        response = _plain(f"The range lies outside the video's {size} bytes.", 416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = wanted or (0, size - 1)
    response = StreamingHttpResponse(_read(name, start, end - start + 1), status=206 if wanted else 200,
                                     content_type=media.content_type)
    response["Content-Disposition"] = media.disposition(f"episode-{pk}")
    response["Content-Length"] = str(max(end - start + 1, 0))
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def _byte_range(header: str, size: int):
    """(start, end) inclusive for one satisfiable range, "unsatisfiable", or None to send the whole file (no header,
    several ranges or one we do not understand: a server may always answer those with the whole body)."""
    match = RANGE.match(header.strip().replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if len(first) > RANGE_DIGITS or len(last) > RANGE_DIGITS:
        return "unsatisfiable"
    if first == "":  # the last N bytes
        length = int(last)
        return (max(size - length, 0), size - 1) if length > 0 and size > 0 else "unsatisfiable"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None  # syntactically invalid: ignored, per RFC 9110
    return (start, end) if start < size else "unsatisfiable"


def _read(name: str, start: int, length: int):
    with default_storage.open(name, "rb") as handle:
        handle.seek(start)
        while length > 0:
            chunk = handle.read(min(VIDEO_CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
