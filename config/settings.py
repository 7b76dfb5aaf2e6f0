"""Pathwise settings, driven by the environment (see README: Configuration)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils.csp import CSP

from config.env import env_bool, env_int, env_list, env_rate, env_str, parse_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or env_bool("PATHWISE_TESTING", False)

DEBUG = env_bool("DJANGO_DEBUG", False)
# A development key is allowed only while DEBUG or testing; production must provide its own.
SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY",
    "pathwise-insecure-development-key" if (DEBUG or TESTING) else None,
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "organizations",
    "organizations.outbox",
    "competencies",
    "pathways",
    "projects",
    "coaching",
    "measurement",
    "measurement.feedback",
    # MFA: allauth's authenticator store, TOTP and recovery codes behind our own sign-in flow.
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on per organisation (OpenID Connect); each organisation's provider is a
    # SocialApp that organizations.accounts.sso manages.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself: compressed, hashed names, far-future cache headers.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "organizations.middleware.InputHygieneMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the account read in the same statement as the session.
    "organizations.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "organizations.middleware.SignedInPagesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "organizations.middleware.TenantMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.tenant",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), BASE_DIR
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA foreign_keys=ON;"}
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # An index's included columns (``Index(include=...)``) serve PostgreSQL's row-level security
    # policies; SQLite, which has neither, indexes the key columns alone.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif env_bool("DATABASE_TRANSACTION_POOLING", False):
    # DATABASE_URL is PgBouncer in transaction pooling mode: no server-side cursors, which outlive
    # the transaction (prepared statements are off already; the tenant setting is transaction-local).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # A direct connection keeps its prepared statements: parameters are bound on the server, and
    # a statement sent a fifth time on a connection is prepared, so PostgreSQL stops planning it
    # again on every request (planning, with the row-level security policies, was most of the
    # database's time on a page: the learner home's 0.5-0.9 ms a statement). Connections live
    # CONN_MAX_AGE seconds, so their statements go with them. Not behind PgBouncer in
    # transaction mode (above), whose server connections change between transactions.
    DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# allauth supplies MFA (TOTP, recovery codes); sign-in stays our e-mail form, which hands over to
# the second step. No self sign-up: people arrive by invitation.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
MFA_ADAPTER = "organizations.accounts.mfa.EncryptingMFAAdapter"
ACCOUNT_ADAPTER = "organizations.accounts.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "organizations.accounts.sso.OrganizationSSOAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never link an account by address alone
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
MFA_TOTP_ISSUER = "Pathwise"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "org_picker"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "en-gb"
# The languages Pathwise's own text is written in. Without this Django offers every language it
# ships a catalogue for: a browser asking for German got Django's own messages ("Dieses Feld ist
# zwingend erforderlich.") inside English pages, and LocaleMiddleware compared every request's
# Accept-Language with about a hundred codes. Any English variant is served en-gb; any other
# language falls back to it.
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js is our own copy of the cartesian bundle (static/vendor/plotly/README.md): no CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed names need `collectstatic`; debug and tests read the source files as they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# E-mail: the console in the embedded default, SMTP when EMAIL_HOST is set.
_EMAIL_HOST = env_str("EMAIL_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
        if _EMAIL_HOST
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pathwise <no-reply@pathwise.local>")
# Absolute links in e-mails sent outside a request (reminders, digests).
PATHWISE_BASE_URL = env_str("PATHWISE_BASE_URL", "http://localhost:8000").rstrip("/")

SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# HTTPS in production (off while DEBUG or testing; DJANGO_HTTPS=0 for a plain-HTTP intranet).
# The bundled nginx terminates TLS and sets X-Forwarded-Proto; Django trusts that header only
# because gunicorn is reachable solely through nginx.
_HTTPS = env_bool("DJANGO_HTTPS", not DEBUG and not TESTING)
SECURE_SSL_REDIRECT = _HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes talk plain HTTP to the container
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
# Database sessions (revocable: ending a session deletes its row), read together with the
# signed-in account in one statement (organizations/accounts/sessions.py).
SESSION_ENGINE = "organizations.accounts.sessions"
# Proxies in front of gunicorn whose X-Forwarded-For entries are trusted for the client address
# (login throttling, security events): 1 behind the bundled nginx, 0 when exposed directly.
PATHWISE_PROXY_COUNT = env_int("PATHWISE_PROXY_COUNT", 0)

# Content security policy: our own origin only, scripts with a per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Celery: Redis when REDIS_URL is set, otherwise tasks run eagerly in process.
REDIS_URL = env_str("REDIS_URL", "")
# The cache carries cross-process markers (the roll-up debounce), so it must be shared by web
# and worker processes: Redis when there is one, process memory in the embedded default.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Tests run tasks eagerly; the real-worker test switches eager mode off for itself.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or TESTING or env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task taken by a worker that dies (kill -9, a lost machine) stays unacknowledged until this
# many seconds pass; then Redis hands it to another worker (each checks every 10 s). So it is
# sized to the longest task, not to an hour: every task here finishes in seconds (the whole
# organisation's roll-up at 5,000 learners about 3 s, imports run in batches of rows, bulk
# e-mails in chunks), and a task still running at the timeout is merely delivered twice, which
# every task tolerates (idempotent; outbox rows are locked and marked done once). ETA tasks are
# held unacknowledged too, so ETAs stay below it (outbox ETA_HORIZON, two minutes). The outbox
# sweep re-queues any follow-up not done five minutes after it was due, whatever the broker
# did. Publishing gives up after two quick retries (the outbox keeps what must follow a fact).
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A task's hard limit stays below the visibility timeout, so a task is never still running when
# its message is handed to another worker; the soft limit lets it log and roll back first.
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_VISIBILITY_TIMEOUT - 60, 30)
CELERY_TASK_TIME_LIMIT = max(CELERY_VISIBILITY_TIMEOUT - 30, 45)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The tenant middleware authenticates API keys; this class hands the result to DRF.
        "organizations.api_plumbing.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "organizations.api_plumbing.TenantCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "organizations.api.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["organizations.api_plumbing.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_rate("PATHWISE_API_KEY_RATE", "600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pathwise API",
    "DESCRIPTION": (
        "The REST API of Pathwise. Every path is under `/api/v1/orgs/{org_slug}/`. "
        "Authenticate with the browser session or an organisation's API key "
        "(`Authorization: Bearer pw_…`). Lists use cursor pagination and carry an `ETag`. "
        "Errors are `{status, code, detail, errors: [{field, code, message}]}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models call a field "status"; each set of choices gets its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "LifecycleStatusEnum": "pathways.library.api.LIFECYCLE_STATUSES",
        "CohortStatusEnum": "pathways.cohorts.api.COHORT_STATUSES",
        "EnrollmentStatusEnum": "pathways.cohorts.api.ENROLLMENT_STATUSES",
        "PersonStatusEnum": "organizations.people.api.PERSON_STATUSES",
        "RoleEnum": "organizations.models.Role",
        "CostCategoryEnum": "measurement.models.CostLine.Category",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "organizations.api_docs.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
