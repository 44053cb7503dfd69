"""Frame search pages (scaffold: replaced by the frames work)."""
from django.http import HttpResponse


def frame_search(request):
    return HttpResponse("frames")


def frame_drawing_search(request):
    return HttpResponse("drawing")


def frame_download(request):
    return HttpResponse("zip")
