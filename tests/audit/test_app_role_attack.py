"""The application's database role cannot alter, empty or silence the audit trail.

Connected as that role (created here, given its rights by the real grant step), every
known attack on every audit table is refused and every clinical edit is captured, whatever
the session settings. Negative controls: the same probe finds the bypasses with
pgtrigger's ignore-honouring triggers, and when run as the superuser.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pgtrigger
import pytest
from django.db import connection

from audit.context import acting_user
from audit.dbroles import audit_models, grant_app_role, history_event_models
from audit.models import AuditEvent
from audit.services import record
from participants.models import Participant
from tests.audit.probe import (
    add_synthetic_row,
    connect_as,
    ensure_login_role,
    probe_audit_table,
    probe_capture,
    snapshot,
)
from tests.randomization.factories import make_participant

# serialized_rollback: like the other transactional tests, so that the flush after each
# test does not re-create rows a later serialized test loads again (duplicate keys).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CAPTURE_VALUES = ["edit 1", "edit 2", "edit 3", "edit 4", "edit 5", "edit 6"]


@pytest.fixture
def app_role() -> str:
    """The application role of this test database (roles are cluster-wide: name per DB)."""
    name = f"{connection.settings_dict['NAME']}_app"[:63]
    ensure_login_role(name)
    grant_app_role(name)
    return name


@pytest.fixture
def app_conn(app_role: str) -> Iterator[Any]:
    conn = connect_as(app_role)
    yield conn
    conn.close()


@pytest.fixture
def participant(site11: Any, role_users: dict[str, Any]) -> Participant:
    with acting_user(role_users["investigator"]):
        participant = make_participant(site11)
    record("participant_enrolled", target=participant, by=role_users["investigator"])
    return participant


@pytest.fixture
def filled_audit_tables(participant: Participant) -> list[type]:
    """Every audit table holds at least one row: real ones where the fixtures wrote some,
    a synthetic one elsewhere."""
    for model in history_event_models():
        if not model._base_manager.exists():
            add_synthetic_row(model)
    models = audit_models()
    assert all(model._base_manager.exists() for model in models)
    return models


def _column(model: type) -> str:
    return "action" if model is AuditEvent else "pgh_label"


def _snapshots(models: list[type]) -> dict[str, tuple[int, str]]:
    with connection.cursor() as cursor:
        return {m._meta.db_table: snapshot(cursor, m._meta.db_table) for m in models}


def test_the_app_role_owns_nothing_and_has_only_select_insert_on_audit_tables(
    app_role: str, filled_audit_tables: list[type]
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
            " WHERE r.rolname = %s",
            [app_role],
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT has_schema_privilege(%s, 'public', 'CREATE'),"
            " has_database_privilege(%s, current_database(), 'TEMPORARY'),"
            " has_database_privilege(%s, current_database(), 'CREATE')",
            [app_role, app_role, app_role],
        )
        assert cursor.fetchone() == (False, False, False)
        for model in filled_audit_tables:
            table = model._meta.db_table
            rights = dict.fromkeys(("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER"))
            for right in rights:
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, table, right])
                rights[right] = cursor.fetchone()[0]
            assert rights == {
                "SELECT": True,
                "INSERT": True,
                "UPDATE": False,
                "DELETE": False,
                "TRUNCATE": False,
                "TRIGGER": False,
            }, table
        cursor.execute(
            "SELECT has_table_privilege(%s, 'participants_participant', 'UPDATE'),"
            " has_table_privilege(%s, 'participants_participant', 'TRUNCATE')",
            [app_role, app_role],
        )
        assert cursor.fetchone() == (True, False)


def test_every_attack_on_every_audit_table_is_refused_and_leaves_the_rows_unchanged(
    app_conn: Any, filled_audit_tables: list[type]
) -> None:
    before = _snapshots(filled_audit_tables)
    bypasses = {}
    attempts = 0
    for model in filled_audit_tables:
        results = probe_audit_table(app_conn, model._meta.db_table, _column(model))
        attempts += len(results)
        bypasses.update(
            {f"{model._meta.db_table}: {attack}": r for attack, r in results.items() if r is None}
        )
    assert bypasses == {}
    assert attempts >= 15 * len(filled_audit_tables)
    assert _snapshots(filled_audit_tables) == before
    # The README's reliability table quotes this line (pytest -s).
    tables = len(filled_audit_tables)
    print(f"audit tampering: {attempts} of {attempts} attacks refused on {tables} tables")


def test_a_clinical_edit_by_the_app_role_is_captured_under_every_setting(
    app_conn: Any, participant: Participant
) -> None:
    outcome = probe_capture(
        app_conn,
        table="participants_participant",
        event_table="participants_participantevent",
        pk=participant.pk,
        column="eligibility_flag_reason",
        values=CAPTURE_VALUES,
    )
    assert outcome["no setting"] == "captured"
    assert outcome["SET LOCAL pgtrigger.ignore"] == "captured"
    assert outcome["SET pgtrigger.ignore"] == "captured"
    assert outcome["session_replication_role"].startswith("refused: ")
    assert outcome["disable trigger"].startswith("refused: ")
    assert outcome["temp shadow table"].startswith("refused: ")
    history = participant.pgh_event_model.objects.filter(pgh_obj=participant)
    captured = list(history.filter(pgh_label="update").values_list("eligibility_flag_reason"))
    assert [value for (value,) in captured] == CAPTURE_VALUES[:3]


def _install_ignore_honouring_triggers(models: list[type]) -> None:
    """Re-install the triggers of `models` as pgtrigger compiles them by default."""
    for model, trigger in pgtrigger.registered():
        if model in models:
            with connection.cursor() as cursor:
                cursor.execute(pgtrigger.Trigger.compile(trigger, model).install_sql)


def _install_project_triggers(models: list[type]) -> None:
    for model, trigger in pgtrigger.registered():
        if model in models:
            with connection.cursor() as cursor:
                cursor.execute(trigger.compile(model).install_sql)


def _grant_write(app_role: str, models: list[type]) -> None:
    """What any role with write rights has: the situation on a single-role install."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(
                f'GRANT UPDATE, DELETE, TRUNCATE ON "{model._meta.db_table}" TO "{app_role}"'
            )


def test_the_triggers_alone_hold_when_the_role_may_update_delete_and_truncate(
    app_role: str, app_conn: Any, filled_audit_tables: list[type]
) -> None:
    _grant_write(app_role, filled_audit_tables)  # undone by the next grant_app_role()
    before = _snapshots(filled_audit_tables)
    for model in filled_audit_tables:
        results = probe_audit_table(app_conn, model._meta.db_table, _column(model))
        assert {a: r for a, r in results.items() if r is None} == {}, model
        assert "append-only" in results["pgtrigger.ignore + update"], model
        assert "append-only" in results["truncate"], model
    assert _snapshots(filled_audit_tables) == before


def test_negative_control_the_probe_finds_the_bypass_of_ignore_honouring_triggers(
    app_role: str, app_conn: Any, participant: Participant
) -> None:
    targets = [AuditEvent, Participant, participant.pgh_event_model]
    _grant_write(app_role, [AuditEvent])
    _install_ignore_honouring_triggers(targets)
    try:
        attacks = probe_audit_table(app_conn, "audit_auditevent", "action")
        outcome = probe_capture(
            app_conn,
            table="participants_participant",
            event_table="participants_participantevent",
            pk=participant.pk,
            column="eligibility_flag_reason",
            values=CAPTURE_VALUES,
        )
    finally:
        _install_project_triggers(targets)
    assert attacks["pgtrigger.ignore + update"] is None
    assert attacks["pgtrigger.ignore + delete"] is None
    assert "append-only" in attacks["update"]  # the same trigger, without the setting
    assert outcome["SET LOCAL pgtrigger.ignore"] == "NOT CAPTURED"
    assert outcome["no setting"] == "captured"


def test_negative_control_the_probe_finds_a_temp_table_shadow_if_temp_tables_are_allowed(
    app_role: str, app_conn: Any, participant: Participant
) -> None:
    with connection.cursor() as cursor:  # undone by the next grant_app_role()
        cursor.execute(
            f'GRANT TEMPORARY ON DATABASE "{connection.settings_dict["NAME"]}" TO "{app_role}"'
        )
    outcome = probe_capture(
        app_conn,
        table="participants_participant",
        event_table="participants_participantevent",
        pk=participant.pk,
        column="eligibility_flag_reason",
        values=CAPTURE_VALUES,
    )
    assert outcome["temp shadow table"] == "NOT CAPTURED"
    assert outcome["no setting"] == "captured"


def test_negative_control_the_probe_finds_the_bypasses_open_to_a_superuser(
    participant: Participant,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        superuser = cursor.fetchone()[0]
    conn = connect_as(superuser)
    try:
        attacks = probe_audit_table(conn, "audit_auditevent", "action")
    finally:
        conn.close()
    assert attacks["update"] is not None
    assert attacks["truncate"] is not None
    assert attacks["session_replication_role + delete"] is None
    assert attacks["disable trigger user"] is None
    assert attacks["drop trigger pgtrigger_append_only_00dfa"] is None
    assert AuditEvent.objects.filter(action="participant_enrolled").exists()
