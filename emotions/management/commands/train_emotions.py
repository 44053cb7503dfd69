"""Train the emotion CNN on a face dataset (from scratch, or fine-tuning existing weights), or rerun the
dissertation's optimiser comparison."""
import json

from django.core.management.base import CommandError

from emotions.management.base import ToonCommand
from toonvision.finetuning import fine_tune
from toonvision.inference import read_checkpoint
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
        parser.add_argument("--arch", choices=sorted(PRESETS), help="model preset (default toon; with --from, the "
                                                                    "weights' own)")
        parser.add_argument("--from", dest="from_weights", metavar="WEIGHTS",
                            help="fine-tune these weights instead of starting from scratch (toonvision.finetuning: "
                                 "their preset, 60 epochs, BatchNorm statistics frozen)")
        parser.add_argument("--mix", metavar="DIR",
                            help="with --from: faces the model already reads (e.g. studio faces), mixed into every "
                                 "epoch so that learning the new does not forget the old")
        parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), help="default: the preset's")
        parser.add_argument("--epochs", type=int, help="default: the preset's")
        parser.add_argument("--batch-size", type=int, help="default: the preset's")
        parser.add_argument("--lr", type=float, help="learning rate; default: the optimiser's")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--device", help="cuda or cpu; default: CUDA when present")
        parser.add_argument("--compare-optimizers", action="store_true", help="rerun the five-optimiser experiment")
        parser.add_argument("--runs", type=int, default=3, help="runs per optimiser with --compare-optimizers")

    def handle(self, *args, **options):
        if options["from_weights"]:
            self.write_result(self.fine_tune(options))
            return
        if options["mix"]:
            raise CommandError("--mix rehearses what existing weights know: use it with --from WEIGHTS")
        options["arch"] = options["arch"] or "toon"
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
        self.write_result(result)

    def fine_tune(self, options):
        if options["compare_optimizers"]:
            raise CommandError("--compare-optimizers trains from scratch; leave out --from")
        weights = read_checkpoint(options["from_weights"])  # a clear message for a missing or foreign file
        if options["arch"] and options["arch"] != weights["arch"]:
            raise CommandError(f"--arch {options['arch']} does not fit {options['from_weights']}: its preset is "
                               f"{weights['arch']} (with --from the preset is read from the weights)")
        return fine_tune(options["dataset"], options["out"], options["from_weights"], rehearsal_dir=options["mix"],
                         epochs=options["epochs"], optimizer=options["optimizer"], lr=options["lr"],
                         seed=options["seed"], device=options["device"], log=self.stderr.write)

    def write_result(self, result):
        written = {"weights": result.weights, "report": result.report_path, "curves": result.curves_path,
                   "confusion": result.confusion_path}
        self.stdout.write(json.dumps({"accuracy": result.accuracy, "macro_f1": result.macro_f1,
                                      **{name: str(path) for name, path in written.items()}}, indent=2))
