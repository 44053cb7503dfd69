"""Reading the emotion models' registry: the models, newest first, and each one's headline scores on the fixed
held-out sets (the site's labels, the studio, imported datasets), so the Models page and the API compare them
side by side."""
from django.db.models import QuerySet

from emotions.models import EmotionModel

TEST_SETS = ("site", "studio", "imported")
RUNNING = (EmotionModel.Status.QUEUED, EmotionModel.Status.TRAINING)


def emotion_model_list() -> QuerySet[EmotionModel]:
    return EmotionModel.objects.select_related("parent", "created_by").order_by("-created", "-id")


def emotion_model_running() -> EmotionModel | None:
    return emotion_model_list().filter(status__in=RUNNING).first()


def emotion_model_scores(model: EmotionModel) -> dict[str, dict | None]:
    """{test set: {"accuracy", "macro_f1", "n", "f1": {emotion: F1}} or None where it was not scored}."""
    tests = (model.report or {}).get("tests") or {}
    scores = {}
    for name in TEST_SETS:
        metrics = tests.get(name)
        if not metrics or metrics.get("accuracy") is None:
            scores[name] = None
            continue
        scores[name] = {"accuracy": metrics["accuracy"], "macro_f1": metrics.get("macro_f1"), "n": metrics.get("n"),
                        "f1": {e: v.get("f1") for e, v in (metrics.get("per_class") or {}).items()}}
    return scores
