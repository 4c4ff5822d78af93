"""Background work of monitoring: thin tasks, one service call."""

from __future__ import annotations

from celery import shared_task

from platinium.lib.notify import NOTIFICATION_TASK


@shared_task(**NOTIFICATION_TASK)
def send_query_digests_task() -> dict[str, list[str]]:
    """Daily: the query digest e-mails (idempotent per user and day: a retry or a second
    run sends only what was not sent)."""
    from monitoring.digest import send_query_digests

    report = send_query_digests()
    return {"sent": report.sent, "already_sent": report.already_sent}
