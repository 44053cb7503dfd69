"""The vision core is Django-free: importing every module of it, in a fresh interpreter, loads no Django, no
Celery, no REST framework and none of the site's own packages (import-linter's contract checks the same
statically; this checks what an import really loads)."""

import json
import subprocess
import sys

from tests.toonvision.conftest import REPO_ROOT

FORBIDDEN = ("django", "rest_framework", "celery", "emotions", "recommender", "toonsite")

IMPORT_EVERYTHING = f"""
import importlib, json, pkgutil, sys
import toonvision

def fail(name):
    raise ImportError(f"could not import {{name}}")

names = [m.name for m in pkgutil.walk_packages(toonvision.__path__, "toonvision.", onerror=fail)]
for name in names:
    importlib.import_module(name)
forbidden = {FORBIDDEN!r}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
print(json.dumps({{"imported": names, "forbidden_loaded": loaded}}))
"""


def test_importing_every_vision_module_loads_no_django_nor_the_site():
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    imported = report["imported"]
    assert {"toonvision.segmentation", "toonvision.studio.episode", "toonvision.cascade_training.trainer"} <= set(
        imported
    ), imported
    assert report["forbidden_loaded"] == [], f"the vision core pulled in {report['forbidden_loaded']}"
