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


def emotion_model_scores(model: EmotionModel, tests: dict | None = None) -> dict[str, dict | None]:
    """{test set: {"accuracy", "macro_f1", "n", "f1": {emotion: F1}} or None where it was not scored}."""
    if tests is None:
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


def emotion_model_table(models: list[EmotionModel]) -> list[dict]:
    """The registry's rows: each model with its scores; where a model was not scored on a set itself (the shipped
    weights, on the site's labels), the score its newest child measured of it on the same faces, marked
    "measured_by" that child."""
    rows = []
    for model in models:
        scores, measured_by = emotion_model_scores(model), {}
        for child in models:  # newest first
            if child.parent_id != model.pk or not (child.report or {}).get("parent_tests"):
                continue
            for name, score in emotion_model_scores(child, child.report["parent_tests"]).items():
                if scores[name] is None and score is not None:
                    scores[name], measured_by[name] = score, child.name
        rows.append({"model": model, "scores": scores, "measured_by": measured_by})
    return rows
