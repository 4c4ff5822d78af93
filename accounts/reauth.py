"""Re-authentication before a signature-like action (21 CFR 11.200): enrolment, emergency
unblinding, locks, signatures.

One function for every such action so that a failure is audited the same way and counts
towards the same lockout as a failed login (django-axes counts `user_login_failed`).
Call it before the action's own transaction: the audit row of a failure must not be rolled
back with the refused action.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp import devices_for_user

from accounts.models import User
from audit.services import record


class ReauthenticationFailed(PermissionDenied):
    """The password (or the second factor) did not match: nothing was done."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def second_factor_required(user: User) -> bool:
    """A user with a confirmed authenticator device types its code as well."""
    return any(True for _ in devices_for_user(user, confirmed=True))


def _locked_out(request: HttpRequest | None, user: User) -> bool:
    if request is None:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, credentials={"username": user.username}))


def _fail(
    user: User,
    *,
    purpose: str,
    request: HttpRequest | None,
    why: str,
    target: models.Model | None,
    count: bool = True,
) -> None:
    with transaction.atomic():
        record(
            "reauthentication_failed",
            target=target if target is not None else user,
            by=user,
            data={"purpose": purpose, "failed": why},
        )
    if count and request is not None:
        user_login_failed.send(
            sender=__name__, credentials={"username": user.username}, request=request
        )


def reauthenticate(
    user: User,
    *,
    password: str,
    token: str = "",
    purpose: str,
    request: HttpRequest | None = None,
    target: models.Model | None = None,
) -> None:
    """Check the password (and the TOTP code when the user has a device) or raise
    ReauthenticationFailed with a message for the user. `purpose` names the action
    (e.g. "enrolment") in the audit row of a failure; `target` is the object acted on
    (the audit row is filed under it, and under its site), else the user.

    Pass the `request`: the failure then counts towards the login lockout (django-axes),
    and a locked-out user is refused here as at the login page.
    """
    if _locked_out(request, user):
        _fail(user, purpose=purpose, request=request, why="locked_out", target=target, count=False)
        raise ReauthenticationFailed(
            gettext("Too many failed attempts: your account is locked for 30 minutes.")
        )
    if not password or not user.check_password(password):
        _fail(user, purpose=purpose, request=request, why="password", target=target)
        raise ReauthenticationFailed(gettext("Your password is not correct: nothing was done."))
    if second_factor_required(user):
        token = (token or "").strip()
        device: Any = next(
            (d for d in devices_for_user(user, confirmed=True) if token and d.verify_token(token)),
            None,
        )
        if device is None:
            _fail(user, purpose=purpose, request=request, why="token", target=target)
            raise ReauthenticationFailed(
                gettext("The code of your authenticator app is not correct: nothing was done.")
            )
