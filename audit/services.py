"""`record()`: the one way services write a business event to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from audit.context import current_request_id
from audit.models import AuditEvent


class ReasonRequired(ValueError):
    """A change to data saved before needs a reason (21 CFR 11.10(e), ICH E6(R3))."""


def site_code_of(target: models.Model | None) -> str:
    if target is None:
        return ""
    if hasattr(target, "audit_site_code"):
        return str(target.audit_site_code() or "")
    site = getattr(target, "site", None)
    return getattr(site, "code", "") or ""


def record(
    action: str,
    *,
    target: models.Model | None = None,
    by: AbstractBaseUser | None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    site_code: str | None = None,
) -> AuditEvent:
    """Write one append-only business event.

    Call it inside the service's transaction so the event and the change commit or
    roll back together. `data` must never hold a treatment arm (blinding).
    """
    actor = by if getattr(by, "pk", None) else None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,  # type: ignore[misc]  # AUTH_USER_MODEL: audit sits below accounts
        actor_username=getattr(by, "username", "") or "",
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        site_code=site_code if site_code is not None else site_code_of(target),
        data=data or {},
        reason=reason,
        request_id=current_request_id(),
    )


def reason_required(instance: models.Model) -> bool:
    """A change needs a reason once the row is saved, unless the row says it is still a
    draft (a CRF form in progress: `reason_required_for_change` is False)."""
    if instance.pk is None or instance._state.adding:
        return False
    return bool(getattr(instance, "reason_required_for_change", True))


def require_reason(instance: models.Model, reason: str | None) -> str:
    """Refuse a modification of already-saved data without a reason for change."""
    reason = (reason or "").strip()
    if reason_required(instance) and not reason:
        raise ReasonRequired("A reason for change is required.")
    return reason
