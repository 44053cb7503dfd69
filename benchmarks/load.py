"""The "Under load" section of `make bench`: the site as `make run` serves it (gunicorn, a Celery worker), hit over
real sockets by many clients at once, on PostgreSQL + Redis and on SQLite + the embedded broker.

- Reads: --load-clients concurrent clients (threads, one request at a time each) for --load-seconds, drawing at
  random from the API's read endpoints with a token, while the worker is kept busy reprocessing an episode.
  Requests per second, p50 and p99 of the answers, and how many were 5xx (the goal is none).
- Uploads: --load-uploaders clients post a distinct studio episode each at the same moment; how many were accepted,
  how many 5xx (none), and whether every accepted one reached `done` (and how long that took).

Every loop is bounded in count and time, and every request goes to 127.0.0.1.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

from benchmarks.api import _percentile, _run, bench_database, bench_env

ROOT = Path(__file__).resolve().parent.parent
SEED_EPISODES = (7101, 7102, 7103)  # processed before the clock: what the reads read
BUSY_SEED = 7200
UPLOAD_SEED = 7300
REQUEST_TIMEOUT = 60.0


def add_arguments(parser) -> None:
    group = parser.add_argument_group("load")
    group.add_argument("--load-clients", type=int, nargs="+", default=[16, 32], help="concurrent read clients")
    group.add_argument("--load-seconds", type=float, default=30, help="seconds each read load lasts")
    group.add_argument("--load-uploaders", type=int, default=8, help="clients uploading an episode at once")
    group.add_argument("--load-backends", nargs="+", choices=["postgres", "sqlite"], default=["postgres", "sqlite"])
    group.add_argument("--load-web-workers", type=int, default=2, help="gunicorn workers (make run's default)")


# -- the site under test --------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SETUP = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
tokens = []
for i in range({users}):
    user, _ = get_user_model().objects.get_or_create(username=f"load{{i}}")
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
print(json.dumps(tokens))
"""


@contextmanager
def site(backend: str, folder: Path, args):
    """A migrated site with the cast, processed episodes and tokens, served by gunicorn with one Celery worker;
    yields (port, tokens, env)."""
    context = bench_database(args.api_postgres) if backend == "postgres" else nullcontext(None)
    with context as database_url:
        env = bench_env(database_url=database_url or "", redis_url=args.api_redis, folder=folder)
        if backend == "sqlite":  # make run's defaults: an SQLite file and the embedded broker under DATA_DIR
            for name in ("DATABASE_URL", "REDIS_URL"):
                env.pop(name, None)
        env.update(ALLOWED_HOSTS="127.0.0.1,localhost")
        python = sys.executable
        _run([python, "manage.py", "migrate", "--noinput"], env, f"{backend}: migrate")
        _run([python, "manage.py", "sync_cast"], env, f"{backend}: sync_cast")
        for seed in SEED_EPISODES:
            video = folder / f"seed-{seed}.mp4"
            _write_episode(video, 6, seed)
            _run([python, "manage.py", "process_episode", str(video), "--title", f"Seed {seed}", "--sync"], env,
                 f"{backend}: process seed episode {seed}")
        tokens = json.loads(_run([python, "manage.py", "shell", "-c", SETUP.format(users=args.load_uploaders + 1)],
                                 env, f"{backend}: tokens").strip().splitlines()[-1])
        port = _free_port()
        logs = folder / "logs"
        logs.mkdir(exist_ok=True)
        web = subprocess.Popen([python, "-m", "gunicorn", "toonsite.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
                                str(args.load_web_workers), "--timeout", "120"], cwd=ROOT, env=env,
                               stdout=open(logs / "web.log", "w"), stderr=subprocess.STDOUT)
        worker = subprocess.Popen([python, "-m", "celery", "-A", "toonsite", "worker", "--queues", "gpu",
                                   "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel",
                                   "WARNING", "--hostname", f"load-{uuid.uuid4().hex[:6]}@%h"],
                                  cwd=ROOT, env=env, stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT)
        try:
            _wait_for(port)
            yield port, tokens, env
        finally:
            for process in (web, worker):
                process.terminate()
            for process in (web, worker):
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()


def _write_episode(path: Path, seconds: float, seed: int) -> None:
    from toonvision.studio.episode import write_episode

    write_episode(path, seconds=seconds, seed=seed)


def _wait_for(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn on port {port} did not answer within {timeout:.0f} s")


def _request(port: int, method: str, path: str, *, token: str | None = None, body: bytes | None = None,
             content_type: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    headers = {"Authorization": f"Token {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _multipart(fields: dict[str, str], file_name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _upload(port: int, token: str, path: Path, title: str) -> tuple[int, dict]:
    body, content_type = _multipart({"title": title}, path.name, path.read_bytes())
    status, payload = _request(port, "POST", "/api/episodes/", token=token, body=body, content_type=content_type)
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, {"detail": payload[:300].decode(errors="replace")}


# -- the loads ------------------------------------------------------------------------------------------------------
def _read_paths(port: int, token: str) -> list[str]:
    episodes = json.loads(_request(port, "GET", "/api/episodes/?status=done", token=token)[1])["results"]
    ids = [e["id"] for e in episodes]
    paths = ["/api/episodes/", "/api/characters/", "/api/characters/pip/", "/api/leaderboard/?emotion=happy"]
    for emotion in ("happy", "sad", "surprise", "angry"):
        paths += [f"/api/detections/?character=pip&emotion={emotion}",
                  f"/api/recommendations/?character=pip&emotion={emotion}"]
    for pk in ids:
        paths += [f"/api/episodes/{pk}/", f"/api/episodes/{pk}/timeline/", f"/api/episodes/{pk}/subtitles.vtt",
                  f"/api/recommendations/similar/{pk}/", f"/api/detections/?episode={pk}&ordering=time"]
    return paths


def _keep_busy(port: int, token: str, episode_id: int, stop: threading.Event) -> None:
    """Reprocess the busy episode whenever it is done, so the worker works all through the read load."""
    while not stop.wait(1.0):
        status, body = _request(port, "GET", f"/api/episodes/{episode_id}/", token=token)
        if status == 200 and json.loads(body)["status"] in ("done", "failed"):
            _request(port, "POST", f"/api/episodes/{episode_id}/reprocess/", token=token, body=b"{}",
                     content_type="application/json")


def read_load(port: int, token: str, clients: int, seconds: float) -> dict:
    paths = _read_paths(port, token)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                status = _request(port, "GET", rng.choice(paths), token=token)[0]
            except OSError:
                status = 599  # no answer at all counts with the server errors
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - began
    refused = sum(n for s, n in statuses.items() if 400 <= s < 500)
    if refused > len(latencies) // 100:  # the bench asks only for what exists: many 4xx means it is broken
        raise RuntimeError(f"{refused} of {len(latencies)} reads were refused: {statuses}")
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "rps": len(latencies) / elapsed, "p50_ms": _percentile(latencies, 50), "p99_ms": _percentile(latencies, 99),
            "server_errors": sum(n for s, n in statuses.items() if s >= 500), "statuses": statuses,
            "paths": len(paths), "load_average": os.getloadavg()[0]}


def upload_load(port: int, tokens: list[str], folder: Path, timeout: float = 900) -> dict:
    videos = []
    for i, token in enumerate(tokens):
        video = folder / f"upload-{i}.mp4"
        _write_episode(video, 4, UPLOAD_SEED + i)
        videos.append((token, video))
    answers: list[tuple[int, dict]] = [(0, {})] * len(videos)
    start = threading.Barrier(len(videos))

    def uploader(index: int) -> None:
        token, video = videos[index]
        start.wait()
        try:
            answers[index] = _upload(port, token, video, f"Upload {index}")
        except OSError as error:
            answers[index] = (599, {"detail": str(error)})

    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(len(videos))]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    accepted = [body["id"] for status, body in answers if status == 201]
    pending, finished_at, statuses = set(accepted), None, {}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for pk in list(pending):
            body = json.loads(_request(port, "GET", f"/api/episodes/{pk}/", token=tokens[0])[1])
            if body["status"] in ("done", "failed"):
                statuses[pk] = body["status"]
                pending.discard(pk)
        if pending:
            time.sleep(1.0)
    if not pending:
        finished_at = time.monotonic() - began
    codes: dict[int, int] = {}
    for status, _ in answers:
        codes[status] = codes.get(status, 0) + 1
    return {"uploaders": len(videos), "accepted": len(accepted), "codes": codes,
            "server_errors": sum(n for s, n in codes.items() if s >= 500),
            "done": sum(1 for s in statuses.values() if s == "done"),
            "failed": sum(1 for s in statuses.values() if s == "failed"), "stuck": len(pending),
            "seconds_to_all_done": round(finished_at, 1) if finished_at is not None else None}


def measure(args) -> dict:
    results = []
    for backend in args.load_backends:
        with tempfile.TemporaryDirectory(prefix=f"toonsite-load-{backend}-") as tmp:
            folder = Path(tmp)
            with site(backend, folder, args) as (port, tokens, _):
                busy_video = folder / "busy.mp4"
                _write_episode(busy_video, 20, BUSY_SEED)
                status, busy = _upload(port, tokens[0], busy_video, "Busy")
                if status != 201:
                    raise RuntimeError(f"{backend}: the busy episode was refused: {status} {busy}")
                stop = threading.Event()
                keeper = threading.Thread(target=_keep_busy, args=(port, tokens[0], busy["id"], stop), daemon=True)
                keeper.start()
                reads = []
                for clients in args.load_clients:
                    print(f"   {backend}: {clients} clients for {args.load_seconds:g} s", flush=True)
                    reads.append(read_load(port, tokens[0], clients, args.load_seconds))
                stop.set()
                keeper.join(timeout=REQUEST_TIMEOUT)
                print(f"   {backend}: {args.load_uploaders} uploads at once", flush=True)
                uploads = upload_load(port, tokens[1:], folder)
            results.append({"backend": backend, "reads": reads, "uploads": uploads,
                            "web_workers": args.load_web_workers})
    return {"backends": results}


BACKENDS = {"postgres": "PostgreSQL + Redis", "sqlite": "SQLite + the embedded filesystem broker (make run's defaults)"}


def render(figures: dict) -> list[str]:
    lines = [
        "Real gunicorn (sync workers, as `make run` starts it) and one Celery worker on this machine, over sockets on "
        "127.0.0.1. Reads: each client sends one request at a time, drawn at random from the API's read endpoints "
        "(episode list and detail, timelines, subtitles, characters, face search, recommendations, alike episodes, "
        "the leaderboard) with a token, while the worker is kept busy reprocessing a 20 s studio episode. "
        "Uploads: distinct 4 s studio episodes posted at the same moment, one per client and user, then followed "
        "until done. The clients share the two cores with the server and the worker.",
        "",
        "| database + broker | web workers | clients | seconds | requests | requests/s | p50 ms | p99 ms | 5xx |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for entry in figures["backends"]:
        for read in entry["reads"]:
            lines.append(f"| {BACKENDS[entry['backend']]} | {entry['web_workers']} | {read['clients']} | "
                         f"{read['seconds']:.0f} | {read['requests']} | {read['rps']:.1f} | {read['p50_ms']:.0f} | "
                         f"{read['p99_ms']:.0f} | {read['server_errors']} |")
    lines += ["", "| database + broker | uploads at once | accepted | 5xx | done | failed | stuck | seconds until all "
                  "done |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for entry in figures["backends"]:
        up = entry["uploads"]
        done_in = f"{up['seconds_to_all_done']:.0f}" if up["seconds_to_all_done"] is not None else "not all done"
        lines.append(f"| {BACKENDS[entry['backend']]} | {up['uploaders']} | {up['accepted']} | {up['server_errors']} | "
                     f"{up['done']} | {up['failed']} | {up['stuck']} | {done_in} |")
    medians = [r["p50_ms"] for e in figures["backends"] for r in e["reads"]]
    if medians:
        lines += ["", f"Median of the medians: {statistics.median(medians):.0f} ms. Latency under load is mostly "
                      "queueing: with two sync web workers, 16 or 32 clients wait their turn."]
    return lines
