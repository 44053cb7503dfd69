"""Export the site's labelled faces as a ZIP in the dissertation's layout, with a CSV manifest."""
import os
from pathlib import Path

from django.core.management.base import CommandError

from emotions.exceptions import DatasetRefused
from emotions.management.base import ToonCommand
from emotions.services.datasets import dataset_zip_write


class Command(ToonCommand):
    help = (
        "Write OUT.zip: <character>/<emotion>/{training,testing}/<face>.png for every face a person labelled (and "
        "with --confident P the model's faces at confidence P or more) and manifest.csv; each face's split is fixed "
        "by its id, so exports stay comparable."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT.zip")
        parser.add_argument("--confident", type=float, metavar="P",
                            help="also the model's own faces at this confidence or more (0-1)")

    def handle(self, *args, **options):
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"no folder {out.parent} to write {out.name} in")
        partial = out.with_name(out.name + ".partial")
        try:
            with open(partial, "wb") as handle:
                counts = dataset_zip_write(out=handle, confident=options["confident"])
            os.replace(partial, out)
        except DatasetRefused as error:
            raise CommandError(str(error)) from None
        finally:
            partial.unlink(missing_ok=True)
        if not counts["faces"]:
            self.stderr.write("no labelled faces to export yet: label some, or add --confident 0.9")
        self.stdout.write(
            f"wrote {out}: {counts['faces']} faces ({counts['training']} training, {counts['testing']} testing)"
            + (f"; {counts['skipped']} without a readable crop left out" if counts["skipped"] else "")
        )
