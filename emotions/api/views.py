"""The API's views: each validates its input with a serializer, calls one service or selector, and shapes the
answer with an output serializer. Refusals from services become 4xx in emotions.api.exceptions."""
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions import selectors
from emotions.api import serializers as s
from emotions.api.filters import DetectionFilter, EpisodeFilter, OneKeyOrderingFilter
from emotions.api.permissions import OwnerOrStaff, ReadPublicOrAuthenticated, StaffWrites
from emotions.api.renderers import JPEGRenderer, WebVTTRenderer, webvtt
from emotions.api.throttles import SettingsScopedRateThrottle
from emotions.exceptions import EpisodeRejected, ProcessingRefused
from emotions.models import Character, Detection, Episode
from emotions.services.cast import character_create
from emotions.services.episodes import episode_create, episode_delete
from emotions.services.runs import episode_process
from emotions.services.similar import detection_similar_search, images_describe

ERRORS = {
    400: OpenApiResponse(s.ErrorOutputSerializer, description="bad input: the reason"),
    401: OpenApiResponse(s.ErrorOutputSerializer, description="not logged in"),
    403: OpenApiResponse(s.ErrorOutputSerializer, description="not allowed"),
    404: OpenApiResponse(s.ErrorOutputSerializer, description="no such thing"),
}
# Slack for the multipart envelope around an upload's bytes.
MULTIPART_OVERHEAD = 64 * 1024


def errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


class PageNumbers(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DetectionCursor(CursorPagination):
    """Cursor pages (stable while new faces arrive, and as fast on page 10,000 as on page 1)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-confidence"


class ThrottledPostMixin:
    """Throttle POSTs (uploads, image searches) under the view's throttle_scope; reads are not throttled."""

    throttle_scope = "uploads"

    def get_throttles(self):
        return [SettingsScopedRateThrottle()] if self.request.method == "POST" else []


class JSONErrorsMixin:
    """Errors are JSON even where a success is a picture or a subtitle file."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _refuse_oversize_body(request, limit: int) -> None:
    """Refuse an upload whose declared size is already over the limit, before a byte of it is read or spooled."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if declared > limit + MULTIPART_OVERHEAD:
        raise EpisodeRejected(
            f"the upload is {declared / 2**20:.1f} MiB; the largest episode accepted is {limit / 2**20:.1f} MiB",
            code="too_large",
        )


# -- episodes --------------------------------------------------------------------------------------------------
class EpisodeListApi(ThrottledPostMixin, generics.ListAPIView):
    serializer_class = s.EpisodeOutputSerializer
    filterset_class = EpisodeFilter
    pagination_class = PageNumbers
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.episode_list()

    @extend_schema(summary="List episodes",
                   responses={200: s.EpisodeOutputSerializer(many=True), **errors(400, 401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Upload an episode",
        description=(
            "Multipart: `file` (a video, judged by its content) and `title`. The episode is stored and queued for "
            "processing (201). A file that is empty, not a video, truncated or over MAX_EPISODE_UPLOAD_BYTES is "
            "refused (400/413) and nothing is kept; the same bytes uploaded again are a 409 naming the episode."
        ),
        request=s.EpisodeUploadInputSerializer,
        responses={
            201: s.EpisodeDetailOutputSerializer,
            409: OpenApiResponse(s.DuplicateOutputSerializer, description="already uploaded"),
            413: OpenApiResponse(s.ErrorOutputSerializer, description="too large"),
            **errors(400, 401, 403),
        },
    )
    def post(self, request, *args, **kwargs):
        _refuse_oversize_body(request, settings.MAX_EPISODE_UPLOAD_BYTES)
        data = s.EpisodeUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        episode = episode_create(
            owner=request.user, file=data.validated_data["file"], title=data.validated_data["title"]
        )
        try:
            episode_process(episode=episode)
        except ProcessingRefused:
            pass  # kept, and marked failed with the reason (no character to look for): the answer shows it
        episode = selectors.episode_detail(pk=episode.pk)
        episode.character_emotions = selectors.episode_character_emotions(episode=episode)
        body = s.EpisodeDetailOutputSerializer(episode, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


def _episode_or_404(pk: int) -> Episode:
    try:
        return selectors.episode_detail(pk=pk)
    except Episode.DoesNotExist:
        raise Http404(f"no episode {pk}") from None


class EpisodeDetailApi(APIView):
    permission_classes = [ReadPublicOrAuthenticated, OwnerOrStaff]

    @extend_schema(summary="An episode", responses={200: s.EpisodeDetailOutputSerializer, **errors(401, 404)})
    def get(self, request, pk: int):
        episode = _episode_or_404(pk)
        episode.character_emotions = selectors.episode_character_emotions(episode=episode)
        return Response(s.EpisodeDetailOutputSerializer(episode, context={"request": request}).data)

    @extend_schema(summary="Delete an episode (its owner or staff)", responses={204: None, **errors(401, 403, 404)})
    def delete(self, request, pk: int):
        episode = get_object_or_404(Episode, pk=pk)
        self.check_object_permissions(request, episode)
        episode_delete(episode=episode)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EpisodeReprocessApi(APIView):
    permission_classes = [ReadPublicOrAuthenticated, OwnerOrStaff]

    @extend_schema(
        summary="Process an episode again (its owner or staff)",
        description="A new run is queued; the earlier runs stay as history. While a run is under way this is a 409, "
                    "unless `force` is true: then that run is abandoned for the new one.",
        request=s.ReprocessInputSerializer,
        responses={
            202: s.EpisodeDetailOutputSerializer,
            409: OpenApiResponse(s.ErrorOutputSerializer, description="a run is under way, or nothing to look for"),
            **errors(401, 403, 404),
        },
    )
    def post(self, request, pk: int):
        episode = get_object_or_404(Episode, pk=pk)
        self.check_object_permissions(request, episode)
        data = s.ReprocessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        episode_process(episode=episode, force=data.validated_data["force"])
        episode = selectors.episode_detail(pk=pk)
        episode.character_emotions = selectors.episode_character_emotions(episode=episode)
        return Response(s.EpisodeDetailOutputSerializer(episode, context={"request": request}).data,
                        status=status.HTTP_202_ACCEPTED)


class EpisodeTimelineApi(APIView):
    @extend_schema(
        summary="An episode's emotion timeline",
        description=(
            "Seconds of each character's emotions in each `bucket` seconds of the episode, from its published "
            "detections (each counts its duration in the bucket where it starts, so the buckets add up to the "
            "episode's emotion seconds)."
        ),
        parameters=[s.TimelineInputSerializer],
        responses={200: s.TimelineOutputSerializer, **errors(400, 401, 404)},
    )
    def get(self, request, pk: int):
        params = s.TimelineInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        episode = get_object_or_404(Episode, pk=pk)
        bucket = params.validated_data["bucket"]
        try:
            buckets = selectors.episode_timeline(episode=episode, bucket=bucket)
        except ValueError as error:
            raise ValidationError({"bucket": [str(error)]}) from None
        body = {"episode": episode.pk, "bucket": bucket, "duration": episode.duration, "buckets": buckets}
        return Response(s.TimelineOutputSerializer(body).data)


class EpisodeSubtitlesApi(JSONErrorsMixin, APIView):
    renderer_classes = [WebVTTRenderer, JSONRenderer]

    @extend_schema(
        summary="An episode's emotions as WebVTT subtitles",
        description=(
            "One cue per stretch of the episode, a line per character on screen, e.g. `Pip: happy`. A character's "
            "detections of one emotion less than 0.5 s apart are one run; runs under 0.3 s are dropped as flicker; "
            "characters on screen together share a cue."
        ),
        responses={(200, "text/vtt"): OpenApiTypes.STR, **errors(401, 404)},
    )
    def get(self, request, pk: int):
        episode = get_object_or_404(Episode, pk=pk)
        text = webvtt(selectors.episode_emotion_cues(episode=episode), title=episode.title)
        response = HttpResponse(text, content_type="text/vtt; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="episode-{episode.pk}.vtt"'
        return response


# -- characters ------------------------------------------------------------------------------------------------
class CharacterListApi(ThrottledPostMixin, generics.ListAPIView):
    serializer_class = s.CharacterOutputSerializer
    permission_classes = [StaffWrites]
    pagination_class = PageNumbers
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.character_list()

    @extend_schema(summary="List characters",
                   responses={200: s.CharacterOutputSerializer(many=True), **errors(401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a character (staff)",
        description="Multipart: a cascade XML file, which must load as an OpenCV cascade, and its detection "
                    "parameters. A file that does not load is a 400 with the reason, and nothing is kept.",
        request=s.CharacterCreateInputSerializer,
        responses={201: s.CharacterDetailOutputSerializer, **errors(400, 401, 403)},
    )
    def post(self, request, *args, **kwargs):
        data = s.CharacterCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        character = character_create(**data.validated_data)
        character.breakdown = selectors.character_emotion_breakdown(character=character)
        body = s.CharacterDetailOutputSerializer(character, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class CharacterDetailApi(APIView):
    @extend_schema(
        summary="A character, with its emotions across every episode",
        responses={200: s.CharacterDetailOutputSerializer, **errors(401, 404)},
    )
    def get(self, request, slug: str):
        character = get_object_or_404(Character, slug=slug)
        character.breakdown = selectors.character_emotion_breakdown(character=character)
        return Response(s.CharacterDetailOutputSerializer(character, context={"request": request}).data)


# -- detections ------------------------------------------------------------------------------------------------
class DetectionListApi(generics.ListAPIView):
    serializer_class = s.DetectionOutputSerializer
    filterset_class = DetectionFilter
    filter_backends = [DjangoFilterBackend, OneKeyOrderingFilter]
    ordering_fields = ["confidence", "time"]
    ordering = ["-confidence"]
    pagination_class = DetectionCursor

    def get_queryset(self):
        return selectors.detection_list()

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
        responses={200: s.DetectionOutputSerializer(many=True), **errors(400, 401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DetectionPictureApi(JSONErrorsMixin, APIView):
    """A stored face crop or frame, streamed from media storage behind the API's own permissions."""

    renderer_classes = [JSONRenderer, JPEGRenderer]
    field = "crop"

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY, **errors(401, 404)})
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
                                                                 **errors(401, 404)})
    def get(self, request, pk: int):
        return super().get(request, pk)


class DetectionFrameApi(DetectionPictureApi):
    field = "frame_image"

    @extend_schema(summary="A face's whole frame (JPEG)", responses={(200, "image/jpeg"): OpenApiTypes.BINARY,
                                                                       **errors(401, 404)})
    def get(self, request, pk: int):
        return super().get(request, pk)


# -- images ------------------------------------------------------------------------------------------------------
class ClassifyApi(ThrottledPostMixin, APIView):
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "images"

    @extend_schema(
        summary="Classify a face's emotion",
        description="Multipart: `image`, up to MAX_IMAGE_UPLOAD_BYTES, judged by its content. The active emotion "
                    "CNN answers every emotion's probability.",
        request=s.ImageInputSerializer,
        responses={200: s.ClassificationOutputSerializer, **errors(400, 401, 403)},
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
        responses={200: s.SimilarSearchOutputSerializer, **errors(400, 401, 403)},
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


def api_root_links(request) -> dict:
    names = {"episodes": "api:episode-list", "characters": "api:character-list", "detections": "api:detection-list",
             "classify": "api:classify", "similar_search": "api:similar-search",
             "recommendations": "api:recommendations", "leaderboard": "api:leaderboard", "schema": "api:schema",
             "docs": "api:docs", "token": "api:token"}
    return {key: request.build_absolute_uri(reverse(name)) for key, name in names.items()}


class ApiRootApi(APIView):
    @extend_schema(summary="The API's entry points", responses={200: OpenApiTypes.OBJECT, **errors(401)})
    def get(self, request):
        return Response(api_root_links(request))



class TokenApi(ObtainAuthToken):
    @extend_schema(
        summary="Get your API token",
        description="Form or JSON: `username` and `password`. Send the token as `Authorization: Token <token>`.",
        responses={200: s.TokenOutputSerializer, **errors(400)},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def _under_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """404: JSON under /api/ (what API clients parse), Django's page elsewhere."""
    if _under_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: JSON under /api/, Django's page elsewhere."""
    if _under_api(request):
        return JsonResponse({"detail": "Server error: the site's logs say more.", "code": "server_error"}, status=500)
    return defaults.server_error(request)
