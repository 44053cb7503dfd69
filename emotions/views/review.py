"""The Review page: the faces the model is least sure of, one at a time, labelled by keyboard (the page's script
reads and writes through the label API). Labelling needs a login."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from emotions.models import Episode
from emotions.selectors.characters import character_list
from emotions.selectors.review import labels_count
from toonvision.emotions import EMOTIONS


@login_required
def review(request):
    """The Review page; `?character=SLUG` or `?episode=ID` reviews only those faces (an unknown one is a 400)."""
    keys = [{"key": str(n), "emotion": emotion} for n, emotion in enumerate(EMOTIONS, start=1)]
    characters = list(character_list())
    slug, episode_id = request.GET.get("character", ""), request.GET.get("episode", "")
    episode = Episode.objects.filter(pk=int(episode_id)).first() if episode_id.isdigit() and len(episode_id) < 10 \
        else None
    errors = []
    if slug and slug not in {c.slug for c in characters}:
        errors.append(f"There is no character {slug!r}: choose one from the list.")
    if episode_id and episode is None:
        errors.append(f"There is no episode {episode_id!r}.")
    return render(request, "emotions/review.html", {
        "keys": keys, "labelled_by_you": labels_count(user=request.user), "characters": characters,
        "character": "" if errors else slug, "episode": None if errors else episode, "errors": errors,
        "low_confidence": settings.LOW_CONFIDENCE,
    }, status=400 if errors else 200)
