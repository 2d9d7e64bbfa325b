"""Marmots settings, driven by the environment.

Every value a deployment changes comes from an environment variable; the defaults run the
embedded demo (SQLite, e-mails written to files, tasks run at once).
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MARMOTS_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# The simulated bank of the online payment demo (/paiement/banque-simulee/): it accepts any
# payment, so a system check refuses it when DEBUG is off.
MARMOTS_DEMO_BANK = env_bool("MARMOTS_DEMO_BANK", DEBUG)
# The online providers' addresses, chosen by the deployment only (never by a manager): PayFiP's
# web service our server asks whether a payment was made, and SystemPay's payment page (PayZen
# and other banks have their own). Empty: eopayment's, the providers' production addresses.
MARMOTS_PAYFIP_SERVICE_URL = os.environ.get("MARMOTS_PAYFIP_SERVICE_URL", "")
MARMOTS_SYSTEMPAY_SERVICE_URL = os.environ.get("MARMOTS_SYSTEMPAY_SERVICE_URL", "")
# The fallback key is for the demo and the tests only; `manage.py check --deploy` flags it
# (security.W009), and production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-marmots-demo-key-do-not-use"

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs page's assets locally (no CDN)
    "marmots.core",
    "marmots.accounts",
    "marmots.activities",
    "marmots.families",
    "marmots.enrollments",
    "marmots.bookings",
    "marmots.checkin",
    "marmots.billing",
    "marmots.payments",
    "marmots.debits",
    "marmots.places",
    "marmots.kiosk",
    "marmots.portal",
    "marmots.backoffice",
    "marmots.api",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marmots.core.context_processors.structure",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'marmots.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so a transaction that counts places and then
    # books cannot interleave with another writer (see bookings' capacity checks).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

AUTH_USER_MODEL = "accounts.User"
# User.email is unique case-insensitively through a database constraint on Lower(email), which
# the auth check does not see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = ["marmots.accounts.backends.EmailBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Account links (initialisation and reset) stay valid three days.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600))
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:public_home"
# Behind a reverse proxy: the request.META header holding the client address (right-most entry).
MARMOTS_CLIENT_IP_HEADER = os.environ.get("MARMOTS_CLIENT_IP_HEADER", "")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "files")
if os.environ.get("S3_BUCKET"):
    # Several app servers share the files through an S3-compatible object store. Files stay
    # private (no public ACL) and are served through views that check who asks.
    DEFAULT_FILE_STORAGE_SETTINGS = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL"),
            "access_key": os.environ.get("S3_ACCESS_KEY"),
            "secret_key": os.environ.get("S3_SECRET_KEY"),
            "region_name": os.environ.get("S3_REGION"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    # Local disk outside the web root: nothing under MEDIA_ROOT is served directly.
    DEFAULT_FILE_STORAGE_SETTINGS = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": DEFAULT_FILE_STORAGE_SETTINGS,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files from the apps too, so the demo and the tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
MARMOTS_MAX_UPLOAD_BYTES = 10 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# E-mail: SMTP in production, files under var/mail in the demo.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Marmots <noreply@localhost>")

# Background work: in production the database backend keeps every queued e-mail or PDF until
# `manage.py db_worker` has done it (nothing acknowledged is lost); the demo (DEBUG) runs tasks
# at once, and so do the tests (see conftest.py).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("MARMOTS_TASKS_BACKEND")
        or (
            "django_tasks.backends.immediate.ImmediateBackend"
            if DEBUG
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
