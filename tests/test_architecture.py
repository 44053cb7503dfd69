"""The house rules a newcomer relies on, checked on the code itself: short modules in the Django apps, no import
cycle between their modules, and the import contracts in pyproject.toml (the vision core is Django-free)."""
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
APPS = ("emotions", "recommender", "toonsite")
MAX_LINES = 400


def test_no_python_file_in_the_django_apps_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (lines): {long}"


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_between_modules_of_the_apps():
    """Every import counts, those inside functions too: a cycle hidden in a function body is still a cycle.
    A package's __init__ importing its own modules is not a cycle of the code, so packages themselves are left out."""
    graph = grimp.build_graph(*APPS, "toonvision", include_external_packages=False)
    packages = {m for m in graph.modules if (ROOT / m.replace(".", "/")).is_dir()}
    cycles = _cycles(graph, graph.modules - packages)
    assert cycles == [], f"import cycles: {cycles}"


def test_the_import_contracts_hold():
    """`lint-imports` (import-linter) with the contracts in pyproject.toml, as a developer runs it."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is in requirements-dev.txt; `make install` installs it"
    result = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and "0 broken" in result.stdout
