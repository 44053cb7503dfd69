"""The animators' frame search: filter moments (one track's run of one emotion, shown by its best face) by
character, emotion, best confidence and episode, or search by a drawing (shown back beside its reading; its alike
moments searched for as read, for a chosen emotion or by look only; in pages kept server-side, so no upload again);
see each face boxed on its frame, and download the chosen frames as a ZIP."""
import tempfile
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from emotions.filters import MomentFilter
from emotions.forms import DrawingChoiceForm, DrawingSearchForm, FrameDownloadForm, PageForm
from emotions.selectors.characters import character_list
from emotions.selectors.detections import frame_search_episodes
from emotions.selectors.moments import moment_list, moment_page
from emotions.services.drawings import drawing_keep, drawing_recall
from emotions.services.references import references_filename, references_zip_write
from emotions.services.similar import moment_similar_page
from emotions.throttles import page_throttle_refusal
from emotions.validation import DRAWING_MAX_PAGES, page_key
from emotions.views.access import read_page
from toonvision.emotions import EMOTIONS

TEMPLATE = "emotions/frame_search.html"
DRAWING_RESULTS = 24
LABELS = {"character": "Character", "emotion": "Emotion", "min_confidence": "Minimum confidence", "episode": "Episode",
          "start": "From (seconds)", "end": "Until (seconds)", "after": "Page", "page": "Page", "__all__": "Search"}


@read_page
def frame_search(request):
    """The published moments that match the GET filters, each shown by its best face on its frame, most confident
    first and dealt out by episode within a page (selectors.moments), 48 a page (`after`)."""
    filters = MomentFilter(request.GET, queryset=moment_list())
    page = PageForm(request.GET)
    if not (filters.is_valid() & page.is_valid()):  # both, so every bad field is reported at once
        errors = {**filters.errors, **page.errors}
        labelled = [(LABELS.get(field, field), messages) for field, messages in errors.items()]
        return render(request, TEMPLATE, _context(request, errors=labelled, invalid=set(errors)), status=400)
    moments, following = moment_page(moments=filters.qs, after=page.cleaned_data["after"], framed=True)
    query = request.GET.copy()
    query.pop("after", None)
    first_query = query.urlencode()
    if following:
        query["after"] = page_key(following)
    return render(request, TEMPLATE, _context(
        request, moments=moments, searched=True, first_page=page.cleaned_data["after"] is None,
        first_query=first_query, next_query=query.urlencode() if following else "",
    ))


@login_required
def frame_drawing_search(request):
    """POST a drawing (optionally a character, and an emotion or "look"): its reading, the drawing itself, and a
    first page of the stored moments whose best face is most alike. The drawing is kept for its other pages and
    choices."""
    if request.method != "POST":
        return redirect("frame-search")
    form = DrawingSearchForm(request.POST, request.FILES)
    refusal = page_throttle_refusal(request, scope="images")  # the API's image allowance, one counter per user
    if refusal:
        form.is_valid()
        form.add_error(None, refusal)
        return render(request, TEMPLATE, _context(request, drawing_form=form), status=429)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(request, drawing_form=form), status=413 if form.too_large else 400)
    drawing = drawing_keep(user=request.user, image=form.cleaned_data["decoded"])
    return _drawing_results(request, drawing, form.cleaned_data, drawing_form=form)


@login_required
def frame_drawing_page(request, token: str):
    """A kept drawing's moments again: another page, emotion (or by look only) or character, with no new upload."""
    drawing = drawing_recall(token=token, user=request.user)
    if drawing is None:
        return render(request, TEMPLATE, _context(request, drawing_gone=True), status=404)
    choice = DrawingChoiceForm(request.GET)
    if not choice.is_valid():
        errors = [(LABELS.get(field, field), messages) for field, messages in choice.errors.items()]
        return render(request, TEMPLATE, _context(request, errors=errors, invalid=set(choice.errors)), status=400)
    return _drawing_results(request, drawing, choice.cleaned_data)


def _drawing_results(request, drawing, choice: dict, **extra):
    """The page of a drawing's search: its reading and thumbnail, the choice made, a page of alike moments."""
    reading = drawing.classification
    page = choice["page"]
    found, more = moment_similar_page(
        query=drawing.vector, emotion=choice["chosen_emotion"] or reading.emotion, by_look=choice["by_look"],
        character=choice["character"], limit=DRAWING_RESULTS, offset=(page - 1) * DRAWING_RESULTS,
    )
    for each in found:
        each.moment.best.similarity = each.similarity
    base = reverse("frame-drawing-page", args=[drawing.token])
    character = choice["character"]
    kept = {key: value for key, value in (("emotion", choice.get("emotion")),
                                          ("character", character.slug if character else "")) if value}

    def page_url(number: int) -> str:
        query = urlencode({**kept, "page": number} if number > 1 else kept)
        return f"{base}?{query}" if query else base

    return render(request, TEMPLATE, _context(
        request, values={}, drawing=drawing, classification=reading, choice=kept.get("emotion", ""),
        chosen_character=choice["character"], by_look=choice["by_look"],
        searched_emotion=None if choice["by_look"] else choice["chosen_emotion"] or reading.emotion,
        unsure=reading.confidence < settings.LOW_CONFIDENCE, low_confidence=settings.LOW_CONFIDENCE, drawing_page=page,
        probabilities=sorted(reading.probabilities.items(), key=lambda item: -item[1]),
        moments=[each.moment for each in found],
        none_shows_it=bool(found) and page == 1 and not choice["by_look"] and not any(f.same_emotion for f in found),
        next_url=page_url(page + 1) if more and page < DRAWING_MAX_PAGES else "",
        previous_url=page_url(page - 1) if page > 1 else "", **extra,
    ))


@read_page
@require_POST
def frame_download(request):
    """The selected frames (POST `ids`), their face crops and a manifest, as one ZIP of references."""
    form = FrameDownloadForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(request, refusal=form.errors["ids"]), status=400)
    detections = form.cleaned_data["detections"]
    out = tempfile.TemporaryFile()  # FileResponse closes it once sent
    references_zip_write(detections=detections, out=out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, content_type="application/zip",
                        filename=references_filename(detections=detections))


def _context(request, **extra) -> dict:
    """What every state of the page shows: the filter form with its choices and the values sent."""
    return {
        "characters": character_list(), "emotions": EMOTIONS, "episodes": frame_search_episodes(),
        "values": request.GET, "errors": [], "invalid": set(), "drawing_form": DrawingSearchForm(), **extra,
    }

