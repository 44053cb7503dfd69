"""The recommender's pages (its REST API's routes are in recommender.api.urls)."""
from django.urls import path

from recommender import views

urlpatterns = [
    path("recommendations/", views.recommendations, name="recommendations"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("recommendations/for-you/", views.for_you, name="for-you"),
    path("likes/episodes/<int:pk>/", views.like_episode, name="like-episode"),
    path("likes/characters/<slug:slug>/", views.like_character, name="like-character"),
]
