"""The admin: the per-episode emotion summaries, read-only (the finishing step of a run builds them)."""
from django.contrib import admin

from recommender.models import EpisodeEmotion


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
