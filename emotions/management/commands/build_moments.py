"""Build the moments (one track's run of one emotion) of every processed episode, or of one."""
from django.core.management.base import CommandError

from emotions.management.base import ToonCommand
from emotions.models import Episode
from emotions.services.moments import moments_rebuild


class Command(ToonCommand):
    help = (
        "Build again the moments the frame search and /api/moments/ list, from each processed episode's published "
        "faces (migration 0013 builds them once; processing, labels and re-classification keep them current)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--episode", type=int, metavar="ID", help="only this episode")

    def handle(self, *args, **options):
        episode = None
        if options["episode"] is not None:
            episode = Episode.objects.filter(pk=options["episode"]).first()
            if episode is None:
                raise CommandError(f"no episode {options['episode']}")
            if episode.current_run is None or episode.current_run.status != Episode.Status.DONE:
                raise CommandError(f"episode {episode.pk} has no finished run: no faces to group yet")
        episodes, moments = moments_rebuild(episode=episode)
        self.stdout.write(f"built {moments} moment(s) in {episodes} episode(s)")
