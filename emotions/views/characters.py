"""Character pages: the cast as tiles, and each character's emotion browser (tabs of its moments, each shown by
its best face, and a breakdown chart). They read summaries and keyset pages only, so they stay fast over a million
faces."""
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404, render

from emotions.forms import CharacterGalleryForm
from emotions.selectors.characters import (
    character_best_face,
    character_dominant_emotion,
    character_emotion_breakdown,
    character_has_portrait,
    character_tiles,
)
from emotions.selectors.characters import character_list as character_list_read
from emotions.selectors.moments import CHARACTER_MOMENTS_PAGE_SIZE, character_moment_page
from emotions.validation import page_key
from emotions.views.access import read_page
from emotions.views.teaching import teaching_context
from recommender.selectors import like_exists

GALLERY_FRAGMENT = "emotions/includes/character_gallery.html"
MOMENTS_PAGE_SIZE = CHARACTER_MOMENTS_PAGE_SIZE


@read_page
def character_list(request):
    """Every character: picture, screen time across episodes, dominant emotion; each links to its browser."""
    return render(request, "emotions/character_list.html", {"tiles": character_tiles()})


@read_page
def character_detail(request, slug: str):
    """One character's emotions as tabs of its moments (`?emotion=`, keyset pages `&after=`) and its breakdown.

    With `fragment=1` only the gallery (tiles and pager) is answered: the page's script appends it."""
    character = get_object_or_404(character_list_read(), slug=slug)
    breakdown = character_emotion_breakdown(character=character)
    form = CharacterGalleryForm(request.GET)
    context = {"character": character, "breakdown": breakdown, "form": form}
    if not form.is_valid():
        return render(request, "emotions/character_detail.html", {**context, **_picture(character)}, status=400)
    emotion = form.cleaned_data["emotion"] or character_dominant_emotion(breakdown=breakdown) or "happy"
    moments, following = character_moment_page(character=character, emotion=emotion,
                                               after=form.cleaned_data["after"], limit=MOMENTS_PAGE_SIZE)
    context.update(emotion=emotion, moments=moments, first_page=form.cleaned_data["after"] is None,
                   count=next(row["detections"] for row in breakdown["emotions"] if row["emotion"] == emotion),
                   next_query=urlencode({"emotion": emotion, "after": page_key(following)}) if following else "")
    if form.cleaned_data["fragment"]:
        return render(request, GALLERY_FRAGMENT, context)
    context["teach"] = teaching_context(request.user, character)  # None unless it is a taught character
    context["liked"] = like_exists(user=request.user, character=character)
    return render(request, "emotions/character_detail.html", {**context, **_picture(character)})


def _picture(character) -> dict:
    if character_has_portrait(character=character):
        return {"portrait": True, "face": None}
    return {"portrait": False, "face": character_best_face(character=character)}
