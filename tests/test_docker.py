"""docker/: no Docker engine runs here, so the compose file is parsed and checked against the settings module: its
services and commands, that every variable it sets is one the settings read (with the settings' own defaults), and
that the images build what they should. `docker compose config` runs where the client has the compose plugin."""
import ast
import json
import os
import re
import shutil
import subprocess
from urllib.parse import urlparse

import pytest
import yaml

from tests.processes import ROOT, manage_py

DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
APP_SERVICES = {"web": "Dockerfile.web", "worker": "Dockerfile.worker", "gpu-worker": "Dockerfile.gpu"}
# Read by the processes' start commands (as in scripts/run.sh), not by the settings.
COMMAND_VARIABLES = {"WEB_CONCURRENCY", "WORKER_CONCURRENCY"}
# Settings the stack leaves to their defaults, and why.
LEFT_TO_DEFAULTS = {
    "CELERY_BROKER_URL": "follows REDIS_URL",
    "CELERY_RESULT_BACKEND": "follows REDIS_URL",
    "STATIC_ROOT": "under TOONSITE_DATA_DIR, filled by the web image's collectstatic",
    "EMOTION_WEIGHTS": "the shipped weights inside the image",
    "SQLITE_BUSY_TIMEOUT": "the stack runs PostgreSQL",
    "SECURE_SSL_REDIRECT": "follows HTTPS",
    "SECURE_HSTS_SECONDS": "follows HTTPS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "follows HTTPS",
    "SESSION_COOKIE_SECURE": "follows HTTPS",
    "CSRF_COOKIE_SECURE": "follows HTTPS",
}
STRONG_KEY = "k3y-" + "0123456789abcdef" * 4  # strong enough for the settings' check
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def settings_variables() -> set[str]:
    """Every environment variable toonsite/settings.py reads: env("X"), env.int("X"), env.db("X"), ..."""
    tree = ast.parse((ROOT / "toonsite" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env")
        first = node.args[0]
        if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def interpolate(value: str, environ: dict) -> str:
    """Compose's variable interpolation (${X}, ${X:-default}, ${X-default}, ${X:?error}, $$)."""
    def replace(match):
        name, op, arg = match["name"], match["op"], match["arg"]
        present = environ.get(name)
        if op == ":-":
            return present if present else arg
        if op == "-":
            return present if present is not None else arg
        if op in (":?", "?") and not present:
            raise ValueError(f"{name}: {arg}")
        return present or ""

    return _VARIABLE.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def app_env(service: dict, environ: dict | None = None) -> dict[str, str]:
    environ = {"SECRET_KEY": "test", **(environ or {})}
    return {name: interpolate(str(value), environ) for name, value in service["environment"].items()}


def command(service: dict) -> str:
    parts = service["command"]
    assert parts[:2] == ["sh", "-c"], parts
    return parts[2]


def dockerfile(name: str) -> str:
    return (DOCKER / name).read_text()


def dockerfile_cmd(name: str) -> str:
    (line,) = [line for line in dockerfile(name).splitlines() if line.startswith("CMD ")]
    parts = json.loads(line.removeprefix("CMD "))
    assert parts[:2] == ["sh", "-c"], parts
    return parts[2]


# -- services, images and commands ----------------------------------------------------------------------------
def test_the_stack_has_postgresql_redis_web_and_both_workers(compose):
    services = compose["services"]
    assert set(services) == {"db", "redis", *APP_SERVICES}
    assert services["db"]["image"].startswith("postgres:") and services["redis"]["image"].startswith("redis:")
    for name, file in APP_SERVICES.items():
        assert services[name]["build"] == {"context": "..", "dockerfile": f"docker/{file}"}
        assert (DOCKER / file).is_file()
        assert services[name]["depends_on"] == {"db": {"condition": "service_healthy"},
                                                "redis": {"condition": "service_healthy"}}
    assert services["gpu-worker"]["profiles"] == ["gpu"] and "profiles" not in services["worker"]
    devices = services["gpu-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_the_gpu_worker_is_built_on_cuda_with_torchs_cuda_build_and_the_others_on_the_cpu_build():
    gpu = dockerfile("Dockerfile.gpu")
    assert re.search(r"^FROM nvidia/cuda:\S+", gpu, re.M)
    assert "download.pytorch.org/whl/cu" in gpu
    for name in ("Dockerfile.web", "Dockerfile.worker"):
        assert re.search(r"^FROM python:3\.11", dockerfile(name), re.M)
        assert "download.pytorch.org/whl/cpu" in dockerfile(name)


def test_the_web_migrates_syncs_the_cast_sweeps_the_spool_then_gunicorn_and_workers_run_celery_on_their_queues(compose):
    services = compose["services"]
    web = command(services["web"])
    assert re.fullmatch(r"python manage\.py migrate --noinput && python manage\.py sync_cast && "
                        r"python manage\.py sweep_upload_spool && exec gunicorn toonsite\.wsgi --bind 0\.0\.0\.0:8000 "
                        r"--workers \$\{WEB_CONCURRENCY:-2\} --timeout \d+", web), web
    assert services["web"]["ports"] == ["8000:8000"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])

    def queues(service: str, environ=None) -> set[str]:
        text = interpolate(command(services[service]), environ or {})
        assert text.startswith("exec celery -A toonsite worker "), text
        return set(re.search(r"--queues (\S+)", text)[1].split(","))

    # One queue, the range tasks': without the gpu profile the CPU worker processes episodes too.
    assert queues("worker") == queues("gpu-worker") == {"gpu"}
    # EPISODE_QUEUE moves the range tasks to another queue: both workers follow it.
    assert queues("worker", {"EPISODE_QUEUE": "episodes"}) == {"episodes"}
    assert queues("gpu-worker", {"EPISODE_QUEUE": "episodes"}) == {"episodes"}
    # An image started without compose runs the same command.
    assert dockerfile_cmd("Dockerfile.web") == web
    assert dockerfile_cmd("Dockerfile.worker") == command(services["worker"])
    assert dockerfile_cmd("Dockerfile.gpu") == command(services["gpu-worker"])


def test_the_web_image_gathers_its_static_files_at_build_time():
    lines = dockerfile("Dockerfile.web").splitlines()
    build = next(line for line in lines if line.startswith("RUN") and "collectstatic" in line)
    assert build.startswith("RUN SECRET_KEY=") and "secrets.token_urlsafe(50)" in build  # a throwaway, strong key
    assert "python manage.py collectstatic --noinput" in build


# -- environment variables ----------------------------------------------------------------------------------------
def test_every_variable_the_stack_sets_is_one_the_settings_read(compose):
    read = settings_variables()
    assert {"DATABASE_URL", "REDIS_URL", "MAX_EPISODE_UPLOAD_BYTES", "EPISODE_QUEUE", "CAST_DIR", "PUBLIC_READ",
            "UPLOAD_THROTTLE_RATE", "CELERY_VISIBILITY_TIMEOUT"} <= read  # the parser finds them
    for name in APP_SERVICES:
        service = compose["services"][name]
        unknown = set(service["environment"]) - read
        assert not unknown, f"{name} sets {sorted(unknown)}, which toonsite/settings.py never reads"
        used = {m["name"] for m in _VARIABLE.finditer(command(service))}
        assert used <= read | COMMAND_VARIABLES, f"{name}'s command reads {sorted(used - read - COMMAND_VARIABLES)}"
        env_lines = re.findall(r"^ENV (.+)$", dockerfile(APP_SERVICES[name]), re.M)
        image_vars = {pair.split("=")[0] for line in env_lines for pair in line.split()} - {
            "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PATH", "DEBIAN_FRONTEND"}
        assert image_vars <= read, f"{APP_SERVICES[name]} sets {sorted(image_vars - read)}"


def test_every_setting_from_the_environment_is_given_to_the_stack_or_left_to_its_default_on_purpose(compose):
    given = set(compose["x-app-env"]) | {"TORCH_DEVICE", "TOONSITE_DATA_DIR"}
    missing = settings_variables() - given - set(LEFT_TO_DEFAULTS)
    assert not missing, f"settings read {sorted(missing)}: pass them in docker/compose.yaml's x-app-env"
    for name in APP_SERVICES:
        assert compose["services"][name]["environment"]["TORCH_DEVICE"] == ("cuda" if name == "gpu-worker" else "cpu")
        assert "TOONSITE_DATA_DIR=/data" in dockerfile(APP_SERVICES[name])


@pytest.mark.slow
def test_the_stacks_defaults_are_the_settings_own(compose, tmp_path):
    """With no variable set on the host, the stack's ${X:-default}s configure exactly what the settings would choose
    by themselves: every setting is the same with them as without them."""
    defaults = {}
    for name, value in compose["x-app-env"].items():
        match = _VARIABLE.fullmatch(str(value))
        if match and match["op"] == ":-":
            defaults[name] = match["arg"]
    assert len(defaults) >= 20, defaults
    show = ("import json; from django.conf import settings; "
            "print(json.dumps({k: getattr(settings, k) for k in dir(settings) if k.isupper()}, default=str))")
    base = {name: None for name in defaults} | {"TOONSITE_DATA_DIR": str(tmp_path), "SECRET_KEY": STRONG_KEY,
                                                "REDIS_URL": "redis://redis:6379/0", "CELERY_BROKER_URL": None,
                                                "CELERY_RESULT_BACKEND": None, "DATABASE_URL": None}
    own = manage_py("shell", "-c", show, env=base)
    stack = manage_py("shell", "-c", show, env={**base, **defaults})
    assert own.returncode == stack.returncode == 0, own.stderr + stack.stderr
    own_settings, stack_settings = (json.loads(r.stdout.strip().splitlines()[-1]) for r in (own, stack))
    differ = {k: (own_settings.get(k), stack_settings.get(k)) for k in own_settings | stack_settings
              if own_settings.get(k) != stack_settings.get(k)}
    assert not differ, differ


def test_the_services_meet_where_the_settings_say(compose):
    services = compose["services"]
    env = app_env(services["web"])
    database = urlparse(env["DATABASE_URL"])
    db = services["db"]["environment"]
    assert (database.hostname, database.port, database.username, database.password, database.path) == (
        "db", 5432, db["POSTGRES_USER"], db["POSTGRES_PASSWORD"], "/" + db["POSTGRES_DB"])
    assert urlparse(env["REDIS_URL"]).hostname == urlparse(env["CACHE_URL"]).hostname == "redis"
    assert env["REDIS_URL"] != env["CACHE_URL"]  # throttle counters never mix with the broker's keys
    for name in APP_SERVICES:  # one media volume, where every process looks for it
        assert f"media:{app_env(services[name])['MEDIA_ROOT']}" in services[name]["volumes"]
    with pytest.raises(ValueError, match="set SECRET_KEY"):
        interpolate(services["web"]["environment"]["SECRET_KEY"], {})


def test_docker_compose_config_accepts_the_file():
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on this machine")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"the docker client has no compose plugin: {(probe.stderr or probe.stdout).strip()[:200]}")
    env = {**os.environ, "SECRET_KEY": "test"}
    result = subprocess.run([docker, "compose", "-f", str(COMPOSE), "--profile", "gpu", "config", "--format", "json"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == {"db", "redis", *APP_SERVICES}
    assert resolved["services"]["worker"]["environment"]["EPISODE_QUEUE"] == "gpu"


@pytest.mark.slow
def test_collectstatic_as_the_web_image_runs_it_gathers_the_docs_pages_assets(tmp_path):
    result = manage_py("collectstatic", "--noinput", "--verbosity", "0",
                       env={"DJANGO_SETTINGS_MODULE": "toonsite.settings", "TOONSITE_DATA_DIR": str(tmp_path),
                            "SECRET_KEY": STRONG_KEY, "STATIC_ROOT": None, "DATABASE_URL": None})
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert f"drf_spectacular_sidecar/swagger-ui-dist/{asset}" in manifest
        assert (tmp_path / "static" / manifest[f"drf_spectacular_sidecar/swagger-ui-dist/{asset}"]).is_file()
