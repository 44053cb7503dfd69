"""The serializers of the emotion models' API: what a training is started with, and a model in the registry.
Inputs validate shapes only; the service decides the rest (faces to learn from, a preset fine-tuning can keep)."""
from pathlib import Path

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from emotions.api.serializers import NULLABLE_URI, absolute
from emotions.models import EmotionModel
from emotions.selectors.emotion_models import emotion_model_scores
from toonvision.models import PRESETS
from toonvision.training import OPTIMIZERS


class EmotionModelStartInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["training", "optimizers"], default="training",
                                   help_text="a model, or the dissertation's five-optimiser experiment (no weights)")
    start = serializers.ChoiceField(choices=["active", "scratch"], default="active",
                                    help_text="fine-tune the active model (its preset), or train from scratch")
    preset = serializers.ChoiceField(choices=["", *PRESETS], default="", help_text="from scratch: seed or toon")
    optimizer = serializers.ChoiceField(choices=["", *OPTIMIZERS], default="", help_text="empty: the preset's own")
    epochs = serializers.IntegerField(min_value=1, required=False,
                                      help_text="default: 60 fine-tuning, the preset's from scratch")
    site = serializers.BooleanField(default=True, help_text="the site's labelled faces")
    datasets = serializers.ListField(child=serializers.SlugField(max_length=64), required=False,
                                     help_text="imported datasets to learn from (default: all)")
    studio = serializers.BooleanField(default=True, help_text="studio faces, so the model does not forget them")
    runs = serializers.IntegerField(min_value=1, max_value=5, default=1, help_text="the experiment: runs each")
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class ScoreOutputSerializer(serializers.Serializer):
    accuracy = serializers.FloatField()
    macro_f1 = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField(allow_null=True, help_text="held-out faces scored")
    f1 = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="per emotion")


class ScoresOutputSerializer(serializers.Serializer):
    site = ScoreOutputSerializer(allow_null=True, help_text="the site's held-out labels (the same for every model)")
    studio = ScoreOutputSerializer(allow_null=True, help_text="held-out studio faces")
    imported = ScoreOutputSerializer(allow_null=True, help_text="imported datasets' test splits")


class EmotionModelSummaryOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    parent_name = serializers.CharField(source="parent.name", default=None, allow_null=True)
    weights_name = serializers.SerializerMethodField(help_text="the weights file's name (never the server's path)")
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    scores = serializers.SerializerMethodField()
    progress = serializers.DictField(help_text='while training: {"phase", "epoch", "epochs", "loss", "accuracy", '
                                               '"test_accuracy", "seconds_left"} (and "optimizer", "run", "runs")')

    class Meta:
        model = EmotionModel
        fields = ["id", "url", "name", "kind", "status", "parent", "parent_name", "weights_name", "weights_sha256",
                  "preset", "options", "data", "progress", "scores", "scores_measured_by", "cancel_requested", "error",
                  "device", "seconds",
                  "active", "activated", "created_by", "created", "started", "finished"]

    def get_url(self, model) -> str:
        return absolute(self.context, "api:model-detail", model.pk)

    def get_weights_name(self, model) -> str:
        return Path(model.weights).name if model.weights else ""

    scores_measured_by = serializers.SerializerMethodField(
        help_text="{test set: model name} where a score was measured (on the same faces) when that model was "
                  "trained from this one, as the shipped weights are scored on the site's labels")

    def _row(self, model) -> dict:
        table = self.context.get("table") or {}
        return table.get(model.pk) or {"scores": emotion_model_scores(model), "measured_by": {}}

    @extend_schema_field(ScoresOutputSerializer)
    def get_scores(self, model) -> dict:
        return self._row(model)["scores"]

    def get_scores_measured_by(self, model) -> dict[str, str]:
        return self._row(model)["measured_by"]


class EmotionModelOutputSerializer(EmotionModelSummaryOutputSerializer):
    report = serializers.DictField(help_text='"history" (learning curves), "tests" (accuracy, macro F1, per-emotion '
                                             'F1, confusion on each held-out set), "parent_tests", "config", ...')
    curves_url = serializers.SerializerMethodField()
    confusion_url = serializers.SerializerMethodField()

    class Meta(EmotionModelSummaryOutputSerializer.Meta):
        fields = [*EmotionModelSummaryOutputSerializer.Meta.fields, "report", "curves_url", "confusion_url"]

    def _chart(self, model, chart: str) -> str | None:
        if not ((model.report or {}).get("files") or {}).get(chart):
            return None
        return absolute(self.context, "api:model-chart", model.pk, chart)

    @extend_schema_field(NULLABLE_URI)
    def get_curves_url(self, model) -> str | None:
        return self._chart(model, "curves")

    @extend_schema_field(NULLABLE_URI)
    def get_confusion_url(self, model) -> str | None:
        return self._chart(model, "confusion")
