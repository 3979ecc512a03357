"""Django settings for kam, read from environment variables with embedded defaults.

KAM_DATA_DIR        where the embedded stores live (default: ~/.local/share/kam)
KAM_DATABASE_URL    operational database (default: SQLite file kam.sqlite3 in the data dir)
KAM_ANALYTICS_URL   analytical store (default: DuckDB file analytics.duckdb in the data dir)
KAM_ANALYTICS_ENGINE  "duckdb" (default: the embedded store) or "spark": invoice lines in the
                    lake, the analytics on Spark (docs/scale.md)
KAM_SPARK_MASTER    the Spark master with the spark engine (default: local[*])
KAM_LAKE_URL        the lake's folder with the spark engine (default: lake in the data dir)
KAM_ANALYTICS_MEMORY  DuckDB's working memory for the store and imports, e.g. "16GB"
                    (default: 4GB); past it DuckDB spills to disk beside the store
KAM_SECRET_KEY      Django secret key (default: a key generated once and kept in the data dir)
KAM_DEBUG           "1" for Django debug pages
KAM_ALLOWED_HOSTS   comma-separated host names (default: localhost, 127.0.0.1)
KAM_ENV             "production" for a production install: secure cookies, HSTS, HTTPS
                    redirect behind a proxy, and no secret that is not in the environment
                    (docs/security.md lists every variable)
KAM_EMAIL_HOST      an SMTP server for password-reset mail (default: mail is printed to the
                    server's log, or written to KAM_EMAIL_FILE_DIR when that is set)
KAM_ROLE_GRANTS     permissions added to roles, e.g. "Viewer=view_financials" (kam/people/grants.py)
KAM_ROLE_REVOKES    permissions taken from roles, e.g. "Executive Sponsor=view_financials"
"""

import base64
import hashlib
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import plotly
from csp.constants import NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from kam.people.grants import parse_role_permissions

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(
    os.environ.get("KAM_DATA_DIR") or Path.home() / ".local" / "share" / "kam"
).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

KAM_ENV = os.environ.get("KAM_ENV", "development").strip().lower() or "development"
if KAM_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"KAM_ENV is {KAM_ENV!r}; use 'production' or 'development'.")
PRODUCTION = KAM_ENV == "production"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("KAM_SECRET_KEY"):
        return key
    if PRODUCTION:
        # A key in a file beside the data would travel with every backup of it.
        raise ImproperlyConfigured(
            "KAM_ENV=production needs KAM_SECRET_KEY in the environment (50 random "
            'characters or more: python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    # Keep one key per data dir so sessions survive restarts without asking the user for one.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("KAM_DEBUG") == "1"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "KAM_DEBUG=1 shows code and settings to visitors: not in production."
    )
ALLOWED_HOSTS = os.environ.get("KAM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "csp",
    "ninja",  # its Swagger UI assets are served from the package, never a CDN
    "kam.audit",
    "kam.people",
    "kam.accounts",
    "kam.selection",
    "kam.relationships",
    "kam.plans",
    "kam.engagement",
    "kam.opportunities",
    "kam.performance",
    "kam.health",
    "kam.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Every write is recorded as this request's user, through the web, the admin or the API.
    "kam.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A user given a password by someone else (an Administrator, the demo) sets their own first.
    "kam.people.middleware.PasswordChangeRequiredMiddleware",
    # Refuses a sign-in from a locked-out account or address, even with the right password.
    "axes.middleware.AxesMiddleware",
    # Last, so it sees every view's exceptions: a busy analytical store is a 503 page.
    "kam.stores.StoreBusyMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

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
                "kam.context_processors.navigation",
            ],
        },
    },
]

if PRODUCTION and not os.environ.get("KAM_DATABASE_URL"):
    raise ImproperlyConfigured(
        "KAM_ENV=production needs KAM_DATABASE_URL, e.g. postgres://kam@db.internal:5432/kam."
    )
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("KAM_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'kam.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web app read while an import writes; wait when busy, not "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

ANALYTICS_URL = os.environ.get("KAM_ANALYTICS_URL") or f"duckdb://{DATA_DIR / 'analytics.duckdb'}"
# Where the invoice lines live and which engine runs the analytics (docs/scale.md).
ANALYTICS_ENGINE = (os.environ.get("KAM_ANALYTICS_ENGINE") or "duckdb").strip().lower()
if ANALYTICS_ENGINE not in {"duckdb", "spark"}:
    raise ImproperlyConfigured(
        f"KAM_ANALYTICS_ENGINE is {ANALYTICS_ENGINE!r}; use 'duckdb' (the default) or 'spark'."
    )
SPARK_MASTER = os.environ.get("KAM_SPARK_MASTER") or "local[*]"
ANALYTICS_MEMORY = (os.environ.get("KAM_ANALYTICS_MEMORY") or "4GB").strip()
if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", ANALYTICS_MEMORY, re.I):
    raise ImproperlyConfigured(
        f"KAM_ANALYTICS_MEMORY is {ANALYTICS_MEMORY!r}; give an amount with its unit, "
        "such as '4GB' or '512MB'."
    )
LAKE_URL = os.environ.get("KAM_LAKE_URL") or str(DATA_DIR / "lake")

AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:list"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes, docs/security.md): after AXES_FAILURE_LIMIT failed sign-ins
# the user name is locked, and so is the address they came from, each on its own, for
# AXES_COOLOFF_TIME — even the right password is refused until then, and the page says so.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("KAM_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("KAM_LOGIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kam.people.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "kam.people.throttle.client_address"
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy: the client is the address the
# proxy appended to X-Forwarded-For (on by default in production, KAM_BEHIND_PROXY=0 turns off).
BEHIND_PROXY = _flag("KAM_BEHIND_PROXY", PRODUCTION)

# Password reset mail (Django's email framework): SMTP when KAM_EMAIL_HOST is set, else a
# file per message in KAM_EMAIL_FILE_DIR, else the server's log.
DEFAULT_FROM_EMAIL = os.environ.get("KAM_EMAIL_FROM", "kam <kam@localhost>")
if os.environ.get("KAM_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["KAM_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("KAM_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("KAM_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("KAM_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = _flag("KAM_EMAIL_TLS", True)
elif os.environ.get("KAM_EMAIL_FILE_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["KAM_EMAIL_FILE_DIR"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3  # a reset link works for three hours

# Applied wherever a password is set (kam.people.services.do_create_user): the web app, the
# CLI and the demo. The common-password list ships inside Django; nothing is fetched.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Plotly's JavaScript ships inside the Python package: serve it from there, never a CDN.
    ("plotly", Path(plotly.__file__).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Uploads past 10 MB are streamed to a temporary file rather than held in memory; the
# form fields (not files) of one request may total 10 MB. MAX_UPLOAD_BYTES caps one
# import file uploaded through the web (docs/importing.md); bigger files go by `kam import`.
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# What each role may do is kam.people.roles.ROLE_PERMISSIONS; an install changes it per role
# here (financial fields are the usual case: off for Viewers unless granted).
ROLE_GRANTS = parse_role_permissions(os.environ.get("KAM_ROLE_GRANTS", ""), "KAM_ROLE_GRANTS")
ROLE_REVOKES = parse_role_permissions(os.environ.get("KAM_ROLE_REVOKES", ""), "KAM_ROLE_REVOKES")

MAX_UPLOAD_BYTES = int(os.environ.get("KAM_MAX_UPLOAD_MB", "1024")) * 1024 * 1024
UPLOAD_DIR = DATA_DIR / "uploads"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}

# Production: HTTPS only, behind a reverse proxy that terminates TLS and says so in
# X-Forwarded-Proto (docs/security.md). `manage.py check --deploy` is clean with these.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("KAM_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("KAM_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _flag("KAM_HSTS_PRELOAD", True)
    CSRF_TRUSTED_ORIGINS = [
        origin for origin in os.environ.get("KAM_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
    ]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy on every response, in every environment, so the tests see what
# production sends. Scripts come only from kam's own static files (htmx, Plotly, kam.js);
# the two inline handlers of the error and print pages are allowed by their hashes alone.
# Styles allow inline: pages size bars with style="width: …%" and Plotly styles its SVG.
CSP_INLINE_HANDLERS = ("history.back()", "window.print()")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [
            SELF,
            UNSAFE_HASHES,
            *(
                f"'sha256-{base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()}'"
                for handler in CSP_INLINE_HANDLERS
            ),
        ],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
