"""The restore drill: a dump restores into a new database that the app serves, with every
participant, audit row and allocation; the arm key is saved apart, never in the dump."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import record
from participants.models import Participant
from platinium.lib.backup import binary
from randomization.models import Allocation, Slot
from tests.factories import make_user_with_role
from tests.randomization.factories import make_randomized_participant
from tests.real_services import database_url

# Runs in a new process on the restored database: the app serves it.
APP_ON_RESTORED = """
import json, django
django.setup()
from django.test import Client
from django.urls import reverse
from accounts.models import User
from audit.models import AuditEvent
from participants.models import Participant
from randomization.models import Allocation, Slot
seen = {
    "codes": sorted(Participant.objects.values_list("code", flat=True)),
    "audit": AuditEvent.objects.count(),  # before the login below adds its own row
    "allocations": Allocation.objects.count(),
    "arms": sorted(Slot.objects.values_list("arm_token", flat=True)),
}
client = Client()
client.force_login(User.objects.get(username="restore-dm"))
page = client.get(reverse("crf:participant", args=[seen["codes"][0]]))
seen["status"] = page.status_code
seen["shows_code"] = seen["codes"][0] in page.content.decode()
print(json.dumps(seen))
"""


def _drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dump_restores_into_a_new_database_that_the_app_serves(site11, tmp_path: Path):
    make_user_with_role("restore-dm", Role.DATA_MANAGER, None)
    for _ in range(3):
        participant = make_randomized_participant(site11)
        record("restore_drill.sample", target=participant, by=None, reason="drill")
    expected = {
        "codes": sorted(Participant.objects.values_list("code", flat=True)),
        "audit": AuditEvent.objects.count(),
        "allocations": Allocation.objects.count(),
        "arms": sorted(Slot.objects.values_list("arm_token", flat=True)),
    }
    assert len(expected["codes"]) == 3 and expected["audit"] > 0 and expected["allocations"] == 3

    started = time.monotonic()
    call_command(
        "backup_database", output=str(tmp_path / "dumps"), key_output=str(tmp_path / "keys")
    )
    (dump,) = (tmp_path / "dumps").glob("platinium-*.dump")
    (key,) = (tmp_path / "keys").glob("platinium-*.arm-key")
    restored = f"{connection.settings_dict['NAME']}_restored"
    _drop(restored)
    try:
        call_command("restore_database", str(dump), database=restored)
        drill_seconds = time.monotonic() - started
        env = {
            **_env(),
            "DATABASE_URL": database_url({**connection.settings_dict, "NAME": restored}),
        }
        done = subprocess.run(
            [sys.executable, "-c", APP_ON_RESTORED],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        seen = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        _drop(restored)
    assert {k: seen[k] for k in expected} == expected
    assert seen["status"] == 200 and seen["shows_code"]
    # The arm key is in its own file, and nowhere in the dump.
    assert key.read_bytes() == settings.PLATINIUM_ARM_KEY.encode()
    sql = subprocess.run(
        [binary("pg_restore", connection.pg_version // 10000), "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "CREATE TABLE" in sql and settings.PLATINIUM_ARM_KEY not in sql
    print(f"restore drill: {drill_seconds:.1f} s for backup + restore")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_restore_never_writes_over_a_database_that_holds_data(tmp_path: Path):
    call_command("backup_database", output=str(tmp_path))
    (dump,) = tmp_path.glob("platinium-*.dump")
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore_database", str(dump), database=connection.settings_dict["NAME"])


def _env() -> dict[str, str]:
    import os

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
