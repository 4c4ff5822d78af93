"""The audit trail cannot be edited, even with raw SQL, and it records who/when/old→new/why."""

from __future__ import annotations

from typing import Any

import pgtrigger
import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.context import acting_user, change_reason
from audit.history import object_history
from audit.models import AuditEvent
from audit.services import ReasonRequired, record, require_reason
from participants.models import Participant

pytestmark = pytest.mark.django_db

EVENT_TABLES = [
    ("participants.ParticipantEvent", "participants_participantevent"),
    ("accounts.MembershipEvent", "accounts_membershipevent"),
    ("accounts.UserEvent", "accounts_userevent"),
]


@pytest.fixture
def participant(role_users: dict[str, Any], site11: Any) -> Participant:
    with acting_user(role_users["investigator"]):
        return Participant.objects.create(
            site=site11,
            seq=7,
            code="11-007",
            enrolled_at=timezone.now(),
            enrolled_by=role_users["investigator"],
        )


@pytest.fixture
def event(role_users: dict[str, Any], participant: Participant) -> AuditEvent:
    return record("participant_enrolled", target=participant, by=role_users["investigator"])


def _refused(sql: str, params: list[Any]) -> bool:
    """Run `sql` in a savepoint; True when the database raised."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def test_database_refuses_update_of_an_audit_event(event: AuditEvent) -> None:
    assert _refused("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", event.pk])
    event.refresh_from_db()
    assert event.action == "participant_enrolled"


def test_database_refuses_delete_of_an_audit_event(event: AuditEvent) -> None:
    assert _refused("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_update_and_delete_of_audit_events_are_refused(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_pgtrigger_ignore_does_not_switch_the_refusal_off(event: AuditEvent) -> None:
    """`pgtrigger.ignore` is a session setting any role may set (docs/decisions/0002)."""
    with pgtrigger.ignore("audit.AuditEvent:append_only"):
        assert _refused(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", event.pk]
        )
    event.refresh_from_db()
    assert event.action == "participant_enrolled"


def test_negative_control_update_succeeds_when_the_trigger_is_ignored(event: AuditEvent) -> None:
    """Proves the refusal above comes from the trigger (so the test would catch its loss):
    with the ignore-honouring SQL pgtrigger compiles by default, the update goes through."""
    trigger = AuditEvent._meta.triggers[0]
    assert trigger.name == "append_only"
    with connection.cursor() as cursor:  # rolled back with the test transaction
        cursor.execute(pgtrigger.Trigger.compile(trigger, AuditEvent).install_sql)
    with pgtrigger.ignore("audit.AuditEvent:append_only"):
        assert not _refused(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s", ["forged", event.pk]
        )
    event.refresh_from_db()
    assert event.action == "forged"


def test_database_refuses_truncate_of_the_audit_trail(event: AuditEvent) -> None:
    assert _refused("TRUNCATE audit_auditevent", [])
    assert _refused("TRUNCATE participants_participantevent", [])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(("label", "table"), EVENT_TABLES, ids=[t for _l, t in EVENT_TABLES])
def test_history_event_tables_refuse_update_and_delete(
    label: str, table: str, participant: Participant, role_users: dict[str, Any]
) -> None:
    model = apps.get_model(label)
    row = model.objects.order_by("-pgh_id").first()
    assert row is not None, f"{table} has no row to tamper with"
    assert _refused(f"UPDATE {table} SET pgh_label = %s WHERE pgh_id = %s", ["forged", row.pk])
    assert _refused(f"DELETE FROM {table} WHERE pgh_id = %s", [row.pk])
    assert model.objects.get(pk=row.pk).pgh_label == row.pgh_label


def test_negative_control_history_table_accepts_update_with_its_trigger_disabled(
    participant: Participant,
) -> None:
    row = apps.get_model("participants.ParticipantEvent").objects.first()
    with connection.cursor() as cursor:  # rolled back with the test transaction
        cursor.execute("ALTER TABLE participants_participantevent DISABLE TRIGGER USER")
    assert not _refused(
        "UPDATE participants_participantevent SET pgh_label = %s WHERE pgh_id = %s",
        ["forged", row.pk],
    )
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE participants_participantevent ENABLE TRIGGER USER")
    assert _refused(
        "UPDATE participants_participantevent SET pgh_label = %s WHERE pgh_id = %s",
        ["again", row.pk],
    )


def test_field_history_shows_who_when_old_new_and_reason(
    participant: Participant, role_users: dict[str, Any]
) -> None:
    data_manager = role_users["data_manager"]
    before = timezone.now()
    with acting_user(data_manager), change_reason("consent withdrawn by phone"):
        participant.status = Participant.Status.WITHDRAWN
        participant.save()
    update = object_history(participant)[-1]
    assert update.label == "update"
    assert update.username == data_manager.username
    assert update.reason == "consent withdrawn by phone"
    assert update.at >= before - timezone.timedelta(seconds=5)
    changes = {c.field: (c.old, c.new) for c in update.changes}
    assert changes == {"status": ("enrolled", "withdrawn")}
    insert = object_history(participant)[0]
    assert insert.label == "insert"
    assert insert.username == role_users["investigator"].username


def test_require_reason_refuses_a_change_of_saved_data_without_reason(
    participant: Participant, site11: Any, role_users: dict[str, Any]
) -> None:
    with pytest.raises(ReasonRequired):
        require_reason(participant, "")
    with pytest.raises(ReasonRequired):
        require_reason(participant, "   ")
    with pytest.raises(ReasonRequired):
        require_reason(participant, None)
    assert require_reason(participant, " typo in date ") == "typo in date"
    new = Participant(
        site=site11,
        seq=8,
        code="11-008",
        enrolled_at=timezone.now(),
        enrolled_by=role_users["investigator"],
    )
    assert require_reason(new, "") == ""


def test_bulk_update_is_captured_by_the_trigger(participant: Participant, role_users) -> None:
    with acting_user(role_users["data_manager"]), change_reason("bulk fix"):
        Participant.objects.filter(pk=participant.pk).update(eligibility_flag=True)
    last = object_history(participant)[-1]
    assert last.label == "update"
    assert last.reason == "bulk fix"
    assert {c.field: (c.old, c.new) for c in last.changes} == {"eligibility_flag": (False, True)}


def test_raw_sql_update_is_captured_by_the_trigger(participant: Participant) -> None:
    events = apps.get_model("participants.ParticipantEvent").objects
    count = events.filter(pgh_obj=participant).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE participants_participant SET status = 'lost' WHERE id = %s", [participant.pk]
        )
    assert events.filter(pgh_obj=participant).count() == count + 1
    last = object_history(participant)[-1]
    assert {c.field: (c.old, c.new) for c in last.changes} == {"status": ("enrolled", "lost")}


def test_record_writes_actor_target_site_and_reason(participant, role_users) -> None:
    investigator = role_users["investigator"]
    event = record(
        "status_changed",
        target=participant,
        by=investigator,
        data={"to": "withdrawn"},
        reason="patient request",
    )
    assert event.actor == investigator
    assert event.actor_username == investigator.username
    assert (event.target_type, event.target_id) == ("participants.participant", str(participant.pk))
    assert event.site_code == "11"
    assert event.reason == "patient request"
    assert list(AuditEvent.objects.for_target(participant)) == [event]


def test_audit_event_rolls_back_with_its_transaction(participant, role_users) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record("will_fail", target=participant, by=role_users["investigator"])
        raise RuntimeError
    assert not AuditEvent.objects.filter(action="will_fail").exists()
