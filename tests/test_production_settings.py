"""Production settings come from the environment: with the README's production variables `check --deploy` is
clean, and without them it warns (so the check is real)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The variables README.md's "Running it in production" section documents for a site behind a TLS proxy.
PRODUCTION = {"HTTPS": "true", "SECURE_HSTS_PRELOAD": "true", "SECURE_PROXY_SSL_HEADER": "true",
              "ALLOWED_HOSTS": "toons.example.org", "CSRF_TRUSTED_ORIGINS": "https://toons.example.org"}


def check_deploy(tmp_path, extra: dict) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the browser tests' own
    env = {**inherited, "DJANGO_SETTINGS_MODULE": "toonsite.settings", "TOONSITE_DATA_DIR": str(tmp_path),
           "SECRET_KEY": "", "DEBUG": "false", **extra}
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_documented_production_variables(tmp_path):
    result = check_deploy(tmp_path, PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_them_check_deploy_names_what_is_missing(tmp_path):
    result = check_deploy(tmp_path, {})
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_a_weak_secret_key_stops_a_production_site_with_a_clear_message(tmp_path):
    result = check_deploy(tmp_path, {**PRODUCTION, "SECRET_KEY": "changeme"})
    assert result.returncode == 1
    assert "SECRET_KEY is too weak" in result.stderr and "Traceback" not in result.stderr


def test_a_weak_secret_key_is_allowed_while_debugging(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "toonsite.settings", "TOONSITE_DATA_DIR": str(tmp_path),
           "SECRET_KEY": "dev", "DEBUG": "true"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
