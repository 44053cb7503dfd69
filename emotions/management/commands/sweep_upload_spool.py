"""Empty the upload spool of what killed web processes left there, media of the partial files a process killed
mid-write left, and the resumable uploads nobody finished in time; run at start-up, before the web processes."""
from django.conf import settings

from emotions.management.base import ToonCommand
from emotions.services.resumable import resumable_sweep
from emotions.services.storage import media_partials_sweep, upload_spool_sweep


class Command(ToonCommand):
    help = ("Remove the spooled uploads left in FILE_UPLOAD_TEMP_DIR by web processes killed mid-upload. Run it "
            "before the web processes start (scripts/run.sh and the web image do); --older-than spares recent ones.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=0.0, metavar="SECONDS",
                            help="only what was last written this many seconds ago or more (default 0: everything)")
        parser.add_argument("--partials-older-than", type=float, default=3600.0, metavar="SECONDS",
                            help="media's partial files (of writes a killed process never finished) last written "
                                 "this many seconds ago or more (default 3600: workers may be writing now)")

    def handle(self, *args, **options):
        removed = upload_spool_sweep(older_than=options["older_than"])
        self.stdout.write(f"{len(removed)} spooled upload(s) removed from {settings.FILE_UPLOAD_TEMP_DIR}")
        partials = media_partials_sweep(older_than=options["partials_older_than"])
        self.stdout.write(f"{len(partials)} partial file(s) removed from {settings.MEDIA_ROOT}")
        expired = resumable_sweep()  # unfinished ones are kept until they expire: a client may resume them
        self.stdout.write(f"{len(expired)} expired resumable upload(s) removed from {settings.RESUMABLE_UPLOAD_DIR}")
