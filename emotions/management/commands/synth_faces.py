"""Draw a labelled dataset of studio cartoon faces: OUT/<character>/<emotion>/*.png."""
import json

from emotions.management.base import ToonCommand
from toonvision.emotions import EMOTIONS
from toonvision.studio import CHARACTERS, write_face_dataset
from toonvision.studio.looks import LOOKS
from toonvision.studio.styles import DEFAULT_STYLE, STYLES


class Command(ToonCommand):
    help = "Draw studio cartoon faces with known emotions into OUT/<character>/<emotion>/*.png."

    def add_arguments(self, parser):
        parser.add_argument("out", help="folder to write into (created if missing)")
        parser.add_argument("--per-class", type=int, required=True, help="faces per character and emotion")
        parser.add_argument("--seed", type=int, default=0, help="the same seed draws the same faces")
        parser.add_argument("--size", type=int, default=64, help="side of each square image in pixels")
        parser.add_argument("--characters", nargs="+", choices=CHARACTERS, help="only these characters")
        parser.add_argument("--emotions", nargs="+", choices=EMOTIONS, help="only these emotions")
        parser.add_argument("--look", choices=sorted(LOOKS), default="studio",
                            help="redraw the faces in another artist's look (line-art, poster): a style to adapt to")
        parser.add_argument("--style", nargs="+", choices=list(STYLES), default=[DEFAULT_STYLE], dest="styles",
                            help="draw in these studio styles (per-class faces of each; default: studio)")

    def handle(self, *args, **options):
        summary = write_face_dataset(
            options["out"],
            per_class=options["per_class"],
            seed=options["seed"],
            size=options["size"],
            characters=options["characters"],
            emotions=options["emotions"],
            look=options["look"],
            styles=options["styles"],
            progress=True,
        )
        self.stdout.write(json.dumps(summary))
