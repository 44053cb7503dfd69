"""The pages section of `make bench`: the server time of each browser page over a million faces.

Like the API section, it fills a PostgreSQL database of its own (`manage.py bulk_detections`: --pages-detections
faces over --pages-episodes episodes), then a separate Django process requests every page --pages-requests times
through Django's test client, logged in (sessions, middleware, templates, PostgreSQL; no socket and no browser, so
this is the server's share of a page view). The episode page, the character browser and the frame search list
moments (built by bulk_detections as the pipeline builds them). Parameters are drawn at random for every request:
episodes, characters, emotions, confidences; "a following page" requests follow the `after=` links that the first pages
answered. p50 and p99 are over those requests, after a few warm-up requests of each kind. The target is 200 ms.
"""
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.api import WARMUP, _percentile, _run, bench_database, bench_env, timed_get

TARGET_MS = 200
NEXT_LINK = re.compile(r'href="([^"]*[?&](?:amp;)?after=[^"]*)"')


def add_arguments(parser) -> None:
    group = parser.add_argument_group("pages")
    group.add_argument("--pages-detections", type=int, default=1_000_000, help="faces in the pages database")
    group.add_argument("--pages-episodes", type=int, default=200, help="episodes they are spread over")
    group.add_argument("--pages-requests", type=int, default=100, help="timed requests of each page kind")


def measure(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="toonsite-pages-bench-") as tmp, bench_database(args.api_postgres) as url:
        tmp = Path(tmp)
        env = bench_env(database_url=url, redis_url=args.api_redis, folder=tmp)
        python = sys.executable
        _run([python, "manage.py", "migrate", "--noinput"], env, "migrate")
        _run([python, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        began = time.perf_counter()
        _run([python, "manage.py", "bulk_detections", "--episodes", str(args.pages_episodes), "--detections",
              str(args.pages_detections), "--owner", "bench"], env, "bulk_detections")
        bulk_seconds = time.perf_counter() - began
        out = tmp / "pages.json"
        _run([python, "-m", "benchmarks.pages", "--requests", str(args.pages_requests), "--out", str(out)],
             env, "pages")
        figures = json.loads(out.read_text())
    figures["dataset"]["bulk_seconds"] = bulk_seconds
    return figures


def render(figures: dict) -> list[str]:
    data = figures["dataset"]
    slowest = max(kind["p50_ms"] for kind in figures["pages"])
    lines = [
        f"PostgreSQL database of its own: {data['detections']:,} detections over {data['episodes']} episodes "
        f"({data['characters']} characters; {data.get('moments', 0):,} moments, which the frame search, the episode "
        f"page and the character browser list), made by `manage.py bulk_detections` in {data['bulk_seconds']:.0f} s. "
        f"Each page: {data['requests']} requests through Django's test client as a logged-in user (sessions, "
        "middleware, templates, PostgreSQL; no socket or browser: the server's share of a page view), "
        f"parameters drawn at random per request, after {WARMUP} warm-up requests. The target is a server time "
        f"under {TARGET_MS} ms; the slowest page's median here is {slowest:.0f} ms. The machine is shared and noisy "
        f"(1-minute load average {data['load_average']:.1f} on its {data['cpus']} cores when the requests ended): "
        "read p99 as an upper bound. × home is a page's median over the home page's in the same run: the load "
        "slows both, so the ratio says what a page costs beside the lightest one however busy the machine.",
        "",
        "| page | example | p50 ms | p99 ms | mean ms | × home | under 200 ms | HTML KiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    home = next((kind["p50_ms"] for kind in figures["pages"] if kind["kind"] == "home"), None)
    for kind in figures["pages"]:
        share = kind["under_target"] / kind["requests"]
        ratio = f"{kind['p50_ms'] / home:.1f}" if home else "–"
        lines.append(f"| {kind['kind']} | `{kind['example']}` | {kind['p50_ms']:.1f} | {kind['p99_ms']:.1f} | "
                     f"{kind['mean_ms']:.1f} | {ratio} | {share:.0%} | {kind['kib_mean']:.0f} |")
    return lines


# -- inside a Django process on the bench database ----------------------------------------------------------------
def pages_main(requests: int, out: Path) -> None:
    import django

    django.setup()
    import numpy as np
    from django.contrib.auth import get_user_model
    from django.test import Client

    from emotions.models import Character, Detection, Episode, Moment
    from toonvision.emotions import EMOTIONS

    rng = np.random.default_rng(11)
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    episodes = list(Episode.objects.values_list("pk", "duration"))
    slugs = list(Character.objects.order_by("slug").values_list("slug", flat=True))
    followed: dict[str, list[str]] = {"episode": [], "character": [], "frames": []}

    def pick(items):
        return items[int(rng.integers(len(items)))]

    def following(kind: str, fallback):
        return lambda: followed[kind].pop() if followed[kind] else fallback()

    def episode():
        pk, duration = pick(episodes)
        return f"/episodes/{pk}/?t={rng.uniform(0, duration):.1f}"

    def character():
        return f"/characters/{pick(slugs)}/?emotion={pick(EMOTIONS)}"

    def frames():
        query = f"character={pick(slugs)}&emotion={pick(EMOTIONS)}"
        if rng.random() < 0.5:
            query += f"&min_confidence={rng.uniform(0.5, 0.9):.2f}"
        return f"/frames/?{query}"

    def frames_episode():
        return f"/frames/?episode={pick(episodes)[0]}"

    kinds = [
        ("home", lambda: "/", None),
        ("episodes: the list", lambda: "/episodes/", None),
        ("episode page: video, timeline, moments, alike episodes", episode, "episode"),
        ("episode page: a following page of moments", following("episode", episode), None),
        ("characters: the cast", lambda: "/characters/", None),
        ("character browser: an emotion's tab of moments", character, "character"),
        ("character browser: a following page of moments", following("character", character), None),
        ("frame search: character + emotion (+ confidence)", frames, "frames"),
        ("frame search: one episode", frames_episode, None),
        ("frame search: a following page", following("frames", frames), None),
        ("recommendations: character + emotion", lambda: f"/recommendations/?character={pick(slugs)}"
                                                         f"&emotion={pick(EMOTIONS)}", None),
        ("leaderboard: emotion", lambda: f"/leaderboard/?emotion={pick(EMOTIONS)}", None),
    ]
    results = []
    for name, make, collect in kinds:
        times, sizes, example = [], [], None
        for n in range(WARMUP + requests):
            url = make()
            elapsed, response = timed_get(client, url)
            body = response.content
            if collect and len(followed[collect]) < 50:
                links = NEXT_LINK.findall(body.decode())
                if links:
                    link = links[-1].replace("&amp;", "&")
                    followed[collect].append(link if link.startswith("/") else url.split("?")[0] + link)
            if n >= WARMUP:
                times.append(elapsed)
                sizes.append(len(body) / 1024)
                example = example or url
        results.append({"kind": name, "example": example, "p50_ms": _percentile(times, 50),
                        "p99_ms": _percentile(times, 99), "mean_ms": statistics.fmean(times),
                        "under_target": sum(t < TARGET_MS for t in times), "requests": len(times),
                        "kib_mean": statistics.fmean(sizes)})
        print(f"   {name}: p50 {results[-1]['p50_ms']:.1f} ms, p99 {results[-1]['p99_ms']:.1f} ms", flush=True)
    dataset = {"detections": Detection.objects.count(), "moments": Moment.objects.count(), "episodes": len(episodes),
               "characters": len(slugs),
               "requests": requests, "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
    out.write_text(json.dumps({"dataset": dataset, "pages": results}, indent=2))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="time the pages (run by benchmarks.run in a bench database)")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    options = parser.parse_args()
    pages_main(options.requests, options.out)
