"""Attain settings: one module, driven by environment variables.

Defaults run the demo (SQLite file under var/). Production sets ATTAIN_SECRET_KEY, DATABASE_URL and
ATTAIN_ALLOWED_HOSTS. A wrong value raises ConfigurationError naming the variable; the `attain`
command turns that into one readable paragraph instead of a traceback.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from attain.core.config import (
    ConfigurationError,
    env_bool,
    env_int,
    env_list,
    env_time_zone,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ATTAIN_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("ATTAIN_DEBUG", default=False)

SECRET_KEY = os.environ.get("ATTAIN_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigurationError(
            "ATTAIN_SECRET_KEY is not set. Attain refuses to start without a secret key unless "
            'ATTAIN_DEBUG=1 (the demo). Generate one with `python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"` and export ATTAIN_SECRET_KEY.'
        )
    SECRET_KEY = "attain-demo-only-insecure-key-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list(
    "ATTAIN_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "auditlog",
    "attain.core",
    "attain.audit",
    "attain.org",
    "attain.crm",
    "attain.metrics",
    "attain.importers",
    "attain.demo",
    "attain.web",
    "attain.quality",
    "attain.exports",
    "attain.access",
    "attain.dashboards",
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
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASE_URL = os.environ.get("DATABASE_URL", "") or f"sqlite:///{VAR_DIR / 'attain.sqlite3'}"
DATABASES = {"default": parse_database_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("ATTAIN_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns on every request when the collectstatic target is missing (demo, tests).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "attain.web.staticfinders.PlotlyFinder",
]
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = os.environ.get(
    "ATTAIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)

# Security: production defaults are strict; the demo (DEBUG) runs over plain HTTP on localhost.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env_bool("ATTAIN_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("ATTAIN_CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ATTAIN_LOG_LEVEL", "WARNING")},
}

# Admin site is mounted under /admin/; Django's admin is available for every model.
AUDITLOG_INCLUDE_ALL_MODELS = False

# Covering indexes (INCLUDE) are a PostgreSQL speed-up; SQLite uses the same index without them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Login throttling (django-axes): after ATTAIN_LOGIN_FAILURE_LIMIT failed sign-ins for one username
# from one IP address, that pair is locked for ATTAIN_LOGIN_COOLOFF_MINUTES (a 429 page says so).
# Unlock early with `attain axes_reset_username USERNAME` (or axes_reset_ip / axes_reset).
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ATTAIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ATTAIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

# Password reset by e-mail (Django's views); the demo prints the mail on the console.
DEFAULT_FROM_EMAIL = os.environ.get("ATTAIN_FROM_EMAIL", "attain@localhost")
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # seconds: the link in the mail works for three days
