"""DataABS settings, read from the environment (django-environ).

With nothing set this is a development setup: SQLite in the checkout, Celery
jobs run in-process, DEBUG on. Set DATABASE_URL and REDIS_URL for PostgreSQL
and a Redis broker with separate queues for valuation and matching. With
DEBUG off the app refuses to start without SECRET_KEY and AUDIT_HMAC_KEY.
"""

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (production settings).")
# The key of the audit chain's HMAC (docs/audit.md). It lives outside the database, so whoever can write the
# database but not read this setting cannot forge an event. While debugging it is derived from SECRET_KEY.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("AUDIT_HMAC_KEY must be set when DEBUG is off (production settings).")
    AUDIT_HMAC_KEY = hmac.new(SECRET_KEY.encode(), b"dataabs audit chain (development)", hashlib.sha256).hexdigest()
elif len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be at least 32 characters long.")
elif AUDIT_HMAC_KEY == SECRET_KEY:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must differ from SECRET_KEY.")
# Keys the chain was signed with before: only `verify_audit --rekey` reads them, to re-sign with the current key.
AUDIT_HMAC_PREVIOUS_KEYS = env.list("AUDIT_HMAC_PREVIOUS_KEYS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # First, so its createsuperuser (which checks a --noinput password too) overrides django.contrib.auth's.
    "origination",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "deals",
    "investors",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # A request that lost a race with another answers 409/503 with Retry-After, not a 500 (docs/api.md).
    "origination.concurrency.ContentionMiddleware",
    # Last, as django-axes asks: it turns a sign-in that hit the limit into the lock-out answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time, the others wait (origination/concurrency.py): WAL lets readers go on while a request
    # writes, the busy timeout makes a writer wait for the lock instead of failing at once, and BEGIN IMMEDIATE
    # takes the write lock when a transaction starts, so a read that turns into a write never finds it taken.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.float("SQLITE_BUSY_TIMEOUT", default=20.0),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "origination.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked (docs/security.md).
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
# locale_vendor/ holds django-filter's Chinese catalogue, which ships only as zh_CN.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
FORMAT_MODULE_PATH = ["origination.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    # Evidence files (deals/compliance/evidence.py): readable by the application's group only.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"file_permissions_mode": 0o640}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded files live outside the web root and are only served through views that check access.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

# Revenue files: the upload limit is checked before parsing.
REVENUE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "origination.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "origination.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "origination.api_errors.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DataABS API",
    "DESCRIPTION": "Origination of asset-backed securities backed by data assets.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The enum hook is drf-spectacular's default; ours adds the error answers every operation can give.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "origination.api_schema.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "DealStatusEnum": "deals.choices.DealStatus",
        "PledgeStatusEnum": "deals.choices.PledgeStatus",
        "CreditRatingEnum": "origination.choices.CreditRating",
        "DealTypeEnum": "deals.choices.DealType",
        "ItemOutcomeEnum": "deals.compliance.choices.ItemOutcome",
        "FactChangeOutcomeEnum": "deals.compliance.choices.FactChangeOutcome",
    },
}

# Celery. Without REDIS_URL jobs run in-process (no broker, no worker needed).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("valuation"), Queue("matching"))
CELERY_TASK_ROUTES = {
    "deals.tasks.*": {"queue": "valuation"},
    "investors.tasks.*": {"queue": "matching"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that lost the broker tries again every BROKER_RECONNECT_SECONDS at most, and never gives up.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "origination.worker_steps:PromptReconnectConsumer"
BROKER_RECONNECT_SECONDS = env.float("BROKER_RECONNECT_SECONDS", default=3.0)
# With late acknowledgement a message a dead worker held comes back after the visibility timeout; the jobs do not
# wait for that (the sweep sends a fresh message when the row's heartbeat stops), so it is sized to the longest
# job and the late copy finds the row finished. Short socket timeouts: a request never hangs on a lost broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Jobs (docs/jobs.md). The job row is the source of truth, the broker's message only a wake-up: every worker runs
# a sweep that sends again what the broker lost, so nothing waits for the visibility timeout or for beat.
# A job row that has run (and died) more often than this is failed, not redelivered again.
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# A running job's thread refreshes its heartbeat this often; one silent for JOB_STALE_AFTER_SECONDS has lost its
# worker and is taken over. A queued row not picked up this long after its message went out, while its queue is
# empty, lost its message and is sent again.
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=5.0)
JOB_STALE_AFTER_SECONDS = env.float("JOB_STALE_AFTER_SECONDS", default=20.0)
# How often each worker's sweep runs (origination/job_sweep.py).
JOB_SWEEP_SECONDS = env.float("JOB_SWEEP_SECONDS", default=5.0)
# Transient errors (connection lost, serialization failure, broker away) are retried with exponential backoff.
JOB_TRANSIENT_RETRIES = env.int("JOB_TRANSIENT_RETRIES", default=8)
JOB_RETRY_BACKOFF_SECONDS = env.float("JOB_RETRY_BACKOFF_SECONDS", default=1.0)
JOB_RETRY_BACKOFF_MAX_SECONDS = env.float("JOB_RETRY_BACKOFF_MAX_SECONDS", default=30.0)
# A request whose job cannot be sent answers within about a second that it will start when the broker is back.
JOB_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# Each job task and the row model it runs: what the sweep looks after.
JOB_KINDS = {
    "deals.tasks.run_audit_verification": "deals.AuditVerificationRun",
    "deals.tasks.run_valuation": "deals.ValuationRun",
    "investors.tasks.run_matching": "investors.MatchRun",
}
CELERY_BEAT_SCHEDULE = {
    "nightly-audit-verification": {
        "task": "deals.tasks.nightly_audit_verification",
        "schedule": crontab(hour=2, minute=0),
    },
    "nightly-matching": {"task": "investors.tasks.nightly_matching", "schedule": crontab(hour=3, minute=0)},
    # The writes that change a compliance finding's facts check it at once; this catches the rest (time passing,
    # data changed outside the services) for the reviews being worked: the review pages only read.
    "compliance-findings-refresh": {
        "task": "deals.tasks.refresh_compliance_findings",
        "schedule": crontab(minute="*/15"),
    },
}

# Sign-in throttling (django-axes, docs/security.md): after AXES_FAILURE_LIMIT failed sign-ins for one account, or
# from one address, further attempts are refused (even with the right password) until the cool-off ends or the
# arranger lifts the lock (`manage.py axes_reset_username <name>`, `axes_reset_ip <address>`, or the admin).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "origination.sign_in.lockout_response"
AXES_RESET_ON_SUCCESS = False  # a success from an address must not wipe the failures it made on other accounts
# The address is REMOTE_ADDR; behind a reverse proxy see docs/security.md (else every client shares one address).

# API tokens (django-rest-knox): stored hashed, expire, revoked on logout, password change and deactivation.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("API_TOKEN_TTL_HOURS", default=10)),
    "AUTH_HEADER_PREFIX": "Token",
}

# A session ends this long after sign-in, and when the browser closes. Not an idle timeout: sliding the expiry
# (SESSION_SAVE_EVERY_REQUEST) would write the session on every request, pages and htmx polls alike.
SESSION_COOKIE_AGE = env.int("SESSION_HOURS", default=8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy (django-csp): only this site's own scripts, styles, images and connections. The pages
# carry no inline script, style element or style attribute (tests/test_security_headers.py renders them to check).
# With DEBUG on it is report-only, so Django's debug pages (inline styles) stay readable.
CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if DEBUG:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": CSP_DIRECTIVES}

if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (the proxy must set it).
    if env.str("SECURE_PROXY_SSL_HEADER", default=""):
        SECURE_PROXY_SSL_HEADER = (env.str("SECURE_PROXY_SSL_HEADER"), "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
