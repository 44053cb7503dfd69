"""Teach the site a new character from folders: a cascade and its detection parameters from a few marked faces."""
import json
from pathlib import Path

from tqdm import tqdm

from emotions.management.base import ToonCommand
from toonvision.cascade_training.character import (
    MIN_EXAMPLES,
    RECOMMENDED_EXAMPLES,
    CharacterExamples,
    CharacterTrainingOptions,
    train_character,
)
from toonvision.cascade_training.samples import read_colour_images
from toonvision.detection import check_character_name


class Command(ToonCommand):
    help = (
        f"Train a character's face detector from a folder of its face crops (any size, RGB or RGBA; at least "
        f"{MIN_EXAMPLES}, {RECOMMENDED_EXAMPLES}+ recommended) and optional folders of images without it. Writes "
        "FILE.xml (an OpenCV cascade) and FILE.json ({character, detection, report}) together, when training ends."
    )

    def add_arguments(self, parser):
        defaults = CharacterTrainingOptions()
        parser.add_argument("name", metavar="NAME", help="the character's slug: lower-case letters, digits, - or _")
        parser.add_argument("--examples", required=True, metavar="DIR", help="folder of the character's face crops")
        parser.add_argument("--negatives", action="append", metavar="DIR",
                            help="folder of images with no face of the character; repeat for more "
                                 "(default: generic clutter)")
        parser.add_argument("--out", required=True, metavar="FILE.xml", help="the cascade to write; FILE.json beside")
        parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=defaults.device)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--no-mirror", action="store_true", help="the character's look is not symmetric")
        parser.add_argument("--stages", type=int, default=defaults.stages, help="most cascade stages")
        parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds,
                            help="no stage starts after this long")

    def handle(self, *args, **options):
        trainer = CharacterTrainingOptions(seed=options["seed"], device=options["device"],
                                           mirror=not options["no_mirror"], stages=options["stages"],
                                           max_seconds=options["max_seconds"])
        check_character_name(options["name"])  # before reading any folder
        positives = read_colour_images(options["examples"], "examples", alpha=True)
        negatives = []
        for folder in options["negatives"] or ():
            negatives += read_colour_images(folder, "negatives")
        with tqdm(total=trainer.stages, desc=options["name"], unit="stage",
                  disable=options["verbosity"] < 1) as bar:

            def show(state: dict) -> None:
                if state["phase"] == "training":
                    bar.update(state["stage"] - bar.n)
                    bar.set_postfix_str(f"hit rate {state['hit_rate']:.3f}, false alarm {state['false_alarm']:.3f}")
                else:
                    bar.set_postfix_str(state["phase"])

            result = train_character(options["name"], CharacterExamples(positives, negatives), options["out"],
                                     trainer, on_progress=show)
        report = result["report"]
        self.stdout.write(json.dumps({
            "character": result["character"],
            "cascade": options["out"],
            "json": str(Path(options["out"]).with_suffix(".json")),
            "detection": result["detection"],
            **{key: report[key] for key in ("examples", "holdout_examples", "holdout_hit_rate",
                                            "holdout_false_alarms_per_frame", "stages_trained", "stop_reason",
                                            "seconds", "device")},
        }, indent=2))
