"""The "Adapting to a new style" section of `make bench`: how the shipped weights read faces drawn in a look they
never saw in training, and how much fine-tuning (`train_emotions --from`) on a few labelled faces of it helps.

The looks (`synth_faces --look`, toonvision/studio/looks.py) redraw studio faces the way another artist might;
the shipped weights were trained on the studio's own look only. For each look and each number of labels per
emotion, the labelled faces are extras drawn with a seed used for nothing else; the test faces are every
character in that look with another seed (never labelled), and the ordinary studio test (seed 4242, as the CNN
section) checks that nothing is forgotten. Fine-tuning rehearses studio faces drawn with the training seed.
"""
import tempfile
import time
from pathlib import Path

from toonvision.datasets import load_dataset
from toonvision.emotions import DISSERTATION_EMOTIONS
from toonvision.evaluation import evaluate
from toonvision.finetuning import fine_tune
from toonvision.inference import EmotionClassifier
from toonvision.studio import write_face_dataset

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "emotions" / "weights" / "toon.pt"
LABEL_SEED, TEST_SEED, STUDIO_TEST_SEED, REHEARSAL_SEED = 9400, 9100, 4242, 1


def add_arguments(parser) -> None:
    group = parser.add_argument_group("adapting")
    group.add_argument("--adapt-looks", nargs="+", default=["line-art", "poster"], help="looks to adapt to")
    group.add_argument("--adapt-labels", nargs="+", type=int, default=[5, 10, 20], help="labels per emotion")
    group.add_argument("--adapt-test-per-class", type=int, default=20, help="test faces per character and emotion")


def scores(weights: Path, folder: Path) -> dict:
    """Accuracy over all seven emotions and over the dissertation's three."""
    classifier = EmotionClassifier.load(weights, device="cpu")
    three = load_dataset(folder)
    three.samples = [s for s in three.samples if s.emotion in DISSERTATION_EMOTIONS]
    three.classes = list(DISSERTATION_EMOTIONS)
    return {"seven": evaluate(classifier, folder)["accuracy"], "three": evaluate(classifier, three)["accuracy"]}


def measure(args) -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="toonsite-adapting-") as tmp:
        root = Path(tmp)
        studio_test, rehearsal = root / "studio-test", root / "rehearsal"
        write_face_dataset(studio_test, per_class=args.adapt_test_per_class, seed=STUDIO_TEST_SEED)
        write_face_dataset(rehearsal, per_class=20, seed=REHEARSAL_SEED)
        studio_before = scores(SHIPPED, studio_test)
        for look in args.adapt_looks:
            test = root / f"test-{look}"
            write_face_dataset(test, per_class=args.adapt_test_per_class, seed=TEST_SEED, look=look)
            before = scores(SHIPPED, test)
            for labels in args.adapt_labels:
                labelled = root / f"labels-{look}-{labels}"
                write_face_dataset(labelled, per_class=labels, seed=LABEL_SEED, characters=["extras"], look=look)
                out = root / f"{look}-{labels}.pt"
                print(f"fine-tuning on {labels} {look} faces per emotion", flush=True)
                started = time.perf_counter()
                fine_tune(labelled, out, SHIPPED, rehearsal_dir=rehearsal, progress=False, log=lambda line: None)
                seconds = time.perf_counter() - started
                rows.append({"look": look, "labels": labels, "before": before, "after": scores(out, test),
                             "studio_after": scores(out, studio_test), "seconds": seconds})
    return {"rows": rows, "studio_before": studio_before, "test_per_class": args.adapt_test_per_class}


def render(figures: dict) -> list[str]:
    studio = figures["studio_before"]
    lines = [
        "The shipped `toon` weights on faces drawn in looks they never saw (`synth_faces --look`), before and after "
        "`train_emotions --from emotions/weights/toon.pt --mix STUDIO_FACES` on N labelled faces per emotion of that "
        "look (extras, seed 9400; the defaults: 60 epochs, BatchNorm frozen, 140 studio faces rehearsed). Tested on "
        f"{figures['test_per_class']} faces per character and emotion of the look (seed 9100, never labelled), and "
        f"on the ordinary studio test (seed 4242: {studio['seven']:.3f} before). Seven emotions, and the "
        "dissertation's three (angry / happy / surprise).",
        "",
        "| look | labels per emotion | look, before (7 / 3) | look, after (7 / 3) | studio after (7 / 3) | seconds |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in figures["rows"]:
        b, a, s = row["before"], row["after"], row["studio_after"]
        lines.append(f"| {row['look']} | {row['labels']} | {b['seven']:.3f} / {b['three']:.3f} | "
                     f"{a['seven']:.3f} / {a['three']:.3f} | {s['seven']:.3f} / {s['three']:.3f} | "
                     f"{row['seconds']:.0f} |")
    lines += ["", "Fine-tuning ran on the CPU (no GPU was lent to the session that measured this)."]
    return lines
