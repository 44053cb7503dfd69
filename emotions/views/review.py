"""The Review page: the faces the model is least sure of, one at a time, labelled by keyboard (the page's script
reads and writes through the label API). Labelling needs a login."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from emotions.selectors.review import labels_count
from toonvision.emotions import EMOTIONS


@login_required
def review(request):
    """The Review page; `?character=SLUG` or `?episode=ID` reviews only those faces."""
    keys = [{"key": str(n), "emotion": emotion} for n, emotion in enumerate(EMOTIONS, start=1)]
    return render(request, "emotions/review.html", {
        "keys": keys, "labelled_by_you": labels_count(user=request.user),
        "character": request.GET.get("character", ""), "episode": request.GET.get("episode", ""),
    })
