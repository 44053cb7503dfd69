"""The images' API: classify a face, and find the stored faces alike a drawing."""
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import serializers as s
from emotions.api.views.common import ThrottledPostMixin
from emotions.services.similar import detection_similar_search, images_describe
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


class SimilarSearchApi(ThrottledPostMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "images"

    @extend_schema(
        summary="Faces alike a drawing",
        description=(
            "Multipart: `image` (a drawing or a picture), optionally `character` (a slug) and `limit`. The image is "
            "classified; faces of its emotion come first, then the others, each group by appearance: 0.6 x the "
            "cosine of the emotion CNN's penultimate features + 0.4 x the cosine of hue/saturation histograms. "
            "It is compared with the SIMILAR_CANDIDATES most confident faces of each emotion (spread over the "
            "characters), whose vectors each web process caches."
        ),
        request=s.SimilarSearchInputSerializer,
        responses={200: s.SimilarSearchOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        data = s.SimilarSearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        classification, faces = detection_similar_search(
            image=data.validated_data["image"].decoded, character=data.validated_data.get("character"),
            limit=data.validated_data["limit"],
        )
        body = {"query": classification, "results": faces}
        return Response(s.SimilarSearchOutputSerializer(body, context={"request": request}).data)
