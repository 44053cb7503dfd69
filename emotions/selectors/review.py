"""The Review page's order: the faces whose label would teach the model most, least sure first, spread over
characters and episodes, and what a person has labelled so far."""
from __future__ import annotations

from itertools import zip_longest

from emotions.models import Detection, FaceLabel
from emotions.selectors.detections import detection_list

REVIEW_WINDOW = 400  # least confident faces looked at to choose a batch from (read by the confidence index)
REVIEW_BATCH_MAX = 50


def face_margin(detection: Detection) -> float:
    """How sure the model was: its top probability minus the runner-up (1.0 when only one emotion is known)."""
    values = sorted((float(p) for p in (detection.probabilities or {}).values()), reverse=True)
    if not values:
        return float(detection.confidence)
    return values[0] - (values[1] if len(values) > 1 else 0.0)


def review_faces(*, limit: int = 20, character=None, episode=None, skip: set[int] | frozenset = frozenset()
                 ) -> list[Detection]:
    """Up to `limit` published faces no one has labelled, with a crop, least sure first.

    Of the REVIEW_WINDOW least confident faces, one per track (the faces of a track are near copies, one label
    teaches as much as all), ordered by margin between the top two probabilities, then confidence; then dealt out
    in turns over (character, episode) groups, so a batch is not one character's one scene. `skip`: ids the
    caller already holds. Each face carries its `margin`."""
    limit = max(1, min(int(limit), REVIEW_BATCH_MAX))
    rows = detection_list().filter(labelled=False).exclude(crop="")
    if character is not None:
        rows = rows.filter(character=character)
    if episode is not None:
        rows = rows.filter(episode=episode)
    if skip:
        rows = rows.exclude(pk__in=list(skip)[:1000])
    window = list(rows.order_by("confidence", "id")[:REVIEW_WINDOW])
    seen_tracks: set[tuple[int, int]] = set()
    candidates = []
    for detection in window:
        detection.margin = face_margin(detection)
    for detection in sorted(window, key=lambda d: (d.margin, d.confidence, d.pk)):
        if detection.track is not None:
            key = (detection.run_id, detection.track)
            if key in seen_tracks:
                continue
            seen_tracks.add(key)
        candidates.append(detection)
    groups: dict[tuple[int, int], list[Detection]] = {}
    for detection in candidates:  # dicts keep insertion order: groups in order of their least sure face
        groups.setdefault((detection.character_id, detection.episode_id), []).append(detection)
    dealt = [d for turn in zip_longest(*groups.values()) for d in turn if d is not None]
    return dealt[:limit]


def labels_count(*, user) -> int:
    """How many labels this user has given (the Review page's running count starts from it)."""
    return FaceLabel.objects.filter(user=user).count() if user and user.is_authenticated else 0


def face_labels(*, detection: Detection) -> list[FaceLabel]:
    """The face's labels, newest (the one in force) first, with who gave them."""
    return list(detection.labels.select_related("user").order_by("-created", "-id"))
