"""Teaching the site a character: create it, train versions of its cascade (a task on EPISODE_QUEUE), accept or
switch back to one, mark its preview's wrong hits and missed faces, and find it in every episode.

Examples are added, moved and deleted in services/examples.py; the training itself is services/training.py
(re-exported here: training_run). Who may do what is emotions.access: these services refuse with
TeachingNotAllowed, and refuse impossible requests with TeachingRefused, before anything is written.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from emotions.access import can_add_examples, can_teach
from emotions.exceptions import ProcessingRefused, TeachingNotAllowed, TeachingRefused
from emotions.models import Character, CharacterExample, CharacterVersion, Episode, ProcessingRun
from emotions.services.dispatch import character_version_enqueue
from emotions.services.examples import (
    example_add_from_frame,
    example_delete,
    example_move,
    examples_add_from_files,
)
from emotions.services.runs import ACTIVE, episode_process
from emotions.services.training import training_run
from toonvision.cascade_training.character import MIN_EXAMPLES, RECOMMENDED_EXAMPLES
from toonvision.detection import CascadeError, check_character_name

logger = logging.getLogger(__name__)

__all__ = [
    "MIN_EXAMPLES", "RECOMMENDED_EXAMPLES", "character_create", "character_find_everywhere",
    "example_add_from_frame", "example_delete", "example_move", "examples_add_from_files", "preview_add_missed",
    "preview_mark_wrong", "training_cancel", "training_run", "training_start", "version_accept", "version_activate",
]

UNDER_WAY = (CharacterVersion.Status.QUEUED, CharacterVersion.Status.TRAINING)


def character_create(*, name: str, creator, mirror: bool = True, files=None) -> Character:
    """A new character to teach, inactive until a trained version is accepted; its slug comes from its name.
    With `files` (images or ZIPs of images) those become its first examples, in the same all-or-nothing step."""
    if not can_add_examples(creator, None):
        raise TeachingNotAllowed("log in to create a character")
    name = (name or "").strip()
    slug = slugify(name)[:50].strip("-_")
    try:
        check_character_name(slug)
    except CascadeError:
        raise TeachingRefused(f"a character's name needs a letter or a digit, got {name!r}", code="bad_name") from None
    existing = Character.objects.filter(slug=slug).first()
    if existing is not None:
        raise TeachingRefused(f"there is a character {existing.name!r} already (slug {slug}): add examples to it, or "
                              "choose another name", code="duplicate")
    with transaction.atomic():
        character = Character.objects.create(name=name[:100], slug=slug, creator=creator, mirror=mirror,
                                             active=False)
        if files:
            examples_add_from_files(character=character, files=files, user=creator)
    logger.info("character %s created by %s", slug, creator)
    return character


def _may_teach(user, character: Character) -> None:
    if not can_teach(user, character):
        raise TeachingNotAllowed(f"only the creator of {character.name} or staff may do this")


# -- training ----------------------------------------------------------------------------------------------------------
def training_start(*, character: Character, user) -> CharacterVersion:
    """A new version of the character, queued for training once committed; refused below MIN_EXAMPLES faces or
    while another version is queued or training."""
    _may_teach(user, character)
    with transaction.atomic():
        character = Character.objects.select_for_update().get(pk=character.pk)
        if character.versions.filter(status__in=UNDER_WAY).exists():
            raise TeachingRefused(f"{character.name} is being trained already; wait for it, or cancel it",
                                  code="busy")
        faces = character.examples.filter(kind=CharacterExample.Kind.POSITIVE).count()
        if faces < MIN_EXAMPLES:
            raise TeachingRefused(
                f"{character.name} has {faces} example face{'s' if faces != 1 else ''}; training needs at least "
                f"{MIN_EXAMPLES} (and works best from {RECOMMENDED_EXAMPLES} or more)", code="too_few_examples")
        number = (character.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = CharacterVersion.objects.create(character=character, number=number, created_by=user,
                                                  progress={"phase": "queued"})
        transaction.on_commit(lambda: character_version_enqueue(version_id=version.pk))
    logger.info("%s: training version %d queued", character.slug, number)
    return version


def training_cancel(version: CharacterVersion, *, user) -> CharacterVersion:
    """Stop a version's training: a queued one is cancelled at once, a training one when the trainer next asks."""
    _may_teach(user, version.character)
    with transaction.atomic():
        version = CharacterVersion.objects.select_for_update().get(pk=version.pk)
        if version.status == CharacterVersion.Status.QUEUED:
            version.status, version.finished = CharacterVersion.Status.CANCELLED, timezone.now()
            version.cancel_requested = True
            version.save(update_fields=["status", "finished", "cancel_requested"])
        elif version.status == CharacterVersion.Status.TRAINING:
            version.cancel_requested = True
            version.save(update_fields=["cancel_requested"])
        else:
            raise TeachingRefused(f"version {version.number} is {version.status}, not under way", code="not_running")
    return version


# -- versions ----------------------------------------------------------------------------------------------------------
def version_accept(version: CharacterVersion, *, user) -> Character:
    """Make a trained version the character's: its cascade, detection parameters and colours are the character's, and
    the character is looked for from now on."""
    return _version_make_active(version, user=user)


def version_activate(version: CharacterVersion, *, user) -> Character:
    """Switch the character (back) to another trained version."""
    return _version_make_active(version, user=user)


def _version_make_active(version: CharacterVersion, *, user) -> Character:
    _may_teach(user, version.character)
    with transaction.atomic():
        character = Character.objects.select_for_update().get(pk=version.character_id)
        version = CharacterVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != CharacterVersion.Status.DONE or not version.cascade:
            raise TeachingRefused(f"version {version.number} is {version.status}: only a trained version can be "
                                  "made the character's", code="not_done")
        # The character shares the version's stored cascade (never deleted: runs snapshot it by name).
        character.cascade.name = version.cascade.name
        character.cascade_sha256 = version.cascade_sha256
        for key in ("scale_factor", "min_neighbors", "min_size", "max_size"):
            setattr(character, key, version.detection[key])
        character.appearance = version.appearance
        character.active_version, character.active = version, True
        character.save()
        version.accepted = True
        version.save(update_fields=["accepted"])
    logger.info("%s: version %d is active", character.slug, version.number)
    return character


# -- the preview -------------------------------------------------------------------------------------------------------
def _preview_frame(version: CharacterVersion, frame_index: int) -> dict:
    if version.status != CharacterVersion.Status.DONE:
        raise TeachingRefused(f"version {version.number} is {version.status}: it has no preview yet", code="not_done")
    frames = version.preview or []
    if not 0 <= frame_index < len(frames):
        raise TeachingRefused(f"the preview has frames 0-{len(frames) - 1}, not {frame_index}", code="bad_frame")
    return frames[frame_index]


def preview_mark_wrong(version: CharacterVersion, *, hit_index: int, user,
                       frame_index: int | None = None) -> CharacterExample:
    """A preview hit that is not the character's face becomes a negative example. `hit_index` counts the hits of
    preview frame `frame_index`, or (without it) the hits of every preview frame in order."""
    _may_teach(user, version.character)
    if frame_index is None:
        flat = [(f, h) for f, entry in enumerate(version.preview or []) for h in range(len(entry["hits"]))]
        if not 0 <= hit_index < len(flat):
            raise TeachingRefused(f"the preview has {len(flat)} hits; there is no hit {hit_index}", code="bad_hit")
        frame_index, hit_index = flat[hit_index]
    entry = _preview_frame(version, frame_index)
    if not 0 <= hit_index < len(entry["hits"]):
        raise TeachingRefused(f"preview frame {frame_index} has {len(entry['hits'])} hits; there is no hit "
                              f"{hit_index}", code="bad_hit")
    box = entry["hits"][hit_index]
    episode = Episode.objects.get(pk=entry["episode"])
    x, y, w, h = box
    same = version.character.examples.filter(kind=CharacterExample.Kind.NEGATIVE, episode=episode,
                                             frame=entry["frame"], x=x, y=y, w=w, h=h).first()
    if same is not None:
        return same
    return example_add_from_frame(character=version.character, episode=episode, frame=entry["frame"], box=box,
                                  kind=CharacterExample.Kind.NEGATIVE, user=user,
                                  source=CharacterExample.Source.PREVIEW)


def preview_add_missed(version: CharacterVersion, *, frame_index: int, box, user) -> CharacterExample:
    """A face the preview missed on one of its frames becomes a positive example."""
    _may_teach(user, version.character)
    entry = _preview_frame(version, frame_index)
    episode = Episode.objects.get(pk=entry["episode"])
    return example_add_from_frame(character=version.character, episode=episode, frame=entry["frame"], box=box,
                                  kind=CharacterExample.Kind.POSITIVE, user=user,
                                  source=CharacterExample.Source.PREVIEW)


# -- finding it everywhere ---------------------------------------------------------------------------------------------
def character_find_everywhere(character: Character, *, user) -> int:
    """Process every episode again with the whole active cast, the character included (a full reprocess, so the
    result is exactly what processing them fresh gives); the number of episodes queued.

    An episode whose run under way already looks for this very cascade is left to finish; a run under way
    without it is abandoned for a new one.
    """
    _may_teach(user, character)
    character.refresh_from_db()
    if not character.active or not character.cascade:
        raise TeachingRefused(f"{character.name} has no accepted version yet: accept one first", code="not_done")
    queued = 0
    for episode in Episode.objects.order_by("pk"):
        running = ProcessingRun.objects.filter(episode=episode, status__in=ACTIVE, pk=episode.current_run_id).first()
        if running is not None and any(
            entry["slug"] == character.slug and entry["sha256"] == character.cascade_sha256
            for entry in running.cascades
        ):
            queued += 1
            continue
        try:
            episode_process(episode=episode, force=running is not None)
        except ProcessingRefused as error:
            logger.warning("episode %s not reprocessed for %s: %s", episode.pk, character.slug, error)
            continue
        queued += 1
    logger.info("%s: %d episodes queued to find it", character.slug, queued)
    return queued
