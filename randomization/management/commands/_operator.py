"""Who runs a list command: --by USERNAME, or the only active randomization manager."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from accounts.models import User
from accounts.roles import Role


def operator(username: str | None) -> Any:
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        return user
    managers = list(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.RANDOMIZATION_MANAGER,
            memberships__revoked_at__isnull=True,
        ).distinct()[:2]
    )
    if len(managers) != 1:
        raise CommandError("Name the randomization manager running the import with --by USERNAME.")
    return managers[0]
