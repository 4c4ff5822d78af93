"""Celery tasks: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from platinium.lib.notify import NOTIFICATION_TASK
from randomization.models import Notification
from randomization.services.dispensing import expire_kits
from randomization.services.outbox import send_notification


@shared_task(**NOTIFICATION_TASK)
def send_notification_task(notification_id: int) -> None:
    send_notification(Notification.objects.get(pk=notification_id))


@shared_task
def expire_kits_task() -> int:
    return expire_kits()
