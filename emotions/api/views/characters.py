"""The characters' API: the list, adding one (staff), and one character with its emotions across episodes."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.api import serializers as s
from emotions.api.permissions import StaffWrites
from emotions.api.views.common import PageNumbers, ThrottledPostMixin
from emotions.models import Character
from emotions.selectors.characters import character_emotion_breakdown, character_list
from emotions.services.cast import character_create
from toonsite.api import error_responses


class CharacterListApi(ThrottledPostMixin, generics.ListAPIView):
    serializer_class = s.CharacterOutputSerializer
    permission_classes = [StaffWrites]
    pagination_class = PageNumbers
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return character_list()

    @extend_schema(summary="List characters",
                   responses={200: s.CharacterOutputSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a character (staff)",
        description="Multipart: a cascade XML file, which must load as an OpenCV cascade, and its detection "
                    "parameters. A file that does not load is a 400 with the reason, and nothing is kept.",
        request=s.CharacterCreateInputSerializer,
        responses={201: s.CharacterDetailOutputSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request, *args, **kwargs):
        data = s.CharacterCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        character = character_create(**data.validated_data)
        character.breakdown = character_emotion_breakdown(character=character)
        body = s.CharacterDetailOutputSerializer(character, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class CharacterDetailApi(APIView):
    @extend_schema(
        summary="A character, with its emotions across every episode",
        responses={200: s.CharacterDetailOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, slug: str):
        character = get_object_or_404(Character, slug=slug)
        character.breakdown = character_emotion_breakdown(character=character)
        return Response(s.CharacterDetailOutputSerializer(character, context={"request": request}).data)
