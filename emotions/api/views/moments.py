"""The moments' API: one track's run of one emotion, each with its best face (crop and frame URLs)."""
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination

from emotions.api import serializers as s
from emotions.filters import MomentFilter
from emotions.selectors.moments import moment_list
from toonsite.api import error_responses


class MomentCursor(CursorPagination):
    """Cursor pages, most confident moment first (the index the frame search pages by)."""

    page_size = 48
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-best_confidence", "-id")


class MomentListApi(generics.ListAPIView):
    serializer_class = s.MomentOutputSerializer
    filterset_class = MomentFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = MomentCursor

    def get_queryset(self):
        return moment_list()

    @extend_schema(
        summary="Search moments",
        description=(
            "Moments of finished runs: one track's run of one emotion (consecutive faces of one tracked face with "
            "the same emotion; a face without a track is a moment of its own), by character (slug), emotion, "
            "minimum confidence (of the moment's best face; a labelled face counts as 1) and episode, most "
            "confident first, in cursor pages: follow `next`. Each moment gives its start and end (seconds), how "
            "many faces it holds, and its best face with that face's crop and frame URLs. An unknown character or "
            "emotion is a 400 naming the known ones."
        ),
        responses={200: s.MomentOutputSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
