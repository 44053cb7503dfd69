"""The emotions app's API routes (mounted under /api/ by toonsite.urls, in the `api` namespace)."""
from django.urls import path

from emotions.api.views import auth, characters, detections, episodes, images, root, uploads

urlpatterns = [
    path("", root.ApiRootApi.as_view(), name="root"),
    path("episodes/", episodes.EpisodeListApi.as_view(), name="episode-list"),
    path("episodes/<int:pk>/", episodes.EpisodeDetailApi.as_view(), name="episode-detail"),
    path("episodes/<int:pk>/reprocess/", episodes.EpisodeReprocessApi.as_view(), name="episode-reprocess"),
    path("episodes/<int:pk>/timeline/", episodes.EpisodeTimelineApi.as_view(), name="episode-timeline"),
    path("episodes/<int:pk>/subtitles.vtt", episodes.EpisodeSubtitlesApi.as_view(), name="episode-subtitles"),
    path("uploads/", uploads.ResumableUploadListApi.as_view(), name="upload-list"),
    path("uploads/<str:upload_id>/", uploads.ResumableUploadDetailApi.as_view(), name="upload-detail"),
    path("characters/", characters.CharacterListApi.as_view(), name="character-list"),
    path("characters/<slug:slug>/", characters.CharacterDetailApi.as_view(), name="character-detail"),
    path("detections/", detections.DetectionListApi.as_view(), name="detection-list"),
    path("detections/<int:pk>/crop.jpg", detections.DetectionCropApi.as_view(), name="detection-crop"),
    path("detections/<int:pk>/frame.jpg", detections.DetectionFrameApi.as_view(), name="detection-frame"),
    path("classify/", images.ClassifyApi.as_view(), name="classify"),
    path("search/similar/", images.SimilarSearchApi.as_view(), name="similar-search"),
    path("auth/token/", auth.TokenApi.as_view(), name="token"),
]
