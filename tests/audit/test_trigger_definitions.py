"""What migrate installs: every audit table append-only (UPDATE, DELETE, TRUNCATE), every
capture trigger present, and no trigger function of either kind with an ignore path, also
after pgtrigger re-installs everything; every clinical model has field history."""

from __future__ import annotations

from typing import Any

import pghistory.trigger
import pgtrigger
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from pghistory.core import event_models
from pghistory.models import Event

from audit.dbroles import audit_models, history_event_models
from audit.triggers import StrictTriggerSql
from participants.models import Participant

pytestmark = pytest.mark.django_db

CLINICAL_APPS = ["participants", "eligibility", "randomization", "crf"]

# Models of the clinical apps without field history, and why that loses nothing.
NOT_TRACKED = {
    "eligibility.SiteSequence": "a per-site counter behind screening numbers and codes",
    "randomization.AllocationList": "an imported file's record; a trigger refuses changes",
    "randomization.Stratum": "a lock row that serialises the choice of the next slot",
    "randomization.Slot": "allocation list rows, immutable by trigger; would copy arm tokens",
    "randomization.KitList": "an imported file's record",
    "randomization.KitEvent": "itself an append-only log (trigger) of kit status changes",
    "randomization.EmergencyUnblinding": "write-once: triggers refuse deletion and changes",
    "participants.Lock": "itself the lock history: rows are never deleted, a lift only fills "
    "unlocked_at/by/reason, and every lock and unlock is an audit event",
    "randomization.UnblindingAuthorisation": "itself append-only (trigger)",
    "randomization.Notification": "an e-mail outbox, no trial data",
    "crf.SaeNotification": "the SAE e-mail outbox: sends are audit events (crf.sae.notified)",
    "crf.QueryMessage": "a query's thread: append-only (trigger); the query itself is tracked",
    "crf.DeviationReview": "append-only (trigger): each review is a new row; the deviation "
    "itself is tracked and every review is an audit event (deviation.reviewed)",
}

IGNORE_MARKERS = ("_pgtrigger_should_ignore", "pgtrigger.ignore")


def _protected_triggers() -> list[tuple[Any, Any]]:
    """(model, trigger) of every append-only and every history-capture trigger."""
    audit = set(audit_models())
    return [
        (model, trigger)
        for model, trigger in pgtrigger.registered()
        if model in audit or isinstance(trigger, pghistory.trigger.Event)
    ]


def _functions_with_an_ignore_path(pairs: list[tuple[Any, Any]]) -> list[str]:
    pgids = [trigger.get_pgid(model) for model, trigger in pairs]
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", [pgids])
        sources = dict(cursor.fetchall())
    assert set(sources) == set(pgids), "a trigger function is missing"
    return sorted(p for p, src in sources.items() if any(m in src for m in IGNORE_MARKERS))


def test_every_audit_table_has_enabled_row_and_truncate_refusals() -> None:
    tables = [m._meta.db_table for m in audit_models()]
    assert len(tables) == 1 + len(history_event_models()) > 30
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT pg_get_triggerdef(oid), tgenabled FROM pg_trigger"
                " WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
            definitions = cursor.fetchall()
            assert all(enabled == "O" for _d, enabled in definitions), table
            text = " ".join(d for d, _e in definitions)
            assert "BEFORE DELETE OR UPDATE" in text and "FOR EACH ROW" in text, table
            assert "BEFORE TRUNCATE" in text and "FOR EACH STATEMENT" in text, table


def test_every_tracked_model_has_its_three_capture_triggers_installed() -> None:
    for event_model in history_event_models():
        tracked = event_model.pgh_tracked_model
        names = {
            t.name
            for m, t in pgtrigger.registered()
            if m is tracked and isinstance(t, pghistory.trigger.Event)
        }
        assert {"insert_insert", "update_update", "delete_delete"} <= names, tracked
        for name in ("insert_insert", "update_update", "delete_delete"):
            trigger = pgtrigger.registry._registry[f"{tracked._meta.label}:{name}"][1]
            assert trigger.get_installation_status(tracked)[0] == "INSTALLED", (tracked, name)


def test_no_append_only_or_capture_function_has_an_ignore_path_after_migrate() -> None:
    pairs = _protected_triggers()
    assert len(pairs) > 4 * len(history_event_models())
    assert _functions_with_an_ignore_path(pairs) == []


def test_no_ignore_path_comes_back_when_pgtrigger_reinstalls_every_trigger() -> None:
    """What a later migration (or `manage.py pgtrigger install`) does to these triggers."""
    call_command("pgtrigger", "install", verbosity=0)
    assert _functions_with_an_ignore_path(_protected_triggers()) == []


def test_the_migration_state_carries_the_strict_sql_for_future_migrations() -> None:
    state = MigrationLoader(connection).project_state()
    audit = {m._meta.label_lower for m in audit_models()}
    tracked = {m.pgh_tracked_model._meta.label_lower for m in history_event_models()}
    checked = 0
    for (app_label, model_name), model_state in state.models.items():
        label = f"{app_label}.{model_name}"
        for trigger in model_state.options.get("triggers", []):
            capture = trigger.name in {"insert_insert", "update_update", "delete_delete"}
            if label in audit or (label in tracked and capture):
                assert isinstance(trigger.sql, StrictTriggerSql), (label, trigger.name)
                checked += 1
    assert checked >= 5 * len(history_event_models())


def test_negative_control_an_ignore_honouring_capture_function_is_detected() -> None:
    pairs = [(m, t) for m, t in _protected_triggers() if m is Participant]
    model, trigger = next((m, t) for m, t in pairs if t.name == "update_update")
    with connection.cursor() as cursor:  # rolled back with the test transaction
        cursor.execute(pgtrigger.Trigger.compile(trigger, model).install_sql)
    assert _functions_with_an_ignore_path(pairs) == [trigger.get_pgid(model)]


def _untracked(models: list[Any]) -> list[str]:
    return [
        m._meta.label
        for m in models
        if not issubclass(m, Event)
        and m._meta.label not in NOT_TRACKED
        and not event_models(tracks_model=m)
    ]


def test_every_model_of_every_clinical_app_has_field_history() -> None:
    models = [m for app in CLINICAL_APPS for m in apps.get_app_config(app).get_models()]
    assert len(models) > 40
    assert _untracked(models) == []
    labels = {m._meta.label for m in models}
    assert set(NOT_TRACKED) <= labels, "an exemption names a model that no longer exists"


def test_negative_control_an_untracked_model_is_reported() -> None:
    site_model = apps.get_model("sites.Site")
    assert _untracked([Participant, site_model]) == ["sites.Site"]
