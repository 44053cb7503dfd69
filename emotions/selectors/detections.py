"""Reads of detections (faces): the published ones, keyset pages of them, the frame search's pages and episode
menu, and the frames of a download."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from emotions.models import Detection, Episode, Status
from toonvision.crops import STORED_MARGIN_KEY, stored_crop_side
from toonvision.segmentation import crop_margins

FACES_PAGE_SIZE = 48  # faces or frames per gallery/search page
EPISODE_CHOICES_MAX = 500  # episodes offered in the frame search's episode menu
LEGACY_CROP_SIDE = 128  # the fixed size crops had before they were kept at native resolution


def detection_list() -> QuerySet[Detection]:
    """The published detections (those of finished runs), with their episode and character fetched alongside."""
    return Detection.objects.published().select_related("episode", "character", "run")


def detection_crop_side(detection: Detection) -> int | None:
    """The pixel side of the face's stored crop (square), from its box and its run's margins (toonvision.crops:
    native resolution, never resized); the 128 px of crops stored before runs recorded a margin; None without one.
    Reads detection.run: fetch it alongside (detection_list does)."""
    if not detection.crop:
        return None
    if STORED_MARGIN_KEY not in (detection.run.options or {}):
        return LEGACY_CROP_SIDE
    stored, cnn = crop_margins(detection.run.method, detection.run.options)
    return stored_crop_side(detection.box, stored_margin=stored, cnn_margin=cnn)


def keyset_page(rows: QuerySet[Detection], *, key: str, descending: bool, after: tuple | None, limit: int):
    """One page of rows ordered by (key, id), after the (key, id) pair `after`, and the pair that starts the next
    page (None on the last). The bound on `key` alone lets the index scan start there; the OR breaks ties by id."""
    if after is not None:
        value, pk = after
        if descending:
            rows = rows.filter(**{f"{key}__lte": value}).filter(Q(**{f"{key}__lt": value}) | Q(id__lt=pk))
        else:
            rows = rows.filter(**{f"{key}__gte": value}).filter(Q(**{f"{key}__gt": value}) | Q(id__gt=pk))
    sign = "-" if descending else ""
    page = list(rows.order_by(f"{sign}{key}", f"{sign}id")[: limit + 1])
    following = (getattr(page[limit - 1], key), page[limit - 1].pk) if len(page) > limit else None
    return page[:limit], following


def frame_search_episodes() -> list[dict]:
    """The processed episodes the frame search offers (id and title), newest first, at most EPISODE_CHOICES_MAX."""
    return list(
        Episode.objects.filter(status=Status.DONE).order_by("-created", "-id").values("pk", "title")
        [:EPISODE_CHOICES_MAX]
    )


def frames_for_download(*, ids: list[int]) -> list[Detection]:
    """The published detections among these ids, in the order given, with their episode and character."""
    found = detection_list().in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]
