"""Evaluate emotion weights on a labelled dataset and print the metrics."""
import json

from emotions.management.base import ToonCommand
from emotions.services.classifier import classifier_load
from toonvision.datasets import load_dataset
from toonvision.evaluation import evaluate


class Command(ToonCommand):
    help = "Evaluate emotion weights on every image of a dataset (restricted to the emotions it holds)."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--weights", help="default: the active model, else EMOTION_WEIGHTS")
        parser.add_argument("--device", help="cuda or cpu; default: TORCH_DEVICE, else CUDA when present")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        classifier = classifier_load(weights=options["weights"], device=options["device"])
        dataset = load_dataset(options["dataset"])
        metrics = evaluate(classifier, dataset)
        for path, reason in dataset.skipped:  # found while listing and while decoding
            self.stderr.write(f"skipped {path}: {reason}")
        if options["json"]:
            self.stdout.write(json.dumps(metrics))
            return
        self.stdout.write(f"accuracy {metrics['accuracy']:.4f}  macro F1 {metrics['macro_f1']:.4f}  n {metrics['n']}")
        for emotion, row in metrics["per_class"].items():
            self.stdout.write(f"  {emotion:9s} precision {row['precision']:.3f} recall {row['recall']:.3f} "
                              f"f1 {row['f1']:.3f} n {row['n']}")
