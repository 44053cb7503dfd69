"""Probe an untrusted video in a child process, under a time and a memory limit.

A hostile file can make FFmpeg slow or hungry (a huge picture, a crafted index); in a child process that is
killed at its deadline and capped in memory, the worst it does is a refusal, and the caller (a web worker) is
held for `timeout` seconds at most.

    info = probe_untrusted("upload.mp4", limits=VideoLimits(max_pixels=3840 * 2160), timeout=20)

The child is `python -m toonvision.probe PATH LIMITS_JSON MEMORY_BYTES`; it prints one JSON line: {"info": {...}} or
{"error": "...", "over_limits": bool}.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from .video import VideoError, VideoInfo, VideoLimits, VideoOverLimits, probe_video

# The folder holding the toonvision package, so the child imports this very copy whatever its working directory.
_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def probe_untrusted(path, *, limits: VideoLimits, timeout: float = 20.0,
                    memory_bytes: int = 2 * 1024**3) -> VideoInfo:
    """probe_video(path, limits=limits) in a child process; VideoError (or VideoOverLimits) when refused, also
    when the probe runs past `timeout` seconds or out of `memory_bytes` of address space."""
    command = [sys.executable, "-m", "toonvision.probe", str(path), json.dumps(asdict(limits)), str(memory_bytes)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")])),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise VideoError(f"not a video: probing {path} took longer than {timeout:g} s") from None
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if "info" in answer:
        return VideoInfo(**answer["info"])
    if "error" in answer:
        raise (VideoOverLimits if answer.get("over_limits") else VideoError)(answer["error"])
    raise VideoError(f"not a video: probing {path} failed (exit {done.returncode}; it may need more than "
                     f"{memory_bytes / 1024**3:.1f} GiB)")


def main(argv: list[str]) -> int:
    path, limits, memory_bytes = argv[0], VideoLimits(**json.loads(argv[1])), int(argv[2])
    # Set here, in the child (preexec_fn is unsafe in a threaded parent); the libraries are already loaded.
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        answer = {"info": asdict(probe_video(path, limits=limits))}
    except VideoError as error:
        answer = {"error": str(error), "over_limits": isinstance(error, VideoOverLimits)}
    except MemoryError:
        answer = {"error": f"not a video: probing {path} needed too much memory"}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
