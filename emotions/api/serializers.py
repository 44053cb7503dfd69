"""Input serializers validate what a request brings; output serializers shape what the API returns.
No business logic here: the views hand validated data to services and selectors."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from emotions.portraits import STUDIO_PORTRAITS
from emotions.selectors.detections import detection_crop_side
from emotions.validation import (
    DRAWING_MAX_PAGES,
    CharacterSlugSerializerField,
    EmotionSerializerField,
    image_upload_read,
)
from toonsite.api import ErrorOutputSerializer

MAX_CASCADE_BYTES = 16 * 1024 * 1024
NULLABLE_URI = {"type": "string", "format": "uri", "nullable": True}


def absolute(context: dict, name: str, *args) -> str:
    url = reverse(name, args=args)
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url


def timecode(seconds: float) -> str:
    """Seconds as HH:MM:SS.mmm (WebVTT's timestamps, and a readable time for people)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


# -- input -------------------------------------------------------------------------------------------------
class EpisodeUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="the video (probed by its content, not its name)")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                  help_text="defaults to the file's name")


class ReprocessInputSerializer(serializers.Serializer):
    force = serializers.BooleanField(
        default=False, help_text="abandon a run under way (one stuck, say) instead of refusing with a 409"
    )


class TimelineInputSerializer(serializers.Serializer):
    bucket = serializers.FloatField(min_value=0.1, max_value=24 * 3600, default=5.0, help_text="seconds per bucket")


class CharacterCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=50)
    cascade = serializers.FileField(help_text="an OpenCV cascade XML file (HAAR or LBP); it must load")
    scale_factor = serializers.FloatField(min_value=1.001, max_value=10.0, default=1.1)
    min_neighbors = serializers.IntegerField(min_value=0, max_value=1000, default=3)
    min_size = serializers.IntegerField(min_value=1, max_value=10_000, default=24, help_text="pixels")
    max_size = serializers.IntegerField(min_value=0, max_value=10_000, default=0, help_text="pixels; 0: no limit")

    def validate_cascade(self, cascade):
        if cascade.size > MAX_CASCADE_BYTES:
            raise serializers.ValidationError(
                f"that file is {filesizeformat(cascade.size)}; a cascade may be {filesizeformat(MAX_CASCADE_BYTES)}"
            )
        return cascade


class ImageInputSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="a face or a drawing: PNG, JPEG, WebP, BMP, ...")

    def validate_image(self, upload):
        try:
            _, upload.decoded = image_upload_read(upload)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages[0], code=error.code) from None
        return upload


class SimilarChoiceInputSerializer(serializers.Serializer):
    """What a drawing's alike faces are searched for, and which page of them."""

    character = CharacterSlugSerializerField(
        required=False, max_length=50, help_text="only this character's faces (a slug)"
    )
    emotion = EmotionSerializerField(
        required=False, help_text="faces showing this emotion first, instead of the one the drawing was read as"
    )
    by_look = serializers.BooleanField(default=False, help_text="no emotion: every face ranked by look alone")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20, help_text="faces a page")
    page = serializers.IntegerField(min_value=1, max_value=DRAWING_MAX_PAGES, default=1)

    def validate(self, data):
        if data.get("emotion") and data.get("by_look"):
            raise serializers.ValidationError("choose an emotion or by_look, not both", code="both")
        return data


class SimilarSearchInputSerializer(ImageInputSerializer, SimilarChoiceInputSerializer):
    pass


# -- output ------------------------------------------------------------------------------------------------
class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


class DuplicateOutputSerializer(ErrorOutputSerializer):
    episode = serializers.IntegerField(help_text="the episode that already has these bytes")
    episode_url = serializers.URLField()


class RunOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    method = serializers.CharField()
    weights_name = serializers.CharField()
    characters = serializers.SerializerMethodField()
    range_frames = serializers.IntegerField()
    ranges = serializers.SerializerMethodField()
    ranges_done = serializers.SerializerMethodField()
    detection_count = serializers.IntegerField()
    error = serializers.CharField()
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)

    def get_characters(self, run) -> list[str]:
        return [entry.get("slug", "") for entry in run.cascades]

    def get_ranges(self, run) -> int | None:
        return getattr(run, "range_total", None)

    def get_ranges_done(self, run) -> int | None:
        return getattr(run, "range_done", None)


class EpisodeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    owner = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="queued, processing, done or failed")
    progress = serializers.FloatField(help_text="0-1")
    error = serializers.CharField(help_text="why processing failed, when it did")
    duration = serializers.FloatField(help_text="seconds")
    fps = serializers.FloatField()
    frame_count = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    size_bytes = serializers.IntegerField()
    codec = serializers.CharField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def get_url(self, episode) -> str:
        return absolute(self.context, "api:episode-detail", episode.pk)

    def get_owner(self, episode) -> str | None:
        return episode.owner.get_username() if episode.owner_id else None


class EmotionFiguresOutputSerializer(serializers.Serializer):
    seconds = serializers.FloatField()
    weighted_seconds = serializers.FloatField()
    share = serializers.FloatField()
    detections = serializers.IntegerField()


class EpisodeCharacterOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    seconds = serializers.FloatField(help_text="the character's screen seconds in the episode")
    detections = serializers.IntegerField()
    emotions = serializers.DictField(child=EmotionFiguresOutputSerializer(), help_text="by emotion")


class LookedForOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    faces = serializers.IntegerField(help_text="faces found (0 until the run is done)")


class EpisodeDetailOutputSerializer(EpisodeOutputSerializer):
    sha256 = serializers.CharField()
    current_run = RunOutputSerializer(allow_null=True)
    characters = EpisodeCharacterOutputSerializer(
        source="character_emotions", many=True, help_text="per character: emotion seconds and shares"
    )
    looked_for = LookedForOutputSerializer(
        many=True, help_text="the characters the latest run looked for, and the faces it found of each"
    )
    timeline_url = serializers.SerializerMethodField()
    subtitles_url = serializers.SerializerMethodField()

    def get_timeline_url(self, episode) -> str:
        return absolute(self.context, "api:episode-timeline", episode.pk)

    def get_subtitles_url(self, episode) -> str:
        return absolute(self.context, "api:episode-subtitles", episode.pk)


class TimelineBucketOutputSerializer(serializers.Serializer):
    start = serializers.FloatField()
    end = serializers.FloatField()
    characters = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField()),
        help_text="{character slug: {emotion: seconds}}",
    )


class TimelineOutputSerializer(serializers.Serializer):
    episode = serializers.IntegerField()
    bucket = serializers.FloatField()
    duration = serializers.FloatField()
    buckets = TimelineBucketOutputSerializer(many=True)


class CharacterOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    slug = serializers.CharField()
    name = serializers.CharField()
    shipped = serializers.BooleanField()
    active = serializers.BooleanField()
    scale_factor = serializers.FloatField()
    min_neighbors = serializers.IntegerField()
    min_size = serializers.IntegerField()
    max_size = serializers.IntegerField()
    created = serializers.DateTimeField()
    portrait_url = serializers.SerializerMethodField()

    def get_url(self, character) -> str:
        return absolute(self.context, "api:character-detail", character.slug)

    def get_portrait_url(self, character) -> str | None:
        return absolute(self.context, "cast-portrait", character.slug) if character.slug in STUDIO_PORTRAITS else None


class CharacterEmotionOutputSerializer(EmotionFiguresOutputSerializer):
    emotion = serializers.CharField()


class CharacterDetailOutputSerializer(CharacterOutputSerializer):
    screen_seconds = serializers.FloatField(source="breakdown.seconds", help_text="across every episode")
    episodes = serializers.IntegerField(source="breakdown.episodes")
    emotions = CharacterEmotionOutputSerializer(source="breakdown.emotions", many=True)


class CharacterRefOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class EpisodeRefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, episode) -> str:
        return absolute(self.context, "api:episode-detail", episode.pk)


class BoxOutputSerializer(serializers.Serializer):
    x = serializers.IntegerField()
    y = serializers.IntegerField()
    w = serializers.IntegerField()
    h = serializers.IntegerField()


class DetectionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    episode = EpisodeRefOutputSerializer()
    run = serializers.IntegerField(source="run_id")
    frame = serializers.IntegerField()
    time = serializers.FloatField(help_text="seconds from the start of the episode")
    timecode = serializers.SerializerMethodField()
    duration = serializers.FloatField(help_text="screen seconds this face stands for")
    character = CharacterRefOutputSerializer()
    box = serializers.SerializerMethodField()
    emotion = serializers.CharField()
    confidence = serializers.FloatField()
    probabilities = serializers.DictField(child=serializers.FloatField())
    track = serializers.IntegerField(allow_null=True)
    interpolated = serializers.BooleanField()
    labelled = serializers.BooleanField(help_text="a person's label decides its emotion (its confidence is then 1.0)")
    crop_url = serializers.SerializerMethodField()
    crop_size = serializers.SerializerMethodField(help_text="the crop's side in pixels (square, native resolution)")
    frame_url = serializers.SerializerMethodField()

    def get_timecode(self, detection) -> str:
        return timecode(detection.time)

    @extend_schema_field(BoxOutputSerializer)
    def get_box(self, detection) -> dict:
        return {"x": detection.x, "y": detection.y, "w": detection.w, "h": detection.h}

    @extend_schema_field(NULLABLE_URI)
    def get_crop_url(self, detection) -> str | None:
        return absolute(self.context, "api:detection-crop", detection.pk) if detection.crop else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_crop_size(self, detection) -> int | None:
        return detection_crop_side(detection)

    @extend_schema_field(NULLABLE_URI)
    def get_frame_url(self, detection) -> str | None:
        return absolute(self.context, "api:detection-frame", detection.pk) if detection.frame_image else None


class ClassificationOutputSerializer(serializers.Serializer):
    emotion = serializers.CharField()
    confidence = serializers.FloatField()
    probabilities = serializers.DictField(child=serializers.FloatField(), help_text="{emotion: probability}")


class SimilarFaceOutputSerializer(serializers.Serializer):
    similarity = serializers.FloatField(help_text="appearance similarity, -1 to 1 (cosine)")
    same_emotion = serializers.BooleanField(
        help_text="shows the emotion searched for (the one chosen, else the drawing's reading)"
    )
    detection = DetectionOutputSerializer()


class SimilarSearchOutputSerializer(serializers.Serializer):
    query = ClassificationOutputSerializer(help_text="the drawing's emotion, as the CNN read it")
    drawing = serializers.CharField(help_text="the kept drawing's token: GET /api/search/similar/{drawing}/ for "
                                              "other pages or choices, with no new upload (kept an hour)")
    emotion = serializers.CharField(allow_null=True, help_text="the emotion whose faces come first; null by look")
    by_look = serializers.BooleanField()
    page = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="the next page, or null")
    previous = serializers.URLField(allow_null=True, help_text="the previous page, or null")
    results = SimilarFaceOutputSerializer(many=True)
