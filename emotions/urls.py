"""The site's pages (the REST API's routes are in emotions.api.urls)."""
from django.urls import path

from emotions.views import characters, datasets, emotion_models, episodes, frames, home, review, teaching

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.health, name="health"),
    path("cast/<slug:slug>.png", home.cast_portrait, name="cast-portrait"),
    path("episodes/", episodes.episode_list, name="episode-list"),
    path("episodes/upload/", episodes.episode_upload, name="episode-upload"),
    path("episodes/<int:pk>/", episodes.episode_detail, name="episode-detail"),
    path("episodes/<int:pk>/video", episodes.episode_video, name="episode-video"),
    path("episodes/<int:pk>/marking/frames", teaching.episode_marking_frames, name="episode-marking-frames"),
    path("characters/", characters.character_list, name="character-list"),
    path("characters/new/", teaching.character_new, name="character-new"),
    path("characters/<slug:slug>/", characters.character_detail, name="character-detail"),
    path("characters/<slug:slug>/teach/", teaching.character_teach, name="character-teach"),
    path("datasets/", datasets.dataset_page, name="dataset-list"),
    path("datasets/download.zip", datasets.dataset_download, name="dataset-download"),
    path("models/", emotion_models.model_list, name="model-list"),
    path("models/<int:pk>/", emotion_models.model_action, name="model-action"),
    path("frames/", frames.frame_search, name="frame-search"),
    path("frames/drawing/", frames.frame_drawing_search, name="frame-drawing"),
    path("frames/drawing/<str:token>/", frames.frame_drawing_page, name="frame-drawing-page"),
    path("review/", review.review, name="review"),
    path("frames/download.zip", frames.frame_download, name="frame-download"),
]
