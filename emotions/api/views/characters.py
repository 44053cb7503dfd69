"""The characters' API: the list, adding one (from example faces, any logged-in user; or with a cascade file, staff),
one character with its emotions across episodes and its teaching (examples, versions), and finding it everywhere."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from emotions.access import can_teach
from emotions.api import serializers as s
from emotions.api import teaching_serializers as t
from emotions.api.views.common import PageNumbers, ThrottledPostMixin
from emotions.exceptions import TeachingNotAllowed
from emotions.models import Character
from emotions.selectors.characters import character_emotion_breakdown, character_list
from emotions.selectors.teaching import character_teaching_summary, character_versions
from emotions.services.cast import character_create as character_create_from_cascade
from emotions.services.teaching import (
    MIN_EXAMPLES,
    RECOMMENDED_EXAMPLES,
    character_create,
    character_find_everywhere,
)
from toonsite.api import ErrorOutputSerializer, error_responses


def character_or_404(slug: str) -> Character:
    return get_object_or_404(Character.objects.select_related("creator", "active_version"), slug=slug)


def character_body(request, character: Character) -> dict:
    """A character as the API shows one: its emotions across episodes and its teaching."""
    character.breakdown = character_emotion_breakdown(character=character)
    summary = character_teaching_summary(character=character)
    character.teaching = {
        **summary, "min_examples": MIN_EXAMPLES, "recommended_examples": RECOMMENDED_EXAMPLES,
        "can_teach": can_teach(request.user, character),
        "versions": list(character_versions(character=character).select_related("character")),
    }
    return t.TaughtCharacterOutputSerializer(character, context={"request": request}).data


class CharacterListApi(ThrottledPostMixin, generics.ListAPIView):
    serializer_class = s.CharacterOutputSerializer
    pagination_class = PageNumbers
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return character_list()

    @extend_schema(summary="List characters",
                   responses={200: s.CharacterOutputSerializer(many=True), **error_responses(401, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Add a character: from example faces (logged in), or with a cascade file (staff)",
        description=(
            "Multipart. To teach one: `name`, `mirror` and `examples` (face crops, images or ZIPs of images, the "
            "field repeated); the character is created inactive, with those examples, and you are its creator "
            "(you may train it). A file that is not an image refuses the lot (400) and nothing is kept. With a "
            "`cascade` file instead (staff only): a cascade XML, which must load, and its detection parameters."
        ),
        request=t.CharacterAddInputSerializer,
        responses={201: t.TaughtCharacterOutputSerializer,
                   409: OpenApiResponse(ErrorOutputSerializer, description="a character of that name exists"),
                   413: OpenApiResponse(ErrorOutputSerializer, description="an image or a ZIP is too large"),
                   429: OpenApiResponse(ErrorOutputSerializer, description="too many uploads: wait"),
                   **error_responses(400, 401, 403)},
    )
    def post(self, request, *args, **kwargs):
        if "cascade" in request.data:
            if not request.user.is_staff:
                raise TeachingNotAllowed("only staff may add a character with a cascade file; teach one from example "
                                       "faces instead (name and examples)")
            data = s.CharacterCreateInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            character = character_create_from_cascade(**data.validated_data)
        else:
            data = t.TaughtCharacterCreateInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            character = character_create(name=values["name"], creator=request.user, mirror=values["mirror"],
                                         files=values["examples"])
        body = character_body(request, character_or_404(character.slug))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class CharacterDetailApi(APIView):
    @extend_schema(
        summary="A character, with its emotions across every episode, its examples and trained versions",
        responses={200: t.TaughtCharacterOutputSerializer, **error_responses(401, 404)},
    )
    def get(self, request, slug: str):
        return Response(character_body(request, character_or_404(slug)))


class CharacterFindEverywhereApi(APIView):
    @extend_schema(
        summary="Find the character in every episode (its creator or staff)",
        description="Every episode is processed again with the whole active cast, this character included: the "
                    "result is a full reprocess. The character needs an accepted version first (409 otherwise).",
        request=None,
        responses={202: t.FindEverywhereOutputSerializer,
                   409: OpenApiResponse(ErrorOutputSerializer, description="no accepted version yet"),
                   **error_responses(401, 403, 404)},
    )
    def post(self, request, slug: str):
        count = character_find_everywhere(character_or_404(slug), user=request.user)
        return Response({"episodes": count}, status=status.HTTP_202_ACCEPTED)
