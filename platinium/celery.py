"""Celery application: tasks are thin (ids in, one service call) and live in <app>/tasks.py."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platinium.settings")

app = Celery("platinium")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Nightly, Europe/Paris: kits past their expiry date leave the available stock.
    "expire-kits": {
        "task": "randomization.tasks.expire_kits_task",
        "schedule": crontab(hour=1, minute=5),
    },
    # Every 5 minutes: e-mail notifications still unsent after the delay are queued again
    # and the data managers alerted (crf.services.outbox).
    "resend-unsent-notifications": {
        "task": "crf.tasks.resend_unsent_notifications_task",
        "schedule": 300.0,
    },
    # Nightly: the soft edit checks over the whole database open and close system queries.
    "run-edit-checks": {
        "task": "crf.tasks.run_edit_checks_task",
        "schedule": crontab(hour=2, minute=15),
    },
    # Daily at 7:00, Europe/Paris: the query digest e-mails to the people who must act
    # (monitoring.digest; once a day per user whatever the number of runs).
    "send-query-digests": {
        "task": "monitoring.tasks.send_query_digests_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Hourly: export archives past their keeping time are deleted.
    "delete-expired-exports": {
        "task": "exports.tasks.delete_expired_exports_task",
        "schedule": crontab(minute=17),
    },
}
