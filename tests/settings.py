"""Test settings: only test concerns differ from platinium/settings.py."""

import os
import tempfile

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("PLATINIUM_REQUIRE_2FA", "false")

from platinium.settings import *  # noqa: F403

# Argon2 on every login costs ~50 ms; tests use a fast hasher, one test checks Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="platinium-test-exports-")},
    },
}
PLATINIUM_ARM_KEY = "pO3ZQ0Pn9w3fqf3JkqN7l7Q7Qm4sQ0sV9mZ1S0gH2aE="

# Tests create their own application role (tests/audit/); migrate grants nothing here.
PLATINIUM_APP_DB_ROLE = ""

# A real Celery worker (tests/real_services.py) writes its e-mails where the test reads them.
if os.environ.get("PLATINIUM_TEST_EMAIL_DIR"):
    EMAIL_BACKEND = "tests.mail_backends.SlowFileBackend"
