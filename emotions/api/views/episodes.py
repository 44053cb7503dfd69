"""The episodes' API: list and upload, one episode (read, delete), processing again, its timeline and subtitles."""
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import serializers as s
from emotions.api.permissions import OwnerOrStaff, ReadPublicOrAuthenticated
from emotions.api.renderers import WebVTTRenderer, webvtt
from emotions.api.views.common import JSONErrorsMixin, PageNumbers, ThrottledPostMixin
from emotions.exceptions import EpisodeRejected
from emotions.filters import EpisodeFilter
from emotions.models import Episode
from emotions.selectors.episodes import (
    episode_character_emotions,
    episode_detail,
    episode_emotion_cues,
    episode_list,
    episode_looked_for,
    episode_timeline,
)
from emotions.services.episodes import episode_delete, episode_upload
from emotions.services.runs import episode_process
from emotions.validation import upload_declared_oversize
from toonsite.api import ErrorOutputSerializer, error_responses


class EpisodeListApi(ThrottledPostMixin, generics.ListAPIView):
    serializer_class = s.EpisodeOutputSerializer
    filterset_class = EpisodeFilter
    pagination_class = PageNumbers
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return episode_list()

    @extend_schema(summary="List episodes",
                   responses={200: s.EpisodeOutputSerializer(many=True), **error_responses(400, 401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Upload an episode",
        description=(
            "Multipart: `file` (a video, judged by its content) and `title`. The episode is stored and queued for "
            "processing (201). A file that is empty, not a video, truncated or over MAX_EPISODE_UPLOAD_BYTES is "
            "refused (400/413) and nothing is kept; the same bytes uploaded again are a 409 naming the episode; "
            "with no room left on the server's disk it is a 507 and nothing is kept."
        ),
        request=s.EpisodeUploadInputSerializer,
        responses={
            201: s.EpisodeDetailOutputSerializer,
            409: OpenApiResponse(s.DuplicateOutputSerializer, description="already uploaded"),
            413: OpenApiResponse(ErrorOutputSerializer, description="too large"),
            429: OpenApiResponse(ErrorOutputSerializer, description="too many uploads: wait and try again"),
            507: OpenApiResponse(ErrorOutputSerializer, description="no room on the server's disk"),
            **error_responses(400, 401, 403),
        },
    )
    def post(self, request, *args, **kwargs):
        reason = upload_declared_oversize(request, limit=settings.MAX_EPISODE_UPLOAD_BYTES)
        if reason:  # refused before a byte of it is read or spooled
            raise EpisodeRejected(reason, code="too_large")
        data = s.EpisodeUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Kept and queued, or nothing kept; with no character to look for it is kept, failed with the reason.
        episode = episode_upload(
            owner=request.user, file=data.validated_data["file"], title=data.validated_data["title"]
        )
        episode = episode_detail(pk=episode.pk)
        _with_figures(episode)
        body = s.EpisodeDetailOutputSerializer(episode, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


def _with_figures(episode: Episode) -> Episode:
    """The episode with what its detail shows beside the row: emotions per character, who was looked for."""
    episode.character_emotions = episode_character_emotions(episode=episode)
    episode.looked_for = episode_looked_for(episode=episode)
    return episode


def _episode_or_404(pk: int) -> Episode:
    try:
        return episode_detail(pk=pk)
    except Episode.DoesNotExist:
        raise Http404(f"no episode {pk}") from None


class EpisodeDetailApi(APIView):
    permission_classes = [ReadPublicOrAuthenticated, OwnerOrStaff]

    @extend_schema(summary="An episode", responses={200: s.EpisodeDetailOutputSerializer, **error_responses(401, 404)})
    def get(self, request, pk: int):
        episode = _episode_or_404(pk)
        _with_figures(episode)
        return Response(s.EpisodeDetailOutputSerializer(episode, context={"request": request}).data)

    @extend_schema(summary="Delete an episode (its owner or staff)",
                   responses={204: None, **error_responses(401, 403, 404)})
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
            409: OpenApiResponse(ErrorOutputSerializer, description="a run is under way, or nothing to look for"),
            **error_responses(401, 403, 404),
        },
    )
    def post(self, request, pk: int):
        episode = get_object_or_404(Episode, pk=pk)
        self.check_object_permissions(request, episode)
        data = s.ReprocessInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        episode_process(episode=episode, force=data.validated_data["force"])
        episode = episode_detail(pk=pk)
        _with_figures(episode)
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
        responses={200: s.TimelineOutputSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, pk: int):
        params = s.TimelineInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        episode = get_object_or_404(Episode, pk=pk)
        bucket = params.validated_data["bucket"]
        try:
            buckets = episode_timeline(episode=episode, bucket=bucket)
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
        responses={(200, "text/vtt"): OpenApiTypes.STR, **error_responses(401, 404)},
    )
    def get(self, request, pk: int):
        episode = get_object_or_404(Episode, pk=pk)
        text = webvtt(episode_emotion_cues(episode=episode), title=episode.title)
        response = HttpResponse(text, content_type="text/vtt; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="episode-{episode.pk}.vtt"'
        return response
