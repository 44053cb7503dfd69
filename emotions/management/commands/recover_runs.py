"""Sweep once for stuck runs, as every worker's watchdog does by itself: for operators after an outage."""
from emotions.management.base import ToonCommand
from emotions.services.recovery import runs_recover


class Command(ToonCommand):
    help = (
        "Queue again the ranges of runs under way whose worker went silent or whose task was lost, fail those "
        "out of attempts, and finish runs left complete. Safe to run at any time (ranges are idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stale-seconds", type=int, default=None,
                            help="silence after which a range counts as lost (default RECOVERY_STALE_SECONDS)")

    def handle(self, *args, stale_seconds=None, **options):
        recovery = runs_recover(stale_seconds=stale_seconds)
        self.stdout.write(
            f"Queued again: {len(recovery.requeued)} ranges; failed: {len(recovery.failed)} runs; "
            f"finished: {len(recovery.finished)} runs."
        )
