"""The API's login: a token for a username and password; too many wrong passwords lock it for a while."""
from axes.helpers import get_cool_off
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError

from emotions.api import serializers as s
from toonsite.api import ErrorOutputSerializer, error_responses


class TokenApi(ObtainAuthToken):
    @extend_schema(
        summary="Get your API token",
        description="Form or JSON: `username` and `password`. Send the token as `Authorization: Token <token>`. "
                    "After LOGIN_FAILURE_LIMIT wrong passwords for a username or from an address, logging in "
                    "there is a 429 for LOGIN_COOLOFF_SECONDS, even with the right password.",
        responses={200: s.TokenOutputSerializer,
                   429: OpenApiResponse(ErrorOutputSerializer, description="locked out for a while"),
                   **error_responses(400)},
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):  # django-axes refused it before checking the password
                cool_off = get_cool_off(request)
                raise Throttled(wait=cool_off.total_seconds() if cool_off else None, code="locked_out") from None
            raise
