"""The images' API: classify a face, and find the stored faces alike a drawing (kept for its other pages)."""
from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import serializers as s
from emotions.api.views.common import ThrottledPostMixin
from emotions.services.drawings import drawing_keep, drawing_recall
from emotions.services.similar import detection_similar_page, images_describe
from emotions.validation import DRAWING_MAX_PAGES
from toonsite.api import error_responses


class ClassifyApi(ThrottledPostMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "images"

    @extend_schema(
        summary="Classify a face's emotion",
        description="Multipart: `image`, up to MAX_IMAGE_UPLOAD_BYTES, judged by its content. The active emotion "
                    "CNN answers every emotion's probability.",
        request=s.ImageInputSerializer,
        responses={200: s.ClassificationOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = s.ImageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        (result,), _ = images_describe(images=[data.validated_data["image"].decoded])
        return Response(s.ClassificationOutputSerializer(result).data)


SIMILAR_DESCRIPTION = (
    "The drawing's faces: those showing `emotion` (default: the emotion the drawing was read as) come first, then "
    "the others, each group by appearance: 0.6 x the cosine of the emotion CNN's penultimate features + 0.4 x the "
    "cosine of hue/saturation histograms; `by_look=true` ranks every face by appearance alone. It is compared with "
    "the SIMILAR_CANDIDATES most confident faces of each emotion (spread over the characters), whose vectors each "
    "web process caches. `limit` faces a page, `page` from 1; `next` and `previous` link the kept drawing's pages."
)


class SimilarSearchApi(ThrottledPostMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "images"

    @extend_schema(
        summary="Faces alike a drawing",
        description="Multipart: `image` (a drawing or a picture), optionally `character` (a slug), `emotion` or "
                    "`by_look`, `limit` and `page`. The image is read by the emotion CNN and kept for an hour "
                    "under the token `drawing`, for its other pages and choices. " + SIMILAR_DESCRIPTION,
        request=s.SimilarSearchInputSerializer,
        responses={200: s.SimilarSearchOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = s.SimilarSearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        drawing = drawing_keep(user=request.user, image=data.validated_data["image"].decoded)
        return _similar_page(request, drawing, data.validated_data)


class SimilarPageApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A kept drawing's alike faces: another page or choice",
        description="The drawing a POST to /api/search/similar/ kept (for its uploader, an hour), searched again "
                    "with no upload: `character`, `emotion` or `by_look`, `limit`, `page`. " + SIMILAR_DESCRIPTION,
        parameters=[s.SimilarChoiceInputSerializer],
        responses={200: s.SimilarSearchOutputSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, token: str):
        drawing = drawing_recall(token=token, user=request.user)
        if drawing is None:
            raise NotFound("no drawing is kept under this token (kept an hour, for its uploader): POST it again")
        data = s.SimilarChoiceInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        return _similar_page(request, drawing, data.validated_data)


def _similar_page(request, drawing, choice: dict) -> Response:
    emotion = None if choice["by_look"] else choice.get("emotion") or drawing.classification.emotion
    page, limit = choice["page"], choice["limit"]
    faces, more = detection_similar_page(
        query=drawing.vector, emotion=emotion or drawing.classification.emotion, by_look=choice["by_look"],
        character=choice.get("character") or None, limit=limit, offset=(page - 1) * limit,
    )
    character = choice.get("character")
    kept = {key: value for key, value in (("emotion", choice.get("emotion")), ("by_look", "true" if choice["by_look"]
            else ""), ("character", character.slug if character else ""), ("limit", limit)) if value}
    base = request.build_absolute_uri(reverse("api:similar-page", args=[drawing.token]))

    def link(number: int) -> str:
        return f"{base}?{urlencode({**kept, 'page': number})}"

    body = {"query": drawing.classification, "drawing": drawing.token, "emotion": emotion,
            "by_look": choice["by_look"], "page": page, "results": faces,
            "next": link(page + 1) if more and page < DRAWING_MAX_PAGES else None,
            "previous": link(page - 1) if page > 1 else None}
    return Response(s.SimilarSearchOutputSerializer(body, context={"request": request}).data)
