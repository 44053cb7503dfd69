"""The worker's watchdog: a thread in every Celery worker that sweeps for stuck runs (runs_recover) when the
worker is ready and every RECOVERY_INTERVAL_SECONDS after. It needs no beat, and goes on through broker and
database outages (a failed sweep is logged and tried again next time)."""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connections

from emotions.services.recovery import runs_recover

logger = logging.getLogger(__name__)


def watchdog_start() -> threading.Thread | None:
    """Start the sweeping thread (a daemon: it ends with the worker); None when RECOVERY_INTERVAL_SECONDS is 0."""
    interval = settings.RECOVERY_INTERVAL_SECONDS
    if interval <= 0:
        return None
    thread = threading.Thread(target=_sweep_forever, args=(interval,), name="toonsite-watchdog", daemon=True)
    thread.start()
    logger.info("watchdog: sweeping for stuck runs every %s s", interval)
    return thread


def _sweep_forever(interval: float, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while True:
        try:
            runs_recover()
        except Exception:  # noqa: BLE001 - whatever went wrong (the database, the broker), sweep again later
            logger.exception("watchdog: sweep failed; trying again in %s s", interval)
        finally:
            connections.close_all()  # this thread's own; a dead connection is not kept for the next sweep
        if stop.wait(interval):
            return
