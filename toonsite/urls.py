"""ToonSite URL configuration."""
from django.contrib import admin
from django.urls import include, path

from emotions import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("cast/<slug:slug>.png", views.cast_portrait, name="cast-portrait"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
