"""Throttles: uploads and image searches per user (or address), at rates from the settings, counted in the shared
cache (CACHE_URL) so every web process counts together; the pages' upload form spends the same counter."""
from types import SimpleNamespace

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class SettingsScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle reading its rates from the settings at each request (DRF reads them once, at import),
    so UPLOAD_THROTTLE_RATE and IMAGE_THROTTLE_RATE apply as set, tests included."""

    def get_rate(self):
        rates = {"uploads": settings.UPLOAD_THROTTLE_RATE, "images": settings.IMAGE_THROTTLE_RATE}
        return rates.get(self.scope) or super().get_rate()


def page_throttle_wait(request, *, scope: str = "uploads") -> float | None:
    """For a page's POST: None when it may go on (and it is counted), else the seconds until it may. The same
    counter as the API's throttle of that scope, so a user spends one allowance through either."""
    throttle = SettingsScopedRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    return throttle.wait() or 1.0
