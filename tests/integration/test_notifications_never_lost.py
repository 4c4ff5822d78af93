"""E-mail notifications are never lost (docs/decisions/0017-notifications-never-lost.md).

A real Celery worker is killed (SIGKILL) while it sends an SAE report: nothing was sent,
nothing was marked sent. A new worker alone does not send it (the killed task's message
stays unacknowledged in Redis); the beat job's re-send does, exactly once, and alerts the
data managers once; running the job again sends nothing more.
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from celery import Celery
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from crf import tasks as crf_tasks
from crf.models import SaeNotification
from crf.services import save_adverse_event
from crf.services.outbox import resend_unsent
from randomization.models import Notification
from tests.crf.helpers import randomized, sae_data
from tests.real_services import celery_worker

VIGILANCE = "vigilance@platinium.invalid"  # the default of platinium/settings.py


def _wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _mails(directory: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(directory.glob("mail-*"))]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_while_sending_an_sae_report_loses_nothing(
    site11, role_users, tmp_path: Path, redis_url: str, monkeypatch
) -> None:
    mails = tmp_path / "mail"
    mails.mkdir()
    # The save commits its outbox row; this process queues nothing (the test does).
    monkeypatch.setattr("crf.services.events._send_after_commit", lambda notification: None)
    participant = randomized(site11)
    ae = save_adverse_event(participant, by=role_users["investigator"], data=sae_data()).obj
    notification = SaeNotification.objects.get(adverse_event=ae, kind="initial")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    common: dict[str, Any] = {
        "queue": queue,
        "redis_url": redis_url,
        "settings_dict": connection.settings_dict,
        "log": tmp_path / "worker.log",
        "cwd": settings.BASE_DIR,
    }
    client = Celery(broker=redis_url, backend=redis_url)
    slow = {"PLATINIUM_TEST_EMAIL_DIR": str(mails), "PLATINIUM_TEST_EMAIL_DELAY": "120"}
    with celery_worker(**common, env=slow) as worker:
        client.send_task(
            "crf.tasks.send_sae_notification_task", args=[notification.pk], queue=queue
        )
        _wait_for(lambda: list(mails.glob("sending-*")), 120, "the worker to start sending")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert _mails(mails) == []
    notification.refresh_from_db()
    assert notification.sent_at is None  # the killed transaction rolled back

    fast = {"PLATINIUM_TEST_EMAIL_DIR": str(mails), "PLATINIUM_NOTIFICATION_RESEND_MINUTES": "0"}
    with celery_worker(**common, env=fast):
        # The new worker is up and serving the queue, yet the killed task is not re-run:
        # without the re-send job the report would stay unsent (the loss this test guards).
        client.send_task("celery.backend_cleanup", queue=queue).get(timeout=120)
        time.sleep(2)
        assert _mails(mails) == []
        report = client.send_task("crf.tasks.resend_unsent_notifications_task", queue=queue).get(
            timeout=120
        )
        assert report["queued"] and report["alerted"]
        _wait_for(
            lambda: SaeNotification.objects.filter(pk=notification.pk, sent_at__isnull=False),
            120,
            "the re-sent report",
        )
        again = client.send_task("crf.tasks.resend_unsent_notifications_task", queue=queue)
        assert again.get(timeout=120) == {"queued": [], "alerted": []}
    sent = _mails(mails)
    to_vigilance = [m for m in sent if m["To"] == VIGILANCE]
    alerts = [m for m in sent if m["To"] != VIGILANCE]
    assert len(to_vigilance) == 1 and participant.code in to_vigilance[0]["Subject"]
    assert len(alerts) == 1
    assert mail.outbox == []  # nothing was sent from this process


@pytest.mark.django_db
def test_the_resend_job_requeues_every_outbox_after_the_delay_and_alerts_once(
    site11, role_users, settings, django_capture_on_commit_callbacks, request
) -> None:
    """In-process (eager) check of the job over both outboxes, with the clock moved."""
    sent: list[tuple[str, int]] = []
    from randomization import tasks as randomization_tasks

    stack = contextlib.ExitStack()
    for name, task in (
        ("sae", crf_tasks.send_sae_notification_task),
        ("n", randomization_tasks.send_notification_task),
    ):
        stack.enter_context(
            mock.patch.object(task, "delay", lambda pk, name=name: sent.append((name, pk)))
        )
    request.addfinalizer(stack.close)
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=role_users["investigator"], data=sae_data()).obj
    pharmacy = Notification.objects.create(
        kind=Notification.Kind.RESUPPLY, recipients=["pui@chu.invalid"], site=site11
    )
    Notification.objects.create(
        kind=Notification.Kind.RESUPPLY, recipients=["x@chu.invalid"], sent_at=timezone.now()
    )
    sae = SaeNotification.objects.get(adverse_event=ae)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert resend_unsent().queued == []  # not late yet
    assert sent == [] and mail.outbox == []
    later = timezone.now() + timedelta(minutes=settings.PLATINIUM_NOTIFICATION_RESEND_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = resend_unsent()
        with django_capture_on_commit_callbacks(execute=True):
            second = resend_unsent()
    assert sorted(sent) == sorted([("sae", sae.pk), ("n", pharmacy.pk)] * 2)
    assert len(first.alerted) == 2 and second.alerted == []
    assert len(mail.outbox) == 1  # the alert, to the active data managers
    assert mail.outbox[0].to == [role_users["data_manager"].email]


def test_every_notification_task_is_acknowledged_late_and_retried() -> None:
    from randomization.tasks import send_notification_task

    for task in (crf_tasks.send_sae_notification_task, send_notification_task):
        assert task.acks_late and task.reject_on_worker_lost
        assert task.autoretry_for == (Exception,) and task.max_retries >= 5
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
