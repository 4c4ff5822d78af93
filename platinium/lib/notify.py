"""Celery options of every task that sends a notification (SAE, unblinding, pharmacy).

Acknowledged only once done (a worker killed mid-task leaves the message to be delivered
again), retried with exponential backoff on any error. Sending twice is harmless: each
task sends one outbox row, locked and stamped sent in the sending transaction. The beat
job `resend_unsent_notifications_task` re-queues what is still unsent after the delay.
"""

from __future__ import annotations

from typing import Any

NOTIFICATION_TASK: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 15,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 12,
}
