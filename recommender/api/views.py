"""The recommender's API: episodes ranked by a character's emotion, alike episodes, and the leaderboard."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.models import Episode
from recommender import selectors
from recommender.api.serializers import (
    LeaderboardInputSerializer,
    LeaderboardOutputSerializer,
    LimitInputSerializer,
    RankingOutputSerializer,
    RecommendationInputSerializer,
    SimilarEpisodesOutputSerializer,
)
from toonsite.api import error_responses

SCORE = (
    "score = (weighted_seconds + k / 7) / (screen_seconds + k): the confidence-weighted seconds of the emotion "
    "over the character's screen seconds, smoothed with k = RECOMMENDER_PRIOR_SECONDS (30 s by default) of prior "
    "screen time spread evenly over the seven emotions. Little screen time keeps a score near 1/7; only a long "
    "stretch of the emotion carries it far above, so one happy frame never beats a long happy scene."
)
ERRORS = error_responses(400, 401, 404, descriptions={404: "no such episode"})


def _ranked(items) -> list[dict]:
    return [{"rank": rank, **item.__dict__} for rank, item in enumerate(items, start=1)]


class RecommendationListApi(APIView):
    @extend_schema(
        summary="Episodes ranked by a character's emotion",
        description="E.g. `?character=pip&emotion=happy`: the happiest mouse. " + SCORE
        + " Each result carries the figures behind its score.",
        parameters=[RecommendationInputSerializer],
        responses={200: RankingOutputSerializer, **ERRORS},
    )
    def get(self, request):
        params = RecommendationInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        character, emotion = params.validated_data["character"], params.validated_data["emotion"]
        ranking = selectors.episode_ranking(character=character, emotion=emotion,
                                            limit=params.validated_data["limit"])
        body = {"character": character.slug, "emotion": emotion, "prior_seconds": selectors.prior_seconds(),
                "prior_share": selectors.PRIOR_SHARE, "formula": SCORE, "results": _ranked(ranking)}
        return Response(RankingOutputSerializer(body, context={"request": request}).data)


class SimilarEpisodesApi(APIView):
    @extend_schema(
        summary="Episodes alike in mood",
        description="Episodes ranked by the cosine similarity of their emotion profiles: for every character, the "
                    "share of its screen time in each emotion (a character absent from an episode counts as zeros).",
        parameters=[LimitInputSerializer],
        responses={200: SimilarEpisodesOutputSerializer, **ERRORS},
    )
    def get(self, request, pk: int):
        params = LimitInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        episode = get_object_or_404(Episode, pk=pk)
        similar = selectors.episode_similar(episode=episode, limit=params.validated_data["limit"])
        body = {"episode": episode.pk, "results": similar}
        return Response(SimilarEpisodesOutputSerializer(body, context={"request": request}).data)


class LeaderboardApi(APIView):
    @extend_schema(
        summary="Characters ranked by an emotion",
        description="E.g. `?emotion=happy`: which character is the happiest, over all its screen time. " + SCORE,
        parameters=[LeaderboardInputSerializer],
        responses={200: LeaderboardOutputSerializer, **ERRORS},
    )
    def get(self, request):
        params = LeaderboardInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        emotion = params.validated_data["emotion"]
        board = selectors.character_leaderboard(emotion=emotion, limit=params.validated_data["limit"])
        body = {"emotion": emotion, "prior_seconds": selectors.prior_seconds(), "prior_share": selectors.PRIOR_SHARE,
                "formula": SCORE, "results": _ranked(board)}
        return Response(LeaderboardOutputSerializer(body, context={"request": request}).data)
