"""The API's query filters (django-filter FilterSets) and its ordering: an unknown name is a 400 that says what
is known, never an empty list."""
import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter

from emotions.models import Character, Detection, Episode, Status
from toonvision.emotions import EMOTIONS

UNKNOWN_EMOTION = f"unknown emotion %(value)s; expected one of {', '.join(EMOTIONS)}"


def character_by_slug(slug: str) -> Character:
    """The character with this slug; a ValidationError naming the known ones when there is none."""
    character = Character.objects.filter(slug=slug).first()
    if character is None:
        known = ", ".join(Character.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
        # The slug goes in as a parameter, never into the message itself: a slug may hold "%(...)s".
        raise ValidationError("unknown character %(slug)s; known characters: %(known)s", code="unknown_character",
                              params={"slug": repr(slug), "known": known})
    return character


class CharacterSlugField(forms.CharField):
    """A character's slug in a query, cleaned to the Character."""

    def clean(self, value):
        value = super().clean(value)
        return None if value in self.empty_values else character_by_slug(value)


class CharacterFilter(django_filters.CharFilter):
    field_class = CharacterSlugField


class EmotionFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [(e, e) for e in EMOTIONS])
        kwargs.setdefault("error_messages", {"invalid_choice": UNKNOWN_EMOTION})
        super().__init__(*args, **kwargs)


class EpisodeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Status.choices, help_text="queued, processing, done or failed",
        error_messages={"invalid_choice": f"unknown status %(value)s; expected one of {', '.join(Status.values)}"},
    )
    owner = django_filters.CharFilter(method="filter_owner", help_text="`me`, or a username")
    search = django_filters.CharFilter(field_name="title", lookup_expr="icontains", help_text="words in the title")

    class Meta:
        model = Episode
        fields = ["status", "owner", "search"]

    def filter_owner(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value == "me":
            if not (user and user.is_authenticated):
                raise exceptions.ValidationError({"owner": ["owner=me needs a login"]})
            return queryset.filter(owner=user)
        owner = get_user_model().objects.filter(username=value).first()
        if owner is None:
            raise exceptions.ValidationError({"owner": [f"no user {value!r}"]})
        return queryset.filter(owner=owner)


class DetectionSearchForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and start >= end:
            raise ValidationError({"end": f"end ({end}) must come after start ({start})"})
        return data


class DetectionFilter(django_filters.FilterSet):
    character = CharacterFilter(help_text="a character's slug, e.g. pip")
    emotion = EmotionFilter(help_text="one of " + ", ".join(EMOTIONS))
    min_confidence = django_filters.NumberFilter(
        field_name="confidence", lookup_expr="gte", min_value=0, max_value=1,
        help_text="the emotion's probability, 0-1",
    )
    episode = django_filters.ModelChoiceFilter(
        queryset=Episode.objects.all(), help_text="an episode's id",
        error_messages={"invalid_choice": "no episode %(value)s"},
    )
    start = django_filters.NumberFilter(
        field_name="time", lookup_expr="gte", min_value=0, help_text="seconds: faces from this time on"
    )
    end = django_filters.NumberFilter(
        field_name="time", lookup_expr="lt", min_value=0, help_text="seconds: faces before this time"
    )

    class Meta:
        model = Detection
        fields = ["character", "emotion", "min_confidence", "episode", "start", "end"]
        form = DetectionSearchForm


class OneKeyOrderingFilter(OrderingFilter):
    """`?ordering=` with one of the view's ordering_fields (a leading '-' for descending), the id breaking ties:
    the single key cursor pagination pages by. An unknown key is a 400, not silently ignored."""

    def get_ordering(self, request, queryset, view):
        given = request.query_params.get(self.ordering_param, "").strip()
        allowed = list(view.ordering_fields)
        if given:
            if given.lstrip("-") not in allowed:
                choices = ", ".join(f"{f}, -{f}" for f in allowed)
                raise exceptions.ValidationError({"ordering": [f"cannot order by {given!r}; use one of {choices}"]})
            key = given
        else:
            key = view.ordering[0] if isinstance(view.ordering, list | tuple) else view.ordering
        return (key, "-id" if key.startswith("-") else "id")
