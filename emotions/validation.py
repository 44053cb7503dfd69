"""What a request may bring, checked in one place for the pages (forms), the API (serializers) and the filters:
the shared fields, their messages and the checks behind them.

The API words a refusal in lower case without a full stop ("that image is 2 MB; the limit is 1 MB"); a page
shows the same words as a sentence (`sentence`)."""
import math
import re

import numpy as np
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from rest_framework import serializers

from emotions.models import Character
from toonvision.emotions import EMOTIONS
from toonvision.images import ImageError, decode_image

# A drawing's alike faces come in at most this many pages: the search ranks a few hundred candidates, not all faces.
DRAWING_MAX_PAGES = 20
# Slack for the multipart envelope around an upload's bytes.
MULTIPART_OVERHEAD = 64 * 1024
# A page key, `after=<value>_<id>`: where the next page of a keyset starts (a time or a confidence, then an id).
PAGE_KEY = re.compile(r"^\d+(\.\d+)?(e-?\d+)?_\d+$")


def _unknown_emotion(placeholder: str) -> str:
    return f"unknown emotion {placeholder}; expected one of {', '.join(EMOTIONS)}"


# The API's and the filters' words for an emotion that is not one (Django forms fill %(value)s, DRF {input}).
UNKNOWN_EMOTION = _unknown_emotion("%(value)s")
UNKNOWN_EMOTION_API = _unknown_emotion("{input}")
# The recommender pages' words for the same refusals (tests/test_pages_recommender.py pins them as they are).
UNKNOWN_EMOTION_SENTENCE = f"Unknown emotion “%(value)s”: choose one of {', '.join(EMOTIONS)}."
UNKNOWN_CHARACTER_SENTENCE = "Unknown character “{slug}”: the known characters are {known}."


def sentence(message: str) -> str:
    """A refusal as a page shows it: capitalised, with a full stop."""
    return f"{message[:1].upper()}{message[1:]}."


# -- characters --------------------------------------------------------------------------------------------------
def known_character_slugs(queryset=None) -> str:
    """The characters' slugs, comma-separated (in the queryset's order; by slug without one), or "none yet"."""
    queryset = Character.objects.order_by("slug") if queryset is None else queryset
    return ", ".join(queryset.values_list("slug", flat=True)) or "none yet"


def character_by_slug(slug: str) -> Character:
    """The character with this slug; a ValidationError naming the known ones when there is none."""
    character = Character.objects.filter(slug=slug).first()
    if character is None:
        # The slug goes in as a parameter, never into the message itself: a slug may hold "%(...)s".
        raise ValidationError("unknown character %(slug)s; known characters: %(known)s", code="unknown_character",
                              params={"slug": repr(slug), "known": known_character_slugs()})
    return character


class CharacterSlugFormField(forms.CharField):
    """A character's slug in a form or a query string, cleaned to the Character (None when empty)."""

    def clean(self, value):
        value = super().clean(value)
        return None if value in self.empty_values else character_by_slug(value)


class CharacterSlugSerializerField(serializers.CharField):
    """A character's slug in an API request, validated to the Character; an unknown one names the known ones."""

    def run_validation(self, data=serializers.empty):
        slug = super().run_validation(data)  # the field's own checks (no NUL characters, length) come first
        if slug in ("", None):
            return slug
        try:
            return character_by_slug(slug)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages[0], code="unknown_character") from None


# -- emotions ------------------------------------------------------------------------------------------------------
class EmotionSerializerField(serializers.ChoiceField):
    """One of the seven emotions in an API request."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": UNKNOWN_EMOTION_API})
        super().__init__(choices=list(EMOTIONS), **kwargs)


def emotion_choices() -> list[tuple[str, str]]:
    return [(e, e) for e in EMOTIONS]


# -- images --------------------------------------------------------------------------------------------------------
def image_upload_read(upload) -> tuple[bytes, np.ndarray]:
    """An uploaded image's bytes and its picture (BGR), judged by its content, whatever its name says.
    A ValidationError when it is over MAX_IMAGE_UPLOAD_BYTES (code too_large) or not a readable image."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"that image is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}", code="too_large"
        )
    data = upload.read()
    try:
        return data, decode_image(data, source=upload.name or "image")
    except ImageError as error:
        raise ValidationError(str(error), code="not_an_image") from None


def upload_declared_oversize(request, *, limit: int) -> str | None:
    """Why an upload whose declared size (Content-Length) is already over `limit` is refused, before a byte of it
    is read or spooled; None when it is not (or declares nothing we can read)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if declared <= limit + MULTIPART_OVERHEAD:
        return None
    return f"the upload is {declared / 2**20:.1f} MiB; the largest episode accepted is {limit / 2**20:.1f} MiB"


# -- page keys -------------------------------------------------------------------------------------------------------
def page_key(key: tuple[float, int]) -> str:
    """A (value, id) page key as a "Next" link carries it: repr keeps the float exact, so no row repeats."""
    value, pk = key
    return f"{value!r}_{pk}"


def page_key_parse(text: str) -> tuple[float, int] | None:
    """`<value>_<id>` as (value, id); None when it is not one."""
    if not PAGE_KEY.match(text):
        return None
    value, _, pk = text.partition("_")
    key = (float(value), int(pk))
    return key if math.isfinite(key[0]) else None


class PageKeyField(forms.CharField):
    """`after=<value>_<id>`: where the next page starts, cleaned to (value, id), or None when empty.
    `maximum` bounds the value (1 for a confidence) and `min_id` the id; `message` is the refusal, with
    %(value)s for what was sent."""

    def __init__(self, *, message: str, maximum: float | None = None, min_id: int = 0, **kwargs):
        self.message, self.maximum, self.min_id = message, maximum, min_id
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        key = page_key_parse(value)
        if key is None or (self.maximum is not None and key[0] > self.maximum) or key[1] < self.min_id:
            raise ValidationError(self.message, code="invalid_page", params={"value": repr(value)})
        return key


# -- throttles and login lockouts ------------------------------------------------------------------------------------
def _wait_words(seconds: float | None) -> str:
    seconds = max(1, math.ceil(seconds or 1))
    return f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"


def throttled_message(seconds: float | None, what: str = "uploads or image searches") -> str:
    """Too many uploads or image searches (or ``what``) in a while: when the next is accepted."""
    return f"too many {what} for now; try again in {_wait_words(seconds)}"


def locked_out_message(seconds: float | None) -> str:
    """Too many wrong passwords for a username or from an address: when logging in is open again."""
    return (f"too many failed logins for this username or from this address; logging in is refused for "
            f"{_wait_words(seconds)}, even with the right password")
