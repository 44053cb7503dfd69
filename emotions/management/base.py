"""A base for ToonSite's commands: user mistakes become a clear message and a nonzero exit, not a traceback."""
from django.core.management.base import BaseCommand, CommandError


class ToonCommand(BaseCommand):
    """Turns the vision core's ValueErrors (bad dataset, image, weights) and file errors into CommandError."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        except KeyboardInterrupt:
            raise CommandError("interrupted") from None
