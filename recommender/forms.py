"""Forms of the recommender's pages: they validate the query string and say in plain words what was wrong."""
from django import forms

from emotions.models import Character
from emotions.validation import UNKNOWN_CHARACTER_SENTENCE, UNKNOWN_EMOTION_SENTENCE, known_character_slugs
from toonvision.emotions import EMOTIONS

EMOTION_CHOICES = [(name, name.capitalize()) for name in EMOTIONS]


class CharacterChoiceField(forms.ModelChoiceField):
    """A character by slug; an unknown one is refused with the known names, so the reader can pick again."""

    def label_from_instance(self, character) -> str:
        return character.name

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                UNKNOWN_CHARACTER_SENTENCE.format(slug=value, known=known_character_slugs(self.queryset)),
                code="invalid_choice",
            ) from None


class LeaderboardForm(forms.Form):
    """`?emotion=happy`: which emotion to rank the characters by."""

    emotion = forms.ChoiceField(choices=EMOTION_CHOICES, error_messages={
        "invalid_choice": UNKNOWN_EMOTION_SENTENCE, "required": "Choose an emotion.",
    })


class RecommendationForm(LeaderboardForm):
    """`?character=pip&emotion=happy`: the happiest Pip. The emotion field comes after the character."""

    emotion = forms.ChoiceField(
        choices=EMOTION_CHOICES, widget=forms.RadioSelect, error_messages={
            "invalid_choice": UNKNOWN_EMOTION_SENTENCE, "required": "Choose an emotion.",
        },
    )
    character = CharacterChoiceField(
        queryset=Character.objects.order_by("name", "slug"), to_field_name="slug", empty_label="Choose a character",
        error_messages={"required": "Choose a character."},
    )
    field_order = ["character", "emotion"]
