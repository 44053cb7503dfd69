"""Throttles: uploads and image searches per user (or address), at rates from the settings, counted in the shared
cache (CACHE_URL) so every web process counts together. The API's views and the pages' forms spend the same
counters (as emotions.filters serves both), so a user has one allowance through either."""
from types import SimpleNamespace

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

from emotions.validation import sentence, throttled_message


class SettingsScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle reading its rates from the settings at each request (DRF reads them once, at import),
    so UPLOAD_THROTTLE_RATE, IMAGE_THROTTLE_RATE and REGISTRATION_THROTTLE_RATE apply as set, tests included."""

    def get_rate(self):
        rates = {"uploads": settings.UPLOAD_THROTTLE_RATE, "images": settings.IMAGE_THROTTLE_RATE,
                 "registrations": settings.REGISTRATION_THROTTLE_RATE}
        return rates.get(self.scope) or super().get_rate()


def page_throttle_refusal(request, *, scope: str = "uploads") -> str | None:
    """For a page's POST: None when it may go on (and it is counted), else the sentence the page shows, saying
    when it may. The same counter as the API's throttle of that scope."""
    throttle = SettingsScopedRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):
        return None
    what = "accounts made from this address" if scope == "registrations" else "uploads or image searches"
    return sentence(throttled_message(throttle.wait() or 1.0, what))
