"""The recommender API's serializers: its query's input, and its rankings' output. The episodes and characters
nested in a result are shaped by the emotions API's own output serializers, so an episode or a character reads
the same wherever the API answers it."""
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


class SimilarEpisodeOutputSerializer(serializers.Serializer):
    similarity = serializers.FloatField(help_text="cosine similarity of the emotion profiles, 0-1")
    shared_characters = serializers.ListField(child=serializers.CharField())
    episode = EpisodeOutputSerializer()


class SimilarEpisodesOutputSerializer(serializers.Serializer):
    episode = serializers.IntegerField()
    results = SimilarEpisodeOutputSerializer(many=True)
