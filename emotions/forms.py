"""Forms of the emotions app."""
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from toonvision.images import ImageError, decode_image


class ClassifyForm(forms.Form):
    """One face image to classify; its content is decoded here, whatever its name says."""

    image = forms.FileField(label="A cartoon face")

    def clean_image(self):
        upload = self.cleaned_data["image"]
        limit = settings.MAX_IMAGE_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"That image is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}."
            )
        data = upload.read()
        try:
            self.cleaned_data["decoded"] = decode_image(data, source=upload.name)
        except ImageError as error:
            raise forms.ValidationError(str(error)) from error
        self.cleaned_data["image_bytes"] = data
        return upload


class EpisodeUploadForm(forms.Form):
    """A video to keep as an episode (the no-JavaScript path of the upload page; the page's script uses the API).
    Its content is judged by emotions.services.episodes.episode_create, not here."""

    file = forms.FileField(label="Video file", allow_empty_file=True)
    title = forms.CharField(label="Title", max_length=200, required=False,
                            help_text="Leave empty to use the file's name.")


class EpisodePageForm(forms.Form):
    """The episode page's query: `t`, where the video starts, and `after`, the (time, id) key of a detections page."""

    t = forms.FloatField(required=False, min_value=0, label="Start at (seconds)")
    after = forms.RegexField(
        required=False, regex=r"^\d+(\.\d+)?(e-?\d+)?_\d+$",
        error_messages={"invalid": "after must be a detection's time and id, like 12.5_3401"},
    )

    def clean_after(self):
        after = self.cleaned_data["after"]
        if not after:
            return None
        time, pk = after.split("_")
        return float(time), int(pk)
