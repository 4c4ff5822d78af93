"""Login, logout and failed logins go to the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.services import record

if TYPE_CHECKING:
    from accounts.types import User


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    record("login_succeeded", target=user, by=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        record("logout", target=user, by=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any, **kwargs: Any) -> None:
    # The password is never stored; only the username typed.
    record("login_failed", by=None, data={"username": str(credentials.get("username", ""))[:150]})
