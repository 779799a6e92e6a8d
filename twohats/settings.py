"""Twohats settings: one module, driven by environment variables.

SQLite under var/ is the default; set DATABASE_URL for PostgreSQL. With DEBUG off the app refuses
to start on a missing or default SECRET_KEY.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (for container secrets)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.getenv(name, default)


DEBUG = envbool("DEBUG", "False")
# The test suite runs with a throwaway key; pytest is detected so no variable must be set.
TESTING = envbool("TWOHATS_TESTING", "False") or "pytest" in sys.modules

INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY or SECRET_KEY == INSECURE_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or the default: set SECRET_KEY (or SECRET_KEY_FILE) to a long "
            "random value, or DEBUG=1 for local development."
        )
    SECRET_KEY = INSECURE_KEY

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = os.getenv("SITE_NAME", "Twohats")
FIRM_NAME = os.getenv("FIRM_NAME", "Northwind Consulting")
# Money is kept in one currency, the firm's.
CURRENCY = os.getenv("CURRENCY", "EUR")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_filters",
    "django_htmx",
    "axes",
    "auditlog",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "twohats.people",
    "twohats.clients",
    "twohats.projects",
    "twohats.interactions",
    "twohats.growth",
    "twohats.health",
    "twohats.alerts",
    "twohats.surveys",
    "twohats.matching",
    "twohats.dashboards",
    "twohats.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "twohats.people.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Axes goes last: it turns locked-out login attempts into a lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "twohats.urls"
WSGI_APPLICATION = "twohats.wsgi.application"

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
                "twohats.people.context_processors.site",
                "twohats.alerts.context_processors.alerts",
            ],
        },
    }
]

# Databases: SQLite (WAL, immediate transactions) by default, PostgreSQL through DATABASE_URL.
DATABASE_URL = os.getenv("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        # Persistent connections, except under test: the browser tests' server threads would
        # keep theirs open and block dropping the test database.
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", "0" if TESTING else "60")
        )
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.getenv("SQLITE_PATH", str(BASE_DIR / "var" / "twohats.sqlite3")),
            "OPTIONS": {
                # Immediate transactions take the write lock at BEGIN, so two writers wait for
                # each other (up to the timeout) instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures for one username from one address lock that pair for 15 min.
AXES_ENABLED = envbool("AXES_ENABLED", "True")
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", "15") / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = envint("PROXY_COUNT", "0") or None

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
# The interface is in English only; translation machinery would cost every URL and date.
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Only needed for `collectstatic` (e.g. to serve the files from a CDN); the app serves them itself.
STATIC_ROOT = os.getenv("STATIC_ROOT") or None
# The app serves its own static files through WhiteNoise without a collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Requests larger than this are refused with 400 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MAX_REQUEST_BYTES", str(256 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", "587")
    EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = envsecret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "True")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "twohats@localhost")
# Where emails point to: links in them are built from this address.
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Background work: tasks are rows in the database, run by `twohats worker`, which also enqueues
# the periodic jobs; no broker, no cron. Tests run tasks at once, in the caller's thread.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        )
    }
}
# The daily job (health, alerts, escalations, digests, retention) starts at this local time, in
# TIME_ZONE, the firm's zone.
DAILY_JOB_AT = os.getenv("DAILY_JOB_AT", "06:00")

# Behind HTTPS (production), cookies are secure and HTTP is redirected.
HTTPS = envbool("HTTPS", "False")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000") if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if envbool("BEHIND_PROXY", "False"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

AUDITLOG_DISABLE_REMOTE_ADDR = False
AUDITLOG_INCLUDE_ALL_MODELS = False

NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 500
NINJA_PAGINATION_DEFAULT_ORDERING = ("id",)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

if TESTING:
    # Password hashing is deliberately slow; tests make many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every test client builds the middleware; autorefresh skips WhiteNoise's file scan there.
    WHITENOISE_AUTOREFRESH = True

FORM_RENDERER = "twohats.forms.BootstrapRenderer"
FORMS_URLFIELD_ASSUME_HTTPS = True

FILTERS_EMPTY_CHOICE_LABEL = "Any"
