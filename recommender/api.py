"""The recommender's API: episodes ranked by a character's emotion, alike episodes, and the leaderboard."""
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api.serializers import (
    CharacterOutputSerializer,
    EpisodeOutputSerializer,
    ErrorOutputSerializer,
    LeaderboardInputSerializer,
    LimitInputSerializer,
    RecommendationInputSerializer,
)
from emotions.models import Episode
from recommender import selectors

SCORE = (
    "score = (weighted_seconds + k / 7) / (screen_seconds + k): the confidence-weighted seconds of the emotion "
    "over the character's screen seconds, smoothed with k = RECOMMENDER_PRIOR_SECONDS (30 s by default) of prior "
    "screen time spread evenly over the seven emotions. Little screen time keeps a score near 1/7; only a long "
    "stretch of the emotion carries it far above, so one happy frame never beats a long happy scene."
)
ERRORS = {
    400: OpenApiResponse(ErrorOutputSerializer, description="bad input: the reason"),
    401: OpenApiResponse(ErrorOutputSerializer, description="not logged in"),
    404: OpenApiResponse(ErrorOutputSerializer, description="no such episode"),
}


class EpisodeScoreOutputSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.FloatField(help_text="the smoothed, confidence-weighted share (see the formula)")
    share = serializers.FloatField(help_text="emotion_seconds / character_seconds, unsmoothed")
    emotion_seconds = serializers.FloatField()
    weighted_seconds = serializers.FloatField(help_text="emotion seconds, each weighted by its confidence")
    character_seconds = serializers.FloatField(help_text="the character's screen seconds in the episode")
    detections = serializers.IntegerField()
    episode = EpisodeOutputSerializer()


class RankingOutputSerializer(serializers.Serializer):
    character = serializers.CharField()
    emotion = serializers.CharField()
    prior_seconds = serializers.FloatField(help_text="k in the formula")
    prior_share = serializers.FloatField(help_text="1/7")
    formula = serializers.CharField()
    results = EpisodeScoreOutputSerializer(many=True)


class CharacterScoreOutputSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    share = serializers.FloatField()
    emotion_seconds = serializers.FloatField()
    weighted_seconds = serializers.FloatField()
    screen_seconds = serializers.FloatField(help_text="across every episode")
    episodes = serializers.IntegerField()
    character = CharacterOutputSerializer()


class LeaderboardOutputSerializer(serializers.Serializer):
    emotion = serializers.CharField()
    prior_seconds = serializers.FloatField()
    prior_share = serializers.FloatField()
    formula = serializers.CharField()
    results = CharacterScoreOutputSerializer(many=True)


class SimilarEpisodeOutputSerializer(serializers.Serializer):
    similarity = serializers.FloatField(help_text="cosine similarity of the emotion profiles, 0-1")
    shared_characters = serializers.ListField(child=serializers.CharField())
    episode = EpisodeOutputSerializer()


class SimilarEpisodesOutputSerializer(serializers.Serializer):
    episode = serializers.IntegerField()
    results = SimilarEpisodeOutputSerializer(many=True)


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


urlpatterns = [
    path("recommendations/", RecommendationListApi.as_view(), name="recommendations"),
    path("recommendations/similar/<int:pk>/", SimilarEpisodesApi.as_view(), name="recommendations-similar"),
    path("leaderboard/", LeaderboardApi.as_view(), name="leaderboard"),
]
