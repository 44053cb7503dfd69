"""Upload a video as an episode and process it: through the worker queue (following its progress), or inline."""
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import CommandError
from tqdm import tqdm

from emotions.management.base import ToonCommand
from emotions.models import Episode, EpisodeEmotion, Status
from emotions.services.episodes import episode_create
from emotions.services.ranges import episode_process_here
from emotions.services.runs import episode_process


class Command(ToonCommand):
    help = (
        "Store VIDEO as an episode (probed, hashed: a re-upload is refused) and find every character's faces and "
        "emotions in it: through the Celery gpu queue, waiting with a progress bar, or inline with --sync."
    )

    def add_arguments(self, parser):
        parser.add_argument("video", metavar="VIDEO")
        parser.add_argument("--title", required=True, help="the episode's title")
        parser.add_argument("--owner", metavar="USER", help="username of the episode's owner (default: none)")
        parser.add_argument("--sync", action="store_true", help="process here and now, without the broker")
        parser.add_argument("--no-wait", action="store_true", help="queue it and return at once (not with --sync)")
        parser.add_argument("--timeout", type=float, help="give up waiting after this many seconds")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        if options["sync"] and options["no_wait"]:
            raise CommandError("--sync processes here and now; --no-wait makes no sense with it")
        owner = self._owner(options["owner"])
        video = Path(options["video"])
        if not video.is_file():
            raise CommandError(f"no such file: {video}")
        try:
            with open(video, "rb") as handle:
                episode = episode_create(owner=owner, file=File(handle, name=video.name),
                                                    title=options["title"])
            self.stdout.write(
                f"episode {episode.pk} ({episode.title!r}): {episode.frame_count} frames, {episode.duration:.1f} s, "
                f"{episode.width}x{episode.height}"
            )
            if options["sync"]:
                with self._bar(episode, options) as bar:
                    episode_process_here(episode=episode, progress=bar.update)
            else:
                episode_process(episode=episode)
                if options["no_wait"]:
                    self.stdout.write(f"queued: follow it with Episode {episode.pk}'s status and progress")
                    return
                self._wait(episode, options)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        episode.refresh_from_db()
        if episode.status != Status.DONE:
            raise CommandError(f"episode {episode.pk} {episode.status}: {episode.error or 'no reason recorded'}")
        self._report(episode)

    def _owner(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None

    def _bar(self, episode: Episode, options):
        return tqdm(total=episode.frame_count, unit="frame", desc=episode.title, disable=options["no_progress"])

    def _wait(self, episode: Episode, options) -> None:
        """Follow Episode.progress, which the workers write, until the episode is done or failed."""
        deadline = time.monotonic() + options["timeout"] if options["timeout"] else None
        with self._bar(episode, options) as bar:
            while True:
                status, progress = Episode.objects.filter(pk=episode.pk).values_list("status", "progress").get()
                bar.update(max(0, round(progress * episode.frame_count) - bar.n))
                if status in (Status.DONE, Status.FAILED):
                    return
                if deadline is not None and time.monotonic() > deadline:
                    raise CommandError(
                        f"episode {episode.pk} is still {status} after {options['timeout']:.0f} s "
                        f"({progress:.0%}); is a worker running on the gpu queue? `make run` starts one"
                    )
                time.sleep(0.5)

    def _report(self, episode: Episode) -> None:
        run = episode.current_run
        self.stdout.write(f"done: run {run.pk}, {run.detection_count} faces")
        for row in EpisodeEmotion.objects.filter(episode=episode).select_related("character"):
            self.stdout.write(
                f"  {row.character.slug:>12} {row.emotion:<8} {row.seconds:6.2f} s  ({row.share:.0%} of its screen "
                f"time, {row.detections} faces)"
            )
