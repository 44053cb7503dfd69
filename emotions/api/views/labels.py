"""Labels through the API: correct one face (its emotion, not a face, not this character), undo its latest label,
label many faces at once, and the Review page's next faces. Labelling needs a login."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import label_serializers as ls
from emotions.api.views.characters import character_or_404
from emotions.models import Detection, Episode, Status
from emotions.selectors.review import face_labels, labels_count, review_faces
from emotions.services.labels import face_label_apply, face_label_undo, faces_label_bulk
from toonsite.api import ErrorOutputSerializer, error_responses

LOGIN = "Labelling faces needs a login (a session, or an `Authorization: Token <key>` header)."


class LoggedIn(IsAuthenticated):
    message = LOGIN


def _face_or_404(pk: int) -> Detection:
    """A face of a finished run, a rejected one included (so its label can be undone)."""
    return get_object_or_404(Detection.objects.select_related("episode", "character"), pk=pk,
                             run__status=Status.DONE)


def _face_body(request, detection: Detection, label) -> dict:
    detection = Detection.objects.select_related("episode", "character").get(pk=detection.pk)
    return ls.LabelledFaceOutputSerializer(
        {"label": label, "face": detection, "rejected": detection.rejected}, context={"request": request}
    ).data


class FaceLabelListApi(APIView):
    permission_classes = [LoggedIn]

    @extend_schema(summary="A face's labels, newest (the one in force) first",
                   responses={200: ls.LabelOutputSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, pk: int):
        return Response(ls.LabelOutputSerializer(face_labels(detection=_face_or_404(pk)), many=True).data)

    @extend_schema(
        summary="Correct a face",
        description=(
            '`{"verdict": "emotion", "emotion": "happy"}` sets its emotion everywhere (confidence 1.0); '
            '`{"verdict": "not_face"}` or `"not_character"` takes it out of every result and adds it as a negative '
            "example of its character. The label keeps who gave it, when, and what the model had said; the "
            "episode's summaries (rankings, leaderboard) are rebuilt at once."
        ),
        request=ls.LabelInputSerializer,
        responses={201: ls.LabelledFaceOutputSerializer, **error_responses(400, 401, 404)},
    )
    def post(self, request, pk: int):
        detection = _face_or_404(pk)
        data = ls.LabelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = face_label_apply(detection=detection, user=request.user, **data.validated_data)
        return Response(_face_body(request, detection, label), status=status.HTTP_201_CREATED)


class FaceLabelLatestApi(APIView):
    permission_classes = [LoggedIn]

    @extend_schema(
        summary="Undo a face's latest label",
        description="Its author or staff: the face goes back to the label before it, or to what the model had said.",
        responses={200: ls.LabelledFaceOutputSerializer,
                   409: OpenApiResponse(ErrorOutputSerializer, description="the face has no label"),
                   **error_responses(401, 403, 404)},
    )
    def delete(self, request, pk: int):
        detection = _face_or_404(pk)
        label = face_label_undo(detection=detection, user=request.user)
        return Response(_face_body(request, detection, label))


class BulkLabelApi(APIView):
    permission_classes = [LoggedIn]

    @extend_schema(
        operation_id="detections_labels_bulk_create",
        summary="Label many faces at once",
        description='`{"ids": [...], "verdict", "emotion"}`: one label for each face, all or none (an unknown id '
                    "is a 400 naming it).",
        request=ls.BulkLabelInputSerializer,
        responses={201: ls.BulkLabelOutputSerializer, **error_responses(400, 401)},
    )
    def post(self, request):
        data = ls.BulkLabelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        labels = faces_label_bulk(ids=values["ids"], user=request.user, verdict=values["verdict"],
                                  emotion=values["emotion"])
        body = {"labels": labels, "rejected": sum(label.verdict != "emotion" for label in labels)}
        return Response(ls.BulkLabelOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class ReviewApi(APIView):
    permission_classes = [LoggedIn]

    @extend_schema(
        summary="The next faces to review",
        description=(
            "Faces no one has labelled, least sure first (the smallest margin between the model's top two "
            "probabilities, then the lowest confidence, among the least confident faces), one per track, dealt out "
            "over characters and episodes. `skip`: ids you already hold."
        ),
        parameters=[ls.ReviewInputSerializer],
        responses={200: ls.ReviewOutputSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request):
        query = ls.ReviewInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        character = character_or_404(values["character"]) if values.get("character") else None
        episode = get_object_or_404(Episode, pk=values["episode"]) if values.get("episode") else None
        faces = review_faces(limit=values["limit"], character=character, episode=episode, skip=values["skip"])
        body = {"faces": faces, "labelled_by_you": labels_count(user=request.user)}
        return Response(ls.ReviewOutputSerializer(body, context={"request": request}).data)
