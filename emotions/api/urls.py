"""The emotions app's API routes (mounted under /api/ by toonsite.urls, in the `api` namespace)."""
from django.urls import path

from emotions.api import views

urlpatterns = [
    path("", views.ApiRootApi.as_view(), name="root"),
    path("episodes/", views.EpisodeListApi.as_view(), name="episode-list"),
    path("episodes/<int:pk>/", views.EpisodeDetailApi.as_view(), name="episode-detail"),
    path("episodes/<int:pk>/reprocess/", views.EpisodeReprocessApi.as_view(), name="episode-reprocess"),
    path("episodes/<int:pk>/timeline/", views.EpisodeTimelineApi.as_view(), name="episode-timeline"),
    path("episodes/<int:pk>/subtitles.vtt", views.EpisodeSubtitlesApi.as_view(), name="episode-subtitles"),
    path("characters/", views.CharacterListApi.as_view(), name="character-list"),
    path("characters/<slug:slug>/", views.CharacterDetailApi.as_view(), name="character-detail"),
    path("detections/", views.DetectionListApi.as_view(), name="detection-list"),
    path("detections/<int:pk>/crop.jpg", views.DetectionCropApi.as_view(), name="detection-crop"),
    path("detections/<int:pk>/frame.jpg", views.DetectionFrameApi.as_view(), name="detection-frame"),
    path("classify/", views.ClassifyApi.as_view(), name="classify"),
    path("search/similar/", views.SimilarSearchApi.as_view(), name="similar-search"),
]
