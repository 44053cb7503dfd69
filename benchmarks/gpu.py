"""Every CUDA check in one run, for a GPU machine lent for a few minutes (its Python has torch, OpenCV and numpy but
not Django, so this imports the vision core only):

    python -m benchmarks.gpu --out $OUT/gpu.json              # on the GPU machine: each step on CUDA beside the CPU
    python -m benchmarks.gpu --device cpu --quick --out x.json  # here: the same steps, small, to test the script

Each step times the device beside the CPU in the same run and records what it measured, or the error that stopped
it (one failing step does not lose the others):
- decode: `decode_frames` frames/s at 480p and 1080p on the CPU, and GPU decoding where a decoder is importable
  (torchcodec's NVDEC); where none is, it says so;
- detect: the torch detector (`torch_detection.py`) on the device against OpenCV on the CPU, on the fast path's
  full scan of shrunk frames: share of OpenCV's faces found either way (IoU >= 0.5) and frames/s;
- cnn: `predict_proba` faces/s at batch 256, float32 and bfloat16;
- segment: `segment_video --method fast` on a 480p and a 1080p episode with the torch detector and the CNN on the
  device, against OpenCV and the CNN on the CPU: processing frames/s and the faces found;
- cascade: `train_character` (a guest from 20 marked faces), seconds on the device and on the CPU;
- finetune: `fine_tune` from the shipped weights on 10 labels per emotion of the line-art look, seconds and the
  look's accuracy after, on the device and on the CPU.
The figures go into BENCHMARKS.md by hand, with the command and the card; this script writes nothing else.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "emotions" / "weights" / "toon.pt"
CASCADES = ROOT / "cascades"
EPISODE_SEED, GUEST_SEED, LABEL_SEED, TEST_SEED = 6001, 300, 9400, 9100  # none used for training data
GUEST_EPISODES = 10  # the guest's episodes whose frames, its faces blanked, are the cascade's negatives


def timed(work, repeats: int = 3) -> tuple[float, object]:
    """Median wall seconds over repeats (after one untimed run), and the last run's result."""
    work()
    seconds, out = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        out = work()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), out


def episodes(folder: Path, quick: bool) -> dict[str, Path]:
    from toonvision.studio.episode import write_episode

    sizes = {"480p": (854, 480, 4 if quick else 60), "1080p": (1920, 1080, 2 if quick else 20)}
    paths = {}
    for name, (width, height, seconds) in sizes.items():
        paths[name] = folder / f"{name}.mp4"
        write_episode(paths[name], seconds=seconds, seed=EPISODE_SEED, width=width, height=height)
    return paths


def decode_step(videos: dict[str, Path], device: str) -> dict:
    from toonvision.video import decode_frames

    rows = {}
    for name, path in videos.items():
        seconds, frames = timed(lambda p=path: sum(1 for f in decode_frames(p) if f.gray() is not None))
        rows[name] = {"frames": frames, "cpu_frames_per_second": frames / seconds}
        try:
            from torchcodec.decoders import VideoDecoder  # NVDEC where torchcodec is installed
        except ImportError as error:
            rows[name]["gpu"] = f"no GPU decoder here ({error})"
            continue
        def gpu_decode(p=path):
            decoder = VideoDecoder(str(p), device=device)
            return sum(len(batch) for batch in (decoder[i:i + 64] for i in range(0, len(decoder), 64)))
        seconds, frames = timed(gpu_decode)
        rows[name]["gpu_frames_per_second"] = frames / seconds
    return rows


def detect_step(videos: dict[str, Path], device: str) -> dict:
    import cv2

    from toonvision.detection import CharacterDetector, DetectionParams, read_cast
    from toonvision.torch_detection import TorchCharacterDetector
    from toonvision.tracking import iou_pairs
    from toonvision.video import decode_frames

    grays = [f.gray() for f in decode_frames(videos["480p"]) if f.index % 4 == 0]
    small = [cv2.resize(g, None, fx=512 / g.shape[1], fy=512 / g.shape[1], interpolation=cv2.INTER_AREA)
             for g in grays]
    params = DetectionParams(scale_factor=1.2, min_neighbors=1, min_size=24)  # fast's full scan
    rows = {}
    for slug, entry in read_cast(CASCADES).items():
        opencv = CharacterDetector.load(slug, entry.cascade_path)
        ours = TorchCharacterDetector.load(slug, entry.cascade_path, device=device)
        cpu_seconds, theirs = timed(lambda o=opencv: [o.detect(g, params) for g in small])
        dev_seconds, found = timed(lambda t=ours: [b for i in range(0, len(small), 16)
                                                   for b, _ in t.detect_batch(small[i:i + 16], params)])
        matched = sum(iou_pairs(a, b) for a, b in zip(theirs, found))
        count_theirs, count_ours = sum(map(len, theirs)), sum(map(len, found))
        rows[slug] = {"frames": len(small), "opencv_faces": count_theirs, "torch_faces": count_ours,
                      "share_of_opencv_found": matched / max(count_theirs, 1),
                      "share_of_torch_in_opencv": matched / max(count_ours, 1),
                      "opencv_cpu_frames_per_second": len(small) / cpu_seconds,
                      "torch_frames_per_second": len(small) / dev_seconds}
    return rows


def cnn_step(device: str) -> dict:
    from toonvision.inference import EmotionClassifier
    from toonvision.speed import measure_inference

    faces = np.random.default_rng(0).integers(0, 256, (256, 64, 64, 3), dtype=np.uint8)
    rows = {}
    for where in dict.fromkeys(["cpu", device]):
        for precision in ("fp32", "bf16"):
            classifier = EmotionClassifier.load(WEIGHTS, device=where, precision=precision)
            rows[f"{where} {precision}"] = measure_inference(classifier, faces, 256, repeats=10)
    return rows


def segment_step(videos: dict[str, Path], device: str) -> dict:
    from toonvision.detection import load_cast
    from toonvision.inference import EmotionClassifier
    from toonvision.segmentation import segment_video

    detectors = load_cast(CASCADES)
    rows = {}
    for name, path in videos.items():
        for where, detector in dict.fromkeys([("cpu", "opencv"), (device, "torch")]):
            classifier = EmotionClassifier.load(WEIGHTS, device=where)
            seconds, result = timed(lambda c=classifier, d=detector, p=path: segment_video(
                p, detectors, c, method="fast", detector=d), repeats=1)
            rows[f"{name} {where} {detector}"] = {
                "frames": result.frame_count, "faces": len(result.detections), "detector": result.detector,
                "frames_per_second": result.frame_count / result.seconds, "wall_seconds": seconds}
    return rows


def cascade_step(folder: Path, device: str, quick: bool) -> dict:
    from toonvision.cascade_training.character import (
        CharacterExamples,
        CharacterTrainingOptions,
        blank_faces,
        train_character,
    )
    from toonvision.studio.cascade_data import marked_faces, star_frames

    positives = marked_faces("bramble", 20, seed=GUEST_SEED, per_episode=2)  # 20 faces as a person marks them
    negatives = [blank_faces(frame, [x["box"] for x in faces if x["character"] == "bramble"])
                 for episode in range(GUEST_EPISODES) for frame, faces in star_frames(
                     "bramble", seed=GUEST_SEED + episode, count=6)]
    examples = CharacterExamples(positives, negatives)
    rows = {}
    for where in dict.fromkeys(["cpu", device]):
        options = CharacterTrainingOptions(device=where, **({"stages": 4, "positive_windows": 160} if quick else {}))
        began = time.perf_counter()
        train_character("bramble", examples, folder / f"bramble-{where}.xml", options)
        rows[where] = {"seconds": time.perf_counter() - began, "stages": options.stages}
    return rows


def finetune_step(folder: Path, device: str, quick: bool) -> dict:
    from toonvision.evaluation import evaluate
    from toonvision.finetuning import fine_tune
    from toonvision.inference import EmotionClassifier
    from toonvision.studio import write_face_dataset

    labels, test = folder / "labels", folder / "test"
    write_face_dataset(labels, per_class=10, seed=LABEL_SEED, characters=["extras"], look="line-art")
    write_face_dataset(test, per_class=4 if quick else 20, seed=TEST_SEED, look="line-art")
    rows = {}
    for where in dict.fromkeys(["cpu", device]):
        out = folder / f"tuned-{where}.pt"
        began = time.perf_counter()
        fine_tune(labels, out, WEIGHTS, epochs=3 if quick else None, device=where, progress=False,
                  log=lambda line: None)
        rows[where] = {"seconds": time.perf_counter() - began,
                       "line_art_accuracy": evaluate(EmotionClassifier.load(out, device="cpu"), test)["accuracy"]}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the JSON of every step")
    parser.add_argument("--device", default="cuda", help="the device beside the CPU (default cuda)")
    parser.add_argument("--quick", action="store_true", help="small episodes and trainings: a test of the script")
    parser.add_argument("--only", nargs="+", help="some steps: decode detect cnn segment cascade finetune")
    args = parser.parse_args()
    figures = {"machine": {"python": platform.python_version(), "torch": torch.__version__,
                           "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
                           "cpus": __import__("os").cpu_count()}, "device": args.device, "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="toonsite-gpu-") as tmp:
        folder = Path(tmp)
        videos = episodes(folder, args.quick)
        steps = {"decode": lambda: decode_step(videos, args.device), "detect": lambda: detect_step(videos, args.device),
                 "cnn": lambda: cnn_step(args.device), "segment": lambda: segment_step(videos, args.device),
                 "cascade": lambda: cascade_step(folder, args.device, args.quick),
                 "finetune": lambda: finetune_step(folder, args.device, args.quick)}
        for name, step in steps.items():
            if args.only and name not in args.only:
                continue
            began = time.perf_counter()
            try:
                figures[name] = step()
            except Exception as error:  # record it and go on: a lease is too short to lose the other steps
                figures[name] = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()[-2000:]}
            print(f"{name}: {time.perf_counter() - began:.1f} s", flush=True)
            args.out.write_text(json.dumps(figures, indent=2))  # after every step: a cut-off run keeps the rest


if __name__ == "__main__":
    main()
