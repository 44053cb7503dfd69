"""`make bench`: measure ToonSite and write BENCHMARKS.md.

The benchmarks come in sections (the emotion CNN, the cascades, segmentation, ...). `make bench` runs them
all; `python -m benchmarks.run --only segmentation` re-measures one. Every section keeps, in
`benchmarks/results.json`, the command, date and machine of the run that measured it, and BENCHMARKS.md
shows them beside its figures, so each table says where it came from. Within a section every ratio
compares figures measured side by side in that one run, since absolute timings on shared machines are noisy.
"""
import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path

import torch

from benchmarks import (
    adapting,
    api,
    cascades,
    cnn,
    endtoend,
    load,
    long,
    newchars,
    pages,
    reclassify,
    segmentation,
    styles,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
SECTIONS = {
    "cnn": ("Emotion CNN", cnn),
    "adapting": ("Adapting to a new style", adapting),
    "styles": ("Generalising to unseen styles", styles),
    "cascades": ("Character cascades", cascades),
    "segmentation": ("Video segmentation", segmentation),
    "newchars": ("New characters", newchars),
    "api": ("REST API and episode processing at scale", api),
    "endtoend": ("An episode end to end with make run's defaults", endtoend),
    "long": ("A long 1080p episode end to end", long),
    "pages": ("Browser pages at scale", pages),
    "reclassify": ("Re-classifying stored faces", reclassify),
    "load": ("Under load", load),
}


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"cpu": names[0] if names else platform.processor(), "cores": os.cpu_count(), "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(), "python": platform.python_version(), "gpu": gpu}


def machine_line(info: dict) -> str:
    gpu = info["gpu"] or "no GPU"
    return (f"{info['cpu']} ({info['cores']} cores), {gpu}; torch {info['torch']} with {info['torch_threads']} "
            f"threads, Python {info['python']}")


def render(results: dict) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run`; `--only SECTION` re-measures one section). Each "
        "section names the command, date and machine of the run that measured it; ratios compare figures "
        "measured side by side in that same run. Raw figures: `benchmarks/results.json`.",
        "",
    ]
    for name, (title, module) in SECTIONS.items():
        entry = results.get(name)
        lines += [f"## {title}", ""]
        if entry is None:
            lines += ["Not measured yet: run `python -m benchmarks.run --only " + name + "`.", ""]
            continue
        load = entry.get("load_average")
        load_text = f" (1-minute load average {load[0]} before, {load[1]} after)" if load else ""
        where = machine_line(entry["machine"])
        lines += [f"Measured by `{entry['command']}` on {entry['date']}: {where}{load_text}.", ""]
        lines += module.render(entry["figures"])
        lines.append("")
    return "\n".join(lines)


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), help="measure only these sections")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: write BENCHMARKS.md again from benchmarks/results.json")
    for _, module in SECTIONS.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = "make bench" if not argv else "python -m benchmarks.run " + " ".join(argv)

    results = load_results()
    for name in [] if args.render else args.only or list(SECTIONS):
        title, module = SECTIONS[name]
        print(f"== {title}", flush=True)
        load_before = os.getloadavg()[0]
        figures = module.measure(args)
        results[name] = {"command": command, "date": dt.date.today().isoformat(), "machine": machine(),
                         "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                         "figures": figures}
        RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")  # keep what is done if a later one fails
    Path(args.out).write_text(render(results))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
