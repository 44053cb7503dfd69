"""The admin: characters (a cascade upload is validated by loading it), episodes with their runs and ranges,
the detections with their pictures, and the per-episode emotion summaries (read-only: a
run's finishing step builds them). Episodes arrive through the upload services, not the admin."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from emotions.models import Character, Detection, Episode, EpisodeEmotion, FrameRange, ProcessingRun
from emotions.services.cast import cascade_check
from emotions.services.episodes import episode_delete
from emotions.services.runs import episode_process, episode_resume


class CharacterForm(forms.ModelForm):
    class Meta:
        model = Character
        fields = ["name", "slug", "cascade", "scale_factor", "min_neighbors", "min_size", "max_size", "active"]

    def clean_cascade(self):
        cascade = self.cleaned_data["cascade"]
        if cascade and "cascade" in self.changed_data:
            self.instance.cascade_sha256 = cascade_check(file=cascade)
        return cascade


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    form = CharacterForm
    list_display = ["name", "slug", "shipped", "active", "scale_factor", "min_neighbors", "min_size", "max_size",
                    "created"]
    list_filter = ["shipped", "active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["cascade_sha256", "shipped", "created"]
    prepopulated_fields = {"slug": ["name"]}


class FrameRangeInline(admin.TabularInline):
    model = FrameRange
    extra = 0
    can_delete = False
    fields = ["index", "start", "stop", "status", "frames_done", "analyzed", "detection_count", "attempts",
              "worker", "error", "started", "finished"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ProcessingRunInline(admin.TabularInline):
    model = ProcessingRun
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["status", "method", "weights_name", "detection_count", "error", "created", "started", "finished"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "progress_percent", "duration", "frame_count", "created"]
    list_filter = ["status", "created"]
    search_fields = ["title", "sha256", "owner__username"]
    readonly_fields = ["file", "sha256", "size_bytes", "duration", "fps", "frame_count", "width", "height", "codec",
                       "status", "progress", "error", "current_run", "created", "updated"]
    fields = ["title", "owner", *readonly_fields]
    raw_id_fields = ["owner"]
    inlines = [ProcessingRunInline]
    actions = ["reprocess", "resume"]

    def has_add_permission(self, request):
        return False  # uploads go through episode_create, which probes and hashes them

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, episode):
        return f"{episode.progress:.0%}"

    @admin.action(description="Process the selected episodes again (a new run each)")
    def reprocess(self, request, queryset):
        for episode in queryset:
            try:
                episode_process(episode=episode)
            except ValidationError as error:
                self.message_user(request, f"{episode}: {'; '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, f"{episode}: queued again")

    @admin.action(description="Resume the selected episodes (queue their unfinished ranges again)")
    def resume(self, request, queryset):
        for episode in queryset:
            try:
                queued = episode_resume(episode=episode)
            except ValidationError as error:
                self.message_user(request, f"{episode}: {'; '.join(error.messages)}", messages.WARNING)
            else:
                self.message_user(request, f"{episode}: {len(queued)} ranges queued again")

    def delete_model(self, request, obj):
        episode_delete(episode=obj)  # removes its files as well

    def delete_queryset(self, request, queryset):
        for episode in queryset:
            episode_delete(episode=episode)


@admin.register(ProcessingRun)
class ProcessingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "episode", "status", "method", "weights_name", "detection_count", "created", "finished"]
    list_filter = ["status", "method"]
    search_fields = ["episode__title"]
    inlines = [FrameRangeInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ProcessingRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(FrameRange)
class FrameRangeAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "index", "start", "stop", "status", "attempts", "detection_count", "worker"]
    list_filter = ["status"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in FrameRange._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Detection)
class DetectionAdmin(admin.ModelAdmin):
    list_display = ["face", "episode", "frame", "time", "character", "emotion", "confidence", "track", "interpolated"]
    list_filter = ["character", "emotion", "interpolated"]
    search_fields = ["episode__title"]
    list_select_related = ["episode", "character"]
    raw_id_fields = ["episode", "run"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Detection._meta.fields] + ["face"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="face")
    def face(self, detection):
        if not detection.crop:
            return "-"
        return format_html('<img src="{}" width="48" height="48" alt="{}">', detection.crop.url, detection.emotion)


@admin.register(EpisodeEmotion)
class EpisodeEmotionAdmin(admin.ModelAdmin):
    list_display = ["episode", "character", "emotion", "seconds", "weighted_seconds", "share", "detections"]
    list_filter = ["character", "emotion"]
    search_fields = ["episode__title"]
    list_select_related = ["episode", "character"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in EpisodeEmotion._meta.fields]

    def has_add_permission(self, request):
        return False
