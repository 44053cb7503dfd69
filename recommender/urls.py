"""The recommender's pages (its REST API's routes are in recommender.api.urls)."""
from django.urls import path

from recommender import views

urlpatterns = [
    path("recommendations/", views.recommendations, name="recommendations"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
]
