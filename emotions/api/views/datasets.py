"""Datasets through the API: the labelled faces as a ZIP in the dissertation's layout, and imported datasets
(list them, upload a ZIP of one)."""
import tempfile

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api.views.common import JSONErrorsMixin, ThrottledPostMixin
from emotions.exceptions import DatasetRefused
from emotions.selectors.datasets import dataset_list
from emotions.services.datasets import dataset_import_zip, dataset_zip_write
from toonsite.api import ErrorOutputSerializer, error_responses


class ZIPRenderer(BaseRenderer):
    """Lets a client ask for application/zip; the view streams the file, errors are JSON."""

    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


class DatasetOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    faces = serializers.IntegerField()
    training = serializers.IntegerField()
    testing = serializers.IntegerField()
    emotions = serializers.DictField(child=serializers.IntegerField())


class DatasetImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a ZIP in any of the three layouts (see the README)")
    name = serializers.CharField(required=False, max_length=64, help_text="the dataset's name (default: the ZIP's)")


class ImportedOutputSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    layout = serializers.CharField()
    added = serializers.IntegerField()
    already = serializers.IntegerField(help_text="faces the dataset already had (same pixels): skipped")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="faces added per emotion")


class DatasetListApi(ThrottledPostMixin, APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(summary="Imported datasets", responses={200: DatasetOutputSerializer(many=True),
                                                          **error_responses(401)})
    def get(self, request):
        return Response(DatasetOutputSerializer(dataset_list(), many=True).data)

    @extend_schema(
        summary="Import a labelled dataset (a ZIP): all or nothing; faces it already has are skipped",
        request={"multipart/form-data": DatasetImportInputSerializer},
        responses={201: ImportedOutputSerializer, **error_responses(400, 401),
                   429: OpenApiResponse(ErrorOutputSerializer, description="too many uploads: wait")},
    )
    def post(self, request):
        data = DatasetImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > settings.MAX_DATASET_UPLOAD_BYTES:
            raise DatasetRefused(f"{upload.name} is over the {settings.MAX_DATASET_UPLOAD_BYTES} bytes a dataset may "
                                 "have", code="too_large")
        done = dataset_import_zip(upload=upload, name=data.validated_data.get("name"), user=request.user)
        return Response(ImportedOutputSerializer(done).data, status=status.HTTP_201_CREATED)


class DatasetExportApi(JSONErrorsMixin, APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, ZIPRenderer]

    @extend_schema(
        summary="The labelled faces as a ZIP: <character>/<emotion>/{training,testing}/<face>.png and manifest.csv",
        parameters=[OpenApiParameter("confident", float, description="also the model's faces at this confidence "
                                                                     "or more (0-1)")],
        responses={(200, "application/zip"): OpenApiTypes.BINARY,
                   **error_responses(400, 401, 404, descriptions={404: "an unknown ?format="})},
    )
    def get(self, request):
        confident = request.query_params.get("confident")
        try:
            confident = None if confident in (None, "") else float(confident)
        except ValueError:
            raise DatasetRefused(f"confident must be a number between 0 and 1, not {confident!r}",
                                 code="bad_confidence") from None
        out = tempfile.TemporaryFile()  # FileResponse closes it once sent
        dataset_zip_write(out=out, confident=confident)
        out.seek(0)
        return FileResponse(out, as_attachment=True, content_type="application/zip",
                            filename="toonsite-dataset.zip")

