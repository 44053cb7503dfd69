"""The API's login: a token for a username and password."""
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.views import ObtainAuthToken

from emotions.api import serializers as s
from toonsite.api import error_responses


class TokenApi(ObtainAuthToken):
    @extend_schema(
        summary="Get your API token",
        description="Form or JSON: `username` and `password`. Send the token as `Authorization: Token <token>`.",
        responses={200: s.TokenOutputSerializer, **error_responses(400)},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
