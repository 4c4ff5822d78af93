"""Shared body of lock_database / unlock_database: the same services as the web page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.access import has_capability
from participants import locks


class LockCommand(BaseCommand):
    capability: str
    done: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", required=True, help="username of an active data manager")
        parser.add_argument("--reason", required=True, help="why (kept in the lock history)")

    def service(self) -> Callable[..., Any]:
        raise NotImplementedError

    def handle(self, *args: Any, by: str, reason: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=by, is_active=True).first()
        if user is None or not has_capability(user, self.capability):
            raise CommandError(f"{by!r} is not an active data manager: nothing was changed.")
        try:
            lock = self.service()(by=user, reason=reason)
        except locks.LockRefused as refused:
            raise CommandError(" ".join(refused.messages)) from None
        except PermissionDenied:
            raise CommandError(f"{by!r} may not do this: nothing was changed.") from None
        self.stdout.write(f"{self.done} (lock {lock.pk}).")
