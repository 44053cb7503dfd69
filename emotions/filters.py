"""Query filters (django-filter FilterSets) shared by the pages and the API, so both accept and refuse the same
queries with the same words: an unknown name is a refusal that says what is known, never an empty list."""
import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from emotions.models import Detection, Episode, Moment, Status
from emotions.validation import UNKNOWN_EMOTION, CharacterSlugFormField, emotion_choices
from toonvision.emotions import EMOTIONS


class CharacterFilter(django_filters.CharFilter):
    field_class = CharacterSlugFormField


class EmotionFilter(django_filters.ChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", emotion_choices())
        kwargs.setdefault("error_messages", {"invalid_choice": UNKNOWN_EMOTION})
        super().__init__(*args, **kwargs)


class EpisodeChoiceFilter(django_filters.ModelChoiceFilter):
    """An episode by id (faces' and moments' filters); an unknown id is refused in words."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Episode.objects.all())
        kwargs.setdefault("help_text", "an episode's id")
        kwargs.setdefault("error_messages", {"invalid_choice": "no episode %(value)s"})
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
                raise ValidationError({"owner": ["owner=me needs a login"]})
            return queryset.filter(owner=user)
        owner = get_user_model().objects.filter(username=value).first()
        if owner is None:
            raise ValidationError({"owner": [f"no user {value!r}"]})
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
    episode = EpisodeChoiceFilter()
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


class MomentFilter(django_filters.FilterSet):
    """The frame search's and the moments API's filters: as DetectionFilter's, the confidence being the moment's
    best face's."""

    character = CharacterFilter(help_text="a character's slug, e.g. pip")
    emotion = EmotionFilter(help_text="one of " + ", ".join(EMOTIONS))
    min_confidence = django_filters.NumberFilter(
        field_name="best_confidence", lookup_expr="gte", min_value=0, max_value=1,
        help_text="the best face's emotion probability, 0-1 (a labelled face counts as 1)",
    )
    episode = EpisodeChoiceFilter()

    class Meta:
        model = Moment
        fields = ["character", "emotion", "min_confidence", "episode"]
