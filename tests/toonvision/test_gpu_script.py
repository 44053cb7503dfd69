"""The one script a lent GPU machine runs (benchmarks/gpu.py) works before a lease is spent on it: on the CPU, small,
every step measures without an error and without Django, which that machine's Python does not have."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_WITHOUT_DJANGO = (
    "import runpy, sys; sys.argv = ['gpu'] + sys.argv[1:]; "
    "runpy.run_module('benchmarks.gpu', run_name='__main__'); "
    "assert 'django' not in sys.modules, 'the GPU script imported Django'"
)


@pytest.mark.slow
def test_every_step_of_the_gpu_script_measures_on_the_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    done = subprocess.run([sys.executable, "-c", RUN_WITHOUT_DJANGO, "--device", "cpu", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    steps = ("decode", "detect", "cnn", "segment", "cascade", "finetune")
    errors = {step: figures[step]["error"] for step in steps if "error" in figures[step]}
    assert not errors, errors
    assert all(row["share_of_opencv_found"] >= 0.99 and row["share_of_torch_in_opencv"] >= 0.99
               for row in figures["detect"].values())
    assert {"cpu fp32", "cpu bf16"} <= set(figures["cnn"])
    segment = figures["segment"]
    assert segment["480p cpu opencv"]["faces"] == segment["480p cpu torch"]["faces"] > 0
    assert figures["cascade"]["cpu"]["seconds"] > 0 and 0 <= figures["finetune"]["cpu"]["line_art_accuracy"] <= 1
