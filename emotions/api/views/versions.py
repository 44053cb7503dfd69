"""A character's trained versions through the API: train one, follow its progress, cancel it, read its report and
preview, accept it or switch (back) to another, and mark its preview's wrong hits and missed faces."""
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import teaching_serializers as t
from emotions.api.renderers import JPEGRenderer
from emotions.api.views.characters import character_body, character_or_404
from emotions.api.views.common import JSONErrorsMixin
from emotions.models import CharacterVersion
from emotions.selectors.teaching import character_versions
from emotions.services.teaching import (
    preview_add_missed,
    preview_mark_wrong,
    training_cancel,
    training_start,
    version_accept,
    version_activate,
)
from toonsite.api import ErrorOutputSerializer, error_responses

CONFLICT = OpenApiResponse(ErrorOutputSerializer, description="not possible now (under way, or not trained)")


def _version_or_404(slug: str, number: int) -> CharacterVersion:
    return get_object_or_404(CharacterVersion.objects.select_related("character"), character__slug=slug,
                             number=number)


def _version_body(request, version: CharacterVersion) -> dict:
    version.refresh_from_db()
    return t.VersionOutputSerializer(version, context={"request": request}).data


class TrainApi(APIView):
    @extend_schema(
        summary="Train a new version of the character (its creator or staff)",
        description="Queues a training on the workers (CUDA when they have it); follow it at the version's URL. "
                    "Below the minimum of example faces it is a 400 saying how many there are and how many are "
                    "needed; while a version is queued or training, a 409.",
        request=None,
        responses={202: t.VersionOutputSerializer, 409: CONFLICT, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, slug: str):
        version = training_start(character=character_or_404(slug), user=request.user)
        body = _version_body(request, version)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class VersionListApi(APIView):
    @extend_schema(summary="The character's trained versions, newest first",
                   responses={200: t.VersionSummaryOutputSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, slug: str):
        rows = character_versions(character=character_or_404(slug)).select_related("character")
        return Response(t.VersionSummaryOutputSerializer(rows, many=True, context={"request": request}).data)


class VersionDetailApi(APIView):
    @extend_schema(summary="One version: its status and progress, then its report and preview",
                   responses={200: t.VersionOutputSerializer, **error_responses(401, 404)})
    def get(self, request, slug: str, number: int):
        return Response(_version_body(request, _version_or_404(slug, number)))


class VersionCancelApi(APIView):
    @extend_schema(summary="Cancel a version's training (its creator or staff)", request=None,
                   responses={200: t.VersionOutputSerializer, 409: CONFLICT, **error_responses(401, 403, 404)})
    def post(self, request, slug: str, number: int):
        version = training_cancel(_version_or_404(slug, number), user=request.user)
        return Response(_version_body(request, version))


class VersionAcceptApi(APIView):
    service = staticmethod(version_accept)

    @extend_schema(summary="Accept a trained version: the character is looked for with it from now on",
                   request=None,
                   responses={200: t.TaughtCharacterOutputSerializer, 409: CONFLICT,
                              **error_responses(401, 403, 404)})
    def post(self, request, slug: str, number: int):
        self.service(_version_or_404(slug, number), user=request.user)
        return Response(character_body(request, character_or_404(slug)))


class VersionActivateApi(VersionAcceptApi):
    service = staticmethod(version_activate)

    @extend_schema(summary="Make another trained version the character's (switch back)", request=None,
                   responses={200: t.TaughtCharacterOutputSerializer, 409: CONFLICT,
                              **error_responses(401, 403, 404)})
    def post(self, request, slug: str, number: int):
        return super().post(request, slug, number)


class PreviewWrongApi(APIView):
    @extend_schema(summary="A preview hit that is not the character: it becomes a negative example",
                   request=t.PreviewWrongInputSerializer,
                   responses={201: t.ExampleOutputSerializer, 409: CONFLICT, **error_responses(400, 401, 403, 404)})
    def post(self, request, slug: str, number: int):
        data = t.PreviewWrongInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        example = preview_mark_wrong(_version_or_404(slug, number), user=request.user, **data.validated_data)
        return Response(t.ExampleOutputSerializer(example, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class PreviewMissedApi(APIView):
    @extend_schema(summary="A face the preview missed: it becomes an example face",
                   request=t.PreviewMissedInputSerializer,
                   responses={201: t.ExampleOutputSerializer, 409: CONFLICT, **error_responses(400, 401, 403, 404)})
    def post(self, request, slug: str, number: int):
        data = t.PreviewMissedInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        example = preview_add_missed(_version_or_404(slug, number), user=request.user, **data.validated_data)
        return Response(t.ExampleOutputSerializer(example, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class VersionPreviewImageApi(JSONErrorsMixin, APIView):
    renderer_classes = [JSONRenderer, JPEGRenderer]

    @extend_schema(summary="A preview frame with the version's hits drawn (JPEG)",
                   responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **error_responses(401, 404)})
    def get(self, request, slug: str, number: int, index: int):
        version = _version_or_404(slug, number)
        preview = version.preview or []
        if not 0 <= index < len(preview) or not default_storage.exists(preview[index]["image"]):
            raise Http404(f"version {number} has no preview frame {index}")
        response = FileResponse(default_storage.open(preview[index]["image"], "rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"
        return response
