"""PLATINIUM EDC settings: one module, everything read from the environment.

Every variable is listed and explained in `.env.example`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import pghistory
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _

from audit import triggers as audit_triggers
from platinium.lib.env_file import load_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
load_env_file(BASE_DIR / ".env")
DATA_DIR = Path(os.environ.get("PLATINIUM_DATA_DIR", BASE_DIR / ".data"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false.")
    SECRET_KEY = "insecure-development-key-only-for-make-run-0123456789abcdef"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "pgtrigger",
    "pghistory",
    "django_htmx",
    "platinium",
    "audit",
    "sites",
    "accounts",
    "participants",
    "eligibility",
    "randomization",
    "crf",
    "monitoring",
    "exports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "platinium.lib.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionActivityMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.context.AuditContextMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "accounts.middleware.CurrentSiteMiddleware",
    "axes.middleware.AxesMiddleware",
    "participants.middleware.LockRefusalMiddleware",
]

ROOT_URLCONF = "platinium.urls"
WSGI_APPLICATION = "platinium.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Database: PostgreSQL only. DATABASE_URL wins; otherwise the embedded server
# (docs/decisions/0001-postgresql-only-with-embedded-server.md).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from platinium.lib.embedded_db import embedded_database_url

    DATABASE_URL = embedded_database_url(DATA_DIR)
# Persistent connections are checked before each request reuses them, so the app carries on
# by itself after a database restart (tests/integration/test_database_restart.py).
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Name of the application's database role (owns nothing). Set where `migrate` runs as the
# owner: every migrate then re-grants that role its rights (audit.dbroles).
PLATINIUM_APP_DB_ROLE = os.environ.get("PLATINIUM_APP_DB_ROLE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions expire after 30 minutes of inactivity (the page warns before). A GET never
# saves the session: writes and the page's activity renew it (docs/decisions/0022).
SESSION_COOKIE_AGE = int(os.environ.get("PLATINIUM_SESSION_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("PLATINIUM_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
# Lock by username only: a whole hospital shares one outgoing IP address, so an
# IP-based lock would shut out every user of a site (docs/decisions/0004).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Whom a locked-out user (or one without access to their mailbox) contacts: shown on the
# lockout page and in the password reset e-mail. Empty: "the trial administrator".
PLATINIUM_SUPPORT_CONTACT = os.environ.get("PLATINIUM_SUPPORT_CONTACT", "")
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Two-factor authentication: enforced for every role unless explicitly disabled.
PLATINIUM_REQUIRE_2FA = env_bool("PLATINIUM_REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = "PLATINIUM EDC"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The image collects static files at build time, outside the /data volume.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", DATA_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
# Export archives: private (never served as media), downloaded through the app by their
# requester only; any Django storage backend (e.g. an S3-compatible one) may replace it
# so that web and worker run on different machines (docs/decisions/0018).
STORAGES["exports"] = {
    "BACKEND": os.environ.get(
        "PLATINIUM_EXPORT_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": {"location": os.environ.get("PLATINIUM_EXPORT_DIR") or str(DATA_DIR / "exports")},
}
PLATINIUM_EXPORT_KEEP_HOURS = int(os.environ.get("PLATINIUM_EXPORT_KEEP_HOURS", "72"))

# Widgets render through Jinja2: several times faster than Django templates for pages
# with hundreds of inputs (the daily ICU grid); page templates stay Django templates.
FORM_RENDERER = "django.forms.renderers.Jinja2"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security headers; `manage.py check --deploy` is clean with production settings.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True  # htmx reads the token from the page, never from the cookie
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own scripts and styles only, no inline code, no
# third-party origin (docs/decisions/0016-content-security-policy.md).
SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": [SELF],
        "frame-ancestors": ["'none'"],
    }
}
CSRF_FAILURE_VIEW = "platinium.views.csrf_failure"

# Celery: a real worker when Redis answers; otherwise `make run` sets
# CELERY_TASK_ALWAYS_EAGER=true and says so in its log.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task's message is acknowledged when the task is done, one message at a time per
# worker process: a killed worker loses nothing (docs/decisions/0017).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
# An e-mail notification still unsent this many minutes after it was due is sent again
# and the data managers are alerted.
PLATINIUM_NOTIFICATION_RESEND_MINUTES = int(
    os.environ.get("PLATINIUM_NOTIFICATION_RESEND_MINUTES", "10")
)

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "edc@platinium.invalid")
PLATINIUM_VIGILANCE_EMAIL = os.environ.get(
    "PLATINIUM_VIGILANCE_EMAIL", "vigilance@platinium.invalid"
)
PLATINIUM_TRIAL_MANAGER_EMAIL = os.environ.get(
    "PLATINIUM_TRIAL_MANAGER_EMAIL", "trial-manager@platinium.invalid"
)
# Address of the EDC for links in e-mails sent outside a request (the daily query digest).
PLATINIUM_BASE_URL = os.environ.get("PLATINIUM_BASE_URL", "http://127.0.0.1:8000")
# Central pharmacy alerted of resupply requests and stock-outs (default: the trial manager).
PLATINIUM_CENTRAL_PHARMACY_EMAIL = os.environ.get("PLATINIUM_CENTRAL_PHARMACY_EMAIL", "")

# Key that encrypts treatment arms (randomization/arm_access.py); never in the database.
PLATINIUM_ARM_KEY = os.environ.get("PLATINIUM_ARM_KEY", "")
# What A and B are, for allocation lists loaded before each list recorded its products
# (docs/decisions/0030), e.g. "A=interferon gamma-1b,B=placebo"; empty: the letter only.
PLATINIUM_ARM_PRODUCTS = os.environ.get("PLATINIUM_ARM_PRODUCTS", "")
PLATINIUM_ARM_KEY_FILE = os.environ.get("PLATINIUM_ARM_KEY_FILE", str(DATA_DIR / "arm.key"))
PLATINIUM_ENV = os.environ.get("PLATINIUM_ENV", "UAT")
# randomization.md: day-10 mHLA-DR would unblind; hidden from site staff, monitors and the
# blinded sponsor team until database lock unless the sponsor relaxes it here.
PLATINIUM_D10_VISIBLE_BEFORE_LOCK = env_bool("PLATINIUM_D10_VISIBLE_BEFORE_LOCK", False)

# pghistory: the context (user, request id, reason) is copied into every event row,
# so the event tables alone are a complete, append-only audit trail. Capture and
# append-only triggers come from audit.triggers: no session setting can skip them.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
PGHISTORY_CONTEXT_ID_FIELD = pghistory.ContextUUIDField()
PGHISTORY_APPEND_ONLY = False  # audit.apps adds non-ignorable append-only triggers instead
PGHISTORY_DEFAULT_TRACKERS = (
    audit_triggers.InsertEvent(),
    audit_triggers.UpdateEvent(),
    audit_triggers.DeleteEvent(),
)
PGHISTORY_INSTALL_CONTEXT_FUNC_ON_MIGRATE = True
# pghistory's default encoder, given as the class: named by a string, it is imported again
# for every SQL statement run inside a history context (every write of a service).
PGHISTORY_JSON_ENCODER = DjangoJSONEncoder

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
