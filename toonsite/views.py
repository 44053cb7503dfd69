"""The site-wide error handlers (toonsite.urls' handler404 and handler500, django-axes' lockout): JSON under /api/,
where clients parse it, and the site's or Django's own pages elsewhere."""
from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from emotions.validation import locked_out_message, sentence


def _under_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404: JSON under /api/ (what API clients parse), Django's page elsewhere."""
    if _under_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: JSON under /api/, Django's page elsewhere."""
    if _under_api(request):
        return JsonResponse({"detail": "Server error: the site's logs say more.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


def login_locked_out(request, original_response=None, credentials=None):
    """429 for a login refused by django-axes (AXES_LOCKOUT_CALLABLE): too many wrong passwords for the username
    or from the address. The login page again, saying so and for how long; JSON under /api/."""
    cool_off = get_cool_off(request)
    message = locked_out_message(cool_off.total_seconds() if cool_off else None)
    if _under_api(request):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    username = (credentials or {}).get("username", "")
    context = {"form": AuthenticationForm(request, initial={"username": username}), "locked_out": sentence(message),
               "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)
