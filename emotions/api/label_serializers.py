"""The label API's shapes: a label to give (one face or many), a label as kept, and the Review page's batch."""
from rest_framework import serializers

from emotions.api.serializers import DetectionOutputSerializer
from emotions.models import FaceLabel
from toonvision.emotions import EMOTIONS


class LabelInputSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=FaceLabel.Verdict.values, default=FaceLabel.Verdict.EMOTION,
        help_text="`emotion` (give `emotion`), `not_face` or `not_character` (the face leaves the results and "
                  "becomes a negative example of its character)",
    )
    emotion = serializers.ChoiceField(choices=list(EMOTIONS), required=False, allow_blank=True, default="",
                                      help_text="the face's emotion, for the `emotion` verdict")


class BulkLabelInputSerializer(LabelInputSerializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500,
                                help_text="the faces (detection ids) to give this label, at most 500")


class LabelOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    detection = serializers.IntegerField(source="detection_id")
    verdict = serializers.CharField()
    emotion = serializers.CharField(help_text="empty unless the verdict is `emotion`")
    model_emotion = serializers.CharField(help_text="what the model had said")
    model_confidence = serializers.FloatField(help_text="the model's probability of what it said")
    user = serializers.CharField(source="user.get_username", allow_null=True, default=None)
    created = serializers.DateTimeField()


class LabelledFaceOutputSerializer(serializers.Serializer):
    label = LabelOutputSerializer(allow_null=True, help_text="the label now in force (null: the model's word)")
    face = DetectionOutputSerializer(help_text="the face as every page now shows it")
    rejected = serializers.BooleanField(help_text="left out of every result (not a face, not this character)")


class BulkLabelOutputSerializer(serializers.Serializer):
    labels = LabelOutputSerializer(many=True)
    rejected = serializers.IntegerField(help_text="faces that left the results")


class ReviewFaceOutputSerializer(DetectionOutputSerializer):
    margin = serializers.FloatField(help_text="the top probability minus the runner-up: low is unsure")
    frame_width = serializers.IntegerField(source="episode.width", help_text="the frame's size, video pixels")
    frame_height = serializers.IntegerField(source="episode.height")


class ReviewInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)
    character = serializers.SlugField(required=False, help_text="only this character's faces")
    episode = serializers.IntegerField(min_value=1, required=False, help_text="only this episode's faces")
    skip = serializers.CharField(required=False, default="", help_text="comma-separated ids already held")

    def validate_skip(self, value: str) -> set[int]:
        try:
            return {int(part) for part in value.split(",") if part.strip()}
        except ValueError:
            raise serializers.ValidationError("comma-separated face ids") from None


class ReviewOutputSerializer(serializers.Serializer):
    faces = ReviewFaceOutputSerializer(many=True, help_text="least sure first, spread over characters and episodes")
    labelled_by_you = serializers.IntegerField(help_text="labels you have given in all")
