"""Whether django-axes holds a username locked out (docs/decisions/0004: by username)."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone


def is_locked_out(username: str) -> bool:
    return AccessAttempt.objects.filter(
        username=username,
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - (get_cool_off() or timedelta(0)),
    ).exists()
