"""A character's examples through the API: list them, add faces (or negatives) as boxes on episode frames or as
uploaded images and ZIPs, move a box, delete one, and each example's crop (PNG)."""
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import teaching_serializers as t
from emotions.api.renderers import PNGRenderer
from emotions.api.views.characters import character_or_404
from emotions.api.views.common import JSONErrorsMixin
from emotions.models import CharacterExample, Episode
from emotions.selectors.teaching import character_examples
from emotions.services.teaching import (
    example_add_from_frame,
    example_delete,
    example_move,
    examples_add_from_files,
)
from emotions.throttles import SettingsScopedRateThrottle
from toonsite.api import ErrorOutputSerializer, error_responses

ADD_REQUEST = {"application/json": t.ExampleBoxInputSerializer, "multipart/form-data": t.ExampleFilesInputSerializer}


def _is_upload(request) -> bool:
    return (request.content_type or "").startswith("multipart/")


def _example_or_404(slug: str, pk: int) -> CharacterExample:
    return get_object_or_404(CharacterExample.objects.select_related("character", "episode", "created_by"),
                             character__slug=slug, pk=pk)


def _examples_body(request, examples) -> dict:
    return t.ExampleListOutputSerializer({"examples": examples}, context={"request": request}).data


class ExampleListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser]
    throttle_scope = "uploads"

    def get_throttles(self):
        """Uploaded files spend the uploads allowance; boxes marked on frames do not (marking is many small POSTs)."""
        return [SettingsScopedRateThrottle()] if self.request.method == "POST" and _is_upload(self.request) else []

    @extend_schema(
        summary="A character's examples",
        parameters=[OpenApiParameter("kind", str, enum=["positive", "negative"]),
                    OpenApiParameter("episode", int, description="only those marked on this episode")],
        responses={200: t.ExampleOutputSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, slug: str):
        character = character_or_404(slug)
        episode = None
        if request.query_params.get("episode"):
            episode = _episode(request.query_params["episode"])
        kind = request.query_params.get("kind") or None
        rows = character_examples(character=character, kind=kind, episode=episode).select_related("character")
        return Response(t.ExampleOutputSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Add examples: a box on an episode frame (JSON), or images / ZIPs of images (multipart)",
        description=(
            'JSON `{"episode", "frame" or "time", "box": [x, y, w, h], "kind"}`: the face is cut from that frame '
            "(a box outside the frame, a frame outside the episode or an unknown episode is a 400). Multipart "
            "`files` (repeated) and `kind`: every image is an example; one that is not an image, or a ZIP too large "
            "once unpacked, refuses the lot (400/413) and nothing is kept. Any logged-in user may add examples."
        ),
        request=ADD_REQUEST,
        responses={201: t.ExampleListOutputSerializer,
                   413: OpenApiResponse(ErrorOutputSerializer, description="too large"),
                   429: OpenApiResponse(ErrorOutputSerializer, description="too many uploads: wait"),
                   **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, slug: str):
        character = character_or_404(slug)
        if _is_upload(request):
            data = t.ExampleFilesInputSerializer(data={"files": request.FILES.getlist("files"),
                                                       "kind": request.data.get("kind", "positive")})
            data.is_valid(raise_exception=True)
            examples = examples_add_from_files(character=character, files=data.validated_data["files"],
                                               kind=data.validated_data["kind"], user=request.user)
        else:
            data = t.ExampleBoxInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            examples = [example_add_from_frame(
                character=character, episode=_episode(values["episode"]), frame=values.get("frame"),
                time=values.get("time"), box=values["box"], kind=values["kind"], user=request.user,
            )]
        return Response(_examples_body(request, examples), status=status.HTTP_201_CREATED)


def _episode(pk) -> Episode:
    episode = Episode.objects.filter(pk=int(pk)).first() if str(pk).isdigit() and int(pk) <= t.MAX_ID else None
    if episode is None:
        raise ValidationError({"episode": [f"no episode {pk}"]})
    return episode


class ExampleDetailApi(APIView):
    @extend_schema(summary="One example", responses={200: t.ExampleOutputSerializer, **error_responses(401, 404)})
    def get(self, request, slug: str, pk: int):
        return Response(t.ExampleOutputSerializer(_example_or_404(slug, pk), context={"request": request}).data)

    @extend_schema(
        summary="Move or resize an example's box (whoever added it, its character's creator, or staff)",
        request=t.ExampleMoveInputSerializer,
        responses={200: t.ExampleOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, slug: str, pk: int):
        example = _example_or_404(slug, pk)
        data = t.ExampleMoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        example = example_move(example, data.validated_data["box"], user=request.user)
        return Response(t.ExampleOutputSerializer(example, context={"request": request}).data)

    @extend_schema(summary="Delete an example (whoever added it, its character's creator, or staff)",
                   responses={204: None, **error_responses(401, 403, 404)})
    def delete(self, request, slug: str, pk: int):
        example_delete(_example_or_404(slug, pk), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExampleImageApi(JSONErrorsMixin, APIView):
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(summary="An example's crop (PNG)",
                   responses={(200, "image/png"): OpenApiTypes.BINARY, **error_responses(401, 404)})
    def get(self, request, slug: str, pk: int):
        example = _example_or_404(slug, pk)
        if not example.image or not default_storage.exists(example.image.name):
            raise Http404(f"example {pk} has no stored image")
        response = FileResponse(default_storage.open(example.image.name, "rb"), content_type="image/png")
        response["Cache-Control"] = "private, max-age=86400"
        return response
