"""The emotion CNN section of `make bench`: the presets' accuracy, speed and the optimiser experiment.

Every figure is measured in this one run on this machine: accuracies of the shipped weights on studio faces
drawn with a seed never used in training, training seconds per epoch and inference faces per second (medians
over repeats, after a warm-up). Ratios compare our `toon` preset with the dissertation's `seed` preset measured
side by side, since absolute timings on shared machines are noisy.
"""
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from benchmarks.adapting import scores
from toonvision.datasets import load_arrays, load_dataset
from toonvision.emotions import DISSERTATION_EMOTIONS, EMOTIONS
from toonvision.evaluation import evaluate
from toonvision.inference import EmotionClassifier
from toonvision.models import get_preset
from toonvision.speed import measure_speed
from toonvision.studio import write_face_dataset
from toonvision.studio.cast import CHARACTERS, GUESTS
from toonvision.studio.dataset import draw_face_image, sample_rng
from toonvision.training import compare_optimizers, optimizer_table

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"toon": ROOT / "emotions" / "weights" / "toon.pt", "seed": ROOT / "emotions" / "weights" / "seed.pt"}
UNSEEN_SEED = 4242  # never used to draw training faces (those use seed 1; see scripts/train_weights.sh)


def accuracy_table(faces: Path) -> dict:
    """Each shipped preset on the unseen faces: all seven emotions, and the dissertation's three."""
    dataset = load_dataset(faces)
    three = load_dataset(faces)
    three.samples = [s for s in three.samples if s.emotion in DISSERTATION_EMOTIONS]
    three.classes = list(DISSERTATION_EMOTIONS)
    results = {}
    for arch, path in WEIGHTS.items():
        classifier = EmotionClassifier.load(path, device="cpu")
        results[arch] = {"seven": evaluate(classifier, dataset), "three": evaluate(classifier, three),
                         "trained": classifier.info}
    return results


# Faces no shipped weights were trained on: the guests (identities no training set holds, studio style), and the
# cast redrawn in the looks the "Adapting to a new style" section adapts to (never in any training set).
UNSEEN_KINDS = {"guests": (tuple(GUESTS), "studio"), "line-art look": (CHARACTERS, "line-art"),
                "poster look": (CHARACTERS, "poster")}


def write_unseen_faces(folder: Path, characters, look: str, per_class: int) -> Path:
    """per_class faces of every character and emotion in ``look`` (the studio style, seed UNSEEN_SEED), written
    in the loader's emotion/ layout so that `evaluate` scores them as it scores every other test set."""
    for emotion in EMOTIONS:
        (folder / emotion).mkdir(parents=True, exist_ok=True)
        for character in characters:
            for i in range(per_class):
                face = draw_face_image(_rng(character, emotion, i), character, emotion, look=look)
                if not cv2.imwrite(str(folder / emotion / f"{character}-{i:03d}.png"), face):
                    raise OSError(f"could not write a face under {folder}")
    return folder


def _rng(character: str, emotion: str, index: int) -> np.random.Generator:
    """The dataset's generator for the cast; for a guest (which datasets never draw), one keyed the same way."""
    if character in CHARACTERS:
        return sample_rng(UNSEEN_SEED, character, emotion, index)
    return np.random.default_rng([UNSEEN_SEED, 100 + list(GUESTS).index(character), EMOTIONS.index(emotion), index])


def accuracy_beyond_studio(root: Path, per_class: int) -> dict:
    """Each shipped preset's accuracy (seven emotions; the dissertation's three) on faces it was never trained on."""
    results = {}
    for kind, (characters, look) in UNSEEN_KINDS.items():
        folder = write_unseen_faces(root / kind, characters, look, per_class)
        n = len(characters) * len(EMOTIONS) * per_class
        for arch, path in WEIGHTS.items():
            results.setdefault(arch, {})[kind] = {**scores(path, folder), "n": n}
    return results


def speed_table(faces: Path, devices: list[str], epochs: int, repeats: int) -> dict:
    results = {}
    for arch in ("seed", "toon"):
        images, labels = load_arrays(load_dataset(faces), get_preset(arch).input_size)
        for device in devices:
            results[f"{arch}@{device}"] = measure_speed(
                arch, images, labels, epochs=epochs, repeats=repeats, device=device
            )
    results["n_images"] = len(images)
    return results


def ratio_line(device: str, seed: dict, toon: dict) -> str:
    """toon / seed ratios from one run, the figures that survive a noisy shared machine."""
    train = toon["train"]["seconds_per_epoch"] / seed["train"]["seconds_per_epoch"]
    def throughput(row: dict, batch: int) -> float:
        return row["inference"][f"batch_{batch}"]["faces_per_second"]

    infer = {b: throughput(toon, b) / throughput(seed, b) for b in (1, 256)}
    return (f"Ratios on {device}, `toon` / `seed`, same run: training time per epoch {train:.2f}x; inference "
            f"throughput {infer[256]:.2f}x at batch 256 and {infer[1]:.2f}x at batch 1.")


def optimizer_experiment(root: Path, per_class: int, epochs: int, runs: int) -> dict:
    """The dissertation's experiment: the `seed` preset, five optimisers, several runs, its three emotions."""
    faces = root / "three"
    write_face_dataset(faces, per_class=per_class, seed=UNSEEN_SEED + 2, emotions=DISSERTATION_EMOTIONS, progress=True)
    return compare_optimizers(faces, root / "optimizers", arch="seed", runs=runs, epochs=epochs, device="cpu")


def render(figures: dict) -> list[str]:
    accuracy, speed, optimizers, n_eval = (figures[k] for k in ("accuracy", "speed", "optimizers", "n_eval"))
    lines = [
        "### Emotion accuracy of the shipped weights",
        "",
        f"{n_eval} studio faces drawn with seed {UNSEEN_SEED} (never used in training; the weights were trained on "
        "seed-1 faces by `make weights`), all three characters. Seven emotions, and the dissertation's "
        "three-emotion task (predictions restricted to angry / happy / surprise).",
        "",
        "| preset | accuracy (7) | macro F1 (7) | accuracy (3) | trained epochs | training faces |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for arch, row in accuracy.items():
        seven, three, trained = row["seven"], row["three"], row["trained"]
        lines.append(f"| `{arch}` | {seven['accuracy']:.4f} | {seven['macro_f1']:.4f} | {three['accuracy']:.4f} | "
                     f"{trained.get('epochs')} | {trained.get('n_train')} |")
    lines += ["", "Per emotion (`toon`, seven emotions): " + ", ".join(
        f"{name} {m['f1']:.3f}" for name, m in accuracy["toon"]["seven"]["per_class"].items()) + " (F1).", ""]
    beyond = figures.get("beyond")
    if beyond:
        kinds = list(next(iter(beyond.values())))
        n = next(iter(beyond.values()))[kinds[0]]["n"]
        lines += [
            "Beyond the studio's own drawing: the same weights on faces no training set holds (seed "
            f"{UNSEEN_SEED}, {n} faces each): the guests (bramble, juniper, clover: identities never drawn for "
            "training, studio style), and the cast redrawn in the line-art and poster looks (`synth_faces --look`, "
            "never in a training set; the looks \"Adapting to a new style\" fine-tunes to). Seven emotions / three.",
            "", "| preset | " + " | ".join(kinds) + " |", "| --- | " + " | ".join("---" for _ in kinds) + " |"]
        for arch, row in beyond.items():
            lines.append(f"| `{arch}` | " + " | ".join(
                f"{row[k]['seven']:.3f} / {row[k]['three']:.3f}" for k in kinds) + " |")
        lines.append("")
    lines += [
        "### Speed",
        "",
        f"Training: median seconds per epoch over {speed['n_images']} faces at each preset's batch size, with its "
        "augmentation and optimiser. Inference: median faces per second of `EmotionClassifier.predict_proba` "
        "(resizing and normalisation included) at batch 1 and 256, in the precision `EMOTION_PRECISION=auto` picks "
        "on this machine (bfloat16 autocast where the CPU or GPU does it natively), and in float32 beside it.",
        "",
        "| preset @ device | parameters | weights (KB) | train s/epoch | train faces/s | precision | "
        "infer faces/s, batch 1 | infer faces/s, batch 256 | float32, batch 1 | float32, batch 256 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, row in speed.items():
        if key == "n_images":
            continue
        exact = row.get("inference_fp32") or row["inference"]
        lines.append(f"| `{key}` | {row['parameters']:,} | {row['weights_bytes'] / 1024:.0f} | "
                     f"{row['train']['seconds_per_epoch']:.2f} | {row['train']['images_per_second']:.0f} | "
                     f"{row.get('precision', 'fp32')} | "
                     f"{row['inference']['batch_1']['faces_per_second']:.0f} | "
                     f"{row['inference']['batch_256']['faces_per_second']:.0f} | "
                     f"{exact['batch_1']['faces_per_second']:.0f} | {exact['batch_256']['faces_per_second']:.0f} |")
    for device in sorted({key.split("@")[1] for key in speed if "@" in key}):
        lines += ["", ratio_line(device, speed[f"seed@{device}"], speed[f"toon@{device}"])]
    table = "\n".join(line for line in optimizer_table(optimizers).splitlines() if line.startswith("|"))
    lines += ["", "### The dissertation's optimiser experiment", "",
              f"The `seed` preset trained with each of the five optimisers the dissertation compared, "
              f"{optimizers['runs']} runs each (different splits and initialisations), {optimizers['epochs']} epochs, "
              f"on {optimizers['dataset']['n']} studio faces of its three emotions (happy / angry / surprise), "
              "80/20 split, best first:", "", table, ""]
    return lines


def add_arguments(parser) -> None:
    group = parser.add_argument_group("emotion CNN")
    group.add_argument("--eval-per-class", type=int, default=50, help="unseen faces per character and emotion")
    group.add_argument("--beyond-per-class", type=int, default=20,
                       help="guest and other-look faces per character and emotion")
    group.add_argument("--speed-per-class", type=int, default=100, help="faces per character and emotion to train on")
    group.add_argument("--epochs", type=int, default=3, help="timed training epochs (median reported)")
    group.add_argument("--repeats", type=int, default=20, help="timed inference repeats (median reported)")
    group.add_argument("--optimizer-per-class", type=int, default=60, help="faces per character and emotion")
    group.add_argument("--optimizer-epochs", type=int, default=15)
    group.add_argument("--optimizer-runs", type=int, default=3)


def measure(args) -> dict:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    with tempfile.TemporaryDirectory(prefix="toonsite-bench-") as tmp:
        eval_faces = Path(tmp) / "eval"
        write_face_dataset(eval_faces, per_class=args.eval_per_class, seed=UNSEEN_SEED, progress=True)
        speed_faces = Path(tmp) / "speed"
        write_face_dataset(speed_faces, per_class=args.speed_per_class, seed=UNSEEN_SEED + 1, progress=True)
        accuracy = accuracy_table(eval_faces)
        beyond = accuracy_beyond_studio(Path(tmp) / "beyond", args.beyond_per_class)
        speed = speed_table(speed_faces, devices, args.epochs, args.repeats)
        optimizers = optimizer_experiment(Path(tmp), args.optimizer_per_class, args.optimizer_epochs,
                                          args.optimizer_runs)
    return {"accuracy": accuracy, "beyond": beyond, "speed": speed, "optimizers": optimizers,
            "n_eval": accuracy["toon"]["seven"]["n"]}


