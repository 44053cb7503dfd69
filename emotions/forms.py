"""The pages' forms: a face to classify, an episode upload, the episode page's query, the character gallery's
tabs and page keys, the frame search's drawing, and the frames of a ZIP download. Their fields, messages and
checks are emotions.validation's, the API's own; the frame search's filters are emotions.filters."""
from django import forms
from django.core.exceptions import ValidationError

from emotions.selectors.detections import frames_for_download
from emotions.validation import (
    DRAWING_MAX_PAGES,
    UNKNOWN_EMOTION,
    CharacterSlugFormField,
    PageKeyField,
    emotion_choices,
    image_upload_read,
    sentence,
)
from toonvision.training import OPTIMIZERS

DOWNLOAD_MAX_FRAMES = 200
BY_LOOK = "look"


class ClassifyForm(forms.Form):
    """One face image to classify, checked as the API checks images (by content, size capped)."""

    image = forms.FileField(label="A cartoon face")

    def clean_image(self):
        upload = self.cleaned_data["image"]
        try:
            self.cleaned_data["image_bytes"], self.cleaned_data["decoded"] = image_upload_read(upload)
        except ValidationError as error:
            message = sentence(error.message) if error.code == "too_large" else error.message
            raise ValidationError(message, code=error.code) from None
        return upload

    @property
    def too_large(self) -> bool:
        return self.has_error("image", "too_large")


class EpisodeUploadForm(forms.Form):
    """A video to keep as an episode (the no-JavaScript path of the upload page; the page's script uses the API).
    Its content is judged by emotions.services.episodes.episode_create, not here."""

    file = forms.FileField(label="Video file", allow_empty_file=True)
    title = forms.CharField(label="Title", max_length=200, required=False,
                            help_text="Leave empty to use the file's name.")


class EpisodePageForm(forms.Form):
    """The episode page's query: `t`, where the video starts, and `after`, the (start, id) key of a page of its
    moments."""

    t = forms.FloatField(required=False, min_value=0, label="Start at (seconds)")
    after = PageKeyField(required=False, message="after must be a moment's start and id, like 12.5_3401")


class PageForm(forms.Form):
    """`after`, the (confidence, id) key of a page of faces or frames."""

    after = PageKeyField(
        required=False, max_length=64, maximum=1, min_id=1,
        message="%(value)s is not a page key; one looks like 0.93_1234 (a confidence, then a face's id)",
    )


class CharacterGalleryForm(PageForm):
    """A tab of the character's gallery: which emotion, from where, and whether only the tiles are wanted."""

    emotion = forms.ChoiceField(
        choices=emotion_choices(), required=False, error_messages={"invalid_choice": UNKNOWN_EMOTION}
    )
    fragment = forms.BooleanField(required=False)


class DrawingChoiceForm(forms.Form):
    """What a kept drawing's faces are searched for: `emotion` (empty: as the CNN read it; an emotion; "look": by
    look only, no emotion), optionally one character, and the page (of DRAWING_PAGE_SIZE)."""

    emotion = forms.ChoiceField(
        choices=[("", "as read"), *emotion_choices(), (BY_LOOK, "by look only")], required=False,
        error_messages={"invalid_choice": f"{UNKNOWN_EMOTION}, or {BY_LOOK} (by look only)"},
    )
    character = CharacterSlugFormField(required=False, max_length=50, label="Only this character")
    page = forms.IntegerField(required=False, min_value=1, max_value=DRAWING_MAX_PAGES, label="Page")

    def clean(self):
        data = super().clean()
        choice = data.get("emotion") or ""
        data["by_look"] = choice == BY_LOOK
        data["chosen_emotion"] = None if choice in ("", BY_LOOK) else choice
        data["page"] = data.get("page") or 1
        return data


class DrawingSearchForm(ClassifyForm, DrawingChoiceForm):
    """A drawing to find alike faces for, and optionally what to search for (DrawingChoiceForm's choices)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].label = "Your drawing"


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
        detections = frames_for_download(ids=ids)
        unknown = sorted(set(ids) - {d.pk for d in detections})
        if unknown:
            raise ValidationError(
                "No published frame has the id %(ids)s: it may have been reprocessed or deleted.",
                code="unknown", params={"ids": ", ".join(map(str, unknown[:20]))},
            )
        self.cleaned_data["detections"] = detections
        return ids


# -- teaching a character ------------------------------------------------------------------------------------------
class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files under one name (images, or ZIPs of images); their content is judged by the service."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class CharacterNewForm(forms.Form):
    """A character to teach: its name, whether its face may be mirrored, and any example images to start with."""

    name = forms.CharField(label="Name", max_length=100, strip=True,
                           error_messages={"required": "Give the character a name."})
    mirror = forms.BooleanField(label="Its face looks the same mirrored", required=False, initial=True,
                                help_text="Untick for a face that is not symmetric (an eye patch, a parting): "
                                          "training then never adds mirrored examples.")
    examples = MultipleFileField(label="Example faces (optional)", required=False,
                                 help_text="Crops of its face: PNG or JPEG images (any size, transparency welcome), "
                                           "or ZIP files of them. You can also mark faces on episodes later.")


class ExamplesAddForm(forms.Form):
    """More example images (or ZIPs of them) for a character."""

    examples = MultipleFileField(label="Add example images",
                                 error_messages={"required": "Choose at least one image or ZIP."})


TEACH_ACTIONS = ("add-examples", "delete-example", "train", "cancel", "accept", "activate", "find-everywhere",
                 "mark-wrong", "add-missed")


class TeachActionForm(forms.Form):
    """One action on the character's page; each names only the fields it needs (checked in clean)."""

    NEEDS = {"delete-example": ("example",), "cancel": ("version",), "accept": ("version",),
             "activate": ("version",), "mark-wrong": ("version", "hit"),
             "add-missed": ("version", "preview", "x", "y", "w", "h")}

    action = forms.ChoiceField(choices=[(a, a) for a in TEACH_ACTIONS], error_messages={
        "required": "Say what to do (action).",
        "invalid_choice": f"Unknown action “%(value)s”: use one of {', '.join(TEACH_ACTIONS)}."})
    example = forms.IntegerField(required=False, min_value=1)
    version = forms.IntegerField(required=False, min_value=1)
    hit = forms.IntegerField(required=False, min_value=0)
    preview = forms.IntegerField(required=False, min_value=0)
    x = forms.IntegerField(required=False, min_value=0)
    y = forms.IntegerField(required=False, min_value=0)
    w = forms.IntegerField(required=False, min_value=1)
    h = forms.IntegerField(required=False, min_value=1)

    def clean(self):
        data = super().clean()
        for field in self.NEEDS.get(data.get("action"), ()):
            if data.get(field) is None and field not in self.errors:
                self.add_error(field, f"{data['action']} needs {field}.")
        return data


class EmotionModelStartForm(forms.Form):
    """The Models page's training form: what to train, from where, on which faces (the API's fields)."""

    kind = forms.ChoiceField(label="What", initial="training", choices=[
        ("training", "a model"), ("optimizers", "the optimiser experiment")],
        help_text="the experiment: the dissertation's five optimisers side by side, no weights kept")
    start = forms.ChoiceField(label="Start from", initial="active", choices=[
        ("active", "the active model (fine-tune)"), ("scratch", "scratch")])
    preset = forms.ChoiceField(label="Preset", required=False, choices=[
        ("", "automatic"), ("toon", "toon"), ("seed", "seed (the dissertation's)")],
        help_text="automatic: the active model's when fine-tuning, toon from scratch, seed for the experiment")
    optimizer = forms.ChoiceField(label="Optimiser", required=False, choices=[
        ("", "the preset's own"), *[(name, name) for name in OPTIMIZERS]])
    epochs = forms.IntegerField(label="Epochs", required=False, min_value=1,
                                help_text="empty: 60 fine-tuning, the preset's own from scratch")
    runs = forms.IntegerField(label="Runs per optimiser", required=False, min_value=1, max_value=5,
                              help_text="the experiment only; empty: 1")
    site = forms.BooleanField(label="the site's labelled faces", required=False, initial=True)
    datasets = forms.MultipleChoiceField(label="Imported datasets", required=False, choices=[],
                                         widget=forms.CheckboxSelectMultiple)
    studio = forms.BooleanField(label="studio faces, so it does not forget the faces it reads", required=False,
                                initial=True)
    name = forms.CharField(label="Name", required=False, max_length=100)

    def __init__(self, *args, datasets: dict[str, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["datasets"].choices = [(slug, f"{slug} ({n} faces)") for slug, n in (datasets or {}).items()]
        self.fields["datasets"].initial = list(datasets or {})


class DatasetImportForm(forms.Form):
    """A labelled dataset to import: a ZIP in any of the loader's layouts, and the name to keep it under."""

    file = forms.FileField(label="Dataset ZIP")
    name = forms.CharField(required=False, max_length=64, label="Name (default: the ZIP's)")


class DatasetExportForm(forms.Form):
    confident = forms.FloatField(required=False, min_value=0.0, max_value=1.0,
                                 label="Also the model's faces at this confidence or more")
