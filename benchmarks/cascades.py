"""The cascades section of `make bench`: how long the shipped cast's cascades took to train, and how each
one alone does on held-out studio frames.

Training time comes from the report `train_cascade` writes beside each shipped XML (the run that made the
file, on the machine named there: `make cascades` reproduces it). Hit rate and false alarms are measured
here, each cascade alone with the parameters `segment --method fast` runs it with, on frames of episodes
drawn with seeds never used for training data.
"""
import json
import tempfile
from pathlib import Path

from toonvision.detection import load_cast
from toonvision.segmentation import FastOptions, detect_characters
from toonvision.studio.episode import write_episode
from toonvision.tracking import iou
from toonvision.truth_metrics import MATCH_IOU, truth_path
from toonvision.video import decode_frames

ROOT = Path(__file__).resolve().parent.parent
CAST_DIR = ROOT / "cascades"  # the shipped cast this section measures
HELD_OUT_SEEDS = (6001, 6002, 6003)


def add_arguments(parser) -> None:
    group = parser.add_argument_group("cascades")
    group.add_argument("--cascade-seconds", type=float, default=30, help="length of each held-out episode")
    group.add_argument("--cascade-every", type=int, default=4, help="test every Nth frame of them")


def training_reports(detectors) -> dict:
    reports = {}
    for detector in detectors:
        report_path = detector.cascade_path.with_suffix(".json")
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        reports[detector.name] = {
            "xml": detector.cascade_path.name,
            "feature_type": detector.feature_type,
            "window": list(detector.window),
            "params": detector.describe(),
            "report": {k: report.get(k) for k in ("seconds", "device", "torch", "stages_trained", "positives",
                                                   "negatives", "stop_reason", "params")},
        }
    return reports


def held_out(detector, videos: list[Path], every: int) -> dict:
    """Hit rate on the character's scored faces, false alarms per frame, over every Nth frame."""
    options = FastOptions()
    hits = faces = false_alarms = frames = 0
    for video in videos:
        truth = {f["index"]: f["faces"] for f in json.loads(truth_path(video).read_text())["frames"]}
        for frame in decode_frames(video):
            if frame.index % every:
                continue
            frames += 1
            found = [f.box for f in detect_characters(frame.gray(), [detector], options)]
            mine = [f for f in truth[frame.index] if f["character"] == detector.name]
            matched = set()
            for box in found:
                near = [i for i in range(len(mine)) if i not in matched and iou(box, mine[i]["box"]) >= MATCH_IOU]
                if near:
                    matched.add(max(near, key=lambda i: iou(box, mine[i]["box"])))
                else:
                    false_alarms += 1
            scored = [i for i, f in enumerate(mine) if f["scored"]]
            faces += len(scored)
            hits += len(matched.intersection(scored))
    return {"frames": frames, "faces": faces, "hits": hits, "hit_rate": hits / faces if faces else None,
            "false_alarms": false_alarms, "false_alarms_per_frame": false_alarms / frames if frames else None}


def measure(args) -> dict:
    detectors = load_cast(CAST_DIR)
    reports = training_reports(detectors)
    with tempfile.TemporaryDirectory(prefix="toonsite-cascades-") as tmp:
        videos = []
        for seed in HELD_OUT_SEEDS:
            video = Path(tmp) / f"held-out-{seed}.mp4"
            write_episode(video, seconds=args.cascade_seconds, seed=seed, progress=True)
            videos.append(video)
        for detector in detectors:
            reports[detector.name]["held_out"] = held_out(detector, videos, args.cascade_every)
    return {"cascades": reports, "held_out_seeds": list(HELD_OUT_SEEDS), "seconds": args.cascade_seconds,
            "every": args.cascade_every, "folder": str(CAST_DIR.name)}


def render(figures: dict) -> list[str]:
    lines = [
        "Training: the time `train_cascade` reported for the run that produced each shipped file (`make cascades` "
        "reproduces them). Held out: each cascade alone, run as `segment --method fast` runs it, on every "
        f"{figures['every']}th frame of {len(figures['held_out_seeds'])} studio episodes of {figures['seconds']:.0f} s "
        f"(seeds {', '.join(map(str, figures['held_out_seeds']))}, never used for training data). A hit is a scored "
        "face of that character matched at IoU >= 0.5; a false alarm is a detection matching no face of it.",
        "",
        "| cascade | features | window | stages | training s | device | hit rate | false alarms / frame | frames |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in figures["cascades"].items():
        report, held = row["report"], row["held_out"]
        seconds = report.get("seconds")
        lines.append(
            f"| `{row['xml']}` ({name}) | {row['feature_type']} | {row['window'][0]}x{row['window'][1]} | "
            f"{report.get('stages_trained')} | {seconds:.0f} | {report.get('device')} | "
            f"{held['hit_rate']:.3f} ({held['hits']}/{held['faces']}) | {held['false_alarms_per_frame']:.3f} | "
            f"{held['frames']} |"
            if seconds is not None
            else f"| `{row['xml']}` ({name}) | {row['feature_type']} | | | | | {held['hit_rate']:.3f} | "
            f"{held['false_alarms_per_frame']:.3f} | {held['frames']} |"
        )
    lines += ["", "No GPU training figures: the machine that trained the shipped cascades had none."]
    return lines
