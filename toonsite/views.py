"""The site-wide error handlers (toonsite.urls' handler404 and handler500): JSON under /api/, where clients parse
it, and Django's own pages elsewhere."""
from django.http import JsonResponse
from django.views import defaults


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
