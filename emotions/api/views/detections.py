"""The detections' API: the face search, and each face's crop and frame."""
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from emotions.api import serializers as s
from emotions.api.filters import OneKeyOrderingFilter
from emotions.api.renderers import JPEGRenderer
from emotions.api.views.common import DetectionCursor, JSONErrorsMixin
from emotions.filters import DetectionFilter
from emotions.models import Detection
from emotions.selectors.detections import detection_list
from toonsite.api import error_responses


class DetectionListApi(generics.ListAPIView):
    serializer_class = s.DetectionOutputSerializer
    filterset_class = DetectionFilter
    filter_backends = [DjangoFilterBackend, OneKeyOrderingFilter]
    ordering_fields = ["confidence", "time"]
    ordering = ["-confidence"]
    pagination_class = DetectionCursor

    def get_queryset(self):
        return detection_list()

    @extend_schema(
        summary="Search faces",
        description=(
            "Faces from finished runs, by character (slug), emotion, minimum confidence, episode and time range "
            "(`start` <= time < `end`, seconds), ordered by `confidence` or `time` (`-` for descending; default "
            "`-confidence`), in cursor pages: follow `next`. An unknown character or emotion is a 400 naming the "
            "known ones. Each face links its crop and its frame (JPEG) and gives its time in the episode."
        ),
        parameters=[OpenApiParameter(
            "ordering", str, enum=["-confidence", "confidence", "-time", "time"],
            description="the order of the results (default -confidence)",
        )],
        responses={200: s.DetectionOutputSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DetectionPictureApi(JSONErrorsMixin, APIView):
    """A stored face crop or frame, streamed from media storage behind the API's own permissions."""

    renderer_classes = [JSONRenderer, JPEGRenderer]
    field = "crop"

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **error_responses(401, 404)})
    def get(self, request, pk: int):
        detection = get_object_or_404(Detection.objects.published().only("id", self.field), pk=pk)
        name = getattr(detection, self.field).name
        if not name or not default_storage.exists(name):
            raise Http404(f"detection {pk} has no stored {self.field.replace('_image', '')}")
        response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=86400"
        return response


class DetectionCropApi(DetectionPictureApi):
    field = "crop"

    @extend_schema(summary="A face's crop (JPEG)", responses={(200, "image/jpeg"): OpenApiTypes.BINARY,
                                                                 **error_responses(401, 404)})
    def get(self, request, pk: int):
        return super().get(request, pk)


class DetectionFrameApi(DetectionPictureApi):
    field = "frame_image"

    @extend_schema(summary="A face's whole frame (JPEG)", responses={(200, "image/jpeg"): OpenApiTypes.BINARY,
                                                                       **error_responses(401, 404)})
    def get(self, request, pk: int):
        return super().get(request, pk)
