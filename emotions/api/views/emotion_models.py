"""The emotion models' registry through the API: list the models (the shipped one included), start a training or
the optimiser experiment (logged in), follow it, cancel it, read its report and charts, activate a model (staff)."""
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import model_serializers as m
from emotions.api.renderers import PNGRenderer
from emotions.api.views.common import JSONErrorsMixin
from emotions.models import EmotionModel
from emotions.selectors.emotion_models import emotion_model_list, emotion_model_table
from emotions.services.emotion_models import (
    emotion_model_activate,
    emotion_model_cancel,
    emotion_model_shipped,
    emotion_model_start,
    models_dir,
)
from emotions.services.reclassify import emotion_model_reclassify
from toonsite.api import ErrorOutputSerializer, error_responses

CONFLICT = OpenApiResponse(ErrorOutputSerializer, description="not possible now (one is training, or not trained)")


def _model_or_404(pk: int) -> EmotionModel:
    return get_object_or_404(emotion_model_list(), pk=pk)


def _body(request, model: EmotionModel) -> dict:
    return m.EmotionModelOutputSerializer(_model_or_404(model.pk), context={"request": request}).data


class ModelListApi(APIView):
    @extend_schema(summary="The emotion models, newest first, with their scores on the fixed held-out sets",
                   responses={200: m.EmotionModelSummaryOutputSerializer(many=True), **error_responses(401)})
    def get(self, request):
        emotion_model_shipped()  # the shipped weights are listed, so one can go back to them
        rows = list(emotion_model_list())
        table = {row["model"].pk: row for row in emotion_model_table(rows)}
        context = {"request": request, "table": table}
        return Response(m.EmotionModelSummaryOutputSerializer(rows, many=True, context=context).data)

    @extend_schema(
        summary="Train a model (logged in): from the active model (the default) or from scratch, or the experiment",
        description="Queues a training on the workers (CUDA when they have it); follow it at the model's URL. No "
                    "faces to learn from or bad options: a 400 saying why; while a model trains, a 409.",
        request=m.EmotionModelStartInputSerializer,
        responses={202: m.EmotionModelOutputSerializer, 409: CONFLICT, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = m.EmotionModelStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["datasets"] = values.get("datasets")
        model = emotion_model_start(user=request.user, **values)
        body = _body(request, model)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class ModelDetailApi(APIView):
    @extend_schema(summary="One model: its status and live progress, then its report (curves, confusion, F1)",
                   responses={200: m.EmotionModelOutputSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        return Response(_body(request, _model_or_404(pk)))


class ModelCancelApi(APIView):
    @extend_schema(summary="Cancel a training (whoever started it, or staff)", request=None,
                   responses={200: m.EmotionModelOutputSerializer, 409: CONFLICT, **error_responses(401, 403, 404)})
    def post(self, request, pk: int):
        return Response(_body(request, emotion_model_cancel(model=_model_or_404(pk), user=request.user)))


class ModelActivateApi(APIView):
    @extend_schema(summary="Make a trained model (or the shipped one) what new processing and classification use "
                           "(staff)",
                   description="Faces already stored keep their emotions until re-read with it: "
                               "`POST /api/models/{id}/reclassify/` (or `manage.py reclassify`).",
                   request=None,
                   responses={200: m.EmotionModelOutputSerializer, 409: CONFLICT, **error_responses(401, 403, 404)})
    def post(self, request, pk: int):
        return Response(_body(request, emotion_model_activate(model=_model_or_404(pk), user=request.user)))


class ModelReclassifyApi(APIView):
    @extend_schema(summary="Re-read every stored face with the active model, in the background (staff)",
                   description="Only the CNN runs, over the stored crops: no decoding, no detection. Faces people "
                               "labelled keep their labels; the summaries are rebuilt. The outcome appears in the "
                               "model's `report.reclassify` (faces, changed, labelled, faces_per_second).",
                   request=None,
                   responses={202: m.EmotionModelOutputSerializer, 409: CONFLICT,
                              **error_responses(400, 401, 403, 404)})
    def post(self, request, pk: int):
        model = emotion_model_reclassify(model=_model_or_404(pk), user=request.user)
        return Response(_body(request, model), status=202)


class ModelChartApi(JSONErrorsMixin, APIView):
    renderer_classes = [JSONRenderer, PNGRenderer]

    @extend_schema(summary="A trained model's learning curves or confusion matrix, PNG",
                   responses={(200, "image/png"): OpenApiTypes.BINARY, **error_responses(401, 404)})
    def get(self, request, pk: int, chart: str):
        name = ((_model_or_404(pk).report or {}).get("files") or {}).get(chart)
        path = models_dir() / name if name and chart in ("curves", "confusion") else None
        if path is None or not path.is_file():
            raise Http404("no such chart")
        return FileResponse(path.open("rb"), content_type="image/png")
