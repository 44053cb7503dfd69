"""Import a labelled dataset from a server folder (or a ZIP) as DatasetFace rows."""
from pathlib import Path

from django.core.management.base import CommandError

from emotions.exceptions import DatasetRefused
from emotions.management.base import ToonCommand
from emotions.services.datasets import dataset_import_folder, dataset_import_zip


class Command(ToonCommand):
    help = (
        "Import DIR (DIR/<emotion>/*, DIR/<character>/<emotion>/*, or the dissertation's "
        "DIR/<character>/<emotion>/{training,testing}/*), or a ZIP of one, as labelled faces of dataset NAME "
        "(default: the folder's name); all or nothing, and faces the dataset already has are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="DIR")
        parser.add_argument("--name", help="the dataset's name (a slug; default: the folder's name)")

    def handle(self, *args, **options):
        source = Path(options["source"])
        try:
            if source.is_file():
                with open(source, "rb") as handle:
                    done = dataset_import_zip(upload=handle, name=options["name"] or source.stem)
            else:
                done = dataset_import_folder(root=source, name=options["name"])
        except DatasetRefused as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{n} {emotion}" for emotion, n in sorted(done.counts.items())) or "none new"
        self.stdout.write(
            f"dataset {done.dataset} ({done.layout} layout): {done.added} faces added ({counts}), "
            f"{done.already} it already had"
        )
