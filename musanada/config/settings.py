"""Musanada's one settings module: everything that differs between machines comes from the environment."""

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from musanada.config.env import env_bool, env_int, env_list, env_str

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("MUSANADA_DATA_DIR") or Path.cwd() / "var").resolve()

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG and env_str("DATABASE_URL"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off and DATABASE_URL is set.")
    # The embedded default (SQLite in the data folder) keeps one generated key beside its database, so
    # that it runs with nothing set and sessions survive restarts.
    key_file = DATA_DIR / "secret-key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "musanada.core",
    "musanada.org",
    "musanada.tickets",
    "musanada.knowledge",
    "musanada.jobs",
    "musanada.notifications",
    "musanada.web",
    "musanada.mail",
    "musanada.sso",
    "musanada.api",
    "musanada.reports",
    "musanada.sla",
    "musanada.demo",
    # django-ninja's Swagger UI files, served from our own static files (no CDN).
    "ninja",
    # django-htmx: `request.htmx`, set by its middleware below.
    "django_htmx",
]

MIDDLEWARE = [
    # First: the request's id for every log line of it, and its latency for the metrics, whatever answers.
    "musanada.web.middleware.ObservedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Pages compressed for slow school links (a list of 50 requests: 67 KB, 9 KB compressed); Django's own,
    # with its BREACH mitigation. Files whitenoise already compressed pass through untouched.
    "django.middleware.gzip.GZipMiddleware",
    # Refuses input no database can store; CSP, Permissions-Policy and no-store on signed-in pages.
    "musanada.web.security.SecurityHeadersMiddleware",
    # Static files with far-future cache headers and gzip, before anything that needs a session or a user.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signs out a session left idle (the absolute lifetime is set at sign-in: web/auth.py).
    "musanada.web.security.SessionTimeoutMiddleware",
    # After authentication: it reads the signed-in user's stored language.
    "musanada.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sets `request.htmx`: whether htmx made the request, and whether it is a history restore.
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the sign-in page with its message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "musanada.config.urls"
WSGI_APPLICATION = "musanada.config.wsgi.application"

# Django's renderer with select boxes written in Python (web/renderers.py: two templates per option cost the
# inbox and the ticket page dearly).
FORM_RENDERER = "musanada.web.renderers.FormRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "musanada.notifications.context_processors.notifications_bell",
            ],
        },
    },
]

# SQLite is the embedded default; PostgreSQL (DATABASE_URL=postgres://...) is production.
_database_url = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'musanada.sqlite3'}"
if not env_str("DATABASE_URL"):
    # The embedded default keeps its database in the data folder: make sure the folder exists.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
# Each process keeps its connection between requests (DB_CONN_MAX_AGE seconds) instead of opening one per
# request; the health check pings a reused connection once per request, so a database restart costs the
# next request a new connection rather than an error.
DATABASES = {
    "default": dj_database_url.parse(
        _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
}
# A PostgreSQL streaming replica (docs/operations.md, "Reads from a replica"): dashboards and exports read
# from it while it replays within MUSANADA_REPLICA_MAX_LAG_SECONDS of the primary; the rest, the primary.
if env_str("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env_str("DATABASE_REPLICA_URL"), conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # Tests read the replica's alias from the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["musanada.core.replica.ReplicaRouter"]
MUSANADA_REPLICA_MAX_LAG_SECONDS = env_int("MUSANADA_REPLICA_MAX_LAG_SECONDS", 30)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so that
        # two writers queue instead of failing half-way with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("SQLITE_TEST_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout check comes first so that a locked account is refused even with the right password.
AUTHENTICATION_BACKENDS = [
    "musanada.web.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Single sign-on over OpenID Connect (docs/sso.md); off while OIDC_ISSUER is empty.
OIDC = {
    "ISSUER": env_str("OIDC_ISSUER", ""),
    "CLIENT_ID": env_str("OIDC_CLIENT_ID", ""),
    "CLIENT_SECRET": env_str("OIDC_CLIENT_SECRET", ""),
    "SCOPES": env_str("OIDC_SCOPES", "openid email profile"),
    "CLAIM_UNIT": env_str("OIDC_CLAIM_UNIT", "unit_code"),
    "CLAIM_ROLE": env_str("OIDC_CLAIM_ROLE", "role"),
    "CLAIM_MASSAR_ID": env_str("OIDC_CLAIM_MASSAR_ID", ""),
    # Who the API's bearer tokens must be meant for (their `aud`); the client id when empty.
    "API_AUDIENCE": env_str("OIDC_API_AUDIENCE", ""),
}
if OIDC["ISSUER"] and not (OIDC["CLIENT_ID"] and OIDC["CLIENT_SECRET"]):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.")
# Off: only single sign-on signs people in; the password form is gone and passwords are refused.
MUSANADA_LOCAL_PASSWORDS = env_bool("MUSANADA_LOCAL_PASSWORDS", True)
if not MUSANADA_LOCAL_PASSWORDS and not OIDC["ISSUER"]:
    raise ImproperlyConfigured("MUSANADA_LOCAL_PASSWORDS=off needs single sign-on (OIDC_ISSUER) configured.")

# Lockout after repeated failed sign-ins (django-axes), per username *and* address: someone who knows a
# username cannot lock its owner out from elsewhere. Across usernames, one address may fail at most
# MUSANADA_SIGNIN_FAILURES_PER_ADDRESS times in the same window before its sign-ins are refused for the rest
# of it (web/auth.py): high by default, as a whole school shares one connection.
AXES_FAILURE_LIMIT = env_int("MUSANADA_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MUSANADA_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
MUSANADA_SIGNIN_FAILURES_PER_ADDRESS = env_int("MUSANADA_SIGNIN_FAILURES_PER_ADDRESS", 50)
AXES_RESET_ON_SUCCESS = True
# The lock lasts the announced time from the last counted failure; attempts during it do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "musanada.web.auth.lockout_response"

LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Africa/Casablanca"
# Dates as the Moroccan administration writes them (25/11/2026 14:05), in every language.
FORMAT_MODULE_PATH = "musanada.formats"

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The project-wide static files (musanada/static/musanada/…), like the project-wide templates.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or DATA_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": env_str("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    # Outside DEBUG: content-hashed names (cached for a year by browsers) and pre-compressed copies, made by
    # `collectstatic` at deployment (docs/operations.md). DEBUG serves the source files as they change.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "musanada@localhost")
# Where answers to notification mails go when the ticket's desk has no mailbox of its own: an address one of
# the mailboxes Musanada reads receives (docs/mail.md, "Outbound"), or the answers are lost.
MUSANADA_REPLY_TO = env_str("MUSANADA_REPLY_TO", "") or DEFAULT_FROM_EMAIL
# The right-hand side of every Message-ID Musanada writes (notifications and automatic answers): the
# product's mail domain, never the host's name (a "@localhost" Message-ID is spam to many servers). Empty:
# the domain of DEFAULT_FROM_EMAIL.
MUSANADA_MAIL_DOMAIN = env_str("MUSANADA_MAIL_DOMAIN", "")
# Sender authentication of the mail intake (docs/mail.md): the authserv-id of the ministry's receiving mail
# server, whose Authentication-Results header alone is read, and the domains whose mail must pass it. Mail
# from those domains, and every mail of a desk agent, that the server did not authenticate is quarantined.
MUSANADA_MAIL_AUTHSERV_ID = env_str("MUSANADA_MAIL_AUTHSERV_ID", "")
MUSANADA_MAIL_AUTHENTICATED_DOMAINS = [
    domain.lower().strip(".") for domain in env_list("MUSANADA_MAIL_AUTHENTICATED_DOMAINS", []) if domain
]
# How long the intake keeps each mail as it arrived and the attachments it refused, for administrators to
# inspect (a quarantined mail is kept until it is reviewed).
MUSANADA_MAIL_KEEP_DAYS = env_int("MUSANADA_MAIL_KEEP_DAYS", 90)

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
# A form refused for its CSRF token explains itself in the product's layout (web/views/errors.py).
CSRF_FAILURE_VIEW = "musanada.web.views.errors.csrf_failure"
# A session ends after a working day, or after MUSANADA_SESSION_IDLE_MINUTES without a request (a shared
# computer in a school's office), whichever comes first (web/security.py).
SESSION_COOKIE_AGE = env_int("MUSANADA_SESSION_HOURS", 10) * 3600
MUSANADA_SESSION_IDLE_MINUTES = env_int("MUSANADA_SESSION_IDLE_MINUTES", 120)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Every response (web/security.py). No inline script or style anywhere, no plug-ins, no framing, forms and
# fetches to this site only; images may be data: URLs (the admin's icons).
MUSANADA_CONTENT_SECURITY_POLICY = env_str(
    "MUSANADA_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
MUSANADA_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), interest-cohort=()"
)
# Password reset requests: per account (silently: the page answers the same) and per client address, each
# per hour; the mail itself is sent by a job, so the answer takes the same time for every address.
MUSANADA_RESETS_PER_ACCOUNT = env_int("MUSANADA_RESETS_PER_ACCOUNT", 3)
MUSANADA_RESETS_PER_ADDRESS = env_int("MUSANADA_RESETS_PER_ADDRESS", 20)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Behind the ministry's TLS-terminating proxy, trust its X-Forwarded-Proto header.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind the ministry's proxies, the client's address is the one the first of them wrote into
# X-Forwarded-For, counted from the right (web/auth.py, client_address): the sign-in lockout, the throttles
# and the token audit log count per client, not per proxy. 0: REMOTE_ADDR.
MUSANADA_PROXY_COUNT = env_int("MUSANADA_PROXY_COUNT", 1 if env_bool("BEHIND_TLS_PROXY", False) else 0)
AXES_CLIENT_IP_CALLABLE = "musanada.web.auth.client_address"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# `musanada serve`, the production web server (docs/operations.md, "Serving in production"): the address it
# listens on, its number of processes (0: from the CPU count), and the reverse proxies whose X-Forwarded-Proto
# it trusts (gunicorn's own variable name).
MUSANADA_SERVE: dict[str, Any] = {
    "BIND": env_str("MUSANADA_BIND", "127.0.0.1:8000"),
    "WORKERS": env_int("MUSANADA_WEB_WORKERS", 0),
    "FORWARDED_ALLOW_IPS": env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"]),
}

# Business settings of the help desk.
# The product's own settings, read as settings.MUSANADA["NAME"] (each typed by its reader in env.py).
MUSANADA: dict[str, Any] = {
    # A requester may reopen a resolved ticket during this many days after its resolution.
    "REOPEN_DAYS": env_int("MUSANADA_REOPEN_DAYS", 7),
    # A resolved ticket that the requester neither confirms nor reopens closes after this many days.
    "AUTO_CLOSE_DAYS": env_int("MUSANADA_AUTO_CLOSE_DAYS", 7),
    "ATTACHMENT_MAX_BYTES": env_int("MUSANADA_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
    "ATTACHMENT_MAX_FILES": env_int("MUSANADA_ATTACHMENT_MAX_FILES", 10),
    "ATTACHMENT_TYPES": env_list(
        "MUSANADA_ATTACHMENT_TYPES",
        ["pdf", "png", "jpg", "gif", "webp", "txt", "csv", "docx", "xlsx", "pptx", "odt", "ods", "eml"],
    ),
    "PAGE_SIZE": env_int("MUSANADA_PAGE_SIZE", 50),
    # Lists count up to this many tickets and then say "1000+": a count never reads a whole national desk.
    "COUNT_CAP": env_int("MUSANADA_COUNT_CAP", 1000),
    # The address people reach Musanada at, for mails written outside a request (the e-mail intake's answers).
    "PUBLIC_URL": env_str("MUSANADA_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = MUSANADA["ATTACHMENT_MAX_BYTES"] + 1024 * 1024

# Service levels (docs/sla.md): the targets count working time of this calendar, in Africa/Casablanca time.
# Holidays are kept by the administrators in the admin (SLA > Holidays), targets per level and priority too.
MUSANADA_SLA = {
    # ISO weekdays that are worked (1 = Monday … 7 = Sunday): Monday to Friday.
    "WORK_DAYS": [int(day) for day in env_list("MUSANADA_SLA_WORK_DAYS", ["1", "2", "3", "4", "5"])],
    # Opening hours of every working day, "HH:MM-HH:MM".
    "WORK_HOURS": env_str("MUSANADA_SLA_WORK_HOURS", "08:30-16:30"),
    # A ticket is "at risk" once this share (percent) of a target's working time is used.
    "AT_RISK_PERCENT": env_int("MUSANADA_SLA_AT_RISK_PERCENT", 80),
}

# Background jobs (docs/operations.md, "Background jobs"): "inline" runs them in a thread of the serving
# process, "celery" on Celery workers with Redis as broker and beat as scheduler.
MUSANADA_JOBS_BACKEND = env_str("MUSANADA_JOBS_BACKEND", "inline")
if MUSANADA_JOBS_BACKEND not in ("inline", "celery"):
    raise ImproperlyConfigured(
        f"MUSANADA_JOBS_BACKEND must be inline or celery, not {MUSANADA_JOBS_BACKEND!r}."
    )
# Whether a process serving requests through musanada.config.wsgi (runserver, a WSGI server) also runs the
# embedded jobs worker, with the inline backend. `musanada serve` never does unless --with-jobs: production
# runs the jobs in `musanada run-jobs --loop` or Celery, away from the requests.
MUSANADA_JOBS_IN_WEB = env_bool("MUSANADA_JOBS_IN_WEB", True)
MUSANADA_JOBS_MAX_ATTEMPTS = env_int("MUSANADA_JOBS_MAX_ATTEMPTS", 8)
# How often the embedded worker (and beat's sweep) looks for retries, delayed and periodic jobs.
MUSANADA_JOBS_POLL_SECONDS = env_int("MUSANADA_JOBS_POLL_SECONDS", 5)
# A running job whose worker is silent this long is taken over by another worker.
MUSANADA_JOBS_LEASE_SECONDS = env_int("MUSANADA_JOBS_LEASE_SECONDS", 15 * 60)
MUSANADA_JOBS_KEEP_DAYS = env_int("MUSANADA_JOBS_KEEP_DAYS", 30)
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

# The cache holds the API's rate-limit counters: per process by default; set CACHE_URL=redis://… when several
# processes serve the API, or each counts on its own (docs/api.md, "Rate limits").
_cache_url = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
    if _cache_url
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Requests per token (or per signed-in user) in any sliding window: "120/minute", "2000/hour", "10/second"
# (django-ninja's throttle, musanada/api/auth.py; its short forms "120/min", "10/5s" work too).
MUSANADA_API_RATE = env_str("MUSANADA_API_RATE", "120/minute")
# Live personal tokens per user; requests with a token that is not valid per client address in 15 minutes
# before the address's token requests are refused (429) for the rest of them.
MUSANADA_TOKENS_PER_USER = env_int("MUSANADA_TOKENS_PER_USER", 10)
# Named inbox lists per user (docs/pages.md, "Saved views").
MUSANADA_SAVED_VIEWS_PER_USER = env_int("MUSANADA_SAVED_VIEWS_PER_USER", 20)
MUSANADA_BAD_TOKENS_PER_ADDRESS = env_int("MUSANADA_BAD_TOKENS_PER_ADDRESS", 20)
# How `Authorization: Bearer …` is checked, in order: each callable takes (request, token) and returns a user,
# or None when the token is not one of its kind (musanada/api/auth.py).
MUSANADA_API_BEARER_AUTHENTICATORS = [
    "musanada.api.auth.personal_token",
    # OpenID Connect access tokens of the ministry's provider (docs/sso.md, "The API").
    "musanada.sso.bearer.api_authenticator",
]

# The bearer token Prometheus sends to read /metrics; unset, /metrics does not exist (docs/operations.md).
MUSANADA_METRICS_TOKEN = env_str("MUSANADA_METRICS_TOKEN", "")
# Lines on stderr: "text" for people (the default), "json" for a log collector in production (one object per
# line, musanada/core/logs.py). Both carry the id of the request or job they belong to.
MUSANADA_LOG_FORMAT = env_str("MUSANADA_LOG_FORMAT", "text")
if MUSANADA_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"MUSANADA_LOG_FORMAT must be text or json, not {MUSANADA_LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "musanada.core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "musanada.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": MUSANADA_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes writes four INFO lines per sign-in; its failures and lockouts are WARNINGs and stay.
    "loggers": {"axes": {"level": "WARNING"}},
}
