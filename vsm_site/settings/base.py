"""Settings read from the environment; with nothing set, the embedded default runs.

Embedded default: SQLite, the in-memory channel layer and eager Celery tasks, so a bare
machine serves the product with no server installed. Setting ``DATABASE_URL`` and
``REDIS_URL`` switches to PostgreSQL (psycopg 3), channels-redis and Celery on Redis; the
broker and the channel layer use separate Redis databases.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-" + "x" * 24)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

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
    "drf_spectacular",
    "channels",
    "django_celery_beat",
    "csp",
    "axes",
    "workshops",
    "streams",
    "metrics",
    "workitems",
    # The project itself, for its management commands (load_demo composes every app).
    "vsm_site",
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
    # A selector's NotFound is the pages' 404, as Http404 is (vsm_site.errors).
    "vsm_site.errors.NotFoundMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: answers a locked-out sign-in attempt (vsm_site.signin).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vsm_site.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "vsm_site.asgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the ASGI server's threads share the file without locking out.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
else:
    # Persistent connections: a board socket's op runs a handful of short queries, and
    # opening a PostgreSQL connection for each one cost more than the op (BENCHMARKS.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# axes first: it refuses a locked-out sign-in before any password is checked (vsm_site.signin).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The sign-in lockout (django-axes; vsm_site/signin.py, README): VSM_SIGNIN_FAILURE_LIMIT failed
# sign-ins in a row are answered as failures; the next failure locks the account, and
# separately the address, for VSM_SIGNIN_COOLOFF_MINUTES after it (every attempt is a 429, the
# right password too), on the sign-in page, the admin's and POST /api/auth/token/ alike.
VSM_SIGNIN_FAILURE_LIMIT = env.int("VSM_SIGNIN_FAILURE_LIMIT", default=5)
AXES_FAILURE_LIMIT = VSM_SIGNIN_FAILURE_LIMIT + 1  # axes counts the failure that locks
AXES_COOLOFF_TIME = timedelta(minutes=env.int("VSM_SIGNIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # "try again in N minutes" holds
AXES_CLIENT_IP_CALLABLE = "vsm_site.signin.client_address"  # REMOTE_ADDR, never a header
AXES_LOCKOUT_CALLABLE = "vsm_site.signin.lockout_response"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"  # None in test settings (the finders serve)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded work-item files wait here for the worker (a volume the web and worker share).
MEDIA_ROOT = env.path("VSM_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"  # never served: uploads are read by the worker and deleted

# Realtime and background work -------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")


def _redis_database(url: str, number: int) -> str:
    """`url` with its Redis database set to `number` (credentials, host, options kept)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [env("CHANNELS_REDIS_URL", default=_redis_database(REDIS_URL, 1))],
                # One server process's sockets share one queue: room for a crowd joining at
                # once (every join is announced to, and answered by, everyone on the board).
                "capacity": env.int("CHANNELS_CAPACITY", default=20_000),
                "expiry": 30,
            },
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=_redis_database(REDIS_URL, 0))
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("CACHE_REDIS_URL", default=_redis_database(REDIS_URL, 2)),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "daily-flow-snapshots": {
        "task": "metrics.tasks.snapshot_all_streams",
        "schedule": crontab(hour=0, minute=5),
    },
    # Tracker connections: one static entry fans out to the connections whose sync is due
    # (each connection's `schedule`, in minutes; workitems.tasks.connection_sync_due_task).
    "tracker-connection-syncs": {
        "task": "workitems.tasks.connection_sync_due_task",
        "schedule": crontab(minute="*/5"),
    },
}
CELERY_TIMEZONE = TIME_ZONE

# REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its `WWW-Authenticate: Token` makes "not signed in" a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only (bounded: vsm_site.bodies); the work-item import takes multipart itself.
    "DEFAULT_PARSER_CLASSES": ["vsm_site.api.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 500,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", default="60/min"),
        "user": env("API_USER_RATE", default="6000/min"),
        "login": env("API_LOGIN_RATE", default="20/min"),
    },
    "EXCEPTION_HANDLER": "vsm_site.api.exception_handler",
    # Throttles key on REMOTE_ADDR, never on X-Forwarded-For: the ASGI server puts the client's
    # address there, believing forwarded headers only from the proxies in VSM_TRUSTED_PROXIES
    # (uvicorn's --forwarded-allow-ips: Makefile, Dockerfile, docker-compose.yml; README
    # "Behind a reverse proxy"). Nothing in Django reads those headers itself (production has
    # no SECURE_PROXY_SSL_HEADER either).
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Value stream mapping workshops API",
    "DESCRIPTION": "Workshops, value streams, activities, links, wastes, votes and "
    "countermeasures. Session auth for the browser; `Authorization: Token <token>` for scripts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui-dist",
    "SWAGGER_UI_FAVICON_HREF": "/static/favicon.svg",
    # Swagger UI would otherwise send the schema's URL to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "CountermeasureStatusEnum": "streams.models.CountermeasureStatus.values",
        "ConnectionKindEnum": "workitems.models.ConnectionKind.values",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vsm_site.schema.error_responses",  # the Error component and every error response
    ],
    # `<id:...>` path parameters (vsm_site.ids): the ids a row can have.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    },
}

# Security ---------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # No inline styles: pages style through stylesheets and scripts through the CSSOM
        # (element.style), which style-src does not govern. Only /api/docs/ (Swagger UI's
        # <style>) adds 'unsafe-inline', on that view alone (vsm_site/urls.py).
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        # Only this site: CSP Level 3 makes 'self' match its own ws:/wss: URLs too (Chromium does;
        # tests/e2e/test_csp.py), so the board's socket connects and no other host can be reached.
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Product limits ---------------------------------------------------------------------------
# The board socket's limits, per person per board across their tabs (streams/ratelimit.py,
# docs/realtime.md): ops (and editing, follow, sync, ping) a second and at once, and sockets.
VSM_WS_OP_RATE = env.float("VSM_WS_OP_RATE", default=30)
VSM_WS_OP_BURST = env.float("VSM_WS_OP_BURST", default=60)
VSM_WS_SOCKETS_PER_PERSON = env.int("VSM_WS_SOCKETS_PER_PERSON", default=5)
# The pace one socket is read at, in frames of any kind a second and at once: a sender faster
# than that waits (TCP pushes back) instead of taking the server's loop from everyone else.
VSM_WS_FRAME_RATE = env.float("VSM_WS_FRAME_RATE", default=100)
VSM_WS_FRAME_BURST = env.float("VSM_WS_FRAME_BURST", default=200)
# Where they are counted for every server process at once; none: each process on its own.
VSM_WS_LIMITS_REDIS_URL = CACHES["default"]["LOCATION"] if REDIS_URL else ""
VSM_DOT_BUDGET = env.int("VSM_DOT_BUDGET", default=5)
VSM_INVITATION_DAYS = env.int("VSM_INVITATION_DAYS", default=14)
# Human units: a "day" on the board and the summary is this many working hours.
VSM_HOURS_PER_DAY = env.int("VSM_HOURS_PER_DAY", default=8)
# A burst of edits within this window gives one summary recompute (seconds).
VSM_SUMMARY_DEBOUNCE = env.float("VSM_SUMMARY_DEBOUNCE", default=0.3)
# The board socket's heartbeat (seconds): a browser that hears nothing for one and a half of
# them takes the link for dead and says it is offline (docs/realtime.md).
VSM_WS_HEARTBEAT_SECONDS = env.float("VSM_WS_HEARTBEAT_SECONDS", default=20)
# How long the board's ops wait for a database that does not answer (restarting) before they
# are refused as `unavailable` (send again); streams.hub.
VSM_WS_DATABASE_PATIENCE_SECONDS = env.float("VSM_WS_DATABASE_PATIENCE_SECONDS", default=5)

# Work-item imports: the largest file accepted, and the largest one imported while the request
# waits (201); larger ones go to a worker (202) with progress on the Flow page.
VSM_IMPORT_MAX_BYTES = env.int("VSM_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
VSM_IMPORT_INLINE_BYTES = env.int("VSM_IMPORT_INLINE_BYTES", default=1024 * 1024)

# Tracker connections (workitems/connectors, docs/flow-metrics.md "Connecting a tracker").
# The key that encrypts their credentials at rest: a Fernet key (32 url-safe base64 bytes,
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`),
# or several separated by commas to rotate (the first encrypts, every one decrypts). Required
# in production (a system check fails without it); elsewhere a development key is derived
# from DJANGO_SECRET_KEY, with a warning.
VSM_CREDENTIALS_KEY = env("VSM_CREDENTIALS_KEY", default="")
VSM_CREDENTIALS_KEY_REQUIRED = False
# How often a new connection syncs (minutes; 0: only on demand).
VSM_SYNC_EVERY_MINUTES = env.int("VSM_SYNC_EVERY_MINUTES", default=60)
# Bounds on one sync: seconds a request may take, bytes one answer may hold, pages one
# listing may have, and work items one sync fetches.
VSM_SYNC_TIMEOUT_SECONDS = env.float("VSM_SYNC_TIMEOUT_SECONDS", default=30)
VSM_SYNC_MAX_RESPONSE_BYTES = env.int("VSM_SYNC_MAX_RESPONSE_BYTES", default=20 * 1024 * 1024)
VSM_SYNC_MAX_PAGES = env.int("VSM_SYNC_MAX_PAGES", default=2_000)
VSM_SYNC_MAX_ITEMS = env.int("VSM_SYNC_MAX_ITEMS", default=50_000)
# Trackers over plain http on loopback (the tests' fake trackers); https everywhere else.
VSM_SYNC_ALLOW_LOOPBACK_HTTP = env.bool("VSM_SYNC_ALLOW_LOOPBACK_HTTP", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "celery.app.trace": {"level": env("CELERY_TRACE_LOG_LEVEL", default="WARNING")},
        # WeasyPrint (the PDF report) logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
