"""Character pages (scaffold: replaced by the characters work)."""
from django.http import HttpResponse


def character_list(request):
    return HttpResponse("characters")


def character_detail(request, slug):
    return HttpResponse("character")
