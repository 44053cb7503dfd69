"""The recommender's pages: episodes ranked by a character's emotion, and characters ranked by an emotion.

The views only validate the query (recommender.forms) and call recommender.selectors, which read the
per-episode summaries, never the detections."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from emotions.models import Character, Episode
from emotions.portraits import STUDIO_PORTRAITS
from emotions.views.access import read_page
from recommender import alike, selectors
from recommender.forms import LeaderboardForm, RecommendationForm
from recommender.services import like_toggle
from toonvision.emotions import EMOTIONS

RANKING_LIMIT = 20
DEFAULT_EMOTION = "happy"
# "the happiest Pip": how the pages name the top of a ranking.
SUPERLATIVES = {
    "angry": "angriest", "disgust": "most disgusted", "fear": "most fearful", "happy": "happiest",
    "neutral": "calmest", "sad": "saddest", "surprise": "most surprised",
}


def _rows(ranking) -> list[tuple]:
    """(item, bar) pairs: bars are drawn relative to the best score on the page, so that differences show even
    though every score sits between 0 and 1 and most near the even share 1/7."""
    best = max((item.score for item in ranking), default=0.0) or 1.0
    return [(item, item.score / best) for item in ranking]


def _formula_context() -> dict:
    return {"prior_seconds": selectors.prior_seconds(), "emotion_count": len(EMOTIONS)}


@read_page
def recommendations(request):
    """`?character=pip&emotion=happy`: the episodes where Pip is happiest, with the figures behind each score."""
    context = _formula_context()
    if not request.GET:
        form = RecommendationForm(initial={"emotion": DEFAULT_EMOTION})
        characters = list(form.fields["character"].queryset[:50])
        example = next((c for c in characters if c.slug == "pip"), characters[0] if characters else None)
        return render(request, "recommender/recommendations.html", {
            **context, "form": form, "example": example, "example_emotion": DEFAULT_EMOTION,
            "superlative": SUPERLATIVES[DEFAULT_EMOTION],
        })
    form = RecommendationForm(request.GET)
    if not form.is_valid():
        return render(request, "recommender/recommendations.html", {**context, "form": form}, status=400)
    character, emotion = form.cleaned_data["character"], form.cleaned_data["emotion"]
    ranking = selectors.episode_ranking(character=character, emotion=emotion, limit=RANKING_LIMIT)
    return render(request, "recommender/recommendations.html", {
        **context, "form": form, "character": character, "emotion": emotion, "rows": _rows(ranking),
        "superlative": SUPERLATIVES[emotion], "searched": True, "studio_portrait": character.slug in STUDIO_PORTRAITS,
    })


@read_page
def leaderboard(request):
    """`?emotion=happy` (the default): the characters ranked by how much of their screen time shows it."""
    query = request.GET.copy()
    query.setdefault("emotion", DEFAULT_EMOTION)
    form = LeaderboardForm(query)
    context = {**_formula_context(), "form": form, "current": query["emotion"]}
    if not form.is_valid():
        return render(request, "recommender/leaderboard.html", context, status=400)
    emotion = form.cleaned_data["emotion"]
    board = selectors.character_leaderboard(emotion=emotion, limit=RANKING_LIMIT)
    return render(request, "recommender/leaderboard.html", {
        **context, "emotion": emotion, "rows": _rows(board), "superlative": SUPERLATIVES[emotion],
        "studio_portraits": STUDIO_PORTRAITS,
    })


@login_required
def for_you(request):
    """Episodes alike in mood to what the viewer liked, each with its reason; with no likes, how to get some."""
    rows = alike.for_you(user=request.user, limit=RANKING_LIMIT)
    likes = list(selectors.like_list(user=request.user)[:alike.LIKES_USED])
    return render(request, "recommender/for_you.html", {"rows": rows, "likes": likes})


@login_required
@require_POST
def like_episode(request, pk: int):
    """The like button of an episode's page: like it, or unlike it if liked; back to where it was pressed."""
    episode = get_object_or_404(Episode, pk=pk)
    liked = like_toggle(user=request.user, episode=episode)
    return _liked(request, liked, episode.title, reverse("episode-detail", args=[pk]))


@login_required
@require_POST
def like_character(request, slug: str):
    """The like button of a character's page."""
    character = get_object_or_404(Character, slug=slug)
    liked = like_toggle(user=request.user, character=character)
    return _liked(request, liked, character.name, reverse("character-detail", args=[slug]))


def _liked(request, liked: bool, name: str, fallback: str):
    messages.success(request, f"You like {name}: your For you page counts it." if liked
                     else f"You no longer like {name}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = fallback
    return redirect(target)
