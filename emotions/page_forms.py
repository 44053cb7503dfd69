"""Forms of the character and frame pages: gallery tabs and their page keys, drawings, ZIP downloads.

The frame search's filters themselves are emotions.api.filters.DetectionFilter, the API's own, so the pages and
the API accept and refuse the same queries with the same words."""
import math

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from emotions import selectors
from emotions.api.filters import UNKNOWN_EMOTION, CharacterSlugField
from emotions.forms import ClassifyForm
from toonvision.emotions import EMOTIONS

DOWNLOAD_MAX_FRAMES = 200


def page_key(key: tuple[float, int]) -> str:
    """A (confidence, id) page key as a "Next" link carries it: repr keeps the float exact, so no face repeats."""
    confidence, pk = key
    return f"{confidence!r}_{pk}"


class PageKeyField(forms.CharField):
    """`after=<confidence>_<id>`: where the next page starts, cleaned to (confidence, id)."""

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        confidence, _, pk = value.partition("_")
        try:
            key = (float(confidence), int(pk))
        except ValueError:
            key = None
        if key is None or not math.isfinite(key[0]) or not 0 <= key[0] <= 1 or key[1] < 1:
            raise ValidationError(
                "%(value)s is not a page key; one looks like 0.93_1234 (a confidence, then a face's id)",
                code="invalid_page", params={"value": repr(value)},
            )
        return key


class PageForm(forms.Form):
    after = PageKeyField(required=False, max_length=64)


class CharacterGalleryForm(PageForm):
    """A tab of the character's gallery: which emotion, from where, and whether only the tiles are wanted."""

    emotion = forms.ChoiceField(
        choices=[(e, e) for e in EMOTIONS], required=False, error_messages={"invalid_choice": UNKNOWN_EMOTION}
    )
    fragment = forms.BooleanField(required=False)


class DrawingSearchForm(ClassifyForm):
    """A drawing to find alike faces for, checked as the API checks images (by content, size capped), and
    optionally the one character to search."""

    character = CharacterSlugField(required=False, max_length=50, label="Only this character")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].label = "Your drawing"

    def clean_image(self):
        upload = self.cleaned_data["image"]
        limit = settings.MAX_IMAGE_UPLOAD_BYTES
        if upload.size > limit:  # checked here first so the page can answer 413 for it
            raise ValidationError(
                f"That image is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}.",
                code="too_large",
            )
        return super().clean_image()

    @property
    def too_large(self) -> bool:
        return self.has_error("image", "too_large")


class IdListField(forms.Field):
    """Many `ids` values (checkboxes), cleaned to a list of distinct ids in the order sent."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = [v.strip() for v in (value or []) if str(v).strip()]
        bad = [v for v in values if not v.isdigit()]
        if bad:
            raise ValidationError("%(bad)s is not a frame id", code="invalid", params={"bad": repr(bad[0])})
        return list(dict.fromkeys(int(v) for v in values))


class FrameDownloadForm(forms.Form):
    """The frames to put in a references ZIP: 1 to DOWNLOAD_MAX_FRAMES published ones."""

    ids = IdListField(error_messages={"required": "Select at least one frame to download."})

    def clean_ids(self):
        ids = self.cleaned_data["ids"]
        if len(ids) > DOWNLOAD_MAX_FRAMES:
            raise ValidationError(
                f"You selected {len(ids)} frames; one download holds at most {DOWNLOAD_MAX_FRAMES}.", code="too_many"
            )
        detections = selectors.frames_for_download(ids=ids)
        unknown = sorted(set(ids) - {d.pk for d in detections})
        if unknown:
            raise ValidationError(
                "No published frame has the id %(ids)s: it may have been reprocessed or deleted.",
                code="unknown", params={"ids": ", ".join(map(str, unknown[:20]))},
            )
        self.cleaned_data["detections"] = detections
        return ids
