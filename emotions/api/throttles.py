"""Throttles: uploads and image searches per user (or address), at rates from the settings."""
from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class SettingsScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle reading its rates from the settings at each request (DRF reads them once, at import),
    so UPLOAD_THROTTLE_RATE and IMAGE_THROTTLE_RATE apply as set, tests included."""

    def get_rate(self):
        rates = {"uploads": settings.UPLOAD_THROTTLE_RATE, "images": settings.IMAGE_THROTTLE_RATE}
        return rates.get(self.scope) or super().get_rate()
