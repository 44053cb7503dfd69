"""Draw training data for a cast member's face detector: OUT/positives/*.png and OUT/negatives/*.png."""

import json

from emotions.management.base import ToonCommand
from toonvision.studio import CAST
from toonvision.studio.cascade_data import write_cascade_samples


class Command(ToonCommand):
    help = (
        "Draw a cascade's training data for one cast member: face crops cut from episode frames "
        "(OUT/positives) and episode frames without that character (OUT/negatives), with positives.txt "
        "and negatives.txt listing them for opencv_createsamples and opencv_traincascade."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="folder to write into (created if missing)")
        parser.add_argument("--character", required=True, choices=list(CAST), help="whose face")
        parser.add_argument("--positives", type=int, required=True, help="how many face crops")
        parser.add_argument("--negatives", type=int, required=True, help="how many frames without the face")
        parser.add_argument("--seed", type=int, default=0, help="the same seed draws the same samples")
        parser.add_argument("--size", type=int, default=48, help="side of each face crop in pixels")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **options):
        summary = write_cascade_samples(
            options["out"],
            options["character"],
            positives=options["positives"],
            negatives=options["negatives"],
            seed=options["seed"],
            size=options["size"],
            progress=True,
        )
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        out, size, who = summary["out"], summary["size"], summary["character"]
        self.stdout.write(f"wrote {summary['positives']} {size}x{size} faces of {who} to {out}/positives")
        self.stdout.write(f"wrote {summary['negatives']} frames without them to {out}/negatives")
