"""The site's emotion models: train one as a job (from the active model, from scratch, or the dissertation's
optimiser experiment), follow and cancel it, keep it in the registry with its report, and activate one (then
re-classify the stored faces with it: emotions.services.reclassify).

A training runs on EPISODE_QUEUE (emotions.tasks.train_emotion_model): the faces are written to a temporary folder
(emotions.services.model_data), the vision core trains on them (toonvision.finetuning.fine_tune from the active
model, toonvision.training.train from scratch, compare_optimizers for the experiment), and the new model is scored
on every fixed held-out set. Its files (weights, report, curves, confusion matrix) go to models_dir() only once all
of that is done; a failure or a cancel leaves a readable reason and no file. Progress is written to the row at most
every PROGRESS_INTERVAL (and at the last epoch); a cancel is read at every epoch.

The active model (at most one) is what new processing and the site's classifier use (classifier.active_weights);
a fresh site has none and uses EMOTION_WEIGHTS, which the registry lists as its "shipped" model.
"""
from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from emotions.exceptions import ModelNotAllowed, ModelRefused
from emotions.models import DatasetFace, EmotionModel
from emotions.services.classifier import weights_path
from emotions.services.dispatch import emotion_model_enqueue
from emotions.services.model_data import site_faces, tests_score, training_data_write
from emotions.services.storage import file_sha256, file_stat, portable_path
from emotions.services.training import _plain
from toonvision.finetuning import FINE_TUNE_EPOCHS, fine_tune
from toonvision.inference import EmotionClassifier, read_checkpoint
from toonvision.models import PRESETS
from toonvision.training import DISSERTATION_OPTIMIZERS, OPTIMIZERS, compare_optimizers, train

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1.0  # seconds between progress writes
RUNNING = (EmotionModel.Status.QUEUED, EmotionModel.Status.TRAINING)
Status, Kind = EmotionModel.Status, EmotionModel.Kind


class TrainingCancelled(Exception):
    """Someone asked the training to stop."""


def models_dir() -> Path:
    """Where trained models' files are kept: EMOTION_MODELS_DIR, or MEDIA_ROOT/models when it is empty."""
    return Path(settings.EMOTION_MODELS_DIR) if settings.EMOTION_MODELS_DIR else Path(settings.MEDIA_ROOT) / "models"


# -- the shipped model -------------------------------------------------------------------------------------------------
def emotion_model_shipped() -> EmotionModel | None:
    """The registry's row for EMOTION_WEIGHTS (made the first time it is asked for), so one can go back to it;
    None when the file cannot be read."""
    path = Path(settings.EMOTION_WEIGHTS)
    name = portable_path(path)
    found = EmotionModel.objects.filter(kind=Kind.SHIPPED, weights=name).order_by("pk").first()
    if found is not None:
        return found
    try:
        sha256 = file_sha256(str(path.resolve()), *file_stat(path))
        checkpoint = read_checkpoint(path)
    except (OSError, ValueError) as error:
        logger.warning("the shipped weights %s cannot be read: %s", path, error)
        return None
    report = {}
    if path.with_suffix(".json").is_file():
        report = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    summary = checkpoint.get("trained") or {}
    return EmotionModel.objects.create(
        name=f"shipped {path.name}", kind=Kind.SHIPPED, status=Status.DONE, weights=name, weights_sha256=sha256,
        preset=checkpoint["arch"], options={"optimizer": summary.get("optimizer"), "epochs": summary.get("epochs")},
        data={"studio": {"training": summary.get("n_train"), "testing": summary.get("n_test")}},
        # its own test is of other studio faces than the registry's held-out sets: kept apart, not compared
        report=_plain({"history": report.get("history", []), "own_test": report.get("test"), "tests": {}}),
        device=str(summary.get("device", ""))[:16], finished=timezone.now(),
    )


def emotion_model_active() -> EmotionModel | None:
    """The active model, or (none activated yet) the shipped one, which the site then uses."""
    return EmotionModel.objects.filter(active=True).first() or emotion_model_shipped()


# -- starting, cancelling, activating ----------------------------------------------------------------------------------
def emotion_model_start(*, user, kind: str = Kind.TRAINING, start: str = "active", preset: str = "",
                        optimizer: str = "", epochs: int | None = None, site: bool = True,
                        datasets: list[str] | None = None, studio: bool = True, runs: int = 1,
                        name: str = "") -> EmotionModel:
    """Queue a training (any logged-in user); refused with the reason when it cannot train, 409 while one runs."""
    if not (user and user.is_authenticated):
        raise ModelNotAllowed("Log in to train a model.")
    if EmotionModel.objects.filter(status__in=RUNNING).exists():  # checked again, locked, before one is made
        raise _busy()
    known = sorted(set(DatasetFace.objects.values_list("dataset", flat=True)))
    datasets = known if datasets is None else list(dict.fromkeys(datasets))
    unknown = [d for d in datasets if d not in known]
    if unknown:
        raise ModelRefused(f"no imported dataset {', '.join(unknown)}; there are: {', '.join(known) or 'none'}",
                           code="unknown_dataset")
    if optimizer and optimizer not in OPTIMIZERS:
        raise ModelRefused(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}",
                           code="bad_optimizer")
    if preset and preset not in PRESETS:
        raise ModelRefused(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}", code="bad_preset")
    if epochs is not None and not 1 <= epochs <= settings.EMOTION_TRAINING_MAX_EPOCHS:
        raise ModelRefused(f"epochs must be 1 to {settings.EMOTION_TRAINING_MAX_EPOCHS}", code="bad_epochs")
    if start not in ("active", "scratch"):
        raise ModelRefused("start must be 'active' (fine-tune the active model) or 'scratch'", code="bad_start")
    parent = None
    if kind == Kind.OPTIMIZERS:
        start, preset = "scratch", preset or "seed"
        if not 1 <= runs <= 5:
            raise ModelRefused("runs must be 1 to 5", code="bad_runs")
    elif kind != Kind.TRAINING:
        raise ModelRefused("kind must be 'training' or 'optimizers'", code="bad_kind")
    if start == "active" and kind == Kind.TRAINING:
        parent = emotion_model_active()
        if parent is None:
            raise ModelRefused("the active model's weights cannot be read, so it cannot be fine-tuned; train from "
                               "scratch", code="no_parent")
        if preset and preset != parent.preset:
            raise ModelRefused(f"fine-tuning keeps the active model's preset ({parent.preset}); train from scratch "
                               f"for {preset}", code="bad_preset")
        preset = parent.preset
    preset = preset or "toon"
    labelled = site_faces().count() if site else 0
    imported = DatasetFace.objects.filter(dataset__in=datasets).count()
    if labelled + imported == 0 and (parent is not None or not studio):
        raise ModelRefused("there are no faces to learn from: label faces on the site or import a dataset"
                           + ("" if parent is not None else ", or keep the studio's faces on"), code="no_faces")
    options = {"start": start, "optimizer": optimizer or None, "runs": runs if kind == Kind.OPTIMIZERS else None,
               "epochs": epochs or (FINE_TUNE_EPOCHS if parent is not None else None)}
    with transaction.atomic():
        if EmotionModel.objects.select_for_update().filter(status__in=RUNNING).exists():
            raise _busy()
        model = EmotionModel.objects.create(
            name=(name.strip() or _name(kind, start, preset))[:100], kind=kind, parent=parent,
            preset=preset or "toon", options=options, created_by=user,
            data={"site": site, "datasets": datasets, "studio": studio, "faces": {"site": labelled,
                                                                                  "imported": imported}},
            progress={"phase": "queued"},
        )
        transaction.on_commit(lambda: emotion_model_enqueue(model_id=model.pk))
    return model


def _busy() -> ModelRefused:
    return ModelRefused("a model is training now; wait for it or cancel it", code="busy")


def _name(kind: str, start: str, preset: str) -> str:
    if kind == Kind.OPTIMIZERS:
        return f"optimiser experiment ({preset})"
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return f"{'fine-tuned' if start == 'active' else preset + ' from scratch'} {stamp}"


def emotion_model_cancel(*, model: EmotionModel, user) -> EmotionModel:
    """Stop a queued or running training (whoever started it, or staff); a queued one is cancelled at once."""
    if not (user and user.is_authenticated and (user.is_staff or model.created_by_id == user.pk)):
        raise ModelNotAllowed("Only whoever started this training, or staff, may cancel it.")
    with transaction.atomic():
        model = EmotionModel.objects.select_for_update().get(pk=model.pk)
        if model.status not in RUNNING:
            raise ModelRefused(f"{model.name} is not training (it is {model.status})", code="not_running")
        model.cancel_requested = True
        if model.status == Status.QUEUED:
            model.status, model.finished = Status.CANCELLED, timezone.now()
        model.save(update_fields=["cancel_requested", "status", "finished"])
    return model


def emotion_model_activate(*, model: EmotionModel, user) -> EmotionModel:
    """Make a trained model (or the shipped one) the one new processing and classification use: staff only."""
    if not (user and user.is_authenticated and user.is_staff):
        raise ModelNotAllowed("Only staff may activate a model: it changes how every new face is read.")
    path = weights_path(model.weights) if model.weights else None
    if model.status != Status.DONE or path is None:
        raise ModelRefused(f"{model.name} has no weights to use (it is {model.status}, {model.get_kind_display()})",
                           code="not_done")
    try:
        sha256 = file_sha256(str(path.resolve()), *file_stat(path))
    except OSError as error:
        raise ModelRefused(f"{model.name}'s weights cannot be read: {error}", code="not_done") from None
    if model.weights_sha256 and sha256 != model.weights_sha256:
        raise ModelRefused(f"{model.name}'s weights file changed since it was trained (SHA-256 differs)",
                           code="not_done")
    with transaction.atomic():
        EmotionModel.objects.select_for_update().filter(active=True).exclude(pk=model.pk).update(active=False)
        EmotionModel.objects.filter(pk=model.pk).update(active=True, activated=timezone.now())
    model.refresh_from_db()
    return model


# -- the job -----------------------------------------------------------------------------------------------------------
def emotion_model_train(*, model_id: int) -> None:
    """Train the queued model (the task's body); anything not queued, or cancelled, is left alone."""
    model = _claim(model_id)
    if model is None:
        return
    kept: list[Path] = []
    progress = _Progress(model.pk)
    try:
        with tempfile.TemporaryDirectory(prefix="toonsite-model-") as folder:
            root = Path(folder)
            fine = model.parent is not None
            data = training_data_write(root=root, site=model.data["site"], datasets=model.data["datasets"],
                                       studio=model.data["studio"], studio_apart=fine)
            progress.check()
            progress.begin()  # the time left is reckoned from the epochs alone, not the faces' writing
            if model.kind == Kind.OPTIMIZERS:
                result = _experiment(model, data, root, progress)
            else:
                result = _train(model, data, root, progress, kept)
            _finish(model.pk, data, result)
    except TrainingCancelled:
        _end(model.pk, Status.CANCELLED, "", kept)
        logger.info("emotion model %s: training cancelled", model.pk)
    except BaseException as error:
        _end(model.pk, Status.FAILED, _reason(error), kept)
        logger.exception("emotion model %s: training failed", model.pk)
        if not isinstance(error, Exception):
            raise


def _claim(model_id: int) -> EmotionModel | None:
    with transaction.atomic():
        rows = EmotionModel.objects.select_for_update(of=("self",)).select_related("parent")
        model = rows.filter(pk=model_id).first()
        if model is None or model.status not in RUNNING:
            return None
        if model.cancel_requested:  # e.g. delivered again after its worker died mid-cancel: the cancel stands
            rows.filter(pk=model_id).update(status=Status.CANCELLED, finished=timezone.now())
            return None
        model.status, model.started, model.error = Status.TRAINING, timezone.now(), ""
        model.progress = {"phase": "preparing the faces"}
        model.save(update_fields=["status", "started", "error", "progress"])
    return model


def _train(model: EmotionModel, data, root: Path, progress, kept: list[Path]) -> dict:
    options, out = model.options, root / "out" / "model.pt"
    out.parent.mkdir()
    device = settings.EMOTION_TRAINING_DEVICE if settings.EMOTION_TRAINING_DEVICE != "auto" else None
    common = dict(epochs=options.get("epochs"), optimizer=options.get("optimizer"), device=device,
                  progress=False, log=logger.info, on_epoch=progress)
    if model.parent is not None:
        trained = fine_tune(data.train_dir, out, weights_path(model.parent.weights), rehearsal_dir=data.studio_dir,
                            **common)
    else:
        trained = train(data.train_dir, out, arch=model.preset, **common)
    progress.phase("scoring the held-out faces")
    classifier = EmotionClassifier.load(trained.weights, device=device)
    tests = tests_score(classifier, data)
    before = None
    if model.parent is not None:
        before = tests_score(EmotionClassifier.load(weights_path(model.parent.weights), device=device), data)
    progress.check()
    sha256 = file_sha256(str(trained.weights), *file_stat(trained.weights))
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"model-{model.pk}-{sha256[:12]}"
    for source, suffix in ((trained.report_path, ".json"), (trained.curves_path, ".curves.png"),
                           (trained.confusion_path, ".confusion.png"), (trained.weights, ".pt")):
        target = folder / f"{stem}{suffix}"  # the weights last: a model row only ever names a whole set of files
        kept.append(target)
        shutil.copyfile(source, target)
    report = trained.report
    return {"weights": portable_path(folder / f"{stem}.pt"), "sha256": sha256, "device": report["device"],
            "report": {"history": report["history"], "config": report["config"], "split": report["split"],
                       "test": report["test"], "tests": tests, "parent_tests": before,
                       "fine_tuned_from": report.get("fine_tuned_from"), "rehearsal": report.get("rehearsal"),
                       "files": {"curves": f"{stem}.curves.png", "confusion": f"{stem}.confusion.png",
                                 "report": f"{stem}.json"}}}


def _experiment(model: EmotionModel, data, root: Path, progress) -> dict:
    device = settings.EMOTION_TRAINING_DEVICE if settings.EMOTION_TRAINING_DEVICE != "auto" else None
    summary = compare_optimizers(data.train_dir, root / "out", arch=model.preset, runs=model.options["runs"] or 1,
                                 epochs=model.options.get("epochs"), device=device, log=logger.info,
                                 on_epoch=progress)
    return {"weights": "", "sha256": "", "device": summary["device"],
            "report": {"optimizers": {name: {k: v for k, v in r.items() if k != "runs"} | {
                "history": r["runs"][0]["history"]} for name, r in summary["results"].items()},
                "epochs": summary["epochs"], "runs": summary["runs"], "order": list(DISSERTATION_OPTIMIZERS)}}


def _finish(model_id: int, data, result: dict) -> None:
    with transaction.atomic():
        model = EmotionModel.objects.select_for_update().get(pk=model_id)
        if model.cancel_requested:
            raise TrainingCancelled("cancelled as training ended")
        model.status, model.finished, model.error = Status.DONE, timezone.now(), ""
        model.weights, model.weights_sha256 = result["weights"], result["sha256"]
        model.report = _plain(result["report"])
        model.data = {**model.data, "counts": data.counts}
        model.device = str(result["device"])[:16]
        model.seconds = (model.finished - model.started).total_seconds() if model.started else None
        model.progress = {**model.progress, "phase": "done", "seconds_left": 0}
        model.save()


def _end(model_id: int, status: str, error: str, kept: list[Path]) -> None:
    for path in kept:
        path.unlink(missing_ok=True)
    EmotionModel.objects.filter(pk=model_id).update(status=status, error=error, finished=timezone.now(),
                                                    weights="", weights_sha256="")


def _reason(error: BaseException) -> str:
    if isinstance(error, SoftTimeLimitExceeded):
        return f"training took longer than the {settings.EMOTION_TRAINING_SOFT_TIME_LIMIT} s it may take"
    if isinstance(error, ValueError | OSError):  # the core's refusals (too few faces, an unknown emotion) read well
        return str(error)
    return f"training failed ({type(error).__name__}: {error})"


class _Progress:
    """Each epoch's figures, written to the row at most every PROGRESS_INTERVAL (always at the last epoch), with
    the time left estimated from the epochs so far; a cancel is read at every epoch and stops the training."""

    def __init__(self, model_id: int):
        self.model_id, self.last, self.started, self.done = model_id, 0.0, time.monotonic(), 0

    def __call__(self, row: dict) -> None:
        self.check()
        self.done += 1
        runs, optimizers = row.get("runs") or 1, len(row.get("optimizers") or [None])
        total = row["epochs"] * runs * optimizers
        left = (time.monotonic() - self.started) / self.done * max(0, total - self.done)
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and row["epoch"] < row["epochs"]:
            return
        self.last = now
        report = {"phase": "training", "epoch": row["epoch"], "epochs": row["epochs"],
                  "loss": row["train_loss"], "accuracy": row["train_accuracy"], "test_accuracy": row["test_accuracy"],
                  "seconds_left": round(left, 1), "epochs_done": self.done, "epochs_total": total}
        report.update({k: row[k] for k in ("optimizer", "run", "runs") if k in row})
        EmotionModel.objects.filter(pk=self.model_id, status=Status.TRAINING).update(progress=_plain(report))

    def begin(self) -> None:
        self.started, self.done = time.monotonic(), 0

    def phase(self, name: str) -> None:
        EmotionModel.objects.filter(pk=self.model_id, status=Status.TRAINING).update(
            progress={"phase": name, "seconds_left": 0})

    def check(self) -> None:
        if EmotionModel.objects.filter(pk=self.model_id, cancel_requested=True).exists():
            raise TrainingCancelled("cancelled")
