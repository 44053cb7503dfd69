"""The API's root: links to its entry points."""
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from toonsite.api import error_responses


def api_root_links(request) -> dict:
    names = {"episodes": "api:episode-list", "characters": "api:character-list", "detections": "api:detection-list",
             "moments": "api:moment-list",
             "classify": "api:classify", "similar_search": "api:similar-search",
             "recommendations": "api:recommendations", "leaderboard": "api:leaderboard", "review": "api:review",
             "models": "api:model-list",
             "schema": "api:schema", "docs": "api:docs", "token": "api:token"}
    return {key: request.build_absolute_uri(reverse(name)) for key, name in names.items()}


class ApiRootApi(APIView):
    @extend_schema(summary="The API's entry points", responses={200: OpenApiTypes.OBJECT, **error_responses(401)})
    def get(self, request):
        return Response(api_root_links(request))
