"""The "New characters" section of `make bench`: teaching the site a character it has never seen.

For each studio guest (toonvision/studio/guests.py: fixed identities no shipped cascade or emotion model was
trained on) and for 10, 20 and 40 marked faces: the faces are cut from guest episodes the way a person marks
them (two per episode, the truth box), negatives are frames of those episodes with the guest blanked (what
the app takes from the site's episodes), and `manage.py train_character` trains on them (a fresh process,
on the CPU; on CUDA too where there is one). The cascade then runs as the site runs it (`segment --method
fast`, the shipped emotion CNN) on unseen episodes starring the guest, scored with toonvision.truth_metrics:
faces matched at IoU >= 0.5, event recall over truth spans.

Seeds: example episodes 7101-7120 (faces and negatives); unseen episodes 7901-7903. None is used
anywhere else, and no guest appears in any training set of the shipped models.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import torch

from toonvision.cascade_training.character import blank_faces
from toonvision.detection import load_detectors
from toonvision.inference import EmotionClassifier
from toonvision.segmentation import segment_video
from toonvision.studio.cascade_data import marked_crop, star_frames
from toonvision.studio.episode import write_episode
from toonvision.truth_metrics import evaluate_segmentation, load_truth, truth_path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "emotions" / "weights" / "toon.pt"
GUESTS = ("bramble", "juniper", "clover")
COUNTS = (10, 20, 40)
EXAMPLE_SEED = 7101  # example episodes: 7101, 7102, ...
PER_EPISODE = 2  # faces marked per example episode
NEGATIVE_EPISODES = 20
NEGATIVES_PER_EPISODE = 8
UNSEEN_SEEDS = (7901, 7902, 7903)
TARGET = {"precision": 0.9, "recall": 0.9, "examples": 20, "seconds": 60}


def add_arguments(parser) -> None:
    group = parser.add_argument_group("newchars")
    group.add_argument("--newchars-guests", nargs="+", default=list(GUESTS), help="guests to teach")
    group.add_argument("--newchars-counts", nargs="+", type=int, default=list(COUNTS), help="marked faces")
    group.add_argument("--newchars-seconds", type=float, default=30, help="length of each unseen episode")


def marked(guest: str, count: int) -> list:
    """count face crops, PER_EPISODE from each example episode in seed order."""
    crops, seed = [], EXAMPLE_SEED
    while len(crops) < count:
        taken = 0
        for frame, faces in star_frames(guest, seed=seed, count=4 * PER_EPISODE):
            crop = marked_crop(frame, faces, guest)
            if crop is not None and taken < PER_EPISODE and len(crops) < count:
                crops.append(crop)
                taken += 1
        seed += 1
    return crops


def negatives(guest: str) -> list:
    """Frames of the example episodes with every face of the guest blanked."""
    out = []
    for seed in range(EXAMPLE_SEED, EXAMPLE_SEED + NEGATIVE_EPISODES):
        for frame, faces in star_frames(guest, seed=seed, count=NEGATIVES_PER_EPISODE):
            out.append(blank_faces(frame, [f["box"] for f in faces if f["character"] == guest]))
    return out


def write_images(folder: Path, images: list) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        if not cv2.imwrite(str(folder / f"{i:04d}.png"), image):
            raise OSError(f"could not write {folder / f'{i:04d}.png'}")
    return folder


def train(guest: str, examples: Path, negatives_dir: Path, out: Path, device: str) -> dict:
    """One `manage.py train_character` process: its wall time and the JSON it wrote."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "toonsite.settings"}
    command = [sys.executable, "manage.py", "train_character", guest, "--examples", str(examples), "--negatives",
               str(negatives_dir), "--out", str(out), "--device", device, "--seed", "0", "--verbosity", "0"]
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - began
    return {"wall_seconds": wall, **json.loads(out.with_suffix(".json").read_text())}


def score(guest: str, xml: Path, videos: list[Path], classifier) -> dict:
    """The cascade as `segment --method fast` runs it on the unseen episodes, all scored together."""
    detectors = load_detectors([f"{guest}={xml}"], xml.parent)
    totals = {"true_positives": 0, "false_positives": 0, "misses": 0, "emotion_correct": 0, "events": 0,
              "events_recalled": 0}
    for video in videos:
        result = segment_video(video, detectors, classifier, method="fast").as_json()
        metrics = evaluate_segmentation(result, load_truth(truth_path(video)), [guest]).as_json()
        for key in totals:
            totals[key] += metrics[key]
    tp, fp, fn = totals["true_positives"], totals["false_positives"], totals["misses"]
    return {**totals, "precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 0.0,
            "emotion_accuracy": totals["emotion_correct"] / tp if tp else 0.0,
            "event_recall": totals["events_recalled"] / totals["events"] if totals["events"] else 0.0}


def measure(args) -> dict:
    classifier = EmotionClassifier.load(WEIGHTS, device="cpu")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="toonsite-newchars-") as tmp:
        tmp = Path(tmp)
        for guest in args.newchars_guests:
            print(f"-- {guest}: drawing examples, negatives and {len(UNSEEN_SEEDS)} unseen episodes", flush=True)
            negatives_dir = write_images(tmp / guest / "negatives", negatives(guest))
            videos = []
            for seed in UNSEEN_SEEDS:
                video = tmp / guest / f"unseen-{seed}.mp4"
                write_episode(video, seconds=args.newchars_seconds, seed=seed, cast=(guest,))
                videos.append(video)
            for count in args.newchars_counts:
                examples = write_images(tmp / guest / f"examples-{count}", marked(guest, count))
                for device in devices:
                    out = tmp / guest / f"{guest}-{count}-{device}.xml"
                    trained = train(guest, examples, negatives_dir, out, device)
                    report = trained["report"]
                    row = {"guest": guest, "examples": count, "device": device, "wall_seconds": trained["wall_seconds"],
                           "seconds": report["seconds"], "stages": report["stages_trained"],
                           "stop_reason": report["stop_reason"], "detection": trained["detection"],
                           "holdout_hit_rate": report["holdout_hit_rate"],
                           "holdout_false_alarms_per_frame": report["holdout_false_alarms_per_frame"],
                           "negative_images": report["negative_images"] + report["validation_images"],
                           "score": score(guest, out, videos, classifier) if device == "cpu" else None}
                    keys = ("guest", "examples", "device", "seconds", "stages", "score")
                    print(json.dumps({k: row[k] for k in keys}),
                          flush=True)
                    rows.append(row)
    return {"rows": rows, "unseen_seeds": list(UNSEEN_SEEDS), "unseen_seconds": args.newchars_seconds,
            "per_episode": PER_EPISODE, "negative_frames": NEGATIVE_EPISODES * NEGATIVES_PER_EPISODE,
            "target": TARGET}


def render(figures: dict) -> list[str]:
    rows = figures["rows"]
    target = figures["target"]
    lines = [
        f"Studio guests (bramble the fox, juniper the rabbit, clover the duck: fixed identities that no shipped "
        f"cascade or emotion model was trained on) taught from 10, 20 and 40 marked faces: {figures['per_episode']} "
        f"cut per example episode along the truth box, with {figures['negative_frames']} frames of those episodes, "
        "the guest blanked, as negatives (what the app takes from the site's episodes). Each is trained by a fresh "
        "`manage.py train_character` process (default options, seed 0: the cascade and the colours it learns, "
        "toonvision.appearance) and run as `segment --method fast` runs it (the shipped emotion CNN) on "
        f"{len(figures['unseen_seeds'])} unseen {figures['unseen_seconds']:.0f} s "
        f"episodes starring the guest (seeds {', '.join(map(str, figures['unseen_seeds']))}). Faces matched at "
        "IoU >= 0.5 on the analysed frames; event recall = share of truth spans (>= 0.5 s, one emotion) with a "
        "matching detection of the right emotion. Training seconds: the trainer's own clock (the process's wall "
        "time in brackets).",
        "",
        "| guest | marked faces | device | training s | stages | held-out hit rate | held-out false alarms / frame "
        "| precision | recall | event recall |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        s = r["score"]
        quality = (f"{s['precision']:.3f} | {s['recall']:.3f} | {s['event_recall']:.3f} "
                   f"({s['events_recalled']}/{s['events']})") if s else "| |"
        lines.append(f"| {r['guest']} | {r['examples']} | {r['device']} | {r['seconds']:.1f} ({r['wall_seconds']:.0f}) "
                     f"| {r['stages']} | {r['holdout_hit_rate']:.2f} | {r['holdout_false_alarms_per_frame']:.2f} "
                     f"| {quality} |")
    at_target = [r for r in rows if r["examples"] == target["examples"] and r["device"] == "cpu" and r["score"]]
    if at_target:
        met = [r for r in at_target if r["score"]["precision"] >= target["precision"]
               and r["score"]["recall"] >= target["recall"] and r["seconds"] <= target["seconds"]]
        slowest = max(r["seconds"] for r in at_target)
        lines += ["", f"Target (precision and recall >= {target['precision']} from {target['examples']} faces, "
                  f"training <= {target['seconds']} s on the CPU): met for {len(met)} of {len(at_target)} guests; "
                  f"the slowest training from {target['examples']} faces took {slowest:.1f} s."]
    if not any(r["device"] == "cuda" for r in rows):
        lines += ["", "No GPU on the measuring machine, so no GPU rows."]
    return lines
