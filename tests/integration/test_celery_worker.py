"""A real Celery worker on Redis runs the pharmacy e-mail task (not the eager test mode).

The worker is a subprocess (`celery -A platinium worker --pool=solo -Q <unique queue>`)
pointed at this test's database; the data are committed (transactional test) so the
worker sees them. Its side effect is read back from the outbox row it marks as sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core import mail
from django.db import connection

from randomization.models import Notification
from tests.randomization.factories import make_randomized_participant

REDIS_URL = os.environ.get("PLATINIUM_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pharmacy_email_task_runs_in_a_real_worker(site11, tmp_path: Path):
    if not _redis_answers():
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
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
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "DATABASE_URL": _database_url(),
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "platinium",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        client = Celery(broker=REDIS_URL, backend=REDIS_URL)
        result = client.send_task(
            "randomization.tasks.send_notification_task", args=[notification.pk], queue=queue
        )
        # An eager task earlier in this process marks it as "inside a task"; this is not one.
        result.get(timeout=90, disable_sync_subtasks=False)
        assert result.state == "SUCCESS"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    notification.refresh_from_db()
    assert notification.sent_at is not None
    assert mail.outbox == []  # nothing ran in this process
    text = log.read_text()
    assert "send_notification_task" in text and "succeeded" in text
