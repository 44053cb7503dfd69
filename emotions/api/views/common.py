"""What the API's views share: pagination, throttled POSTs, JSON errors beside pictures and subtitles."""
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from emotions.throttles import SettingsScopedRateThrottle


class PageNumbers(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DetectionCursor(CursorPagination):
    """Cursor pages (stable while new faces arrive, and as fast on page 10,000 as on page 1)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-confidence"


class ThrottledPostMixin:
    """Throttle POSTs (uploads, image searches) under the view's throttle_scope; reads are not throttled."""

    throttle_scope = "uploads"

    def get_throttles(self):
        return [SettingsScopedRateThrottle()] if self.request.method == "POST" else []


class JSONErrorsMixin:
    """Errors are JSON even where a success is a picture or a subtitle file."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
