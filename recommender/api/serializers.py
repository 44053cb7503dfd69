"""The recommender API's serializers: its query's input, and its rankings' output. The episodes and characters
nested in a result are shaped by the emotions API's own output serializers, so an episode or a character reads
the same wherever the API answers it."""
from django.urls import reverse
from rest_framework import serializers

from emotions.api.serializers import CharacterOutputSerializer, EpisodeOutputSerializer
from emotions.validation import CharacterSlugSerializerField, EmotionSerializerField
from toonvision.emotions import EMOTIONS


# -- input -------------------------------------------------------------------------------------------------
class LimitInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


class RecommendationInputSerializer(LimitInputSerializer):
    character = CharacterSlugSerializerField(max_length=50, help_text="a character's slug, e.g. pip")
    emotion = EmotionSerializerField(help_text="one of " + ", ".join(EMOTIONS))


class LeaderboardInputSerializer(LimitInputSerializer):
    emotion = EmotionSerializerField(help_text="one of " + ", ".join(EMOTIONS))


# -- output ------------------------------------------------------------------------------------------------
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


class ReasonOutputSerializer(serializers.Serializer):
    text = serializers.CharField(source="words", help_text='in plain words, e.g. "Like Sunny: Pip is happy 62% of '
                                                           'the time (58% there)"')
    character = serializers.CharField(source="character.slug", help_text="the character whose mood makes it alike")
    emotion = serializers.CharField()
    share = serializers.FloatField(help_text="of the character's screen time in this episode, in that emotion")
    source_share = serializers.FloatField(help_text="the same in what it is alike to (a liked character: overall)")
    seconds = serializers.FloatField(help_text="the character's screen seconds in this episode")
    liked_episode = serializers.IntegerField(source="source.episode.pk", allow_null=True,
                                             help_text="the episode it is alike to (null: a liked character)")
    liked_character = serializers.CharField(source="source.character.slug", allow_null=True,
                                            help_text="the liked character it is alike to (null: an episode)")


class AlikeEpisodeOutputSerializer(serializers.Serializer):
    similarity = serializers.FloatField(help_text="cosine similarity of the emotion profiles, 0-1")
    shared_characters = serializers.ListField(child=serializers.CharField())
    reason = ReasonOutputSerializer()
    thumbnail = serializers.SerializerMethodField(help_text="the crop of the reason's character in its emotion")
    best_time = serializers.FloatField(allow_null=True, help_text="where that face is, in seconds")
    episode = EpisodeOutputSerializer()

    def get_thumbnail(self, item) -> str | None:
        face = item.get("best_face") if isinstance(item, dict) else item.best_face
        if face is None:
            return None
        url = reverse("api:detection-crop", args=[face])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class SimilarEpisodeOutputSerializer(AlikeEpisodeOutputSerializer):
    pass


class SimilarEpisodesOutputSerializer(serializers.Serializer):
    episode = serializers.IntegerField()
    results = SimilarEpisodeOutputSerializer(many=True)


class ForYouResultOutputSerializer(AlikeEpisodeOutputSerializer):
    rank = serializers.IntegerField()


class ForYouOutputSerializer(serializers.Serializer):
    liked_episodes = serializers.ListField(child=serializers.IntegerField(), help_text="ids, latest liked first")
    liked_characters = serializers.ListField(child=serializers.CharField(), help_text="slugs, latest liked first")
    results = ForYouResultOutputSerializer(many=True)


class LikeOutputSerializer(serializers.Serializer):
    liked = serializers.BooleanField(help_text="whether you like it now")
