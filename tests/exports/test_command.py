"""`manage.py export_dataset`: arguments, refusals, unblinded conditions, audit event."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from participants import locks
from randomization.models import UnblindingAuthorisation

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def export(*args: str) -> None:
    call_command("export_dataset", *args)


def test_it_writes_the_files_and_audits_the_export(small_trial, role_users, tmp_path, english):
    export("--format", "dta", "--out", str(tmp_path), "--sites", "11", "--by", "statistician")
    event = AuditEvent.objects.get(action="exports.dataset_exported")
    assert event.actor == role_users["statistician"]
    assert event.data["blinded"] is True
    assert event.data["sites"] == ["11"]
    assert event.data["format"] == "dta"
    files = event.data["files"]
    assert "daily.dta" in files and "dictionary.csv" in files
    for name, digest in files.items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    assert "arm" not in str(event.data).replace("alarm", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf", "--out", "X", "--by", "statistician"], "invalid choice: 'pdf'"),
        (["--out", "X", "--by", "statistician"], "the following arguments are required: --format"),
        (["--format", "csv", "--out", "X", "--by", "nobody"], "No active user nobody."),
        (
            ["--format", "csv", "--out", "X", "--by", "statistician", "--sites", "11,99"],
            "Unknown site code(s): 99.",
        ),
        (
            ["--format", "csv", "--out", "X", "--by", "statistician", "--sites", ","],
            "--sites needs site codes",
        ),
        (["--format", "csv", "--out", "X", "--by", "investigator"], "You may not export data."),
        (["--format", "csv", "--out", "X", "--by", "monitor"], "You may not export data."),
        (
            ["--format", "csv", "--out", "X", "--by", "data_manager", "--unblinded"],
            "You may not export data with the treatment arm.",
        ),
        (
            ["--format", "csv", "--out", "X", "--by", "statistician", "--unblinded"],
            "needs the database lock first",
        ),
    ],
)
def test_bad_arguments_get_a_clear_message_and_write_nothing(
    role_users, tmp_path, english, args, message
):
    args = [str(tmp_path / "out") if a == "X" else a for a in args]
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        export(*args)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not AuditEvent.objects.filter(action="exports.dataset_exported").exists()


def test_a_file_as_out_is_refused(role_users, tmp_path, english):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(CommandError, match="is not a directory"):
        export("--format", "csv", "--out", str(target), "--by", "statistician")


def test_messages_are_translated(role_users, tmp_path):
    with pytest.raises(CommandError, match="Vous ne pouvez pas exporter"):
        export("--format", "csv", "--out", str(tmp_path), "--by", "investigator")


def test_the_command_line_exits_non_zero_on_bad_arguments():
    result = subprocess.run(
        [sys.executable, "manage.py", "export_dataset", "--format", "sav", "--out", "/tmp/x"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "invalid choice: 'sav'" in result.stderr


def test_unblinded_needs_the_lock_and_the_authorisation(small_trial, role_users, tmp_path, english):
    args = ["--format", "csv", "--out", str(tmp_path), "--by", "statistician", "--unblinded"]
    locks.lock_database(by=role_users["data_manager"], reason="final lock")
    with pytest.raises(CommandError, match="needs a recorded unblinding authorisation"):
        export(*args)
    UnblindingAuthorisation.objects.create(
        recorded_by=role_users["randomization_manager"], reference="DSMB-2026-01"
    )
    export(*args)
    with zipfile.ZipFile(tmp_path / "platinium_csv.zip") as archive:
        allocation = archive.read("allocation.csv").decode().splitlines()
    assert allocation[0] == "participant,site,rand_no,randomized_at,arm"
    assert len(allocation) == 4
    assert {line.rsplit(",", 1)[1] for line in allocation[1:]} <= {"A", "B"}
    event = AuditEvent.objects.get(action="exports.dataset_exported")
    assert event.data["blinded"] is False and "allocation" in event.data["datasets"]
    # Lifting the lock closes the unblinded export again.
    locks.unlock_database(by=role_users["data_manager"], reason="query found")
    with pytest.raises(CommandError, match="needs the database lock first"):
        export(*args)


def test_a_failed_export_leaves_no_file_and_no_audit_event(
    small_trial, role_users, tmp_path, monkeypatch
):
    from exports import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        export("--format", "csv", "--out", str(tmp_path), "--by", "statistician")
    assert list(tmp_path.iterdir()) == []


def test_the_service_refuses_an_unknown_format_before_writing(role_users, tmp_path, english):
    from exports.services import ExportRefused, export_datasets

    with pytest.raises(ExportRefused, match="Unknown format sav: choose one of csv, xlsx"):
        export_datasets("sav", by=role_users["statistician"], out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_inactive_user_cannot_export(role_users, tmp_path, english):
    statistician = role_users["statistician"]
    statistician.is_active = False
    statistician.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="No active user statistician"):
        export("--format", "csv", "--out", str(tmp_path), "--by", "statistician")


def test_every_dataset_is_read_from_one_snapshot(transactional_db, role_users, tmp_path):
    """Outside a transaction the export opens a REPEATABLE READ one (one snapshot)."""
    from django.db import connection

    from exports import datasets

    seen = []
    build = datasets.build

    def spying(user, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            seen.append(cursor.fetchone()[0])
        return build(user, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets, "build", spying)
        export("--format", "csv", "--out", str(tmp_path), "--by", "statistician")
    assert seen == ["repeatable read"]
    assert AuditEvent.objects.filter(action="exports.dataset_exported").count() == 1
