from django.contrib import admin

from recommender.models import Like


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("user", "episode", "character", "created")
    list_select_related = ("user", "episode", "character")
    raw_id_fields = ("user", "episode", "character")
