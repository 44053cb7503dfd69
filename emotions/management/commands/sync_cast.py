"""Make the shipped cast (cascades/cast.json) characters of the site, so a new site shows and looks for them."""
from django.conf import settings

from emotions.management.base import ToonCommand
from emotions.services.cast import character_sync_cast


class Command(ToonCommand):
    help = "Add or update the shipped cast (CAST_DIR/cast.json) as characters; safe to run at every start."

    def handle(self, *args, **options):
        synced = character_sync_cast()
        if not synced:
            self.stdout.write(f"No shipped cast at {settings.CAST_DIR}: characters come from the admin or the API.")
            return
        self.stdout.write("Cast: " + ", ".join(f"{c.name} ({c.slug})" for c in synced))
