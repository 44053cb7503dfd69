"""The recommender's API routes (mounted under /api/ by toonsite.urls, in the `api` namespace)."""
from django.urls import path

from recommender.api import views

urlpatterns = [
    path("recommendations/", views.RecommendationListApi.as_view(), name="recommendations"),
    path("recommendations/similar/<int:pk>/", views.SimilarEpisodesApi.as_view(), name="recommendations-similar"),
    path("recommendations/for-you/", views.ForYouApi.as_view(), name="recommendations-for-you"),
    path("leaderboard/", views.LeaderboardApi.as_view(), name="leaderboard"),
    path("episodes/<int:pk>/like/", views.EpisodeLikeApi.as_view(), name="episode-like"),
    path("characters/<slug:slug>/like/", views.CharacterLikeApi.as_view(), name="character-like"),
]
