"""The Models page: the registry's table (every model's scores on the same held-out faces, side by side), a
training started from a form and followed live (models.js polls the API), cancel, and activation for staff.
Thin: the form checks the input, the services do the work and refuse with a reason."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as BrokerUnreachable

from emotions.exceptions import ModelNotAllowed, ModelRefused
from emotions.forms import EmotionModelStartForm
from emotions.models import DatasetFace
from emotions.selectors.emotion_models import (
    emotion_model_list,
    emotion_model_running,
    emotion_model_scores,
    emotion_model_table,
)
from emotions.services import emotion_models as service
from emotions.services.model_data import site_faces
from emotions.services.reclassify import emotion_model_reclassify
from emotions.validation import sentence

REFUSED = "emotions/model_refused.html"


def _datasets() -> dict[str, int]:
    rows = DatasetFace.objects.values("dataset").annotate(n=Count("id")).order_by("dataset")
    return {row["dataset"]: row["n"] for row in rows}


def _page(request, form=None, status: int = 200):
    service.emotion_model_shipped()  # the shipped weights are listed, so one can go back to them
    models = list(emotion_model_list())
    rows = emotion_model_table(models)
    latest = next((m for m in models if m.status == "done" and m.kind == "training" and m.report.get("tests")), None)
    experiment = next((m for m in models if m.status == "done" and m.kind == "optimizers"), None)
    context = {
        "form": form or EmotionModelStartForm(datasets=_datasets()),
        "rows": rows, "any_measured": any(row["measured_by"] for row in rows),
        "running": emotion_model_running(), "active": service.emotion_model_active(),
        "site_faces": site_faces().count(), "datasets": _datasets(), "latest": latest,
        "latest_f1": _f1_table(latest), "experiment": experiment,
    }
    return render(request, "emotions/models.html", context, status=status)


def _f1_table(model) -> list[dict]:
    """Per-emotion F1 of a model on each held-out set, one row per emotion."""
    if model is None:
        return []
    scores = emotion_model_scores(model)
    emotions = sorted({e for s in scores.values() if s for e in s["f1"]})
    return [{"emotion": e, **{name: (s or {}).get("f1", {}).get(e) for name, s in scores.items()}} for e in emotions]


@login_required
def model_list(request):
    """The registry and the training form; a POST starts a training (any logged-in user)."""
    if request.method != "POST":
        return _page(request)
    form = EmotionModelStartForm(request.POST, datasets=_datasets())
    if not form.is_valid():
        return _page(request, form, status=400)
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    data.setdefault("runs", 1)
    try:
        model = service.emotion_model_start(user=request.user, **data)
    except ModelRefused as error:
        form.add_error(None, sentence("; ".join(error.messages)))
        return _page(request, form, status=409 if error.conflict else 400)
    except BrokerUnreachable:
        return render(request, REFUSED, {"reason": "The task queue is unreachable; try again later."}, status=503)
    messages.success(request, f"Training “{model.name}”: follow it below.")
    return redirect("model-list")


@login_required
@require_POST
def model_action(request, pk: int):
    """Cancel a training (whoever started it, or staff), activate a model or re-classify with it (staff)."""
    model = get_object_or_404(emotion_model_list(), pk=pk)
    action = request.POST.get("action")
    try:
        if action == "activate":
            service.emotion_model_activate(model=model, user=request.user)
            messages.success(request, f"“{model.name}” is the active model: new processing and classification use "
                                      "it. Faces already stored keep their emotions until you re-read them with it "
                                      "(Re-classify stored faces).")
        elif action == "reclassify":
            emotion_model_reclassify(model=model, user=request.user)
            messages.success(request, f"Re-reading every stored face with “{model.name}” in the background: only "
                                      "the CNN runs, labelled faces keep their labels, and the figures follow.")
        elif action == "cancel":
            service.emotion_model_cancel(model=model, user=request.user)
            messages.success(request, f"Cancelling “{model.name}”: it stops after its current epoch.")
        else:
            return render(request, REFUSED, {"reason": "Say what to do: activate, reclassify or cancel."},
                          status=400)
    except ModelNotAllowed as error:
        return render(request, REFUSED, {"reason": sentence(str(error))}, status=403)
    except ModelRefused as error:
        return render(request, REFUSED, {"reason": sentence("; ".join(error.messages))},
                      status=409 if error.conflict else 400)
    return redirect("model-list")
