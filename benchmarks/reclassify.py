"""The reclassify section of `make bench`: faces per second re-read from their stored crops (issue 13.6).

A PostgreSQL database of its own (benchmarks.api's bench database) and a media folder of its own are filled with
--reclassify-faces stored faces: studio heads (Pip and Marmalade, every emotion) drawn at native sizes from 60 to
140 px boxes and stored as processing stores them (toonvision.crops: the 1.6 margin, JPEG q95 4:4:4), one file
each, in tracks of 16, over 8 episodes. A separate Django process then runs the service `reclassify` runs
(`detections_reclassify`: crops read from storage, decoded by threads, the CNN in batches of 256, tracks smoothed,
bulk_update, every episode's summaries rebuilt) --reclassify-repeats times over all of them, and reports the median
faces/s; beside it the CNN's share alone (crops_classify over crops already in memory).
"""
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.api import _run, bench_database, bench_env

TARGET = 2000  # faces/s on this machine's CPU cores


def add_arguments(parser) -> None:
    group = parser.add_argument_group("reclassify")
    group.add_argument("--reclassify-faces", type=int, default=4096, help="stored faces re-read")
    group.add_argument("--reclassify-repeats", type=int, default=5, help="timed re-reads (median)")


def measure(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="toonsite-reclassify-bench-") as tmp, \
            bench_database(args.api_postgres) as url:
        tmp = Path(tmp)
        env = bench_env(database_url=url, redis_url=args.api_redis, folder=tmp)
        _run([sys.executable, "manage.py", "migrate", "--noinput"], env, "migrate")
        out = tmp / "reclassify.json"
        _run([sys.executable, "-m", "benchmarks.reclassify", "--faces", str(args.reclassify_faces), "--repeats",
              str(args.reclassify_repeats), "--out", str(out)], env, "reclassify")
        return json.loads(out.read_text())


def render(figures: dict) -> list[str]:
    verdict = "meets" if figures["median_faces_per_second"] >= TARGET else "misses"
    return [
        f"{figures['faces']:,} stored faces (studio heads at native size, {figures['crop_px_min']}–"
        f"{figures['crop_px_max']} px crops, JPEG, one file each, tracks of 16, {figures['episodes']} episodes) in "
        "a PostgreSQL database and a media folder of their own, re-read by the service `manage.py reclassify` "
        "runs: crops read and decoded by threads, the shipped `toon` CNN in batches of 256 on "
        f"`{figures['device']}` ({figures['torch_threads']} torch threads, {figures.get('precision', 'fp32')}), "
        "tracks smoothed again, `bulk_update`, "
        f"the summaries rebuilt. Median of {figures['repeats']} re-reads of all of them.",
        "",
        "| step | faces/s (median) | runs (faces/s) |",
        "| --- | --- | --- |",
        f"| `reclassify`, end to end | **{figures['median_faces_per_second']:,.0f}** | "
        f"{', '.join(f'{v:,.0f}' for v in figures['faces_per_second'])} |",
        f"| the CNN over crops in memory (decode, cut, resize, CNN) | {figures['cnn_median_faces_per_second']:,.0f} | "
        f"{', '.join(f'{v:,.0f}' for v in figures['cnn_faces_per_second'])} |",
        "",
        f"The target is {TARGET:,} faces/s on these CPU cores: this run {verdict} it. End to end runs at "
        f"{figures['median_faces_per_second'] / figures['cnn_median_faces_per_second']:.0%} of the rate over the "
        "same crops in memory (reading files, smoothing and the database's one-statement batch updates are the "
        "rest); that rate includes decoding each JPEG, cutting and resizing it, which is why it is under the bare "
        "CNN's `predict_proba` figure in the Emotion CNN section. "
        f"Re-classifying the 1,000,000 faces of the pages benchmark would take about "
        f"{1_000_000 / figures['median_faces_per_second'] / 60:.0f} minutes at this rate; re-processing them "
        "decodes and searches every analysed frame again.",
    ]


# -- inside a Django process on the bench database ----------------------------------------------------------------
def reclassify_main(faces: int, repeats: int, out: Path) -> None:
    import django

    django.setup()
    import numpy as np
    import torch
    from django.conf import settings

    from emotions.models import Detection
    from emotions.services.classifier import classifier_load
    from emotions.services.reclassify import _crop_bytes, detections_reclassify
    from toonvision.crops import crops_classify
    from toonvision.segmentation import crop_margins

    sides = _fill(faces)
    names = list(Detection.objects.order_by("pk").values_list("crop", flat=True))
    run = Detection.objects.select_related("run").first().run
    classifier = classifier_load()
    detections_reclassify()  # warm-up: torch's first passes, the file cache
    rates = []
    for _ in range(repeats):
        done = detections_reclassify()
        rates.append(done.faces / done.seconds)
    stored, cnn = crop_margins(run.method, run.options)
    crops = [_crop_bytes(name) for name in names]
    cnn_rates = []
    for _ in range(repeats):
        began = time.perf_counter()
        crops_classify(classifier, crops, stored_margin=stored, cnn_margin=cnn, batch_size=256)
        cnn_rates.append(len(crops) / (time.perf_counter() - began))
    out.write_text(json.dumps({
        "faces": faces, "episodes": 8, "repeats": repeats, "crop_px_min": int(min(sides)),
        "crop_px_max": int(max(sides)), "device": str(classifier.device), "precision": classifier.precision,
        "torch_threads": torch.get_num_threads(),
        "faces_per_second": rates, "median_faces_per_second": statistics.median(rates),
        "cnn_faces_per_second": cnn_rates, "cnn_median_faces_per_second": statistics.median(cnn_rates),
        "weights": Path(str(settings.EMOTION_WEIGHTS)).name, "seconds_per_run": faces / statistics.median(rates),
        "numpy": np.__version__,
    }, indent=2))


def _fill(faces: int) -> list[int]:
    """The bench's stored faces: rows and crop files as processing writes them; their crops' sides."""
    import hashlib
    from dataclasses import asdict

    import numpy as np
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from emotions.models import Character, Detection, Episode, ProcessingRun, Status
    from toonvision.crops import STORED_CROP_MARGIN, STORED_MARGIN_KEY, crop_encode, stored_crop
    from toonvision.emotions import EMOTIONS
    from toonvision.segmentation import FastOptions
    from toonvision.studio import render_face, sample_face_spec

    rng = np.random.default_rng(7)
    cast = [Character.objects.get_or_create(slug=s, defaults={"name": s.title(), "cascade": f"cascades/{s}.xml"})[0]
            for s in ("pip", "marmalade")]
    options = {**asdict(FastOptions()), STORED_MARGIN_KEY: STORED_CROP_MARGIN}
    heads = []  # drawn once each, stored once per face
    for n in range(128):
        w = int(rng.integers(60, 141))
        spec = sample_face_spec(rng, cast[n % 2].slug, EMOTIONS[n % len(EMOTIONS)])
        frame = np.full((3 * w, 3 * w, 3), rng.integers(0, 255, 3), np.uint8)
        face = render_face(spec, w)
        alpha = face[:, :, 3:4].astype(np.float32) / 255
        frame[w:2 * w, w:2 * w] = (face[:, :, :3] * alpha + frame[w:2 * w, w:2 * w] * (1 - alpha)).astype(np.uint8)
        crop = stored_crop(frame, (w, w, w, w), stored_margin=STORED_CROP_MARGIN, cnn_margin=FastOptions().crop_margin)
        heads.append((w, crop_encode(crop), crop.shape[0]))
    rows, per_episode = [], faces // 8
    for e in range(8):
        episode = Episode.objects.create(
            title=f"bench {e}", sha256=hashlib.sha256(f"reclassify {e}".encode()).hexdigest(), size_bytes=1,
            duration=per_episode / 6, fps=24.0, frame_count=per_episode * 4, width=854, height=480,
            file=f"episodes/bench-{e}.mp4", container="mov,mp4,m4a,3gp,3g2,mj2", status=Status.DONE, progress=1.0,
        )
        run = ProcessingRun.objects.create(episode=episode, weights_name="emotions/weights/toon.pt",
                                           weights_sha256="-", range_frames=240, status=Status.DONE, options=options)
        Episode.objects.filter(pk=episode.pk).update(current_run=run)
        for i in range(per_episode):
            w, data, _ = heads[(e * per_episode + i) // 16 % len(heads)]  # one head per track of 16
            name = default_storage.save(f"detections/{episode.pk}/{run.pk}/faces/{i:07d}.jpg", ContentFile(data))
            rows.append(Detection(
                episode=episode, run=run, frame=i * 4, time=i / 6, duration=1 / 6, character=cast[i // 16 % 2],
                x=w, y=w, w=w, h=w, emotion="neutral", confidence=0.5, probabilities={"neutral": 0.5},
                track=i // 16, crop=name, frame_image="",
            ))
    Detection.objects.bulk_create(rows, batch_size=2000)
    return [side for _, _, side in heads]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="time reclassify (run by benchmarks.run in a bench database)")
    parser.add_argument("--faces", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args()
    reclassify_main(options.faces, options.repeats, options.out)
