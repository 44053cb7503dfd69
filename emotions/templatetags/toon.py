"""Template filters the pages share: times as a viewer reads them, shares as percentages, initials, emotions, and
the mark on an unsure result, a crop's pixel size, a moment's span and start, a face's box, a cast member's species."""
from django import template
from django.conf import settings
from django.utils.html import format_html

from emotions.portraits import cast_species
from emotions.selectors.detections import detection_crop_side
from toonvision.emotions import EMOTIONS

register = template.Library()


@register.filter
def clock(seconds) -> str:
    """Seconds as m:ss (or h:mm:ss), the way a video player shows a time."""
    try:
        total = int(float(seconds))
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(max(total, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def span(moment) -> str:
    """A moment's start-end as a player shows times, and how long it lasts: "0:04-0:07 (2.5 s)", or "0:04 (0.5 s)"
    when it starts and ends within one second of the clock."""
    start, end = clock(moment.start), clock(moment.end)
    when = start if start == end else f"{start}\u2013{end}"
    return f"{when} ({moment.end - moment.start:.1f} s)"


@register.filter
def start_of(detection, moment=None) -> float:
    """Where a result card opens the episode: its moment's start, or the lone face's own time."""
    return moment.start if moment else detection.time


@register.filter
def species(character) -> str:
    """ "the mouse" for a shipped cast member the studio draws (so a portrait reads "Pip the mouse"), else ""."""
    if not getattr(character, "shipped", False):
        return ""
    kind = cast_species(slug=character.slug)
    return f"the {kind}" if kind else ""


@register.filter
def box_percent(detection) -> dict:
    """The face's box in percent of its frame (left, top, width, height), for the box drawn over the frame."""
    width, height = detection.episode.width or 1, detection.episode.height or 1
    return {"left": 100 * detection.x / width, "top": 100 * detection.y / height,
            "width": 100 * detection.w / width, "height": 100 * detection.h / height}


@register.filter
def percent(share, digits: int = 0) -> str:
    """A share from 0 to 1 as a percentage."""
    try:
        return f"{float(share) * 100:.{int(digits)}f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def initials(name) -> str:
    """A name's initials (at most two), standing in for a character's picture when there is none to show."""
    return "".join(word[0] for word in str(name).split()[:2]).upper() or "?"


@register.simple_tag
def emotions() -> tuple[str, ...]:
    """The emotion vocabulary in its canonical order (which is also the order of the colours in site.css)."""
    return EMOTIONS


@register.simple_tag
def unsure_mark(confidence) -> str:
    """A visible "unsure" beside a result the model gives less than LOW_CONFIDENCE: a reading to check, not trust."""
    try:
        unsure = float(confidence) < settings.LOW_CONFIDENCE
    except (TypeError, ValueError):
        return ""
    if not unsure:
        return ""
    return format_html('<span class="unsure" title="{}">unsure</span>',
                       f"the model gives this emotion less than {settings.LOW_CONFIDENCE:.0%}: check it by eye")


@register.filter
def listing(items) -> str:
    """Names as a sentence lists them: "Pip", "Pip and Marmalade", "Pip, Marmalade and Rex"."""
    names = [str(item) for item in items or []]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


@register.filter
def crop_px(detection) -> str:
    """A face crop's pixel size, "212×212 px" (empty when it has none): the size an animator gets."""
    side = detection_crop_side(detection)
    return f"{side}×{side} px" if side else ""


@register.simple_tag
def emotion_names() -> tuple[str, ...]:
    """The emotions in their canonical order: the order of the 1-7 keys that label a face."""
    return EMOTIONS
