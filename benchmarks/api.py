"""The API section of `make bench`: latency of the REST API over a million faces, and one episode's processing
time with one and with two Celery workers.

Everything runs against a PostgreSQL database of its own (created, filled and dropped here: never `test` or a
site's database) on the server at --api-postgres, and Redis at --api-redis for the workers' queue.

- Latency: `manage.py bulk_detections` fills the database (--api-detections faces over --api-episodes episodes),
  then a separate process sends --api-requests requests of each kind through Django's test client (the whole
  Django stack — middleware, token authentication, DRF, the database — without a socket), with parameters drawn
  at random for every request: characters, emotions, confidences, episodes, time windows, buckets and cursors.
  p50 and p99 are over those requests, after a few warm-up requests of each kind.
- Processing: a studio episode uploaded with `episode_create` and processed through Redis by real `celery worker`
  processes (prefork, concurrency 1, one thread each), timed from enqueueing its ranges to the episode's status
  `done`; the workers start (and load torch) before the clock, and 1- and 2-worker runs alternate.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "toonsite_bench_api")  # another name: two benches side by side
PROCESS_SEED = 6001
WARMUP = 5


def add_arguments(parser) -> None:
    group = parser.add_argument_group("api")
    group.add_argument("--api-detections", type=int, default=1_000_000, help="faces in the latency database")
    group.add_argument("--api-episodes", type=int, default=200, help="episodes they are spread over")
    group.add_argument("--api-requests", type=int, default=200, help="timed requests of each kind")
    group.add_argument("--api-process-seconds", type=float, default=60, help="length of the processed episode")
    group.add_argument("--api-process-repeats", type=int, default=3, help="timed runs per worker count (median)")
    group.add_argument("--api-range-frames", type=int, default=120, help="EPISODE_RANGE_FRAMES while processing")
    group.add_argument("--api-postgres", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                "postgres://postgres@127.0.0.1:5432/postgres"),
                       help="a PostgreSQL server (any database on it) where the bench database is made")
    group.add_argument("--api-redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"))


# -- the orchestration (the `make bench` process: no Django here) -------------------------------------------------
@contextmanager
def bench_database(server_url: str):
    """A fresh database on the server, dropped afterwards; its URL."""
    import psycopg

    parsed = urlparse(server_url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        yield urlunparse(parsed._replace(path=f"/{BENCH_DATABASE}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def bench_env(*, database_url: str, redis_url: str, folder: Path) -> dict:
    """The environment of the bench's Django processes: the bench database, data and media in `folder`, production
    settings (DEBUG off), and none of the caller's broker, cache or PUBLIC_READ settings."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL", "PUBLIC_READ")}
    env.update(DJANGO_SETTINGS_MODULE="toonsite.settings", DATABASE_URL=database_url, REDIS_URL=redis_url,
               TOONSITE_DATA_DIR=str(folder / "data"), MEDIA_ROOT=str(folder / "media"),
               ALLOWED_HOSTS="testserver,localhost", DEBUG="false", LOG_LEVEL="WARNING")
    return env


def _run(command: list[str], env: dict, what: str) -> str:
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"   {what}: {time.perf_counter() - began:.1f} s", flush=True)
    return result.stdout


def measure(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="toonsite-api-bench-") as tmp, bench_database(args.api_postgres) as url:
        tmp = Path(tmp)
        env = bench_env(database_url=url, redis_url=args.api_redis, folder=tmp)
        python = sys.executable
        _run([python, "manage.py", "migrate", "--noinput"], env, "migrate")
        began = time.perf_counter()
        _run([python, "manage.py", "bulk_detections", "--episodes", str(args.api_episodes), "--detections",
              str(args.api_detections), "--owner", "bench"], env, "bulk_detections")
        bulk_seconds = time.perf_counter() - began
        latency_file, processing_file = tmp / "latency.json", tmp / "processing.json"
        _run([python, "-m", "benchmarks.api", "latency", "--requests", str(args.api_requests),
              "--out", str(latency_file)], env, "latency")
        _run([python, "-m", "benchmarks.api", "processing", "--seconds", str(args.api_process_seconds),
              "--repeats", str(args.api_process_repeats), "--range-frames", str(args.api_range_frames),
              "--out", str(processing_file)], env, "processing")
        latency = json.loads(latency_file.read_text())
        processing = json.loads(processing_file.read_text())
    return {"dataset": {**latency.pop("dataset"), "bulk_seconds": bulk_seconds}, "latency": latency["kinds"],
            "processing": processing}


def render(figures: dict) -> list[str]:
    data, processing = figures["dataset"], figures["processing"]
    lines = [
        f"### Latency over {data['detections']:,} faces",
        "",
        f"PostgreSQL database of its own: {data['detections']:,} detections over {data['episodes']} episodes "
        f"({data['characters']} characters), made by `manage.py bulk_detections` in {data['bulk_seconds']:.0f} s "
        f"({data['detections'] / data['bulk_seconds']:,.0f} faces/s, COPY, summaries and indexes included). "
        f"Each kind: {data['requests']} requests through Django's test client (middleware, token authentication, "
        "DRF, PostgreSQL; no socket), parameters drawn at random per request, after "
        f"{WARMUP} warm-up requests. The machine is shared and noisy (1-minute load average "
        f"{data.get('load_average', float('nan')):.1f} on its cores when the requests ended): read p99 as an upper "
        "bound.",
        "",
        "| request | example | p50 ms | p99 ms | mean ms | results per answer (mean) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in figures["latency"]:
        lines.append(f"| {kind['kind']} | `{kind['example']}` | {kind['p50_ms']:.1f} | {kind['p99_ms']:.1f} | "
                     f"{kind['mean_ms']:.1f} | {kind['results_mean']:.0f} |")
    cold = [k for k in figures["latency"] if k.get("cold_ms")]
    if cold:
        lines += ["", f"Similar faces compare a drawing with at most SIMILAR_CANDIDATES stored faces, whatever the "
                      f"table's size; the first search of each emotion in a web process reads and embeds those crops "
                      f"(cold: {min(cold[0]['cold_ms']):.0f}-{max(cold[0]['cold_ms']):.0f} ms here), later ones "
                      "use the process's cache ({} requests, {} per answer).".format(
                          cold[0]["requests"], round(cold[0]["results_mean"]))]
    episode = processing["episode"]
    lines += [
        "",
        "### One episode's processing time with 1 and 2 workers",
        "",
        f"A {episode['seconds']:.0f} s studio episode ({episode['frame_count']} frames, {episode['width']}x"
        f"{episode['height']}, seed {episode['seed']}) in ranges of {processing['range_frames']} frames on Redis, "
        "timed from enqueueing to `done` (segmentation, crops and frames written, summaries built). Two workers "
        "(prefork, concurrency 1) are started and warmed before the clock; a 1-worker run goes to a queue only one "
        "of them reads, a 2-worker run to one both read, and runs alternate 1, 2, 1, 2, ... so the machine's other "
        "load falls on both alike. Each worker has one thread for torch and OpenCV (OMP_NUM_THREADS=1, "
        "OPENCV_FOR_THREADS_NUM=1), as a host runs one worker per core. Median of "
        f"{processing['repeats']} runs each. Characters looked for: {', '.join(processing['characters'])}.",
        "",
        "| workers | runs (s) | median s | frames/s | speed-up | detections |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    one = next(r for r in processing["runs"] if r["workers"] == 1)["median_seconds"]
    for row in processing["runs"]:
        runs = ", ".join(f"{s:.1f}" for s in row["seconds"])
        lines.append(f"| {row['workers']} | {runs} | {row['median_seconds']:.1f} | "
                     f"{episode['frame_count'] / row['median_seconds']:.0f} | {one / row['median_seconds']:.2f}x | "
                     f"{row['detections']} |")
    lines += ["", f"The measuring machine has {processing['cpus']} CPU cores, shared with other work (1-minute load "
                  f"average {processing.get('load_average', float('nan')):.1f} at the end), and PostgreSQL, Redis and "
                  "the timing process run on them too: two workers can at best halve the time here. More workers, "
                  "on more cores or hosts, each take ranges from the same queue."]
    return lines


# -- inside a Django process on the bench database ----------------------------------------------------------------
def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed_get(client, url: str) -> tuple[float, object]:
    """GET `url` through Django's test client: (milliseconds, response); anything but a 200 stops the bench."""
    began = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url}: {response.status_code} {response.content[:300]!r}")
    return elapsed, response


def latency_main(requests: int, out: Path) -> None:
    import django

    django.setup()
    import numpy as np
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from emotions.models import Character, Detection, Episode
    from toonvision.emotions import EMOTIONS

    rng = np.random.default_rng(7)
    user = get_user_model().objects.get(username="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    episodes = list(Episode.objects.values_list("pk", "duration"))
    slugs = list(Character.objects.order_by("slug").values_list("slug", flat=True))
    cast = [s for s in ("pip", "marmalade") if s in slugs] or slugs

    def pick(items):
        return items[int(rng.integers(len(items)))]

    def episode_window():
        pk, duration = pick(episodes)
        start = float(rng.uniform(0, max(0.0, duration - 60)))
        return pk, start, start + float(rng.uniform(10, 60))

    cursors: list[str] = []

    def search_character_emotion():
        return f"/api/detections/?character={pick(slugs)}&emotion={pick(EMOTIONS)}"

    def search_confident():
        return (f"/api/detections/?character={pick(cast)}&min_confidence={rng.uniform(0.5, 0.95):.2f}"
                f"&ordering={pick(['-confidence', 'time'])}")

    def search_episode_window():
        pk, start, end = episode_window()
        return f"/api/detections/?episode={pk}&start={start:.1f}&end={end:.1f}&ordering=time"

    def search_emotion_anywhere():
        return f"/api/detections/?emotion={pick(EMOTIONS)}&ordering={pick(['-confidence', '-time'])}"

    def search_next_page():
        return cursors.pop() if cursors else search_character_emotion()

    def recommendations():
        return f"/api/recommendations/?character={pick(slugs)}&emotion={pick(EMOTIONS)}"

    def leaderboard():
        return f"/api/leaderboard/?emotion={pick(EMOTIONS)}"

    def similar_episodes():
        return f"/api/recommendations/similar/{pick(episodes)[0]}/"

    def timeline():
        return f"/api/episodes/{pick(episodes)[0]}/timeline/?bucket={pick([1, 5, 10, 30])}"

    def subtitles():
        return f"/api/episodes/{pick(episodes)[0]}/subtitles.vtt"

    kinds = [
        ("detections: character + emotion, by confidence", search_character_emotion),
        ("detections: character + min confidence, by confidence or time", search_confident),
        ("detections: episode + time window, by time", search_episode_window),
        ("detections: emotion across all episodes", search_emotion_anywhere),
        ("detections: a following page (cursor)", search_next_page),
        ("recommendations: character + emotion", recommendations),
        ("leaderboard: emotion", leaderboard),
        ("similar episodes", similar_episodes),
        ("timeline: bucket 1-30 s", timeline),
        ("subtitles (WebVTT)", subtitles),
    ]
    results = []
    for name, make in kinds:
        times, counts, example = [], [], None
        for n in range(WARMUP + requests):
            url = make()
            elapsed, response = timed_get(client, url)
            body = response.content
            if response["Content-Type"].startswith("application/json"):
                data = json.loads(body)
                if data.get("next") and "/api/detections/" in url and len(cursors) < 50:
                    cursors.append(data["next"].removeprefix("http://testserver"))
                found = data.get("results", data.get("buckets", []))
                count = len(found)
            else:
                count = body.count(b" --> ")
            if n >= WARMUP:
                times.append(elapsed)
                counts.append(count)
                example = example or url
        results.append({"kind": name, "example": example, "p50_ms": _percentile(times, 50),
                        "p99_ms": _percentile(times, 99), "mean_ms": statistics.fmean(times),
                        "results_mean": statistics.fmean(counts), "requests": len(times)})
        print(f"   {name}: p50 {results[-1]['p50_ms']:.1f} ms, p99 {results[-1]['p99_ms']:.1f} ms", flush=True)
    results.append(_similar_faces(client, rng, max(20, requests // 4)))
    dataset = {"detections": Detection.objects.count(), "episodes": len(episodes), "characters": len(slugs),
               "requests": requests, "load_average": os.getloadavg()[0]}
    out.write_text(json.dumps({"dataset": dataset, "kinds": results}, indent=2))


def _similar_faces(client, rng, requests: int) -> dict:
    """POST drawings to /api/search/similar/: once per emotion cold (each process embeds the candidate crops of an
    emotion on its first search), then `requests` timed searches with the cache warm."""
    import cv2
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    from toonvision.emotions import EMOTIONS
    from toonvision.studio import render_face, sample_face_spec

    def drawing(character: str, emotion: str, seed: int) -> bytes:
        face = render_face(sample_face_spec(np.random.default_rng(seed), character, emotion), 96)
        alpha = face[:, :, 3:4].astype(np.float32) / 255
        return cv2.imencode(".png", (face[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8))[1].tobytes()

    def search(data: bytes) -> tuple[float, int]:
        began = time.perf_counter()
        response = client.post("/api/search/similar/", {"image": SimpleUploadedFile("drawing.png", data)},
                               format="multipart")
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"similar search: {response.status_code} {response.content[:300]!r}")
        return elapsed, len(response.json()["results"])

    cold = [search(drawing("pip", emotion, 900 + i))[0] for i, emotion in enumerate(EMOTIONS)]
    times, counts = [], []
    for n in range(requests):
        elapsed, count = search(drawing(["pip", "marmalade"][n % 2], EMOTIONS[int(rng.integers(7))], 1000 + n))
        times.append(elapsed)
        counts.append(count)
    row = {"kind": "similar faces: POST a drawing (warm cache)", "example": "POST /api/search/similar/ image=...",
           "p50_ms": _percentile(times, 50), "p99_ms": _percentile(times, 99), "mean_ms": statistics.fmean(times),
           "results_mean": statistics.fmean(counts), "requests": len(times), "cold_ms": cold}
    print(f"   similar faces: p50 {row['p50_ms']:.1f} ms, cold up to {max(cold):.0f} ms", flush=True)
    return row


def processing_main(seconds: float, repeats: int, range_frames: int, out: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File

    from emotions.models import Episode, Status
    from emotions.services.episodes import episode_create
    from emotions.services.runs import episode_process
    from toonvision.studio.episode import write_episode

    # Two warm workers for the whole measurement: A listens on its own queue and the shared one, B on the shared one
    # only. A run sent to A's queue has one worker, a run sent to the shared queue two; runs alternate 1, 2, 1, 2, ...
    # so the machine's other load falls on both alike. Each worker gets one core's worth of threads (torch and
    # OpenCV), as a host runs one worker per core.
    tag = uuid.uuid4().hex[:8]
    only_a, shared = f"bench-{tag}-a", f"bench-{tag}-all"
    settings.EPISODE_RANGE_FRAMES = range_frames
    worker_env = {**os.environ, "EPISODE_RANGE_FRAMES": str(range_frames), "OMP_NUM_THREADS": "1",
                  "OPENCV_FOR_THREADS_NUM": "1"}

    with tempfile.TemporaryDirectory(prefix="toonsite-api-episode-") as tmp:
        def upload(name: str, length: float, seed: int) -> tuple[Episode, dict]:
            path = Path(tmp) / f"{name}.mp4"
            drawn = write_episode(path, seconds=length, seed=seed)
            with open(path, "rb") as handle:
                return episode_create(owner=None, file=File(handle, name=path.name), title=name), drawn

        episode, drawn = upload("timed", seconds, PROCESS_SEED)
        warmup, _ = upload("warm-up", range_frames * 4 / 24, PROCESS_SEED + 1)

        def process(target: Episode, queue: str) -> tuple[float, int]:
            settings.EPISODE_QUEUE = queue
            began = time.perf_counter()
            run = episode_process(episode=target)
            while True:
                state = Episode.objects.filter(pk=target.pk).values_list("status", "error").get()
                if state[0] == Status.DONE:
                    run.refresh_from_db()
                    return time.perf_counter() - began, run.detection_count
                if state[0] == Status.FAILED:
                    raise RuntimeError(f"episode {target.pk} failed: {state[1]}")
                time.sleep(0.05)

        workers = [_start_worker(worker_env, f"{only_a},{shared}", Path(tmp) / "worker-a.log", 0),
                   _start_worker(worker_env, shared, Path(tmp) / "worker-b.log", 1)]
        timings: dict[int, list[tuple[float, int]]] = {1: [], 2: []}
        try:
            for worker in workers:
                _wait_ready(worker)
            process(warmup, shared)  # both workers' children load torch, the CNN and the cascades here
            process(warmup, only_a)
            for _ in range(repeats):
                for count, queue in ((1, only_a), (2, shared)):
                    timings[count].append(process(episode, queue))
                    print(f"   {count} worker(s): {timings[count][-1][0]:.1f} s", flush=True)
        finally:
            for process_, _ in workers:
                process_.terminate()
            for process_, _ in workers:
                process_.wait(timeout=60)
        rows = []
        for count, runs in timings.items():
            seconds_taken = [t for t, _ in runs]
            rows.append({"workers": count, "seconds": seconds_taken, "median_seconds": statistics.median(seconds_taken),
                         "detections": runs[-1][1]})
        characters = [c["slug"] for c in episode.runs.first().cascades]
    result = {"episode": {k: drawn[k] for k in ("seconds", "frame_count", "width", "height", "seed")},
              "range_frames": range_frames, "repeats": repeats, "runs": rows, "characters": characters,
              "cpus": os.cpu_count(), "load_average": os.getloadavg()[0], "threads_per_worker": 1}
    out.write_text(json.dumps(result, indent=2))


def _start_worker(env: dict, queues: str, log: Path, index: int):
    handle = open(log, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "toonsite", "worker", "--queues", queues, "--pool", "prefork",
         "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
         "--hostname", f"bench-{index}-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
    )
    return process, log


def _wait_ready(worker, timeout: float = 120) -> None:
    process, log = worker
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited:\n{log.read_text()[-3000:]}")
        if " ready." in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready:\n{log.read_text()[-3000:]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="the API bench's parts that run inside Django (see benchmarks.run)")
    parts = parser.add_subparsers(dest="part", required=True)
    latency = parts.add_parser("latency")
    latency.add_argument("--requests", type=int, default=200)
    latency.add_argument("--out", type=Path, required=True)
    timed = parts.add_parser("processing")
    timed.add_argument("--seconds", type=float, default=60)
    timed.add_argument("--repeats", type=int, default=3)
    timed.add_argument("--range-frames", type=int, default=120)
    timed.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.part == "latency":
        latency_main(args.requests, args.out)
    else:
        processing_main(args.seconds, args.repeats, args.range_frames, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
