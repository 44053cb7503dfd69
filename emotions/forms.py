"""Forms of the emotions app."""
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from emotions.vision.images import ImageError, decode_image


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
