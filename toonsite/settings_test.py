"""Settings for the test suite: the base settings with a throwaway data folder and fast password hashing."""
import os
import tempfile

# Must be set before the base settings read it, so tests never touch a developer's data/.
os.environ.setdefault("TOONSITE_DATA_DIR", tempfile.mkdtemp(prefix="toonsite-test-"))

from toonsite.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  whitenoise expects it; tests never collect static
