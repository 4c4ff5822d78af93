"""A real Celery worker on Redis runs the pharmacy e-mail task (not the eager test mode).

The worker is a subprocess (`celery -A platinium worker --pool=solo -Q <unique queue>`)
pointed at this test's database, on the embedded server (Unix socket) as on an external
one; the data are committed (transactional test) so the worker sees them. Its side effect
is read back from the outbox row it marks as sent.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core import mail
from django.db import connection

from randomization.models import Notification
from tests.randomization.factories import make_randomized_participant
from tests.real_services import celery_worker, database_url


def test_the_worker_database_url_reaches_a_unix_socket_server():
    """The embedded server has no TCP port: its socket directory travels in `?host=`."""
    import dj_database_url

    # As settings.py parses the embedded server's URL: the socket directory in OPTIONS.
    embedded = dj_database_url.parse("postgres://postgres@/test_x?host=/tmp/pg%20dir")
    url = database_url(embedded)
    assert url == "postgres://postgres@/test_x?host=/tmp/pg%20dir"
    assert dj_database_url.parse(url)["OPTIONS"]["host"] == "/tmp/pg dir"
    tcp = database_url({"USER": "postgres", "HOST": "127.0.0.1", "PORT": 5433, "NAME": "t"})
    assert tcp == "postgres://postgres@127.0.0.1:5433/t"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pharmacy_email_task_runs_in_a_real_worker(site11, tmp_path: Path, redis_url: str):
    site11.pharmacy_email = "pui@chu-limoges.invalid"
    site11.save()
    participant = make_randomized_participant(site11)
    notification = Notification.objects.create(
        kind=Notification.Kind.RANDOMIZATION,
        recipients=[site11.pharmacy_email],
        site=site11,
        participant=participant,
        allocation=participant.allocation,
    )
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    with celery_worker(
        queue=queue,
        redis_url=redis_url,
        settings_dict=connection.settings_dict,
        log=log,
        cwd=settings.BASE_DIR,
    ):
        client = Celery(broker=redis_url, backend=redis_url)
        result = client.send_task(
            "randomization.tasks.send_notification_task", args=[notification.pk], queue=queue
        )
        # An eager task earlier in this process marks it as "inside a task"; this is not one.
        result.get(timeout=90, disable_sync_subtasks=False)
        assert result.state == "SUCCESS"
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert mail.outbox == []  # nothing ran in this process
    text = log.read_text()
    assert "send_notification_task" in text and "succeeded" in text
