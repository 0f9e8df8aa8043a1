"""Settings for Dreams, read from the environment (and `.env` when present).

Every variable is documented in `.env.example`. The embedded default needs none of
them: SQLite in `var/`, the in-memory channel layer, the offline engine.
"""

from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import environ

from dreamsite.refusals import SettingRefused
from dreamsite.secret_key import development_secret_key, refuse_generated_key_on_shared_servers

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if not env.bool("DREAMS_IGNORE_DOTENV", default=False):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("DREAMS_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

# Explicit hosts only: the Host header is checked on every request and WebSocket Origin.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
if any("*" in host for host in ALLOWED_HOSTS):
    raise SettingRefused(
        'ALLOWED_HOSTS contains "*", which would let this server answer to any Host header. '
        "List the host names it serves instead, comma-separated (for example "
        "dreams.example.org,127.0.0.1; a leading dot, .example.org, also allows its "
        "subdomains), then restart."
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# No "daphne" app: `manage.py serve` starts daphne's server itself, and the app would load
# daphne and Twisted into every command (a cron tick included) only to replace runserver.
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "dreams",
    "engines",
    "setup_wizard",
]
# The benchmarks' commands (manage.py bench_*) in a checkout; the wheel has no benchmarks.
if find_spec("benchmarks") is not None:
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dreamsite.api.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dreamsite.control.ControlRuleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dreamsite.urls"
ASGI_APPLICATION = "dreamsite.asgi.application"

# The pages' templates: templates/ in a checkout, dreamsite/templates in an installed wheel
# (setup.py ships the one as the other).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
if not TEMPLATES_DIR.is_dir():
    TEMPLATES_DIR = BASE_DIR / "templates"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [TEMPLATES_DIR],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dreams.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'dreams.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dream loop read while a run writes; IMMEDIATE avoids lock upgrades
    # failing mid-transaction when two processes write at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# Names everything this deployment keeps in Redis (the channel layer's keys and the
# observers' pub/sub channel). Pub/sub ignores the logical database, so two deployments on
# one Redis server need different prefixes; the default follows REDIS_URL's database.
DREAMS_REDIS_PREFIX = env.str(
    "DREAMS_REDIS_PREFIX", default=f"dreams:db{urlsplit(REDIS_URL).path.strip('/') or '0'}"
)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Reads block for up to 5 s waiting for messages; redis-py 8 would time
            # them out at 5 s by default and close quiet sockets.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "capacity": 1000,
                "prefix": DREAMS_REDIS_PREFIX,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

# Without SECRET_KEY, a key generated once into var/ (0600) signs for this machine; it is
# refused where several machines may serve the site (dreamsite/secret_key.py).
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    refuse_generated_key_on_shared_servers(
        debug=DEBUG, database_engine=DATABASES["default"]["ENGINE"], redis_url=REDIS_URL
    )
    SECRET_KEY = development_secret_key(VAR_DIR)

# Throttles (control writes, session frames) count in the cache: in Redis when there is
# one, so several web processes share one count; in this process's memory otherwise.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": DREAMS_REDIS_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# Request bodies beyond this are refused before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DREAMS_MAX_BODY_BYTES", default=256 * 1024)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["dreamsite.renderers.DefensiveJSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dreamsite.control_api.ControlTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["dreamsite.control_api.CanControl"],
    "DEFAULT_THROTTLE_CLASSES": ["dreamsite.control_api.ControlThrottle"],
    "DEFAULT_THROTTLE_RATES": {"control": env.str("DREAMS_CONTROL_RATE", default="30/min")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Dreams API",
    "DESCRIPTION": "Mind moments, sigils, engines and dream runs of a machine mind.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dreamsite.openapi.document_errors_and_credentials",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Guarded control ---------------------------------------------------------------
DREAMS_CONTROL_TOKEN = env.str("DREAMS_CONTROL_TOKEN", default="")
DREAMS_CONTROL_ALLOW_REMOTE = env.bool("DREAMS_CONTROL_ALLOW_REMOTE", default=False)
DREAMS_PUBLIC_DEMO = env.bool("DREAMS_PUBLIC_DEMO", default=False)

# --- Engines -----------------------------------------------------------------------
# How long cheap readiness checks are trusted before they run again.
DREAMS_READINESS_TTL_S = env.float("DREAMS_READINESS_TTL_S", default=30.0)

# --- The conductor (live cognition and dreaming) --------------------------------------
COGNITIVE_CYCLE_MS = env.int("COGNITIVE_CYCLE_MS", default=5000)
DREAM_CYCLE_MS = env.int("DREAM_CYCLE_MS", default=20000)
# How often the leading conductor checks whether a dream run is due; 0 turns the embedded
# scheduler off (for deployments that schedule with cron only).
DREAMS_SCHEDULER_TICK_S = env.int("DREAMS_SCHEDULER_TICK_S", default=60)
DREAM_START_DELAY_MS = env.int("DREAM_START_DELAY_MS", default=1000)
SESSION_TIMEOUT_MS = env.int("SESSION_TIMEOUT_MS", default=60000)
# Perceptor sessions must present this token; without it only DEBUG accepts sessions.
DREAMS_SESSION_TOKEN = env.str("DREAMS_SESSION_TOKEN", default="")
# WebSocket frames from clients: the largest accepted, and how many a session may send.
DREAMS_MAX_FRAME_BYTES = env.int("DREAMS_MAX_FRAME_BYTES", default=64 * 1024)
DREAMS_SESSION_FRAMES_PER_MINUTE = env.int("DREAMS_SESSION_FRAMES_PER_MINUTE", default=120)
# Bytes an observer may leave unread in its connection's write buffer before it is closed
# with 4408 (it reconnects and resyncs); a slow reader never holds back the others.
DREAMS_OBSERVER_BACKLOG_BYTES = env.int("DREAMS_OBSERVER_BACKLOG_BYTES", default=256 * 1024)
