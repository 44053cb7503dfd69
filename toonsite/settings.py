"""ToonSite settings, read from the environment (django-environ).

One machine needs no configuration at all: SQLite and an embedded filesystem broker under ``DATA_DIR``.
Set ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` and the same code runs across many hosts.
"""
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

# Everything a running site writes by default (database, broker, media, secret) lives here.
DATA_DIR = Path(env("TOONSITE_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()


def _persistent_secret_key() -> str:
    """A secret generated once per installation, so the repository never holds one."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default=None) or _persistent_secret_key()
DEBUG = env.bool("DEBUG", default=False)
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    # Sessions, CSRF tokens and password resets are signed with it: a guessable key is a way in. A clear message
    # and exit 1 (manage.py, gunicorn and the workers all stop here), not a traceback.
    sys.exit("ToonSite: SECRET_KEY is too weak for a site with DEBUG off: give at least 50 characters, 5 of them "
             "different (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or leave it unset to use the "
             "one generated in TOONSITE_DATA_DIR/secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "axes",  # failed logins, per username and per address: a lockout for a while (LOGIN_FAILURE_LIMIT)
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs page's assets, served from here (no CDN)
    "csp",
    "emotions",
    "recommender",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a login django-axes refused into its 429 page
]

# The Content-Security-Policy on every response (django-csp): scripts, styles, media and everything else from the
# site only, no inline script (the pages' scripts are static files that take their data from data- attributes),
# no plugins, no framing, forms post only here. img-src adds data: for the classify card's thumbnail.
# style-src-attr allows style *attributes* only, because they carry data (bar widths, face boxes, timeline
# segments) in markup that must also work without JavaScript; an attribute styles its one element and holds no
# selectors, so it cannot read the page; <style> elements and stylesheets from elsewhere stay refused.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

ROOT_URLCONF = "toonsite.urls"
WSGI_APPLICATION = "toonsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "toonsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "toonsite.context_processors.accounts",
            ],
        },
    },
]

# --- Database: an SQLite file on one machine, PostgreSQL through DATABASE_URL beyond it.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'toonsite.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web processes and the worker write at once. WAL lets readers work beside the one writer; IMMEDIATE
    # transactions take the write lock at BEGIN, so a transaction that reads and then writes waits its turn (up
    # to the timeout) instead of failing with "database is locked" when another writer got there first.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username, or from one address,
# logging in there (the login page and /api/auth/token/) is a 429 for LOGIN_COOLOFF_SECONDS, even with the right
# password. The failures are rows in the database, so every web process counts them together.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_COOLOFF_SECONDS", default=15 * 60))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "toonsite.views.login_locked_out"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files: static assets served by whitenoise; uploads under MEDIA_ROOT.
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "toonsite" / "static"]
STORAGES = {
    # FileSystemStorage whose files appear only when whole: a failed write (the disk full) leaves nothing.
    "default": {"BACKEND": "toonsite.storage.MediaStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Where uploads over 2.5 MB are spooled while a request reads them: a folder of the site's own, so what a killed
# web process leaves there is swept at start-up (manage.py sweep_upload_spool, run before the web processes).
FILE_UPLOAD_TEMP_DIR = str(Path(env("FILE_UPLOAD_TEMP_DIR", default=str(DATA_DIR / "upload-spool"))))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "toonsite.storage.SpoolUploadHandler",  # Django's spooling, deleting its partial copy when the disk is full
]
# Largest image accepted by the classify form and API, in bytes.
MAX_IMAGE_UPLOAD_BYTES = env.int("MAX_IMAGE_UPLOAD_BYTES", default=10 * 1024 * 1024)

# What an uploaded video may be, checked from its header before a frame is decoded: picture size (width x
# height, 4K UHD by default), length, frames, and the shorter side (a face is 24 px or more).
MAX_VIDEO_PIXELS = env.int("MAX_VIDEO_PIXELS", default=3840 * 2160)
MAX_EPISODE_SECONDS = env.float("MAX_EPISODE_SECONDS", default=4 * 3600)
MAX_EPISODE_FRAMES = env.int("MAX_EPISODE_FRAMES", default=4 * 3600 * 60)
MIN_VIDEO_SIDE = env.int("MIN_VIDEO_SIDE", default=64)
# Seconds an upload's probe (in a child process, capped in memory) may take before the upload is refused.
UPLOAD_PROBE_TIMEOUT = env.float("UPLOAD_PROBE_TIMEOUT", default=20.0)
# Largest episode (video) accepted for upload, in bytes.
MAX_EPISODE_UPLOAD_BYTES = env.int("MAX_EPISODE_UPLOAD_BYTES", default=2 * 1024 * 1024 * 1024)
# Resumable uploads (the tus protocol, /api/uploads/): their bytes so far, kept across restarts (the start-up sweep
# of the upload spool leaves them), until finished or RESUMABLE_UPLOAD_EXPIRY_SECONDS after they began.
RESUMABLE_UPLOAD_DIR = str(Path(env("RESUMABLE_UPLOAD_DIR", default=str(DATA_DIR / "resumable-uploads"))))
RESUMABLE_UPLOAD_EXPIRY_SECONDS = env.int("RESUMABLE_UPLOAD_EXPIRY_SECONDS", default=24 * 3600)
# The largest append a resumable upload's PATCH may carry; the page's client sends chunks of half this.
RESUMABLE_CHUNK_MAX_BYTES = env.int("RESUMABLE_CHUNK_MAX_BYTES", default=64 * 1024 * 1024)

# --- Episode processing: an episode is split into ranges of this many frames, one gpu-queue task each;
# smaller ranges spread an episode over more workers, larger ones keep more of each face track in one piece.
EPISODE_RANGE_FRAMES = env.int("EPISODE_RANGE_FRAMES", default=240)
# The queue the range tasks go to: "gpu" by default, where the CNN's workers listen; another name lets a
# deployment give episodes workers of their own.
EPISODE_QUEUE = env("EPISODE_QUEUE", default="gpu")
# The segmentation method, "fast" (ours) or "seed" (the dissertation's: every frame, no tracking).
EPISODE_METHOD = env("EPISODE_METHOD", default="fast")
# Detection threads per range task (the fast method); each thread loads its own cascades (OpenCV's are not
# thread-safe). 1 by default: a worker scales by running range tasks side by side (concurrency, more hosts),
# and threads inside a task would only compete with those for the same cores.
EPISODE_DETECT_THREADS = env.int("EPISODE_DETECT_THREADS", default=1)
# Per range task: past the soft limit the range (and its episode) fails with a readable reason; the hard
# limit kills a task that ignores it. Keep both under the broker's visibility timeout.
EPISODE_RANGE_SOFT_TIME_LIMIT = env.int("EPISODE_RANGE_SOFT_TIME_LIMIT", default=10 * 60)
EPISODE_RANGE_TIME_LIMIT = env.int("EPISODE_RANGE_TIME_LIMIT", default=11 * 60)
# A range task that meets a database error retries after EPISODE_RANGE_RETRY_BACKOFF s, doubling up to
# EPISODE_RANGE_RETRY_BACKOFF_MAX, EPISODE_RANGE_RETRIES times: about 15 minutes in all, longer than a database
# restart. Past that the watchdog takes the range up again.
EPISODE_RANGE_RETRIES = env.int("EPISODE_RANGE_RETRIES", default=8)
EPISODE_RANGE_RETRY_BACKOFF = env.int("EPISODE_RANGE_RETRY_BACKOFF", default=5)
EPISODE_RANGE_RETRY_BACKOFF_MAX = env.int("EPISODE_RANGE_RETRY_BACKOFF_MAX", default=5 * 60)
# The watchdog (emotions/services/recovery.py): a range being segmented writes a heartbeat about every second; one
# silent for RECOVERY_STALE_SECONDS has lost its worker and is queued again, as is a queued range nobody took
# (a lost message). Every worker sweeps when it starts and every RECOVERY_INTERVAL_SECONDS (0: never).
RECOVERY_STALE_SECONDS = env.int("RECOVERY_STALE_SECONDS", default=2 * 60)
RECOVERY_INTERVAL_SECONDS = env.int("RECOVERY_INTERVAL_SECONDS", default=60)
# The folder holding the shipped cast (cast.json and its cascades), synced into Character rows.
CAST_DIR = Path(env("CAST_DIR", default=str(BASE_DIR / "cascades")))

# --- Teaching characters (emotions/services/teaching.py, training.py): a training task runs on EPISODE_QUEUE
# like every task, on CUDA when the worker has it (auto), else on its CPUs.
CHARACTER_TRAINING_DEVICE = env("CHARACTER_TRAINING_DEVICE", default="auto")
# Past the soft limit a training fails with a readable reason (nothing kept); the hard limit kills one ignoring it.
CHARACTER_TRAINING_SOFT_TIME_LIMIT = env.int("CHARACTER_TRAINING_SOFT_TIME_LIMIT", default=15 * 60)
CHARACTER_TRAINING_TIME_LIMIT = env.int("CHARACTER_TRAINING_TIME_LIMIT", default=16 * 60)
# Frames of the site's episodes sampled as negatives (the character's faces blanked), and frames in a preview.
CHARACTER_NEGATIVE_FRAMES = env.int("CHARACTER_NEGATIVE_FRAMES", default=24)
CHARACTER_PREVIEW_FRAMES = env.int("CHARACTER_PREVIEW_FRAMES", default=8)
# Uploaded examples: a ZIP may hold this many images, this many bytes once unpacked in all.
MAX_EXAMPLE_FILES = env.int("MAX_EXAMPLE_FILES", default=500)
MAX_EXAMPLE_UNPACKED_BYTES = env.int("MAX_EXAMPLE_UNPACKED_BYTES", default=200 * 1024 * 1024)
# Imported datasets (a ZIP upload or import_dataset DIR): the largest upload, images and bytes once unpacked.
MAX_DATASET_UPLOAD_BYTES = env.int("MAX_DATASET_UPLOAD_BYTES", default=512 * 1024 * 1024)
MAX_DATASET_FILES = env.int("MAX_DATASET_FILES", default=20000)
MAX_DATASET_UNPACKED_BYTES = env.int("MAX_DATASET_UNPACKED_BYTES", default=1024 * 1024 * 1024)

# --- Emotion model: the shipped weights unless EMOTION_WEIGHTS names others.
EMOTION_WEIGHTS = Path(env("EMOTION_WEIGHTS", default=str(BASE_DIR / "emotions" / "weights" / "toon.pt")))
# The registry's trained models (emotions/services/emotion_models.py): their files are kept in EMOTION_MODELS_DIR
# (empty: MEDIA_ROOT/models), a local folder every worker and web process shares; the training task runs on
# EPISODE_QUEUE on EMOTION_TRAINING_DEVICE (auto: CUDA when present); studio faces per emotion mixed in.
EMOTION_MODELS_DIR = env("EMOTION_MODELS_DIR", default="")
EMOTION_TRAINING_DEVICE = env("EMOTION_TRAINING_DEVICE", default="auto")
EMOTION_TRAINING_STUDIO_FACES = env.int("EMOTION_TRAINING_STUDIO_FACES", default=40)
EMOTION_TRAINING_MAX_EPOCHS = env.int("EMOTION_TRAINING_MAX_EPOCHS", default=200)
EMOTION_TRAINING_SOFT_TIME_LIMIT = env.int("EMOTION_TRAINING_SOFT_TIME_LIMIT", default=60 * 60)
EMOTION_TRAINING_TIME_LIMIT = env.int("EMOTION_TRAINING_TIME_LIMIT", default=61 * 60)
# "cuda", "cpu", or empty to pick CUDA when present.
TORCH_DEVICE = env("TORCH_DEVICE", default="")
# Who runs the cascades in range tasks: "opencv" (detectMultiScale on the CPU), "torch" (the same detections
# from torch on TORCH_DEVICE), or "auto": torch where that device is CUDA, OpenCV elsewhere.
DETECTOR = env("DETECTOR", default="auto").strip().lower()
if DETECTOR not in ("opencv", "torch", "auto"):
    sys.exit(f"ToonSite: DETECTOR must be opencv, torch or auto, not {DETECTOR!r}")
# What the emotion CNN computes in (toonvision.device.inference_dtype): "auto" is bfloat16 where the CPU or GPU
# does it natively (about twice as fast, the same emotions), float32 elsewhere; "fp32" or "bf16" force one.
EMOTION_PRECISION = env("EMOTION_PRECISION", default="auto").strip().lower()
if EMOTION_PRECISION not in ("auto", "fp32", "bf16"):
    sys.exit(f"ToonSite: EMOTION_PRECISION must be auto, fp32 or bf16, not {EMOTION_PRECISION!r}")

# --- Celery: Redis when REDIS_URL (or CELERY_BROKER_URL) is set, else kombu's filesystem transport,
# an embedded broker that needs no server.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env(
    "CELERY_RESULT_BACKEND", default=REDIS_URL or f"file://{(DATA_DIR / 'celery' / 'results').as_posix()}"
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport with whole messages only (toonsite/broker.py says why).
    CELERY_BROKER_TRANSPORT = "toonsite.broker:Transport"
    _broker_dir = DATA_DIR / "celery" / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    # Producer and worker share one folder: messages written "out" are read back "in".
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control, beside wherever it runs
        "store_processed": False,
        # How often an idle worker looks in the folder for a message (kombu's default is 1 s): every range task
        # of an episode waited up to that long after the one before, seconds per episode on one worker.
        "polling_interval": env.float("BROKER_POLLING_INTERVAL", default=0.05),
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task is acknowledged only when it ends (acks_late), so a worker killed mid-task leaves it unacked; Redis
    # hands such a message to another worker after this many seconds. Just above the longest range task
    # (EPISODE_RANGE_TIME_LIMIT) and the longest retry back-off, so a slow task is not run twice and a dead
    # worker's range comes back within minutes, not an hour (the watchdog usually queues it again sooner).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=max(EPISODE_RANGE_TIME_LIMIT, EPISODE_RANGE_RETRY_BACKOFF_MAX) + 60
    )}
# One queue, EPISODE_QUEUE (gpu by default), where the segmenting workers listen: every task goes there, so no
# routes are needed. A face from the home page or /api/classify/ is classified in the web process, not queued.
CELERY_TASK_DEFAULT_QUEUE = EPISODE_QUEUE
CELERY_TASK_QUEUES = (Queue(EPISODE_QUEUE),)
# For sites that run `celery beat`: the watchdog's sweep (every worker also sweeps by itself).
CELERY_BEAT_SCHEDULE = {
    "recover-runs": {"task": "emotions.tasks.recover_runs", "schedule": max(RECOVERY_INTERVAL_SECONDS, 1)},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- The REST API (/api/). Anonymous users read nothing unless PUBLIC_READ is set; writing always needs a login.
PUBLIC_READ = env.bool("PUBLIC_READ", default=False)
# Who may make an account: by default only the site's owner makes them (the admin, `createsuperuser`), so a site put
# on the internet is not open to everyone; OPEN_REGISTRATION=true lets visitors sign up at /accounts/register/,
# at most REGISTRATION_THROTTLE_RATE accounts per address.
OPEN_REGISTRATION = env.bool("OPEN_REGISTRATION", default=False)
REGISTRATION_THROTTLE_RATE = env("REGISTRATION_THROTTLE_RATE", default="10/hour")
# Episode and character uploads per user (or per address), in DRF's rate syntax: "30/hour", "5/minute".
UPLOAD_THROTTLE_RATE = env("UPLOAD_THROTTLE_RATE", default="30/hour")
# Images classified or searched with (/api/classify/, /api/search/similar/) per user or address.
IMAGE_THROTTLE_RATE = env("IMAGE_THROTTLE_RATE", default="120/minute")
# Screen seconds of prior in the recommender's smoothed shares: a character's share of an emotion in an episode
# is (confidence-weighted seconds + PRIOR * typical share) / (screen seconds + PRIOR), so a short appearance
# stays near the typical share and only a long scene can move far from it.
RECOMMENDER_PRIOR_SECONDS = env.float("RECOMMENDER_PRIOR_SECONDS", default=30.0)
# Below this confidence a face's emotion is marked "unsure" wherever the pages show it.
LOW_CONFIDENCE = env.float("LOW_CONFIDENCE", default=0.6)
# /api/search/similar/ compares a drawing with at most this many stored faces (the most confident of its emotion).
SIMILAR_CANDIDATES = env.int("SIMILAR_CANDIDATES", default=400)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",  # first: an anonymous request gets 401, not 403
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["emotions.api.permissions.ReadPublicOrAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "toonsite.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"uploads": UPLOAD_THROTTLE_RATE, "images": IMAGE_THROTTLE_RATE,
                               "registrations": REGISTRATION_THROTTLE_RATE},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ToonSite API",
    "DESCRIPTION": (
        "Cartoon characters' faces in animated episodes and the emotion on each: upload and process episodes, "
        "search faces by character and emotion (or by a drawing), emotion timelines and subtitles, and episodes "
        "ranked by a character's emotion. Authenticate with a session or `Authorization: Token <key>` "
        "(POST /api/auth/token/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page follow the read rule: a login unless PUBLIC_READ.
    "SERVE_PERMISSIONS": ["emotions.api.permissions.ReadPublicOrAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,  # multipart requests get their own components, with binary file fields
    # Three choice sets are called "kind"; each gets a name of its own (not Kind035Enum).
    "ENUM_NAME_OVERRIDES": {
        "EmotionModelKindEnum": "emotions.models.learning.EmotionModel.Kind",
        "ModelTrainingKindEnum": ["training", "optimizers"],
        "ExampleKindEnum": ["positive", "negative"],
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# The cache keeps the throttles' counters, shared by every web process: by default a table in the site's database
# (created by a migration), so one machine needs no server and PostgreSQL shares it across hosts; CACHE_URL may name
# Redis instead (redis://redis:6379/1, as the stack does). An in-process cache (locmemcache://) would let each web
# process count on its own.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://toonsite_cache")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# --- Production behind TLS (a reverse proxy terminating HTTPS): HTTPS=true turns on HSTS, the redirect to https
# and secure cookies; each can still be set on its own. SECURE_PROXY_SSL_HEADER=true trusts the proxy's
# X-Forwarded-Proto (only when the proxy sets it on every request and strips it from clients).
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers plain http too, so a load balancer's check needs no certificate.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"
