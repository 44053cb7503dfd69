"""The segmentation section of `make bench`: `fast` beside the dissertation's `seed` on one 480p studio
episode, start-up included, and `fast`'s quality on several more.

Speed is timed around the real command (`manage.py segment`, a fresh process each time, so Python, Django,
torch, the CNN and the cascades all load inside the timing). Decoding alone (with the luma `fast` reads)
is the ceiling. Episodes are drawn with seeds never used to train the cascades or the CNN.

Against the target (issue 15: 1,000 frames/s of processing on a 60 s 480p episode on 2 cores), `fast` runs in this
process, as `segment` times itself (frames / its own seconds, no start-up), taking turns with decoding alone on
the same file, so both see the same load; the CPU time of each run says how much of the cores it kept busy.
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from toonvision.detection import load_cast
from toonvision.inference import EmotionClassifier
from toonvision.segmentation import FastOptions, segment_video
from toonvision.studio.episode import write_episode
from toonvision.truth_metrics import evaluate_segmentation, load_truth, truth_path
from toonvision.video import decode_frames

ROOT = Path(__file__).resolve().parent.parent
SPEED_SEED = 5001
QUALITY_SEEDS = (5101, 5102, 5103, 5104)
TARGET_SEED = 6001
TARGET_SECONDS = 60
TARGET_FPS = 1000


def add_arguments(parser) -> None:
    group = parser.add_argument_group("segmentation")
    group.add_argument("--seg-seconds", type=float, default=180, help="length of the timed episode")
    group.add_argument("--seg-repeats", type=int, default=3, help="timed runs of fast and of decoding (median)")
    group.add_argument("--seg-seed-repeats", type=int, default=1, help="timed runs of seed (slow; median)")
    group.add_argument("--seg-torch-repeats", type=int, default=1,
                       help="timed runs of fast with --detector torch on the CPU (slower than OpenCV there; median)")
    group.add_argument("--quality-seconds", type=float, default=60, help="length of each quality episode")
    group.add_argument("--quality-episodes", type=int, default=len(QUALITY_SEEDS))
    group.add_argument("--target-repeats", type=int, default=5,
                       help="in-process runs of fast, and of decoding alone, on the 60 s target episode (median)")


def decode_fps(video: Path, frames: int, repeats: int) -> float:
    """Frames per second of decoding with the luma each frame's `gray()` gives, nothing else."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        for frame in decode_frames(video):
            frame.gray()
        times.append(time.perf_counter() - began)
    return frames / statistics.median(times)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(work) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, what work returned)."""
    cpu, began = _cpu_seconds(), time.perf_counter()
    out = work()
    return time.perf_counter() - began, _cpu_seconds() - cpu, out


def target(tmp: Path, repeats: int) -> dict:
    """`fast`'s processing frames/s on the 60 s 480p target episode, in this process, beside decoding alone: every
    frame with the luma (the ceiling, as `decode_fps`), and the decoding `fast` itself does (one thread, frames
    off the stride's grid that nothing refers to left undecoded)."""
    video = tmp / "target.mp4"
    episode = write_episode(video, seconds=TARGET_SECONDS, seed=TARGET_SEED, progress=True)
    detectors = load_cast(ROOT / "cascades")
    classifier = EmotionClassifier.load(ROOT / "emotions" / "weights" / "toon.pt", device="cpu")
    segment_video(video, detectors, classifier, method="fast", stop=96)  # warm: first-call costs are start-up
    runs: dict[str, list] = {"fast": [], "decode": [], "fast_decode": []}
    for _ in range(repeats):
        runs["decode"].append(_timed(lambda: sum(1 for f in decode_frames(video) if f.gray() is not None)))
        runs["fast_decode"].append(_timed(lambda: sum(1 for f in decode_frames(
            video, threads=1, needed=lambda i: i % FastOptions().stride == 0) if f.thumbnail() is not None)))
        wall, cpu, result = _timed(lambda: segment_video(video, detectors, classifier, method="fast"))
        runs["fast"].append((result.seconds, cpu, result))
    frames = episode["frame_count"]
    last = runs["fast"][-1][2]
    rows = {name: {"frames_per_second": frames / statistics.median(w for w, _, _ in timed),
                   "cores_busy": statistics.median(c / w for w, c, _ in timed),
                   "runs_frames_per_second": [round(frames / w) for w, _, _ in timed]} for name, timed in runs.items()}
    rows["fast"]["analysed"] = len(last.analyzed)
    rows["fast"]["score"] = evaluate_segmentation(last.as_json(), load_truth(truth_path(video))).as_json()
    return {"episode": {k: episode[k] for k in ("seconds", "fps", "width", "height", "frame_count", "seed", "shots")},
            "runs": repeats, "target_fps": TARGET_FPS, "cores": os.cpu_count(), **rows}


def run_segment(video: Path, out: Path, method: str, data_dir: Path, device: str = "cpu",
                detector: str = "opencv") -> tuple[float, dict]:
    """Wall seconds of one `manage.py segment` process, and its JSON."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "toonsite.settings", "TOONSITE_DATA_DIR": str(data_dir)}
    command = [sys.executable, "manage.py", "segment", str(video), "--json", str(out), "--method", method,
               "--device", device, "--detector", detector, "--no-progress"]
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - began, json.loads(out.read_text())


def timed_method(video: Path, tmp: Path, method: str, repeats: int, device: str, detector: str = "opencv") -> dict:
    walls, result = [], None
    for i in range(repeats):
        out = tmp / f"{method}-{device}-{detector}-{i}.json"
        wall, result = run_segment(video, out, method, tmp / "data", device, detector)
        walls.append(wall)
    frames = result["frame_count"]
    metrics = evaluate_segmentation(result, load_truth(truth_path(video)))
    return {"method": method, "device": device, "detector": result["detector"], "runs": repeats,
            "detections": result["detections"], "wall_seconds": statistics.median(walls),
            "frames_per_second": frames / statistics.median(walls),
            "in_process_frames_per_second": frames / result["seconds"], "analysed": len(result["analyzed"]),
            "score": metrics.as_json()}


def measure(args) -> dict:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    with tempfile.TemporaryDirectory(prefix="toonsite-seg-") as tmp:
        tmp = Path(tmp)
        video = tmp / "speed.mp4"
        episode = write_episode(video, seconds=args.seg_seconds, seed=SPEED_SEED, progress=True)
        frames = episode["frame_count"]
        speed = {
            "episode": {k: episode[k] for k in ("seconds", "fps", "width", "height", "frame_count", "seed", "shots")},
            "decode_fps": decode_fps(video, frames, args.seg_repeats),
            "decode_runs": args.seg_repeats,
            "runs": [timed_method(video, tmp, "fast", args.seg_repeats, d) for d in devices]
            + [timed_method(video, tmp, "fast", args.seg_torch_repeats, d, "torch") for d in devices]
            + [timed_method(video, tmp, "seed", args.seg_seed_repeats, "cpu")],
        }
        opencv = speed["runs"][0]["detections"]
        for row in speed["runs"]:  # the torch detector must find exactly what OpenCV's finds
            found = row.pop("detections")
            row["same_detections_as_opencv"] = found == opencv if row["method"] == "fast" else None
        quality = []
        for seed in QUALITY_SEEDS[: args.quality_episodes]:
            clip = tmp / f"quality-{seed}.mp4"
            write_episode(clip, seconds=args.quality_seconds, seed=seed, progress=True)
            _, result = run_segment(clip, tmp / f"quality-{seed}.json", "fast", tmp / "data")
            quality.append({"seed": seed, "seconds": args.quality_seconds,
                            "score": evaluate_segmentation(result, load_truth(truth_path(clip))).as_json()})
        aim = target(tmp, args.target_repeats)
    return {"speed": speed, "quality": quality, "target": aim}


def _metrics_cells(metrics: dict) -> str:
    return (f"{metrics['precision']:.3f} | {metrics['recall']:.3f} | {metrics['emotion_accuracy']:.3f} | "
            f"{metrics['event_recall']:.3f} ({metrics['events_recalled']}/{metrics['events']})")


def render(figures: dict) -> list[str]:
    speed, quality = figures["speed"], figures["quality"]
    ep = speed["episode"]
    runs = {(r["method"], r["device"], r.get("detector", "opencv")): r for r in speed["runs"]}
    fast, seed = runs[("fast", "cpu", "opencv")], runs[("seed", "cpu", "opencv")]
    real_time = ep["fps"]
    lines = [
        f"### Speed: `fast` beside `seed` on one {ep['width']}x{ep['height']} episode",
        "",
        f"A {ep['seconds']:.0f} s studio episode ({ep['frame_count']} frames at {ep['fps']:g} fps, {ep['shots']} "
        f"shots, seed {ep['seed']}). Each run is a fresh `manage.py segment` process timed from start to exit, so "
        "start-up (Python, Django, torch, the CNN, the cascades) is included; median of the runs shown.",
        "",
        "| method @ device, detector | runs | wall s | frames/s | x real time | frames/s without start-up "
        "| analysed frames | precision | recall | emotion acc. | event recall |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in speed["runs"]:
        lines.append(
            f"| `{row['method']}` @ {row['device']}, {row.get('detector', 'opencv')} | {row['runs']} | "
            f"{row['wall_seconds']:.1f} | "
            f"{row['frames_per_second']:.0f} | {row['frames_per_second'] / real_time:.1f} | "
            f"{row['in_process_frames_per_second']:.0f} | {row['analysed']} | {_metrics_cells(row['score'])} |"
        )
    lines += [
        f"| decoding alone (the ceiling) | {speed['decode_runs']} | | "
        f"{speed['decode_fps']:.0f} | {speed['decode_fps'] / real_time:.1f} | | | | | | |",
        "",
        f"`fast` / `seed` throughput, same run: **{fast['frames_per_second'] / seed['frames_per_second']:.1f}x**, "
        f"with event recall {fast['score']['event_recall']:.3f} against {seed['score']['event_recall']:.3f}. "
        f"`fast` runs at {fast['frames_per_second'] / real_time:.1f}x real time on this machine, start-up included.",
        "",
    ]
    torch_cpu = runs.get(("fast", "cpu", "torch (cpu)"))
    if torch_cpu:
        same = "the very same detections as" if torch_cpu["same_detections_as_opencv"] else "other detections than"
        ratio = torch_cpu["in_process_frames_per_second"] / fast["in_process_frames_per_second"]
        lines += [
            f"`fast` with `--detector torch` on the CPU (`toonvision/torch_detection.py`, detectMultiScale in torch) "
            f"gave {same} `--detector opencv`, at {ratio:.2f}x its processing speed: on a CPU OpenCV's detector "
            "is faster, so `auto` keeps it there; the torch detector "
            "is for CUDA workers.",
            "",
        ]
    if not any(r["device"] == "cuda" for r in speed["runs"]):
        lines += ["No GPU on the measuring machine, so no GPU row.", ""]
    if figures.get("target"):
        lines += _render_target(figures["target"])
    lines += [
        "### Quality of `fast` on unseen episodes",
        "",
        "Faces matched at IoU >= 0.5 with the same character on the analysed frames; emotion accuracy on matched "
        "faces; event recall = share of truth spans (one character, one emotion, >= 0.5 s) with a matching "
        "detection of the right emotion.",
        "",
        "| episode seed | seconds | precision | recall | emotion acc. | event recall |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in quality:
        lines.append(f"| {row['seed']} | {row['seconds']:.0f} | {_metrics_cells(row['score'])} |")
    return lines


def _render_target(aim: dict) -> list[str]:
    ep, fast = aim["episode"], aim["fast"]
    reached = fast["frames_per_second"] >= aim["target_fps"]
    lines = [
        f"### `fast` against the {aim['target_fps']:,} frames/s target",
        "",
        f"A {ep['seconds']:.0f} s {ep['width']}x{ep['height']} studio episode ({ep['frame_count']} frames, "
        f"{ep['shots']} shots, seed {ep['seed']}), segmented in the benchmark's own process the way `segment` times "
        "itself (no start-up), taking turns with decoding alone on the same file; median of "
        f"{aim['runs']} runs each. Cores busy: the process's CPU time over the wall time ({aim['cores']} cores).",
        "",
        "| run | frames/s | runs | of the target | cores busy |",
        "| --- | --- | --- | --- | --- |",
    ]
    names = {"fast": "`fast` (processing)", "decode": "decoding every frame, with its luma (the ceiling)",
             "fast_decode": "decoding as `fast` does (one thread; frames off the grid that nothing refers to skipped)"}
    for key, name in names.items():
        row = aim[key]
        each = ", ".join(map(str, row["runs_frames_per_second"]))
        lines.append(f"| {name} | {row['frames_per_second']:.0f} | {each} "
                     f"| {row['frames_per_second'] / aim['target_fps']:.2f} | {row['cores_busy']:.2f} |")
    lines += [
        "",
        f"`fast` analysed {fast['analysed']} frames: {_metrics_cells(fast['score']).replace(' | ', ', ')} (precision, "
        f"recall, emotion accuracy, event recall). The target is **{'reached' if reached else 'not reached'}** "
        f"in this run: {fast['frames_per_second']:.0f} frames/s, "
        f"{fast['frames_per_second'] / aim['decode']['frames_per_second']:.2f}x decoding every frame alone.",
        "",
    ]
    return lines
