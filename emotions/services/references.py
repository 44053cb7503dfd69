"""Reference packs for animators: chosen frames and their face crops in one ZIP, with a manifest saying what each
picture shows (episode, time, character, emotion, confidence, the face's box)."""
import csv
import io
import json
import zipfile
from typing import BinaryIO

from django.core.files.storage import default_storage
from django.utils.text import slugify

from emotions.models import Detection
from emotions.selectors.detections import detection_crop_side

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MANIFEST_FIELDS = ["id", "episode", "title", "time", "frame", "character", "emotion", "confidence", "box",
                   "crop_px", "frame_px", "frame_file", "crop_file", "missing"]


def references_filename(*, detections: list[Detection]) -> str:
    """A name that says what the pack holds: the character and emotion when all frames share them, and how many."""
    parts = ["toonsite"]
    for values in ({d.character.slug for d in detections}, {d.emotion for d in detections}):
        if len(values) == 1:
            parts.append(slugify(next(iter(values))))
    count = len(detections)
    parts.append(f"{count}-frame{'s' if count != 1 else ''}")
    return "-".join(parts) + ".zip"


def references_zip_write(*, detections: list[Detection], out: BinaryIO) -> list[dict]:
    """Write the ZIP to `out`: frames/<name>.jpg, crops/<name>.jpg, manifest.csv and manifest.json. A picture
    missing from storage is left out and named in its row's `missing`. Returns the manifest's rows."""
    rows = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as pack:  # JPEGs do not compress further
        for detection in detections:
            row = _manifest_row(detection)
            for field, folder, key in (("frame_image", "frames", "frame_file"), ("crop", "crops", "crop_file")):
                arcname = f"{folder}/{_picture_name(detection)}"
                if _copy_stored(getattr(detection, field).name, pack, arcname):
                    row[key] = arcname
                else:
                    row["missing"].append(folder[:-1])
            rows.append(row)
        pack.writestr("manifest.json", json.dumps({"frames": rows}, indent=2), compress_type=zipfile.ZIP_DEFLATED)
        pack.writestr("manifest.csv", _manifest_csv(rows), compress_type=zipfile.ZIP_DEFLATED)
    return rows


def _picture_name(detection: Detection) -> str:
    """character-emotion-episode-time-id.jpg: sorted by name, an animator's folder groups a character's emotions."""
    minutes, seconds = divmod(detection.time, 60)
    when = f"{int(minutes)}m{seconds:05.2f}s"
    return (f"{detection.character.slug}-{detection.emotion}-{slugify(detection.episode.title)[:40]}-{when}"
            f"-{detection.pk}.jpg")


def _manifest_row(detection: Detection) -> dict:
    return {
        "id": detection.pk, "episode": detection.episode_id, "title": detection.episode.title,
        "time": round(detection.time, 3), "frame": detection.frame, "character": detection.character.slug,
        "emotion": detection.emotion, "confidence": round(detection.confidence, 4),
        "box": {"x": detection.x, "y": detection.y, "w": detection.w, "h": detection.h},
        "crop_px": detection_crop_side(detection), "frame_px": [detection.episode.width, detection.episode.height],
        "frame_file": "", "crop_file": "", "missing": [],
    }


def _copy_stored(name: str, pack: zipfile.ZipFile, arcname: str) -> bool:
    """Copy a stored file into the pack; False when it is not there (never stored, or deleted since)."""
    if not name:
        return False
    try:
        with default_storage.open(name, "rb") as source, pack.open(arcname, "w") as target:
            while chunk := source.read(1 << 16):
                target.write(chunk)
    except FileNotFoundError:
        return False
    return True


def _manifest_csv(rows: list[dict]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    for row in rows:
        box = row["box"]
        cells = {**row, "box": f"{box['x']},{box['y']},{box['w']},{box['h']}", "missing": " ".join(row["missing"]),
                 "frame_px": "x".join(map(str, row["frame_px"]))}
        writer.writerow({key: spreadsheet_safe(value) for key, value in cells.items()})
    return text.getvalue()


def spreadsheet_safe(value):
    """A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe,
    which spreadsheets show as plain text (OWASP's advice for CSV injection); numbers and other text pass as
    they are. manifest.json keeps every value verbatim."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
