"""Train a boosted Haar or LBP cascade that cv2.CascadeClassifier loads (opencv_traincascade's job)."""
import json
from pathlib import Path

from emotions.management.base import ToonCommand
from toonvision.cascade_training import FEATURE_TYPES, CascadeParams, train_cascade


class Command(ToonCommand):
    help = (
        "Train a Viola-Jones cascade (Gentle AdaBoost stumps, hard negatives mined stage by stage) from a folder "
        "of tight face crops and a folder of images without the face. Writes OUT (OpenCV XML) and a JSON report "
        "beside it, both only when training has finished."
    )

    def add_arguments(self, parser):
        defaults = CascadeParams()
        parser.add_argument("--positives", required=True, help="folder of face crops (any size, colour or gray)")
        parser.add_argument("--negatives", required=True, help="folder of images that contain no such face")
        parser.add_argument("--out", required=True, help="cascade file to write, e.g. models/pip.xml")
        parser.add_argument("--stages", type=int, default=defaults.stages, help="most stages to train")
        parser.add_argument("--feature", choices=FEATURE_TYPES, default=defaults.feature)
        parser.add_argument("--window", type=int, default=defaults.window, help="window side in pixels")
        parser.add_argument("--min-hit-rate", type=float, default=defaults.min_hit_rate,
                            help="share of positives each stage must keep")
        parser.add_argument("--max-false-alarm", type=float, default=defaults.max_false_alarm,
                            help="share of its negatives each stage may still accept")
        parser.add_argument("--num-pos", type=int, help="positives per stage; default: all the cascade accepts")
        parser.add_argument("--num-neg", type=int, help="negatives mined per stage; default: twice the positives")
        parser.add_argument("--max-weak-per-stage", type=int, default=defaults.max_weak_per_stage)
        parser.add_argument("--features-per-stage", type=int, default=defaults.features_per_stage,
                            help="features drawn at random from the full pool for each stage")
        parser.add_argument("--scale-step", type=float, default=defaults.scale_step,
                            help="ratio between the scales at which negatives are scanned")
        parser.add_argument("--no-flip", action="store_true", help="do not add mirrored copies of the positives")
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--device", default=defaults.device, help="auto, cpu or cuda")

    def handle(self, *args, **options):
        params = CascadeParams(
            stages=options["stages"],
            feature=options["feature"],
            window=options["window"],
            min_hit_rate=options["min_hit_rate"],
            max_false_alarm=options["max_false_alarm"],
            num_pos=options["num_pos"],
            num_neg=options["num_neg"],
            max_weak_per_stage=options["max_weak_per_stage"],
            features_per_stage=options["features_per_stage"],
            scale_step=options["scale_step"],
            flip=not options["no_flip"],
            seed=options["seed"],
            device=options["device"],
        )
        report = train_cascade(options["positives"], options["negatives"], options["out"], params,
                               progress=options["verbosity"] >= 1, log=self.stderr.write)
        self.stdout.write(json.dumps({
            "cascade": options["out"],
            "report": str(Path(options["out"]).with_suffix(".json")),
            "stages": report["stages_trained"],
            "stop_reason": report["stop_reason"],
            "hit_rate": report["hit_rate"],
            "negatives_acceptance_ratio": report["negatives_acceptance_ratio"],
            "seconds": report["seconds"],
        }, indent=2))
