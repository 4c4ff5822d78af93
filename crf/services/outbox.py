"""The safety net of the e-mail outboxes (docs/decisions/0017-notifications-never-lost.md).

Every notification (SAE reports here, randomization / unblinding / pharmacy e-mails in
`randomization.Notification`) is a row written with the action. A beat job calls
`resend_unsent` every few minutes: a row still unsent after the delay is queued again
(sending is idempotent per row) and the data managers get one alert per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from accounts.models import Membership
from accounts.roles import Role
from audit.services import record
from crf.models import SaeNotification
from randomization.models import Notification


@dataclass
class ResendReport:
    queued: list[str] = field(default_factory=list)
    alerted: list[str] = field(default_factory=list)


def resend_delay() -> timedelta:
    return timedelta(minutes=settings.PLATINIUM_NOTIFICATION_RESEND_MINUTES)


def _label(row: models.Model) -> str:
    if isinstance(row, SaeNotification):
        return f"SAE {row.get_kind_display()} #{row.pk}"
    return f"{row.get_kind_display()} #{row.pk}"  # type: ignore[attr-defined]


@transaction.atomic
def resend_unsent() -> ResendReport:
    """Queue again every notification unsent after the delay; alert once per row.

    The alert is sent inside the transaction that stamps `alerted_at`: a failed alert
    leaves the rows unalerted for the next run."""
    from crf.tasks import send_sae_notification_task
    from randomization.tasks import send_notification_task

    report = ResendReport()
    cutoff = timezone.now() - resend_delay()
    outboxes: list[tuple[Any, Any]] = [
        (SaeNotification, send_sae_notification_task),
        (Notification, send_notification_task),
    ]
    for model, task in outboxes:
        late = model.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        for row in late.select_for_update(skip_locked=True):
            report.queued.append(_label(row))
            transaction.on_commit(partial(task.delay, row.pk))
            if row.alerted_at is None:
                report.alerted.append(_label(row))
                row.alerted_at = timezone.now()
                row.save(update_fields=["alerted_at"])
    if report.alerted:
        _alert_data_managers(report.alerted)
    return report


def data_manager_emails() -> list[str]:
    emails = (
        Membership.objects.active()
        .filter(role=Role.DATA_MANAGER, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(emails) or [settings.PLATINIUM_TRIAL_MANAGER_EMAIL]


def _alert_data_managers(labels: list[str]) -> None:
    with override(settings.LANGUAGE_CODE):
        subject = gettext("PLATINIUM: %(count)d e-mail notification(s) not sent") % {
            "count": len(labels)
        }
        body = gettext(
            "These notifications were still unsent %(minutes)d minutes after they were "
            "due. They are being sent again; check the mail server and the task worker."
        ) % {"minutes": settings.PLATINIUM_NOTIFICATION_RESEND_MINUTES}
    EmailMessage(
        subject=subject, body=body + "\n\n" + "\n".join(labels), to=data_manager_emails()
    ).send()
    record("notifications.unsent_alert", target=None, by=None, data={"rows": labels})
