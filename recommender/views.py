"""Recommendation pages (scaffold: replaced by the recommendations work)."""
from django.http import HttpResponse


def recommendations(request):
    return HttpResponse("recommendations")


def leaderboard(request):
    return HttpResponse("leaderboard")
