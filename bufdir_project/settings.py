"""Settings for the Bufdir reporting service, read from environment variables.

One file on purpose (see STYLE.md): every knob is an environment variable with a
safe default, listed in docs/configuration.md (an example in `.env.example`).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from lib.db import GuardedConnection

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if not value:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Activities are reported per local day in this zone (bare dates in ranges, admin display).
REPORTING_TIME_ZONE = env_str("REPORTING_TIME_ZONE", "Europe/Oslo")
try:
    ZoneInfo(REPORTING_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"REPORTING_TIME_ZONE {REPORTING_TIME_ZONE!r} is not a known time zone") from None
# Counts of long ranges read whole local days from the rollup (docs/design.md); off, every
# count reads the activities' index alone (same numbers; for benchmarks and diagnosis).
COUNT_ROLLUP = env_bool("COUNT_ROLLUP", True)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_tasks",
    "django_tasks_db",
    "activities",
    "aggregations",
    "record_counts",
    "api_keys",
    "idempotency",
    "reports",
    "schemes",
]

MIDDLEWARE = [
    # Before all: CORS headers go on every API answer, problems included (lib/api/cors.py).
    "lib.api.cors.ApiCorsMiddleware",
    # Outermost: every error under /api/ and /healthz leaves as problem JSON (lib/api/middleware.py).
    "lib.api.middleware.problem_errors",
    # Admin in Norwegian (or the user's choice), everything else in English (lib/language.py).
    "lib.language.language",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost: under WSGI a stream request held by Pushpin is answered here, without
    # the async view's per-request event loop (record_counts/held.py).
    "record_counts.held.WsgiHoldMiddleware",
]

ROOT_URLCONF = "bufdir_project.urls"
WSGI_APPLICATION = "bufdir_project.wsgi.application"
ASGI_APPLICATION = "bufdir_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file in the project when it is absent.
DATABASE_URL = env_str("DATABASE_URL")
# PostgreSQL time limits, in seconds (0 = none); see docs/operations.md, "Database timeouts". The web
# limits apply to every connection; management commands that run long (import,
# reaggregate) switch to DB_COMMAND_STATEMENT_TIMEOUT for their session.
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 10)
DB_LOCK_TIMEOUT = env_int("DB_LOCK_TIMEOUT", 5)
DB_IDLE_IN_TRANSACTION_TIMEOUT = env_int("DB_IDLE_IN_TRANSACTION_TIMEOUT", 60)
DB_COMMAND_STATEMENT_TIMEOUT = env_int("DB_COMMAND_STATEMENT_TIMEOUT", 0)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            # 0 under ASGI (Django's advice): sync views run in per-request threads, and a
            # persistent connection left in such a thread is never reused nor closed.
            conn_max_age=env_int("CONN_MAX_AGE", 0),
            conn_health_checks=env_int("CONN_MAX_AGE", 0) > 0,
        )
    }
    DB_POOL_MAX = env_int("DB_POOL_MAX", 10)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        # An unreachable server fails the connection attempt after this many seconds
        # instead of the OS's TCP timeout (minutes): a database outage is a quick 503.
        _options.setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3))
        # Server-side limits for every web session (docs/operations.md, "Database timeouts"): a slow
        # statement or a wait on a row lock is an error (a 503) well before gunicorn's
        # 30 s worker timeout, and a session left idle inside a transaction (a worker
        # whose link froze after BEGIN) is ended, releasing its row locks. Startup
        # options, so they hold from the first statement; commands lift the first two
        # (lib.db.long_running). Behind PgBouncer set them on the role instead.
        _limits = {
            "statement_timeout": DB_STATEMENT_TIMEOUT,
            "lock_timeout": DB_LOCK_TIMEOUT,
            "idle_in_transaction_session_timeout": DB_IDLE_IN_TRANSACTION_TIMEOUT,
        }
        _options["options"] = " ".join(
            [_options.get("options", ""), *(f"-c {name}={seconds * 1000}" for name, seconds in _limits.items())]
        ).strip()
        # A peer that vanished (host down, connection state lost in a firewall) is
        # noticed by keepalive probes after idle + interval x count seconds, and unacked
        # data gives up after tcp_user_timeout, instead of the kernel's two hours / 15
        # minutes. They cannot notice a link whose far end still ACKs: the client-side
        # deadline in lib.db covers that.
        _options.setdefault("keepalives", 1)
        _options.setdefault("keepalives_idle", env_int("DB_TCP_KEEPALIVES_IDLE", 10))
        _options.setdefault("keepalives_interval", env_int("DB_TCP_KEEPALIVES_INTERVAL", 5))
        _options.setdefault("keepalives_count", env_int("DB_TCP_KEEPALIVES_COUNT", 3))
        _options.setdefault("tcp_user_timeout", env_int("DB_TCP_USER_TIMEOUT", 25) * 1000)  # libpq takes ms
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX > 0:
        # A bounded pool per process (psycopg_pool): a burst of requests waits for a
        # connection instead of exhausting PostgreSQL's max_connections (measured: 400
        # streams connecting at once did, without it), and connecting costs nothing.
        # A view "closing" its connection returns it here, so idle streams pin none.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            # Every wait on the server (query, COMMIT, the pool's check) is bounded by
            # DB_STATEMENT_TIMEOUT + 2 s on the client, and a connection that overran is
            # closed and dropped by the pool: a frozen link is a 503, not a hang.
            "connection_class": GuardedConnection,
            "min_size": env_int("DB_POOL_MIN", 1),
            "max_size": DB_POOL_MAX,
            # How long a request waits for a connection; during a database outage this
            # is how long a request takes to fail with a 503, so keep it short.
            "timeout": env_int("DB_POOL_TIMEOUT", 5),
            # The pool retries a failed connection with a growing delay (1, 2, 4 s...)
            # until it gives up; giving up early lets the next request start a fresh
            # attempt, so the service recovers within seconds of the database returning
            # instead of waiting out a backoff as long as the outage itself.
            "reconnect_timeout": env_int("DB_POOL_RECONNECT_TIMEOUT", 5),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # required with a pool
        # The pool checks a connection before handing it out (an empty query): after a
        # restart of PostgreSQL its dead connections are replaced, not given to requests.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
            "OPTIONS": {
                # WAL lets the stream's readers and a writer work at once; the
                # timeout waits for a lock instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory, so a test daphne server in another process shares it.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH") or str(BASE_DIR / "test-db.sqlite3")},
        }
    }

# --- Background jobs (admin imports): django-tasks with its database backend ------------
# The queue is a table in our own database (SQLite or PostgreSQL), so nothing else has to
# run for it; `manage.py db_worker` (Procfile `worker`) runs the jobs. With
# IMPORT_JOBS_IN_PROCESS a thread of the web process runs them instead, one at a time
# (the default for `make run`: DEBUG, or no DATABASE_URL). docs/deployment.md.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMPORT_JOBS_IN_PROCESS = env_bool("IMPORT_JOBS_IN_PROCESS", DEBUG or not DATABASE_URL)
# Uploads wait here until their job has read them; web and worker must share it.
IMPORT_FILES_DIR = Path(env_str("IMPORT_FILES_DIR") or BASE_DIR / "var" / "imports")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# Prefix of the live-count channel, so environments (or concurrent test runs) that
# share one Redis never hear each other's announcements: Redis pub/sub ignores the db
# number. Unset: derived from the database, so each database gets its own channel.
# Set it to share a channel on purpose; set it empty and `check --deploy` warns.
_events_prefix = os.environ.get("EVENTS_CHANNEL_PREFIX")
if _events_prefix is None:
    _db_id = "{HOST}:{PORT}/{NAME}".format(**{"HOST": "", "PORT": "", **DATABASES["default"]})
    _events_prefix = "db-" + hashlib.sha256(_db_id.encode()).hexdigest()[:12] + ":"
EVENTS_CHANNEL_PREFIX = _events_prefix.strip()
# Seconds of silence after which the Redis subscriber pings Redis to detect a dead link
# (a partition that closes nothing); no answer within 3 s and it reconnects.
EVENTS_REDIS_HEARTBEAT = env_int("EVENTS_REDIS_HEARTBEAT", 10)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Admin and the dashboard speak ADMIN_LANGUAGE (Norwegian bokmål) unless a user picks
# English in the header; everything else (the APIs, commands, the worker, logs) speaks
# LANGUAGE_CODE, English (lib/language.py). Our own translations in locale/ (compiled
# .mo committed); date formats with seconds in lib/formats/.
LANGUAGE_CODE = "en"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
ADMIN_LANGUAGE = env_str("ADMIN_LANGUAGE", "nb")
if ADMIN_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"ADMIN_LANGUAGE must be one of {', '.join(dict(LANGUAGES))}, got {ADMIN_LANGUAGE!r}")
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["lib.formats"]
USE_THOUSAND_SEPARATOR = True
# Django's "current time zone" (admin, forms, templates) is the reporting zone;
# the API renders every datetime in UTC explicitly (lib/api/fields.py).
TIME_ZONE = REPORTING_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static directories (no collectstatic): local runs, and
# the test servers that a browser drives.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)

# Request size limits: a JSON body larger than this is rejected (413/400), not parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)

# API access (api_keys.access): "public" (the contracts' default: no credentials) or
# "token" (writes need an API key for the organisation; reads too with API_READ_ACCESS=token).
API_ACCESS = env_str("API_ACCESS", "public").lower()
API_READ_ACCESS = env_str("API_READ_ACCESS", "public").lower()
for _name, _value in (("API_ACCESS", API_ACCESS), ("API_READ_ACCESS", API_READ_ACCESS)):
    if _value not in {"public", "token"}:
        raise ImproperlyConfigured(f"{_name} must be 'public' or 'token', got {_value!r}")
if API_READ_ACCESS == "token" and API_ACCESS != "token":
    raise ImproperlyConfigured("API_READ_ACCESS=token needs API_ACCESS=token too")

# Throttling of the counting endpoints (each request costs a count query): a DRF rate such
# as "60/minute" per API key (per client IP without one). Empty: no throttling, so set it
# in production (`check --deploy` warns when it is unset with DEBUG off).
API_THROTTLE_COUNTING = env_str("API_THROTTLE_COUNTING") or None

# CORS (lib/api/cors.py, docs/security.md#cors): any origin may make the reads that need
# no key and open the stream; writes, and every request in read-token mode, only these
# origins (e.g. https://app.example.org), which may send Authorization and Idempotency-Key.
CORS_WRITE_ORIGINS = env_list("CORS_WRITE_ORIGINS", [])
for _origin in CORS_WRITE_ORIGINS:
    if not re.fullmatch(r"https?://[^/\s]+", _origin):
        raise ImproperlyConfigured(f"CORS_WRITE_ORIGINS: {_origin!r} is not an origin like https://app.example.org")
CORS_ALLOWED_ORIGINS = CORS_WRITE_ORIGINS
CORS_URLS_REGEX = r"^/api/"  # never admin or the dashboard
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key", "last-event-id")
CORS_EXPOSE_HEADERS = ("Location", "Retry-After", "WWW-Authenticate", "Idempotent-Replayed")
CORS_ALLOW_CREDENTIALS = False  # keys travel in Authorization; cookies are admin's alone

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["lib.api.parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["api_keys.access.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["lib.api.access.ApiAccess"],
    "DEFAULT_THROTTLE_RATES": {"counting": API_THROTTLE_COUNTING},
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "lib.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "lib.api.exceptions.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "PAGE_SIZE": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Bufdir reporting service",
    "DESCRIPTION": (
        "Counts the activities of Norwegian voluntary organisations over time ranges, "
        "keeps the counts as snapshots and streams live counts. Every datetime is UTC "
        "with a Z suffix; range ends are inclusive at one-second resolution."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lib.api.schema.postprocess",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Times in UTC with a Z, like the API (lib/logs.py), not the process's Oslo time.
    "formatters": {"utc": {"()": "lib.logs.UTCFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "utc"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# HTTPS. Production (DEBUG off) defaults to HTTPS-only behind a TLS-terminating proxy
# that sets X-Forwarded-Proto; set SECURE_SSL_REDIRECT=0 etc. to opt out.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", not DEBUG) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# /healthz is probed over plain HTTP by load balancers and process managers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# How many proxies in front of the app append to X-Forwarded-For (lib/client_ip.py).
# 0: the socket's address, the header ignored. Behind nginx alone: 1.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)

# Admin login: after this many failed attempts for one user name from one IP address
# within the window, further attempts are refused (429) until the window has passed.
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 5)
ADMIN_LOGIN_WINDOW_SECONDS = env_int("ADMIN_LOGIN_WINDOW_SECONDS", 15 * 60)

# The covering index's INCLUDE columns exist on PostgreSQL only; SQLite builds the
# plain (org, recorded_at) index, which is what a development database needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Live count stream (record_counts.hub, docs/stream.md) ------------------------------
# Every (re)connection starts with the current count, so nothing is replayed, and an
# idle stream holds no database connection. With REDIS_URL, "activities changed"
# announcements from any process (API, admin, cron, import) reach every process that
# serves streams through Redis pub/sub; without it, one process still works.
# A keep-alive comment after this many idle seconds (also when a closed range's
# is_complete: true goes out at the latest).
STREAM_KEEPALIVE_SECONDS = env_float("STREAM_KEEPALIVE_SECONDS", 20)
# Changes within this window become one re-read of each watched range they touch.
STREAM_COALESCE_SECONDS = env_float("STREAM_COALESCE_SECONDS", 0.1)
# Hold mode (GRIP, docs/stream.md): a stream request signed by Pushpin (Grip-Sig, a JWT
# signed with pushpin.conf's sig_key) is held by Pushpin, not by this process. GRIP_KEY
# is that sig_key (a secret: set it in the environment, never commit it); empty = off,
# every stream is served directly as before. GRIP_PUBLISH_URL: Pushpin's publish
# endpoint(s) (push_in_http_port, comma-separated for several Pushpin instances).
GRIP_KEY = os.environ.get("GRIP_KEY", "")
GRIP_PUBLISH_URL = os.environ.get("GRIP_PUBLISH_URL", "")
# A held stream's next link is re-requested after this many seconds: it re-checks the
# reader's key and keeps its range in the watched registry (expiry: 2.5 times this).
GRIP_NEXT_SECONDS = env_int("GRIP_NEXT_SECONDS", 120)
# Bounds of the watched registry: distinct ranges per organisation, and in all.
GRIP_WATCH_PER_ORG = env_int("GRIP_WATCH_PER_ORG", 200)
GRIP_WATCH_MAX = env_int("GRIP_WATCH_MAX", 20_000)
if REDIS_URL:
    from redis.connection import parse_url as _parse_redis_url

    _redis_kwargs = _parse_redis_url(REDIS_URL)
    # The same kwargs build a sync and an asyncio client: the sync-only connection_class
    # that rediss:// and unix:// URLs produce would break the asyncio one.
    _redis_class = _redis_kwargs.pop("connection_class", None)
    if _redis_class is not None and "SSL" in _redis_class.__name__:
        _redis_kwargs["ssl"] = True
    if "path" in _redis_kwargs:
        _redis_kwargs["unix_socket_path"] = _redis_kwargs.pop("path")
    EVENTS_REDIS = {k: v for k, v in _redis_kwargs.items() if v is not None}
    EVENTS_REDIS.setdefault("socket_connect_timeout", 2)

# --- Cache: rate-limit counters, admin filter choices ----------------------------------
# With REDIS_URL the cache lives in Redis, so every process (gunicorn workers, daphne, the
# cron job) shares one count per client and a limit holds for the deployment, not per
# process. A Redis outage fails open (lib/cache.py): limits are not enforced
# until it returns, and a cache call never waits on it for more than half a second.
# Without Redis: local memory, per process.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "lib.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "bufdir",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
