"""Episodes, their processing runs and frame ranges, and the faces (with emotions) found in them.

An episode is processed by a run: the run snapshots the cascades and weights it uses and splits the
episode into frame ranges, each processed by one task. A run's detections become the episode's when
the run is done; a newer run that finishes replaces them (the older runs stay as history). Its finishing
step sums them into per-episode summaries (EpisodeEmotion), which the pages, the API and the recommender read.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from emotions.models.characters import EMOTION_CHOICES, Character
from toonvision.emotions import EMOTIONS


class Status(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


def episode_upload_to(episode: "Episode", filename: str) -> str:
    """Episodes are stored under their SHA-256, so a name never collides and the folder says which bytes it holds."""
    return f"episodes/{episode.sha256[:2]}/{episode.sha256}/{filename}"


class Episode(models.Model):
    """An uploaded video, what probing it found, and where its processing stands."""

    Status = Status

    file = models.FileField(upload_to=episode_upload_to, max_length=255)
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="episodes"
    )
    sha256 = models.CharField(max_length=64, unique=True, editable=False, help_text="of the file's bytes")
    size_bytes = models.PositiveBigIntegerField()
    duration = models.FloatField(help_text="seconds")
    fps = models.FloatField()
    frame_count = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    codec = models.CharField(max_length=32, blank=True)
    container = models.CharField(
        max_length=64, blank=True, help_text="FFmpeg's demuxer name, from the probe: what the video is served as"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    error = models.TextField(blank=True, help_text="why processing failed, for people")
    current_run = models.ForeignKey(
        "ProcessingRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="the latest run: the one under way, or the one whose detections are shown",
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0.0, progress__lte=1.0), name="episode_progress_0_to_1"),
            models.CheckConstraint(condition=Q(fps__gt=0), name="episode_fps_positive"),
            models.CheckConstraint(condition=~Q(sha256=""), name="episode_sha256_set"),
        ]

    def __str__(self) -> str:
        return self.title


class ProcessingRun(models.Model):
    """One pass of the pipeline over an episode, with everything needed to know how its results were made."""

    Status = Status

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="runs")
    weights_name = models.CharField(max_length=255, help_text="the emotion CNN's weights file")
    weights_sha256 = models.CharField(max_length=64)
    cascades = models.JSONField(
        default=list, help_text="[{slug, name, cascade (storage name), sha256, params}] of the characters looked for"
    )
    method = models.CharField(max_length=16, default="fast")
    options = models.JSONField(default=dict, blank=True, help_text="the segmentation method's options")
    range_frames = models.PositiveIntegerField(help_text="frames per range task")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    detection_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        get_latest_by = "created"

    def __str__(self) -> str:
        return f"run {self.pk} of {self.episode}"


class FrameRange(models.Model):
    """Frames [start, stop) of a run: the unit of work of one task, and what makes a retried task harmless."""

    Status = Status

    run = models.ForeignKey(ProcessingRun, on_delete=models.CASCADE, related_name="ranges")
    index = models.PositiveIntegerField(help_text="position of the range in the run, from 0")
    start = models.PositiveIntegerField()
    stop = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    frames_done = models.PositiveIntegerField(default=0)
    analyzed = models.PositiveIntegerField(default=0, help_text="frames the detectors looked at")
    detection_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=255, blank=True, help_text="host of the latest attempt")
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    queued = models.DateTimeField(null=True, blank=True, help_text="when its task was last sent")
    requeues = models.PositiveSmallIntegerField(default=0, help_text="times the watchdog sent its task again")
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="the latest sign of life from the worker segmenting it"
    )

    class Meta:
        ordering = ["run", "start"]
        constraints = [
            models.UniqueConstraint(fields=["run", "start"], name="frame_range_unique_start"),
            models.UniqueConstraint(fields=["run", "index"], name="frame_range_unique_index"),
            models.CheckConstraint(condition=Q(stop__gt=models.F("start")), name="frame_range_not_empty"),
        ]

    def __str__(self) -> str:
        return f"frames {self.start}-{self.stop} of run {self.run_id}"


class DetectionQuerySet(models.QuerySet):
    def published(self):
        """The detections shown for episodes: those of finished runs (an episode has one at a time) that no one
        has rejected as not a face or not the character."""
        return self.filter(run__status=Status.DONE, rejected=False)


class Detection(models.Model):
    """One character's face on one frame, its emotion, and pictures of it."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="detections")
    run = models.ForeignKey(ProcessingRun, on_delete=models.CASCADE, related_name="detections")
    frame = models.PositiveIntegerField(help_text="frame index from 0")
    time = models.FloatField(help_text="seconds from the start of the episode")
    duration = models.FloatField(
        help_text="seconds of screen time this detection stands for: until the next analysed frame"
    )
    character = models.ForeignKey(Character, on_delete=models.PROTECT, related_name="detections")
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES)
    confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    probabilities = models.JSONField(default=dict)
    track = models.PositiveIntegerField(
        null=True, blank=True, help_text="a face followed across frames; ids are unique within a run"
    )
    interpolated = models.BooleanField(default=False, help_text="filled in along a track, not seen by the detector")
    labelled = models.BooleanField(
        default=False, help_text="a person's label decides its emotion (re-classifying leaves it alone)"
    )
    rejected = models.BooleanField(
        default=False, help_text="a person said it is not a face, or not this character: left out of the results"
    )
    crop = models.FileField(upload_to="detections/", max_length=255, blank=True, help_text="the face, JPEG")
    frame_image = models.FileField(upload_to="detections/", max_length=255, blank=True, help_text="the frame, JPEG")

    objects = DetectionQuerySet.as_manager()

    class Meta:
        ordering = ["episode", "frame", "character", "x", "y"]
        indexes = [
            models.Index(fields=["character", "emotion", "-confidence"], name="detection_char_emotion_conf"),
            models.Index(fields=["episode", "time"], name="detection_episode_time"),
            # A ranked episode's best face of a character in an emotion (the recommendations' thumbnails).
            models.Index(fields=["episode", "character", "emotion", "-confidence"], name="detection_ep_char_emo_conf"),
            models.Index(fields=["run", "frame"], name="detection_run_frame"),
            models.Index(fields=["emotion", "-confidence"], name="detection_emotion_conf"),
            # The API's face search pages by (confidence, id) or (time, id), filtered by character or not at all;
            # without these, a search ordered so sorted every matching face (EXPLAIN: 0.5-1 s at 1M detections).
            models.Index(fields=["-confidence", "-id"], name="detection_conf_id"),
            models.Index(fields=["character", "-confidence", "-id"], name="detection_char_conf_id"),
            models.Index(fields=["time", "id"], name="detection_time_id"),
            models.Index(fields=["character", "time", "id"], name="detection_char_time_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__gte=0.0, confidence__lte=1.0), name="detection_confidence_0_to_1"
            ),
            models.CheckConstraint(condition=Q(w__gt=0, h__gt=0), name="detection_box_not_empty"),
            models.CheckConstraint(condition=Q(emotion__in=EMOTIONS), name="detection_emotion_known"),
            # A track has one face per frame, so a range written twice cannot hold the same face twice.
            models.UniqueConstraint(fields=["run", "track", "frame"], name="detection_unique_track_frame"),
        ]

    def __str__(self) -> str:
        return f"{self.character} {self.emotion} at frame {self.frame}"

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


class EpisodeEmotion(models.Model):
    """One character's screen time in one emotion in one episode: the figures the rankings are made from.

    Seconds add up each detection's duration (the screen time until the next analysed frame), so they do
    not depend on how many frames were analysed; `share` is `seconds` over the character's screen time in
    the episode, so a character's shares in an episode add up to 1.
    """

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="emotion_summaries")
    run = models.ForeignKey(ProcessingRun, on_delete=models.CASCADE, related_name="emotion_summaries")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="emotion_summaries")
    emotion = models.CharField(max_length=16, choices=EMOTION_CHOICES)
    seconds = models.FloatField(help_text="screen seconds of the character in this emotion")
    weighted_seconds = models.FloatField(help_text="the same seconds, each weighted by the emotion's confidence")
    share = models.FloatField(help_text="seconds / the character's screen seconds in the episode (0-1)")
    detections = models.PositiveIntegerField(help_text="detections behind these seconds")

    class Meta:
        ordering = ["episode", "character", "emotion"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "character", "emotion"], name="episode_emotion_unique"),
            models.CheckConstraint(condition=Q(share__gte=0.0, share__lte=1.0), name="episode_emotion_share_0_to_1"),
            models.CheckConstraint(
                condition=Q(seconds__gte=0.0, weighted_seconds__gte=0.0, weighted_seconds__lte=models.F("seconds")),
                name="episode_emotion_seconds_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["character", "emotion", "-share"], name="episode_emotion_ranking"),
        ]

    def __str__(self) -> str:
        return f"{self.character} {self.emotion} in {self.episode}: {self.seconds:.1f} s"
