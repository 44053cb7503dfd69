"""The vision core is Django-free: importing every module of it, in a fresh interpreter, loads no Django, no
Celery, no REST framework and none of the site's own packages (import-linter's contract checks the same
statically; this checks what an import really loads). And the studio, which draws test pictures, is loaded
only by what draws them: no other vision module pulls it in."""

import json
import subprocess
import sys

from tests.toonvision.conftest import REPO_ROOT

FORBIDDEN = ("django", "rest_framework", "celery", "emotions", "recommender", "toonsite")

# pkgutil.walk_packages imports every package it walks into, so a skipped package would be loaded by the walk
# itself: this walk imports each module as it goes and never enters what it skips.
IMPORT_MODULES = """
import importlib, json, pkgutil, sys
import toonvision

skip = tuple(sys.argv[1:])

def walk(path, prefix):
    for module in pkgutil.iter_modules(path, prefix):
        if any(module.name == s or module.name.startswith(s + ".") for s in skip):
            continue
        yield module.name
        loaded = importlib.import_module(module.name)
        if module.ispkg:
            yield from walk(loaded.__path__, module.name + ".")

names = list(walk(toonvision.__path__, "toonvision."))
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def import_in_fresh_interpreter(*skip: str) -> tuple[list[str], list[str]]:
    """Import every toonvision module but those under `skip` in a new Python: (modules imported, sys.modules)."""
    done = subprocess.run([sys.executable, "-c", IMPORT_MODULES, *skip], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["imported"], report["loaded"]


def test_importing_every_vision_module_loads_no_django_nor_the_site():
    imported, loaded = import_in_fresh_interpreter()
    assert {"toonvision.segmentation", "toonvision.studio.episode", "toonvision.cascade_training.trainer"} <= set(
        imported
    ), imported
    forbidden = [name for name in loaded if name.split(".")[0] in FORBIDDEN]
    assert forbidden == [], f"the vision core pulled in {forbidden}"


def test_no_vision_module_but_the_studio_loads_the_studio():
    imported, loaded = import_in_fresh_interpreter("toonvision.studio")
    assert "toonvision.segmentation" in imported and "toonvision.truth_metrics" in imported
    studio = [name for name in loaded if name == "toonvision.studio" or name.startswith("toonvision.studio.")]
    assert studio == [], f"a vision module outside the studio pulled in {studio}"
