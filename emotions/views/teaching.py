"""Teaching the site a character, the pages' side: the "New character" page; the actions on a taught character's
page (add or delete examples, train, cancel, accept, make a version active, mark preview hits wrong, add missed
faces, find it in all episodes); the frames worth marking on an episode; and what the episode page's "Mark faces"
panel and a character's page read. The pictures come from the API. Thin: forms check the input, services do the
work and refuse with a reason."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as BrokerUnreachable

from emotions.access import can_add_examples, can_teach
from emotions.exceptions import StorageFull, TeachingNotAllowed, TeachingRefused, storage_full_of
from emotions.forms import CharacterNewForm, TeachActionForm
from emotions.models import CharacterExample, CharacterVersion
from emotions.selectors.characters import character_list
from emotions.selectors.episodes import episode_list
from emotions.selectors.teaching import (
    character_examples,
    character_versions,
    episode_examples,
    example_counts,
    frames_worth_marking,
)
from emotions.services import teaching
from emotions.throttles import page_throttle_refusal
from emotions.validation import sentence
from emotions.views.access import read_page
from toonvision.cascade_training.character import MIN_EXAMPLES, RECOMMENDED_EXAMPLES

REFUSED = "emotions/character_refused.html"
RUNNING = (CharacterVersion.Status.QUEUED, CharacterVersion.Status.TRAINING)


# -- the "New character" page --------------------------------------------------------------------------------------
@login_required
def character_new(request):
    """A name, whether its face may be mirrored, and any example images (or ZIPs): the character, inactive until a
    version is accepted, then its page. Nothing is kept when any of it is refused."""
    context = {"minimum": MIN_EXAMPLES, "recommended": RECOMMENDED_EXAMPLES}
    if request.method != "POST":
        return render(request, "emotions/character_new.html", {**context, "form": CharacterNewForm()})
    form = CharacterNewForm(request.POST, request.FILES)
    refusal = page_throttle_refusal(request)  # the uploads' allowance, shared with the API
    if refusal:
        return render(request, "emotions/character_new.html", {**context, "form": form, "reason": refusal}, status=429)
    if not form.is_valid():
        return render(request, "emotions/character_new.html", {**context, "form": form}, status=400)
    files = form.cleaned_data["examples"]
    try:
        character = teaching.character_create(name=form.cleaned_data["name"], creator=request.user,
                                              mirror=form.cleaned_data["mirror"], files=files)
    except TeachingRefused as error:
        form.add_error("name" if error.code in ("bad_name", "duplicate") or not files else "examples", _reason(error))
        return render(request, "emotions/character_new.html", {**context, "form": form},
                      status=409 if error.conflict else 400)
    except (StorageFull, OSError) as error:
        if (full := storage_full_of(error)) is None:
            raise
        return render(request, "emotions/character_new.html",
                      {**context, "form": form, "reason": sentence(str(full))}, status=507)
    made = character_examples(character=character).count()
    messages.success(request, f"{character.name} is here, with {made} example{'s' * (made != 1)}. "
                              "Mark more faces on episodes, then train it below.")
    return redirect("character-detail", slug=character.slug)


def _reason(error: ValidationError) -> str:
    """The refusal as a sentence; a file name at its start is left as it is spelt."""
    text = "; ".join(message.rstrip(".") for message in error.messages)
    first = text.split(" ", 1)[0].rstrip(":,")
    return f"{text}." if "." in first or "/" in first else sentence(text)


# -- the actions on a character's page -----------------------------------------------------------------------------
@login_required
@require_POST
def character_teach(request, slug: str):
    """One action (the POST's `action`) for the character's creator or staff; done, back to the page with what
    happened; refused, a page that says why with a 4xx."""
    character = get_object_or_404(character_list(), slug=slug)
    if not can_teach(request.user, character):
        return _refused(request, character, f"Only {character.name}'s creator or staff may teach it.", 403)
    form = TeachActionForm(request.POST)
    if not form.is_valid():
        reasons = [f"{message}" for errors in form.errors.values() for message in errors]
        return _refused(request, character, " ".join(sentence(r.rstrip(".")) for r in reasons), 400)
    data, action = form.cleaned_data, form.cleaned_data["action"]
    try:
        done = ACTIONS[action](request, character, data)
    except (CharacterExample.DoesNotExist, CharacterVersion.DoesNotExist):
        what = "example" if action == "delete-example" else "version"
        number = data["example"] if what == "example" else data["version"]
        return _refused(request, character, f"{character.name} has no {what} {number}.", 404)
    except TeachingNotAllowed as error:
        return _refused(request, character, sentence(str(error)), 403)
    except TeachingRefused as error:
        return _refused(request, character, _reason(error), 409 if error.conflict else 400)
    except ValidationError as error:  # an image or ZIP refused by the examples' checks
        return _refused(request, character, _reason(error), 400)
    except BrokerUnreachable:
        return _refused(request, character, "The task queue is unreachable; try again later.", 503)
    except (StorageFull, OSError) as error:
        if (full := storage_full_of(error)) is None:
            raise
        return _refused(request, character, sentence(str(full)), 507)
    messages.success(request, done)
    anchor = {"train": "#training", "mark-wrong": "#preview-heading", "add-missed": "#preview-heading"}
    return redirect(f"{reverse('character-detail', args=[character.slug])}{anchor.get(action, '#teaching')}")


def _refused(request, character, reason: str, status: int):
    return render(request, REFUSED, {"character": character, "reason": reason}, status=status)


def _add_examples(request, character, data) -> str:
    files = request.FILES.getlist("examples")
    if not files:
        raise ValidationError("Choose at least one image or ZIP to add.", code="required")
    made = teaching.examples_add_from_files(character=character, files=files, user=request.user)
    return f"Added {len(made)} example{'s' * (len(made) != 1)}."


def _delete_example(request, character, data) -> str:
    teaching.example_delete(_example(character, data["example"]), user=request.user)
    return "Example deleted."


def _train(request, character, data) -> str:
    version = teaching.training_start(character=character, user=request.user)
    return f"Training version {version.number}: follow it below."


def _cancel(request, character, data) -> str:
    teaching.training_cancel(_version(character, data["version"]), user=request.user)
    return f"Cancelling version {data['version']}: it stops at its next step."


def _accept(request, character, data) -> str:
    teaching.version_accept(_version(character, data["version"]), user=request.user)
    return (f"Version {data['version']} accepted: {character.name} is looked for from now on. "
            f"“Find {character.name} in all episodes” looks in the episodes already here.")


def _activate(request, character, data) -> str:
    teaching.version_activate(_version(character, data["version"]), user=request.user)
    return f"Version {data['version']} is active again."


def _find_everywhere(request, character, data) -> str:
    count = teaching.character_find_everywhere(character, user=request.user)
    return f"Looking for {character.name} in {count} episode{'s' * (count != 1)}: each is processed again."


def _mark_wrong(request, character, data) -> str:
    version = _version(character, data["version"])
    teaching.preview_mark_wrong(version, hit_index=data["hit"], user=request.user)
    return f"Hit {data['hit'] + 1} marked wrong: it is an example of what is not {character.name} now. Train again."


def _add_missed(request, character, data) -> str:
    version = _version(character, data["version"])
    box = [data["x"], data["y"], data["w"], data["h"]]
    teaching.preview_add_missed(version, frame_index=data["preview"], box=box, user=request.user)
    return f"The missed face is an example of {character.name} now. Train again to use it."


def _example(character, pk: int) -> CharacterExample:
    return character_examples(character=character).get(pk=pk)


def _version(character, number: int) -> CharacterVersion:
    return character_versions(character=character).get(number=number)


ACTIONS = {"add-examples": _add_examples, "delete-example": _delete_example, "train": _train, "cancel": _cancel,
           "accept": _accept, "activate": _activate, "find-everywhere": _find_everywhere,
           "mark-wrong": _mark_wrong, "add-missed": _add_missed}


@read_page
def episode_marking_frames(request, pk: int):
    """The frames worth marking on an episode (the first of each shot, frames where nothing was found), as the
    fragment the "Mark faces" panel shows when it opens: a cut detector reads the video, so the page never waits."""
    episode = get_object_or_404(episode_list(), pk=pk)
    return render(request, "emotions/includes/episode_marking_frames.html", {"frames": frames_worth_marking(episode)})


# -- what the other pages read -----------------------------------------------------------------------------------
def marking_context(user, episode) -> dict | None:
    """What the episode page's "Mark faces" panel needs, for a user who may add examples (None otherwise): the
    characters to name a face after, the faces already marked on this episode, the examples per character."""
    if not can_add_examples(user, None):
        return None
    characters = list(character_list())
    names = {c.slug: c.name for c in characters}
    counts = example_counts()
    return {
        "characters": [{"slug": c.slug, "name": c.name} for c in characters],
        "examples": [{"id": e.pk, "slug": e.character.slug, "name": e.character.name, "frame": e.frame,
                      "box": list(e.box)} for e in episode_examples(episode=episode)
                     if e.kind == CharacterExample.Kind.POSITIVE and e.box],
        "counts": [{"slug": slug, "name": names.get(slug, slug), "examples": n}
                   for slug, n in sorted(counts.items(), key=lambda item: names.get(item[0], item[0]).lower()) if n],
        "minimum": MIN_EXAMPLES, "recommended": RECOMMENDED_EXAMPLES,
    }


def teaching_context(user, character) -> dict | None:
    """A taught character's teaching section (None for one that is not taught: the shipped cast, or a character
    an administrator gave a cascade): examples, the training under way, the latest report, the preview to check,
    the versions."""
    examples = list(character_examples(character=character).select_related("episode"))
    if character.creator_id is None and not examples:  # a version needs examples: none without them (one query)
        return None
    versions = list(character_versions(character=character).select_related("created_by"))
    examples.sort(key=lambda e: e.kind != CharacterExample.Kind.POSITIVE)  # faces first, then what is not it
    positives = sum(e.kind == CharacterExample.Kind.POSITIVE for e in examples)
    running = next((v for v in versions if v.status in RUNNING), None)
    finished = [v for v in versions if v.status not in RUNNING]
    latest = finished[0] if finished else None
    review = latest if latest and latest.status == CharacterVersion.Status.DONE and not latest.accepted else None
    active = character.active_version_id
    for v in versions:
        v.can_activate = v.status == CharacterVersion.Status.DONE and v.pk != active and v is not review
    for e in examples:
        e.time = (e.frame + 0.5) / e.episode.fps if e.episode_id and e.episode.fps else 0
    return {
        "can_teach": can_teach(user, character), "can_add": can_add_examples(user, character),
        "examples": examples, "positives": positives, "negatives": len(examples) - positives,
        "minimum": MIN_EXAMPLES, "recommended": RECOMMENDED_EXAMPLES, "missing": max(MIN_EXAMPLES - positives, 0),
        "running": running, "latest": latest, "review": review,
        "running_share": _share(running), "running_text": _progress_text(running),
        "preview": _preview_frames(review, examples) if review else [],
        "versions": versions, "active_number": next((v.number for v in versions if v.pk == active), None),
        "episode_count": episode_list().count() if character.active else 0,
    }


def _preview_frames(version, examples) -> list[dict]:
    """The version's preview frames, each hit in percent of its frame (boxes over the picture) and numbered across
    the frames (the hit_index preview_mark_wrong takes), whether it was marked wrong since (a negative example on
    its region), and the missed faces added on that frame."""
    frames = version.preview or []
    episodes = {e.pk: e for e in episode_list().filter(pk__in={f["episode"] for f in frames})}
    marked = [e for e in examples if e.source == CharacterExample.Source.PREVIEW and e.box]
    shown, number = [], 0
    for index, frame in enumerate(frames):
        episode = episodes.get(frame["episode"])
        width, height = (episode.width, episode.height) if episode else (1, 1)
        here = [e for e in marked if e.episode_id == frame["episode"] and e.frame == frame["frame"]]
        wrong = {e.box for e in here if e.kind == CharacterExample.Kind.NEGATIVE}
        hits = []
        for box in frame.get("hits", []):
            hits.append({"index": number, "number": number + 1, "wrong": tuple(box) in wrong,
                         **_percent(box, width, height)})
            number += 1
        title = episode.title if episode else "a deleted episode"
        shown.append({"index": index, "frame": frame["frame"], "title": title,
                      "width": width, "height": height, "hits": hits, "wrong": sum(h["wrong"] for h in hits),
                      "added": [_percent(e.box, width, height) for e in here
                                if e.kind == CharacterExample.Kind.POSITIVE]})
    return shown


def _percent(box, width: int, height: int) -> dict:
    x, y, w, h = box
    return {"left": 100 * x / width, "top": 100 * y / height, "width": 100 * w / width, "height": 100 * h / height}


def _share(version) -> float:
    progress = (version.progress or {}) if version else {}
    return min(1.0, (progress.get("stage") or 0) / progress["stages"]) if progress.get("stages") else 0.0


def _progress_text(version) -> str:
    if version is None:
        return ""
    if version.status == CharacterVersion.Status.QUEUED:
        return "Waiting for a worker to start training…"
    p = version.progress or {}
    parts = [str(p["phase"]).capitalize()] if p.get("phase") else []
    if p.get("stages"):
        parts.append(f"stage {p.get('stage') or 0} of {p['stages']}")
    if p.get("hit_rate") is not None:
        parts.append(f"hit rate {100 * p['hit_rate']:.1f}%")
    if p.get("false_alarm") is not None:
        parts.append(f"false alarms {100 * p['false_alarm']:.1f}%")
    return " · ".join(parts) + "." if parts else "Training…"
