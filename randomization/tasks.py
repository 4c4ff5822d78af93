"""Celery tasks: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from platinium.lib.notify import NOTIFICATION_TASK
from randomization import services
from randomization.models import Notification


@shared_task(**NOTIFICATION_TASK)
def send_notification_task(notification_id: int) -> None:
    services.send_notification(Notification.objects.get(pk=notification_id))


@shared_task
def expire_kits_task() -> int:
    return services.expire_kits()
