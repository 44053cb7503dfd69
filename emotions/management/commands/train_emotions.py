"""Train the emotion CNN on a face dataset, or rerun the dissertation's optimiser comparison."""
import json

from emotions.management.base import ToonCommand
from toonvision.models import PRESETS
from toonvision.training import OPTIMIZERS, compare_optimizers, train


class Command(ToonCommand):
    help = (
        "Train the emotion CNN (80/20 split unless the dataset has its own test split). Writes the weights, "
        "a JSON report, learning curves and a confusion matrix. With --compare-optimizers, --out is a folder "
        "that receives the dissertation's optimiser table."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True,
                            help="DIR/<emotion>/*, DIR/<character>/<emotion>/* or the dissertation's layout")
        parser.add_argument("--out", required=True, help="weights file to write (a folder with --compare-optimizers)")
        parser.add_argument("--arch", choices=sorted(PRESETS), default="toon", help="model preset")
        parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), help="default: the preset's")
        parser.add_argument("--epochs", type=int, help="default: the preset's")
        parser.add_argument("--batch-size", type=int, help="default: the preset's")
        parser.add_argument("--lr", type=float, help="learning rate; default: the optimiser's")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--device", help="cuda or cpu; default: CUDA when present")
        parser.add_argument("--compare-optimizers", action="store_true", help="rerun the five-optimiser experiment")
        parser.add_argument("--runs", type=int, default=3, help="runs per optimiser with --compare-optimizers")

    def handle(self, *args, **options):
        common = dict(arch=options["arch"], epochs=options["epochs"], seed=options["seed"], device=options["device"])
        if options["compare_optimizers"]:
            table = compare_optimizers(options["dataset"], options["out"], runs=options["runs"], **common)
            self.stdout.write(json.dumps(table, indent=2))
            return
        result = train(
            options["dataset"],
            options["out"],
            optimizer=options["optimizer"],
            batch_size=options["batch_size"],
            lr=options["lr"],
            log=self.stderr.write,
            **common,
        )
        written = {"weights": result.weights, "report": result.report_path, "curves": result.curves_path,
                   "confusion": result.confusion_path}
        self.stdout.write(json.dumps({"accuracy": result.accuracy, "macro_f1": result.macro_f1,
                                      **{name: str(path) for name, path in written.items()}}, indent=2))
