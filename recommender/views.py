"""The recommender's pages: episodes ranked by a character's emotion, and characters ranked by an emotion.

The views only validate the query (recommender.forms) and call recommender.selectors, which read the
per-episode summaries, never the detections."""
from django.shortcuts import render

from emotions.portraits import STUDIO_PORTRAITS
from emotions.views.access import read_page
from recommender import selectors
from recommender.forms import LeaderboardForm, RecommendationForm
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
