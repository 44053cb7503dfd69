"""The end-to-end section of `make bench`: one studio episode from upload to `done` through the queue, with the
defaults `make run` uses (an SQLite file and the embedded filesystem broker under a fresh data folder, and
`celery worker --queues gpu --concurrency N` as scripts/run.sh starts it), beside `segment_video` alone on the
same episode in the same run (the processing a command-line `segment --method fast` does, without start-up).

- 1 worker: run.sh's default (WORKER_CONCURRENCY=1); 2 workers: a worker per core (WORKER_CONCURRENCY=2).
  Both worker processes run all along, each on a queue of its own, and the runs alternate 1, 2, segment_video,
  1, 2, ... so the machine's other load falls on each alike; one untimed run of each first (the pool's child
  loads the CNN there).
- Upload to done: `episode_upload` (what the upload page and the API call: hash, probe in a child process, store,
  start the run, send its range tasks) until the episode's status is `done` (ranges segmented, crops and frames
  written, tracks joined, summaries and moments built), polled every 20 ms. Between runs the episode is deleted
  (untimed), so each upload is new.
- Where the time goes, from the rows: upload (until the run exists), waiting for a worker (until the first range
  starts), ranges (their start to finish, side by side with 2 workers), gaps between one range's end and the
  next one's start on the same worker, and the finish (the last range's end to `done`).
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 6001


def add_arguments(parser) -> None:
    group = parser.add_argument_group("endtoend")
    group.add_argument("--e2e-seconds", type=float, default=60, help="length of the episode (480p)")
    group.add_argument("--e2e-repeats", type=int, default=3, help="timed runs of each (median)")


def make_run_env(folder: Path, **overrides) -> dict:
    """`make run`'s environment with no configuration: everything under a fresh data folder (SQLite, the
    filesystem broker, media), none of the caller's database, broker or cache settings."""
    drop = (
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CACHE_URL",
        "MEDIA_ROOT",
        "EPISODE_RANGE_FRAMES",
        "EPISODE_QUEUE",
        "OMP_NUM_THREADS",
        "DJANGO_SETTINGS_MODULE",
    )
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DJANGO_SETTINGS_MODULE="toonsite.settings",
        TOONSITE_DATA_DIR=str(folder / "data"),
        LOG_LEVEL="INFO",
        **overrides,
    )
    return env


def prepare(env: dict) -> None:
    """What run.sh does before it starts the worker: migrate and add the shipped cast."""
    for command in (["migrate", "--noinput"], ["sync_cast"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)


class Worker:
    """`celery -A toonsite worker --queues QUEUE --concurrency N --loglevel INFO`, as scripts/run.sh starts it."""

    def __init__(self, env: dict, queue: str, concurrency: int, log: Path):
        self.log = log
        self._out = open(log, "w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "toonsite",
                "worker",
                "--queues",
                queue,
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--hostname",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log.read_text()[-3000:]}")
            if " ready." in self.log.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready:\n{self.log.read_text()[-3000:]}")

    def peak_rss_mib(self) -> dict:
        """The peak resident memory (VmHWM) of the worker's main process and of its pool's largest child."""

        def hwm(pid: int) -> float:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
            return float("nan")

        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {"main": hwm(pid), "child": max((hwm(int(c)) for c in children), default=float("nan"))}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        self._out.close()


def measure(args) -> dict:
    from toonvision.studio.episode import write_episode

    with tempfile.TemporaryDirectory(prefix="toonsite-e2e-bench-") as tmp:
        tmp = Path(tmp)
        video = tmp / "episode.mp4"
        drawn = write_episode(video, seconds=args.e2e_seconds, seed=SEED)
        out = tmp / "figures.json"
        env = make_run_env(tmp)
        prepare(env)
        subprocess.run(
            [sys.executable, "-m", "benchmarks.endtoend", str(video), str(args.e2e_repeats), str(out), str(tmp)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        figures = json.loads(out.read_text())
    figures["episode"] = {k: drawn[k] for k in ("seconds", "frame_count", "width", "height", "seed")}
    return figures


def render(figures: dict) -> list[str]:
    episode, rows = figures["episode"], figures["runs"]
    alone = figures["segment_video"]["median_seconds"]
    lines = [
        f"A {episode['seconds']:.0f} s studio episode ({episode['frame_count']} frames, {episode['width']}x"
        f"{episode['height']}, seed {episode['seed']}) from upload to `done` with `make run`'s defaults: SQLite, "
        "the embedded filesystem broker, ranges of EPISODE_RANGE_FRAMES="
        f"{figures['range_frames']}, `celery worker --concurrency N` as scripts/run.sh starts it (N=1 is its "
        "default; N=2 a worker per core). Upload is `episode_upload` (hash, probe, store, queue), done is the "
        "episode's status with tracks joined and summaries and moments built. Beside them, in the same run, "
        "`segment_video` alone in the timing process on the whole episode (what `segment --method fast` "
        f"processes, without start-up). Runs alternate; median of {figures['repeats']} each, after one untimed "
        f"run of each. Detections: {rows[0]['detections']}.",
        "",
        "| what | runs (s) | median s | x real time | vs segment_video alone | upload s | wait s | ranges s "
        "| gaps s | finish s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        runs = ", ".join(f"{s:.1f}" for s in row["seconds"])
        parts = row["parts"]
        lines.append(
            f"| {row['workers']} worker{'s' if row['workers'] > 1 else ''} | {runs} | {row['median_seconds']:.2f} | "
            f"{episode['seconds'] / row['median_seconds']:.1f}x | {row['median_seconds'] / alone:.2f}x | "
            f"{parts['upload']:.2f} | {parts['wait']:.2f} | {parts['ranges']:.2f} | {parts['gaps']:.2f} | "
            f"{parts['finish']:.2f} |"
        )
    seg = figures["segment_video"]
    lines.append(
        f"| segment_video alone | {', '.join(f'{s:.1f}' for s in seg['seconds'])} | {alone:.2f} | "
        f"{episode['seconds'] / alone:.1f}x | 1.00x | | | | | |"
    )
    one, two = (next(r["median_seconds"] for r in rows if r["workers"] == n) for n in (1, 2))
    lines += [
        "",
        f"Two workers against one: {one / two:.2f}x. The parts are medians over the runs (ranges: from the first "
        "range's start to the last one's end; gaps: the summed idle time between a worker's ranges). The machine "
        f"has {figures['cpus']} CPU cores, shared with other work (1-minute load average "
        f"{figures['load_average'][0]:.1f} before, {figures['load_average'][1]:.1f} after): read the ratios; the "
        "absolute times are this load's.",
    ]
    return lines


# -- inside a Django process on the bench's data folder ---------------------------------------------------------
def _parts(began_wall: float, episode_id: int, done_wall: float) -> dict:
    """Where one run's time went, from its rows (wall-clock seconds)."""
    from emotions.models import Episode

    run = Episode.objects.get(pk=episode_id).current_run
    ranges = list(run.ranges.order_by("started").values("started", "finished", "worker"))
    first = min(r["started"] for r in ranges).timestamp()
    last = max(r["finished"] for r in ranges).timestamp()
    gaps = 0.0
    by_worker: dict[str, list] = {}
    for r in ranges:
        by_worker.setdefault(r["worker"], []).append(r)
    for mine in by_worker.values():
        # A worker of concurrency 2 runs two ranges at once: its gaps are its idle time, never negative.
        ends = sorted(r["finished"].timestamp() for r in mine)
        starts = sorted(r["started"].timestamp() for r in mine)
        gaps += sum(max(0.0, s - e) for s, e in zip(starts[len(starts) - len(ends) + 1 :], ends[:-1]))
    return {
        "upload": run.created.timestamp() - began_wall,
        "wait": first - run.created.timestamp(),
        "ranges": last - first,
        "gaps": gaps,
        "finish": done_wall - last,
    }


def inner_main(video: Path, repeats: int, out: Path, folder: Path) -> None:
    import django

    django.setup()
    import torch
    from django.conf import settings
    from django.core.files import File

    from emotions.models import Episode, Status
    from emotions.services.classifier import classifier_load
    from emotions.services.episodes import episode_delete, episode_upload
    from emotions.services.ranges import _run_detectors
    from toonvision.segmentation import fast_options_from, segment_video

    load_before = os.getloadavg()[0]
    workers = {
        1: Worker(dict(os.environ), "one", 1, folder / "worker-1.log"),
        2: Worker(dict(os.environ), "two", 2, folder / "worker-2.log"),
    }

    def upload_and_wait(queue: str) -> tuple[float, int, dict]:
        for old in Episode.objects.all():
            episode_delete(episode=old)
        settings.EPISODE_QUEUE = queue
        began, began_wall = time.perf_counter(), time.time()
        with open(video, "rb") as handle:
            episode = episode_upload(owner=None, file=File(handle, name=video.name), title="bench")
        while True:
            status, error = Episode.objects.filter(pk=episode.pk).values_list("status", "error").get()
            if status == Status.DONE:
                seconds, done_wall = time.perf_counter() - began, time.time()
                break
            if status == Status.FAILED:
                raise RuntimeError(f"episode failed: {error}")
            time.sleep(0.02)
        run = Episode.objects.get(pk=episode.pk).current_run
        return seconds, run.detection_count, _parts(began_wall, episode.pk, done_wall)

    def alone() -> float:
        run = Episode.objects.get().current_run  # the last upload's run: its characters, weights and options
        with _run_detectors(run) as detectors:
            classifier = classifier_load(weights=settings.BASE_DIR / run.weights_name)
            began = time.perf_counter()
            segment_video(
                video,
                detectors,
                classifier,
                method=run.method,
                options=fast_options_from(run.options),
                detector=settings.DETECTOR,
            )
            return time.perf_counter() - began

    timings: dict = {1: [], 2: [], "alone": []}
    try:
        for worker in workers.values():
            worker.wait_ready()
        for queue in ("one", "two"):
            upload_and_wait(queue)
        alone()
        for _ in range(repeats):
            for count in (1, 2):
                timings[count].append(upload_and_wait("one" if count == 1 else "two"))
                print(f"   {count} worker(s): {timings[count][-1][0]:.2f} s", flush=True)
            timings["alone"].append(alone())
            print(f"   segment_video alone: {timings['alone'][-1]:.2f} s", flush=True)
    finally:
        for worker in workers.values():
            worker.stop()
    rows = []
    for count in (1, 2):
        runs = timings[count]
        parts = {key: statistics.median(p[key] for _, _, p in runs) for key in runs[0][2]}
        rows.append(
            {
                "workers": count,
                "seconds": [s for s, _, _ in runs],
                "median_seconds": statistics.median(s for s, _, _ in runs),
                "detections": runs[-1][1],
                "parts": parts,
            }
        )
    out.write_text(
        json.dumps(
            {
                "runs": rows,
                "segment_video": {"seconds": timings["alone"], "median_seconds": statistics.median(timings["alone"])},
                "repeats": repeats,
                "range_frames": settings.EPISODE_RANGE_FRAMES,
                "cpus": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "load_average": [load_before, os.getloadavg()[0]],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    inner_main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
