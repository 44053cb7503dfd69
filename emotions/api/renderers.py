"""Renderers for the API's non-JSON answers: WebVTT subtitles and JPEG and PNG pictures."""
import json

from rest_framework.renderers import BaseRenderer

from emotions.api.serializers import timecode


def _one_line(text: str) -> str:
    """No line breaks and no cue-timing arrow: what a WebVTT header or note line may not hold."""
    return " ".join(str(text).split()).replace("-->", "->")


def _cue_text(text: str) -> str:
    """Text safe inside a WebVTT cue: one line, markup characters escaped."""
    return _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webvtt(cues, title: str = "") -> str:
    """Cues (emotions.selectors.episodes.Cue) as a WebVTT file: one line per character on screen, e.g. "Pip: happy"."""
    header = "WEBVTT"
    if title:
        header += " - " + _one_line(title)
    blocks = [header]
    for number, cue in enumerate(cues, start=1):
        lines = [f"{_cue_text(name)}: {', '.join(emotions)}" for name, emotions in cue.labels.items()]
        blocks.append(f"{number}\n{timecode(cue.start)} --> {timecode(cue.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


class WebVTTRenderer(BaseRenderer):
    media_type = "text/vtt"
    format = "vtt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        # An error asked for as text/vtt: a valid, empty WebVTT file whose note says what went wrong.
        note = _one_line(json.dumps(data)) if data is not None else ""
        return f"WEBVTT\n\nNOTE {note}\n".encode(self.charset)


class JPEGRenderer(BaseRenderer):
    """Pictures are streamed by the view; this renderer only lets a client ask for image/jpeg (errors are JSON)."""

    media_type = "image/jpeg"
    format = "jpg"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class PNGRenderer(JPEGRenderer):
    """Lets a client ask for image/png (an example's crop); the view streams it, errors are JSON."""

    media_type = "image/png"
    format = "png"
