"""Background work of the CRF: thin tasks, ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from platinium.lib.notify import NOTIFICATION_TASK


@shared_task(**NOTIFICATION_TASK)
def send_sae_notification_task(notification_id: int) -> None:
    from crf.models import SaeNotification
    from crf.services import send_sae_notification

    send_sae_notification(SaeNotification.objects.get(pk=notification_id))


@shared_task
def resend_unsent_notifications_task() -> dict[str, list[str]]:
    from crf.services.outbox import resend_unsent

    report = resend_unsent()
    return {"queued": report.queued, "alerted": report.alerted}


@shared_task
def run_edit_checks_task() -> dict[str, int]:
    """Nightly: the soft edit checks over the whole database (idempotent)."""
    from crf.services.editchecks import run_edit_checks

    report = run_edit_checks()
    return {"opened": len(report.opened), "closed": len(report.closed)}
