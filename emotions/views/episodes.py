"""Episode pages (scaffold: replaced by the episodes work)."""
from django.http import HttpResponse


def episode_list(request):
    return HttpResponse("episodes")


def episode_upload(request):
    return HttpResponse("upload")


def episode_detail(request, pk):
    return HttpResponse("episode")


def episode_video(request, pk):
    return HttpResponse("video")
