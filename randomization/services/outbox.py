"""Notifications: written in the transaction of their action, e-mailed after commit.

Recipients never learn an arm: no notification carries one (randomization.md).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from randomization.models import Notification

logger = logging.getLogger(__name__)


def central_pharmacy_email() -> str:
    return getattr(settings, "PLATINIUM_CENTRAL_PHARMACY_EMAIL", "") or (
        settings.PLATINIUM_TRIAL_MANAGER_EMAIL
    )


def notify(kind: str, recipients: list[str], **links: Any) -> Notification:
    from randomization.tasks import send_notification_task

    missing = sum(1 for r in recipients if not r)
    if missing:
        # A site without a pharmacy or investigator address must be noticed, not skipped.
        site = links.get("site")
        logger.error(
            "%s notification: %d of %d recipient address(es) missing (site %s); "
            "fill in the site's e-mail addresses",
            kind,
            missing,
            len(recipients),
            getattr(site, "code", "-"),
        )
    notification = Notification.objects.create(
        kind=kind, recipients=[r for r in recipients if r], **links
    )
    transaction.on_commit(lambda: send_notification_task.delay(notification.pk))
    return notification


@transaction.atomic
def send_notification(notification: Notification) -> Notification:
    """Send one outbox e-mail (after commit, from a Celery task); at most once."""
    from randomization.notifications import build_email

    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.sent_at is not None:
        return notification
    if not notification.recipients:
        # Nothing was sent: it stays unsent (visible), never marked as sent to nobody.
        logger.error(
            "notification %s (%s) has no recipient: not sent", notification.pk, notification.kind
        )
        return notification
    build_email(notification).send()
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    return notification
