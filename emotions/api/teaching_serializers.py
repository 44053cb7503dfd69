"""The serializers of the teaching API: creating a character from examples, its examples, its trained versions.
Inputs validate shapes only; the services decide the rest (boxes inside the frame, images that are images)."""
import math

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from emotions.api.serializers import NULLABLE_URI, CharacterDetailOutputSerializer, absolute

MAX_ID = 2**31 - 1
MAX_SECONDS = 24 * 3600.0
BOX = serializers.ListField(child=serializers.IntegerField(min_value=-MAX_ID, max_value=MAX_ID), min_length=4,
                            max_length=4, help_text="[x, y, w, h] in video pixels")


# -- input -------------------------------------------------------------------------------------------------------------
class TaughtCharacterCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="its slug is made from it")
    mirror = serializers.BooleanField(default=True, help_text="false for a face whose look is not symmetric")
    examples = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list,
        help_text="face crops: images or ZIPs of images (repeat the field)",
    )


class CharacterAddInputSerializer(TaughtCharacterCreateInputSerializer):
    """What POST /api/characters/ documents: a character to teach (name, mirror, examples), or, for staff, one with
    a cascade file (name, slug, cascade and its detection parameters); the view validates the one it is."""

    slug = serializers.SlugField(max_length=50, required=False, help_text="with a cascade: the character's slug")
    cascade = serializers.FileField(required=False, help_text="staff: an OpenCV cascade XML file; it must load")
    scale_factor = serializers.FloatField(min_value=1.001, max_value=10.0, required=False)
    min_neighbors = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    min_size = serializers.IntegerField(min_value=1, max_value=10_000, required=False, help_text="pixels")
    max_size = serializers.IntegerField(min_value=0, max_value=10_000, required=False, help_text="pixels; 0: no limit")


class ExampleFilesInputSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), allow_empty=True,
                                  help_text="images or ZIPs of images (repeat the field)")
    kind = serializers.ChoiceField(choices=["positive", "negative"], default="positive")


class ExampleBoxInputSerializer(serializers.Serializer):
    episode = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="the episode's id")
    frame = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID, help_text="frame index from 0")
    time = serializers.FloatField(required=False, min_value=0, max_value=MAX_SECONDS,
                                  help_text="or the time shown, in seconds")
    box = BOX
    kind = serializers.ChoiceField(choices=["positive", "negative"], default="positive")

    def validate_time(self, value):
        if not math.isfinite(value):
            raise serializers.ValidationError("a time is a number of seconds")
        return value

    def validate(self, attrs):
        if "frame" not in attrs and "time" not in attrs:
            raise serializers.ValidationError("say which frame: `frame` (an index) or `time` (seconds)")
        return attrs


class ExampleMoveInputSerializer(serializers.Serializer):
    box = BOX


class PreviewWrongInputSerializer(serializers.Serializer):
    frame_index = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID,
                                           help_text="the preview frame; without it hit_index counts every frame's")
    hit_index = serializers.IntegerField(min_value=0, max_value=MAX_ID)


class PreviewMissedInputSerializer(serializers.Serializer):
    frame_index = serializers.IntegerField(min_value=0, max_value=MAX_ID, help_text="the preview frame")
    box = BOX


# -- output ------------------------------------------------------------------------------------------------------------
class ExampleOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    character = serializers.CharField(source="character.slug")
    kind = serializers.CharField(help_text="positive (a face of the character) or negative")
    source = serializers.CharField(help_text="frame, upload or preview")
    episode = serializers.IntegerField(source="episode_id", allow_null=True)
    frame = serializers.IntegerField(allow_null=True)
    box = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    created = serializers.DateTimeField()

    @extend_schema_field({"type": "array", "items": {"type": "integer"}, "nullable": True})
    def get_box(self, example) -> list[int] | None:
        return list(example.box) if example.box else None

    def get_image_url(self, example) -> str:
        return absolute(self.context, "api:character-example-image", example.character.slug, example.pk)

    def get_created_by(self, example) -> str | None:
        return example.created_by.get_username() if example.created_by_id else None


class ExampleListOutputSerializer(serializers.Serializer):
    examples = ExampleOutputSerializer(many=True, help_text="the examples added")


class PreviewFrameOutputSerializer(serializers.Serializer):
    episode = serializers.IntegerField()
    frame = serializers.IntegerField()
    image_url = serializers.URLField(help_text="the frame with the hits drawn (JPEG)")
    hits = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()),
                                 help_text="[[x, y, w, h], ...] in video pixels")


class VersionSummaryOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="queued, training, done, failed or cancelled")
    accepted = serializers.BooleanField()
    active = serializers.SerializerMethodField()
    error = serializers.CharField()
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)

    def get_url(self, version) -> str:
        return absolute(self.context, "api:character-version-detail", version.character.slug, version.number)

    def get_active(self, version) -> bool:
        return version.character.active_version_id == version.pk


class VersionOutputSerializer(VersionSummaryOutputSerializer):
    progress = serializers.DictField(help_text='the trainer\'s latest report: {"phase", "stage", "stages", '
                                               '"hit_rate", "false_alarm"}')
    cancel_requested = serializers.BooleanField()
    detection = serializers.DictField(help_text="the detection parameters training chose")
    report = serializers.DictField(help_text="held-out hit rate, false alarms per frame, seconds, device, ...")
    device = serializers.CharField()
    seconds = serializers.FloatField(allow_null=True)
    examples_used = serializers.IntegerField()
    preview = serializers.SerializerMethodField()
    started = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(PreviewFrameOutputSerializer(many=True))
    def get_preview(self, version) -> list[dict]:
        slug = version.character.slug
        return [{**{k: entry[k] for k in ("episode", "frame", "hits")},
                 "image_url": absolute(self.context, "api:character-version-preview", slug, version.number, n)}
                for n, entry in enumerate(version.preview or [])]


class TaughtCharacterOutputSerializer(CharacterDetailOutputSerializer):
    creator = serializers.SerializerMethodField()
    mirror = serializers.BooleanField()
    has_cascade = serializers.SerializerMethodField()
    active_version = serializers.IntegerField(source="active_version.number", allow_null=True, default=None)
    example_count = serializers.IntegerField(source="teaching.positives", help_text="example faces")
    negative_count = serializers.IntegerField(source="teaching.negatives")
    min_examples = serializers.IntegerField(source="teaching.min_examples", help_text="training needs this many")
    recommended_examples = serializers.IntegerField(source="teaching.recommended_examples")
    can_teach = serializers.BooleanField(source="teaching.can_teach", help_text="whether you may train it")
    versions = VersionSummaryOutputSerializer(source="teaching.versions", many=True)
    examples_url = serializers.SerializerMethodField()

    def get_creator(self, character) -> str | None:
        return character.creator.get_username() if character.creator_id else None

    def get_has_cascade(self, character) -> bool:
        return bool(character.cascade)

    @extend_schema_field(NULLABLE_URI)
    def get_examples_url(self, character) -> str:
        return absolute(self.context, "api:character-examples", character.slug)


class FindEverywhereOutputSerializer(serializers.Serializer):
    episodes = serializers.IntegerField(help_text="episodes queued to be processed again")
