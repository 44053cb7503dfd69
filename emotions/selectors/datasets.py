"""Imported datasets, read: each one's faces per split and emotion."""
from django.db.models import Count

from emotions.models import DatasetFace


def dataset_list() -> list[dict]:
    """Each imported dataset: its name, faces in all, per split and per emotion, by name."""
    rows: dict[str, dict] = {}
    counts = (DatasetFace.objects.values("dataset", "split", "emotion").annotate(n=Count("id"))
              .order_by("dataset", "split", "emotion"))
    for row in counts:
        entry = rows.setdefault(row["dataset"], {"name": row["dataset"], "faces": 0, "training": 0, "testing": 0,
                                                 "emotions": {}})
        entry["faces"] += row["n"]
        entry[row["split"]] += row["n"]
        entry["emotions"][row["emotion"]] = entry["emotions"].get(row["emotion"], 0) + row["n"]
    return list(rows.values())
