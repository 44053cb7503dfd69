"""Segment a video: every character's faces, their emotions and tracks, as JSON."""
import json
from pathlib import Path

from django.conf import settings
from tqdm import tqdm

from emotions.management.base import ToonCommand
from emotions.services.classifier import classifier_load
from toonvision.detection import load_detectors
from toonvision.outputs import atomic_outputs
from toonvision.segmentation import METHODS, FastOptions, segment_video
from toonvision.torch_detection import DETECTORS
from toonvision.truth_metrics import evaluate_segmentation, load_truth, truth_path
from toonvision.video import probe_video


class Command(ToonCommand):
    requires_system_checks = []  # it touches no database or URL: skipping the checks saves start-up time
    help = (
        "Find each character's faces in a video, classify their emotions, track and smooth them, and write "
        "the detections as JSON. Without --cascade the shipped cast is looked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("video", metavar="VIDEO")
        parser.add_argument("--json", required=True, metavar="OUT.json", help="where to write the detections")
        parser.add_argument(
            "--method", choices=METHODS, default="fast", help="fast (ours) or seed (the dissertation's)"
        )
        parser.add_argument(
            "--cascade", action="append", metavar="NAME=FILE.xml",
            help="a character to look for and its cascade; repeat for more (default: the shipped cast)",
        )
        parser.add_argument(
            "--detector", choices=DETECTORS, default="auto",
            help="who runs the cascades: opencv (detectMultiScale on the CPU), torch (the same detections from torch, "
                 "on the CNN's device), or auto: torch on CUDA, opencv on a CPU",
        )
        parser.add_argument("--weights", help="emotion CNN weights (default: the active model, else EMOTION_WEIGHTS)")
        parser.add_argument("--device", help="torch device for the CNN: cpu, cuda, cuda:1 (default: TORCH_DEVICE/auto)")
        parser.add_argument("--start", type=int, default=0, help="first frame to segment")
        parser.add_argument("--stop", type=int, help="frame to stop before (default: the end)")
        parser.add_argument("--stride", type=int, default=FastOptions.stride, help="fast: analyse every Nth frame")
        parser.add_argument("--threads", type=int, default=FastOptions.threads, help="fast: detection threads")
        parser.add_argument(
            "--truth", nargs="?", const="auto", metavar="TRUTH.json",
            help="also measure against a studio truth file (default: VIDEO's .truth.json beside it)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        video = Path(options["video"])
        info = probe_video(video)  # refuses a non-video, empty or truncated file before any work
        detectors = load_detectors(options["cascade"], settings.CAST_DIR)
        classifier = classifier_load(weights=options["weights"], device=options["device"])
        fast = FastOptions(stride=options["stride"], threads=options["threads"])
        stop = info.frame_count if options["stop"] is None else options["stop"]
        with tqdm(
            total=max(0, min(stop, info.frame_count) - options["start"]), unit="frame", desc=video.name,
            disable=options["no_progress"],
        ) as bar:
            result = segment_video(
                video, detectors, classifier, method=options["method"], start=options["start"],
                stop=options["stop"], options=fast, progress=bar.update, info=info, detector=options["detector"],
            )
        out = result.as_json()
        out_path = Path(options["json"])
        with atomic_outputs([out_path]) as temps:
            temps[out_path].write_text(json.dumps(out, indent=1))
        frames = result.stop - result.start
        self.stdout.write(
            f"{video}: {frames} frames, {len(result.analyzed)} analysed, {len(result.detections)} faces of "
            f"{', '.join(result.characters)} in {result.seconds:.2f} s ({frames / result.seconds:.0f} frames/s, "
            f"method {result.method}, detector {result.detector}) -> {options['json']}"
        )
        if options["truth"]:
            self._report_metrics(out, Path(options["truth"]) if options["truth"] != "auto" else truth_path(video))

    def _report_metrics(self, out: dict, truth_file: Path):
        metrics = evaluate_segmentation(out, load_truth(truth_file))
        self.stdout.write(
            f"against {truth_file}: precision {metrics.precision:.3f}, recall {metrics.recall:.3f}, "
            f"emotion accuracy {metrics.emotion_accuracy:.3f}, event recall {metrics.event_recall:.3f} "
            f"({metrics.events_recalled}/{metrics.events} events)"
        )
