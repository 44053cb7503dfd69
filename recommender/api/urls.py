"""The recommender's API routes (mounted under /api/ by toonsite.urls, in the `api` namespace)."""
from django.urls import path

from recommender.api import views

urlpatterns = [
    path("recommendations/", views.RecommendationListApi.as_view(), name="recommendations"),
    path("recommendations/similar/<int:pk>/", views.SimilarEpisodesApi.as_view(), name="recommendations-similar"),
    path("leaderboard/", views.LeaderboardApi.as_view(), name="leaderboard"),
]
