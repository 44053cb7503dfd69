"""Re-read stored faces with an emotion model (its CNN over their stored crops only) and rebuild the summaries."""
from django.core.management.base import CommandError
from tqdm import tqdm

from emotions.management.base import ToonCommand
from emotions.models import Character, Detection, Episode
from emotions.services.reclassify import detections_reclassify, reclassify_weights


class Command(ToonCommand):
    help = (
        "Re-classify every stored face (or one episode's, one character's) with the active emotion model, or "
        "--weights: only the CNN runs, over the stored crops; faces a person labelled keep their emotion; the "
        "touched episodes' summaries are rebuilt."
    )

    def add_arguments(self, parser):
        parser.add_argument("--episode", type=int, metavar="ID", help="only this episode's faces")
        parser.add_argument("--character", metavar="SLUG", help="only this character's faces")
        parser.add_argument("--weights", metavar="PATH",
                            help="weights to read with (default: the active model's, else EMOTION_WEIGHTS)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        episode = character = None
        if options["episode"] is not None:
            episode = Episode.objects.filter(pk=options["episode"]).first()
            if episode is None:
                raise CommandError(f"no episode {options['episode']}")
        if options["character"]:
            character = Character.objects.filter(slug=options["character"]).first()
            if character is None:
                known = ", ".join(Character.objects.order_by("slug").values_list("slug", flat=True)) or "none"
                raise CommandError(f"no character {options['character']!r} (known: {known})")
        weights = reclassify_weights(weights=options["weights"])
        faces = Detection.objects.published().exclude(crop="").filter(labelled=False)
        if episode:
            faces = faces.filter(episode=episode)
        if character:
            faces = faces.filter(character=character)
        with tqdm(total=faces.count(), unit="face", disable=options["no_progress"]) as bar:
            done = detections_reclassify(episode=episode, character=character, weights=weights, progress=bar.update)
        self.stdout.write(
            f"re-classified {done.faces} faces with {done.weights} in {done.seconds:.1f} s "
            f"({done.faces_per_second:.0f} faces/s): {done.changed} changed emotion, {done.labelled} labelled by a "
            f"person kept theirs, {done.missing} without a readable crop kept theirs; summaries rebuilt for "
            f"{len(done.episodes)} episode(s)"
        )
