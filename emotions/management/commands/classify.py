"""Classify the emotion of face images."""
import json

from emotions.management.base import ToonCommand
from emotions.services.classifier import images_classify
from toonvision.images import read_image


class Command(ToonCommand):
    help = "Print the emotion and the probabilities for each face image."

    def add_arguments(self, parser):
        parser.add_argument("images", nargs="+", metavar="IMAGE")
        parser.add_argument("--json", action="store_true", help="print one JSON object per image, one per line")

    def handle(self, *args, **options):
        images = [read_image(path) for path in options["images"]]  # every file is checked before any work
        for path, result in zip(options["images"], images_classify(images=images)):
            if options["json"]:
                self.stdout.write(json.dumps({"image": path, **result.as_dict()}))
            else:
                ranked = sorted(result.probabilities.items(), key=lambda item: -item[1])
                figures = "  ".join(f"{name} {p:.3f}" for name, p in ranked)
                self.stdout.write(f"{path}: {result.emotion} ({result.confidence:.3f})  {figures}")
