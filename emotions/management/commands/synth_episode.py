"""Draw a studio episode: OUT.mp4 (H.264) and OUT.truth.json with every face's box and emotion."""

import json

from emotions.management.base import ToonCommand
from toonvision.studio import STARS
from toonvision.studio.episode import parse_emotion_bias, write_episode


class Command(ToonCommand):
    help = (
        "Draw a studio cartoon episode (the cast and extras, cuts, moves, held emotions) into OUT.mp4 and its "
        "truth (where every face is and which emotion it shows, per frame) into OUT.truth.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT.mp4", help="the video to write; the truth goes beside it")
        parser.add_argument("--seconds", type=float, required=True, help="length of the episode")
        parser.add_argument("--seed", type=int, default=0, help="the same seed draws the same episode")
        parser.add_argument("--width", type=int, default=854, help="frame width in pixels (even)")
        parser.add_argument("--height", type=int, default=480, help="frame height in pixels (even)")
        parser.add_argument("--fps", type=float, default=24.0, help="frames per second")
        parser.add_argument(
            "--bias",
            nargs="+",
            metavar="CHARACTER:EMOTION=SHARE",
            help="share of a cast member's screen time in an emotion, e.g. pip:happy=0.6 pip:sad=0.25 "
            "(the emotions not named share the rest equally)",
        )
        parser.add_argument(
            "--cast",
            nargs="+",
            choices=STARS,
            metavar="NAME",
            help=f"who stars (default marmalade pip); guests no shipped model knows: {', '.join(STARS[2:])}",
        )
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, **options):
        summary = write_episode(
            options["out"],
            seconds=options["seconds"],
            seed=options["seed"],
            width=options["width"],
            height=options["height"],
            fps=options["fps"],
            emotion_bias=parse_emotion_bias(options["bias"]),
            cast=options["cast"],
            progress=True,
        )
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        shots = f"{summary['shots']} shot" + ("" if summary["shots"] == 1 else "s")
        self.stdout.write(
            f"wrote {summary['video']} ({summary['frame_count']} frames, {summary['seconds']:.2f} s, "
            f"{summary['width']}x{summary['height']} at {summary['fps']:g} fps, {shots})"
        )
        self.stdout.write(f"wrote {summary['truth']} ({summary['faces']} faces, {summary['scored_faces']} scored)")
