"""The long-episode section of `make bench`: a 1080p studio episode processed end to end by one worker with `make
run`'s defaults (benchmarks/endtoend.py: SQLite, the filesystem broker, `celery worker --concurrency 1`), and its
first minutes (cut from the same file at a keyframe, no re-encoding) the same way, each on a fresh data folder and a
fresh worker: time, the worker's peak memory (VmHWM of its main process and of the pool's child that segments), the
rows and files written, so what grows with the episode's length and what does not shows side by side.

Drawing a long 1080p episode takes long (about 23 ms of CPU a frame on a quiet machine here, 12 CPU-minutes for
22 minutes; three times that on a loaded one), so
--long-video takes one drawn before (`manage.py synth_episode OUT.mp4 --seconds 1320 --width 1920 --height 1080
--seed 6022`); without it the section draws one.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.endtoend import Worker, make_run_env, prepare

ROOT = Path(__file__).resolve().parent.parent
SEED = 6022


def add_arguments(parser) -> None:
    group = parser.add_argument_group("long")
    group.add_argument("--long-minutes", type=float, default=22, help="length of the long episode (1080p)")
    group.add_argument("--long-short-minutes", type=float, default=2, help="the shorter cut beside it")
    group.add_argument("--long-video", type=Path, help="a drawn long episode to use instead of drawing one")


def cut(source: Path, seconds: float, out: Path) -> None:
    """The first `seconds` of a video (to the first keyframe at or after them), its packets copied."""
    import av

    with av.open(str(source)) as inp, av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as res:
        stream = inp.streams.video[0]
        copy = res.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is None:
                continue
            if packet.is_keyframe and packet.pts is not None and packet.pts * stream.time_base >= seconds:
                break
            packet.stream = copy
            res.mux(packet)


def measure(args) -> dict:
    from toonvision.studio.episode import write_episode

    with tempfile.TemporaryDirectory(prefix="toonsite-long-bench-") as tmp:
        tmp = Path(tmp)
        video, drawn = args.long_video, None
        if video is None:
            video = tmp / "long.mp4"
            began = time.perf_counter()
            write_episode(video, seconds=args.long_minutes * 60, seed=SEED, width=1920, height=1080)
            drawn = time.perf_counter() - began
        short = tmp / "short.mp4"
        cut(video, args.long_short_minutes * 60, short)
        rows = []
        for name, path in (("short", short), ("long", video)):
            folder = tmp / name
            folder.mkdir()
            env = make_run_env(folder)
            prepare(env)
            out = folder / "figures.json"
            subprocess.run(
                [sys.executable, "-m", "benchmarks.long", str(path), str(out), str(folder)],
                cwd=ROOT,
                env=env,
                check=True,
            )
            rows.append(json.loads(out.read_text()))
            print(f"   {name}: {rows[-1]['seconds']:.0f} s", flush=True)
    return {"rows": rows, "drawn_seconds": drawn, "seed": SEED, "cpus": os.cpu_count()}


def render(figures: dict) -> list[str]:
    rows = figures["rows"]
    lines = [
        "One 1080p studio episode (seed 6022) and its first minutes, each uploaded to a fresh `make run` setup "
        "(SQLite, filesystem broker, one `celery worker --concurrency 1`) and timed from upload to `done`. Peak "
        "memory is VmHWM of the worker's main process and of its pool's child (the one that segments).",
        "",
        "| episode | frames | ranges | upload to done s | x real time | worker peak MiB (main / child) | detections "
        "| moments | episode emotions | frames stored | crops stored | media MiB | database MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['duration'] / 60:.1f} min {row['width']}x{row['height']} | {row['frame_count']:,} | "
            f"{row['ranges']} | {row['seconds']:.0f} | {row['duration'] / row['seconds']:.2f}x | "
            f"{row['peak_rss_mib']['main']:.0f} / {row['peak_rss_mib']['child']:.0f} | {row['detections']:,} | "
            f"{row['moments']:,} | {row['episode_emotions']} | {row['frames_stored']:,} | {row['crops_stored']:,} | "
            f"{row['media_mib']:.0f} | {row['database_mib']:.1f} |"
        )
    if len(rows) == 2:
        short, long = rows
        length = long["frame_count"] / short["frame_count"]
        detections = long["detections"] / max(1, short["detections"])
        media = long["media_mib"] / max(1e-9, short["media_mib"])
        memory = long["peak_rss_mib"]["child"] / short["peak_rss_mib"]["child"]
        lines += [
            "",
            f"The long episode is {length:.1f}x the short one's frames: its time is "
            f"{long['seconds'] / short['seconds']:.1f}x, its detections {detections:.1f}x, its media "
            f"{media:.1f}x (these grow with the length, as they should); the worker's peak memory is {memory:.2f}x. "
            "A worker holds one range at a time, and in it the colour frames of that range's faces until they are "
            "pictured (6 MB each at 1080p), so its peak is its heaviest range's, which a longer episode is likelier "
            "to have: it follows one range's content, not the episode's length.",
        ]
    if rows and rows[-1]["duration"] < 22 * 60 - 1:
        lines += [
            "",
            "The 22-minute 1080p episode itself is not measured here yet: drawing it takes about 64 ms of CPU "
            "a frame (34 CPU-minutes; 33 minutes of wall time for these 5 minutes on the loaded machine). "
            "Draw it with `manage.py synth_episode E22.mp4 --seconds 1320 --width 1920 --height 1080 --seed "
            "6022` and run `python -m benchmarks.run --only long --long-video E22.mp4 --long-short-minutes "
            "5`.",
        ]
    if figures.get("drawn_seconds"):
        lines += ["", f"Drawing the long episode took {figures['drawn_seconds'] / 60:.0f} minutes."]
    return lines


# -- inside a Django process on the length's own data folder ------------------------------------------------------
def inner_main(video: Path, out: Path, folder: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File

    from emotions.models import Detection, Episode, EpisodeEmotion, Moment, Status

    worker = Worker(dict(os.environ), settings.EPISODE_QUEUE, 1, folder / "worker.log")
    try:
        worker.wait_ready()
        from emotions.services.episodes import episode_upload

        began = time.perf_counter()
        with open(video, "rb") as handle:
            episode = episode_upload(owner=None, file=File(handle, name=video.name), title="long")
        while True:
            status, error = Episode.objects.filter(pk=episode.pk).values_list("status", "error").get()
            if status == Status.DONE:
                break
            if status == Status.FAILED:
                raise RuntimeError(f"episode failed: {error}")
            time.sleep(0.5)
        seconds = time.perf_counter() - began
        peak = worker.peak_rss_mib()
    finally:
        worker.stop()
    episode.refresh_from_db()
    detections = Detection.objects.filter(episode=episode)
    media = Path(settings.MEDIA_ROOT) / "detections"
    files = [p for p in media.rglob("*.jpg")]
    database = sum(p.stat().st_size for p in Path(settings.DATA_DIR).glob("toonsite.sqlite3*"))
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "duration": episode.duration,
                "frame_count": episode.frame_count,
                "width": episode.width,
                "height": episode.height,
                "ranges": episode.current_run.ranges.count(),
                "peak_rss_mib": peak,
                "detections": detections.count(),
                "moments": Moment.objects.filter(episode=episode).count(),
                "episode_emotions": EpisodeEmotion.objects.filter(episode=episode).count(),
                "frames_stored": sum(1 for p in files if p.parent.name == "frames"),
                "crops_stored": sum(1 for p in files if p.parent.name == "faces"),
                "media_mib": sum(p.stat().st_size for p in files) / 2**20,
                "database_mib": database / 2**20,
                "load_average": os.getloadavg()[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    inner_main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
