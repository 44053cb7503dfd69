"""The recommender's API: episodes ranked by a character's emotion, alike episodes, the leaderboard, and a
viewer's likes with the episodes For you."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.models import Character, Episode
from recommender import alike, selectors
from recommender.api.serializers import (
    ForYouOutputSerializer,
    LeaderboardInputSerializer,
    LeaderboardOutputSerializer,
    LikeOutputSerializer,
    LimitInputSerializer,
    RankingOutputSerializer,
    RecommendationInputSerializer,
    SimilarEpisodesOutputSerializer,
)
from recommender.services import like_set
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
                    "share of its screen time in each emotion (a character absent from an episode counts as zeros). "
                    "Each result's reason names the character and emotion whose shares make the two most alike, "
                    "and its thumbnail is that character's best face in that emotion there.",
        parameters=[LimitInputSerializer],
        responses={200: SimilarEpisodesOutputSerializer, **ERRORS},
    )
    def get(self, request, pk: int):
        params = LimitInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        episode = get_object_or_404(Episode, pk=pk)
        similar = alike.episode_similar(episode=episode, limit=params.validated_data["limit"])
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


LIKE_ERRORS = error_responses(401, 403, 404)


class _LikeApi(APIView):
    """GET: whether you like it; POST: like it; DELETE: no longer like it (either twice changes nothing)."""

    permission_classes = [IsAuthenticated]

    def target(self, **kwargs) -> dict:
        raise NotImplementedError

    def _answer(self, liked: bool) -> Response:
        return Response(LikeOutputSerializer({"liked": liked}).data)

    def get(self, request, **kwargs):
        return self._answer(selectors.like_exists(user=request.user, **self.target(**kwargs)))

    def post(self, request, **kwargs):
        return self._answer(like_set(user=request.user, liked=True, **self.target(**kwargs)))

    def delete(self, request, **kwargs):
        return self._answer(like_set(user=request.user, liked=False, **self.target(**kwargs)))


@extend_schema(summary="Like an episode", request=None, responses={200: LikeOutputSerializer, **LIKE_ERRORS},
               description="Your likes are what For you (GET /api/recommendations/for-you/) ranks episodes by. "
                           "POST likes the episode, DELETE unlikes it, GET says whether you like it.")
class EpisodeLikeApi(_LikeApi):
    def target(self, *, pk: int) -> dict:
        return {"episode": get_object_or_404(Episode, pk=pk)}


@extend_schema(summary="Like a character", request=None, responses={200: LikeOutputSerializer, **LIKE_ERRORS},
               description="For you then counts the episodes where the character shows its usual mood. "
                           "POST likes the character, DELETE unlikes it, GET says whether you like it.")
class CharacterLikeApi(_LikeApi):
    def target(self, *, slug: str) -> dict:
        return {"character": get_object_or_404(Character, slug=slug)}


class ForYouApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Episodes for you",
        description="Episodes ranked by how alike their emotion profiles are (cosine similarity) to the closest of "
                    f"your {alike.LIKES_USED} latest likes; a liked character counts with its usual mood over all its "
                    "episodes. Each result has its reason (the liked episode or character, and the character and "
                    "emotion whose shares make them most alike) and a thumbnail. Episodes you like are left out; "
                    "with no likes the results are empty.",
        parameters=[LimitInputSerializer],
        responses={200: ForYouOutputSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request):
        params = LimitInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        results = alike.for_you(user=request.user, limit=params.validated_data["limit"])
        likes = list(selectors.like_list(user=request.user))
        body = {"liked_episodes": [like.episode_id for like in likes if like.episode_id],
                "liked_characters": [like.character.slug for like in likes if like.character_id],
                "results": _ranked(results)}
        return Response(ForYouOutputSerializer(body, context={"request": request}).data)
