"""The six lock services (capability, reason, audit, history kept) and every other write
service refused on locked data, accepted again after unlocking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.utils.timezone import localdate

from audit.models import AuditEvent
from crf import services as crf
from participants import locks
from participants.lock_guard import guard_specs, is_lock_refusal
from participants.models import Lock
from tests.crf.helpers import ae_data, baseline_data, d0_of, randomized
from tests.eligibility.factories import FACTORY_PASSWORD, consent, make_screening

OTHER_ROLES = [
    "investigator",
    "coordinator",
    "pharmacist",
    "monitor",
    "statistician",
    "randomization_manager",
    "admin",
]


def clinical_rows() -> int:
    """Rows in every guarded clinical table: 'nothing written' is this number unchanged."""
    total = 0
    with connection.cursor() as cursor:
        for spec in guard_specs():
            cursor.execute(f'SELECT count(*) FROM "{spec.table}"')
            total += cursor.fetchone()[0]
    return total


@pytest.fixture
def participant(site11: Any) -> Any:
    return randomized(site11)


def _six(participant: Any, form: Any) -> list[tuple[str, Callable[..., Any]]]:
    return [
        ("lock_form", lambda **kw: locks.lock_form(form, **kw)),
        ("unlock_form", lambda **kw: locks.unlock_form(form, **kw)),
        ("lock_casebook", lambda **kw: locks.lock_casebook(participant, **kw)),
        ("unlock_casebook", lambda **kw: locks.unlock_casebook(participant, **kw)),
        ("lock_database", locks.lock_database),
        ("unlock_database", locks.unlock_database),
    ]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_the_data_manager_may_lock_or_unlock(role: str, participant: Any, role_users):
    form = crf.save_baseline(participant, by=role_users["investigator"], data=baseline_data()).obj
    for name, service in _six(participant, form):
        with pytest.raises(PermissionDenied):
            service(by=role_users[role], reason="because")
        assert not Lock.objects.exists(), name
    # Control: the data manager may.
    locks.lock_casebook(participant, by=role_users["data_manager"], reason="reviewed")
    assert Lock.objects.count() == 1


def test_a_reason_is_required_and_nothing_is_written_without_one(participant, role_users):
    dm = role_users["data_manager"]
    form = crf.save_baseline(participant, by=role_users["investigator"], data=baseline_data()).obj
    for name, service in _six(participant, form):
        if name.startswith("lock"):
            with pytest.raises(locks.LockRefused):
                service(by=dm, reason="   ")
    assert not Lock.objects.exists()


def test_unlocking_keeps_the_lock_and_locking_again_adds_a_row(participant, role_users):
    dm = role_users["data_manager"]
    first = locks.lock_casebook(participant, by=dm, reason="reviewed")
    with pytest.raises(locks.LockRefused):
        locks.lock_casebook(participant, by=dm, reason="twice")
    locks.unlock_casebook(participant, by=dm, reason="query on day 3")
    with pytest.raises(locks.LockRefused):
        locks.unlock_casebook(participant, by=dm, reason="twice")
    second = locks.lock_casebook(participant, by=dm, reason="query answered")
    first.refresh_from_db()
    assert first.unlocked_by == dm and first.unlock_reason == "query on day 3"
    assert second.pk != first.pk and second.in_force
    assert list(
        AuditEvent.objects.filter(action__startswith="participants.casebook_")
        .order_by("pk")
        .values_list("action", "reason")
    ) == [
        ("participants.casebook_locked", "reviewed"),
        ("participants.casebook_unlocked", "query on day 3"),
        ("participants.casebook_locked", "query answered"),
    ]


def test_the_lock_history_cannot_be_deleted_or_rewritten(participant, role_users):
    lock = locks.lock_database(by=role_users["data_manager"], reason="final")
    with pytest.raises(DatabaseError), transaction.atomic():
        Lock.objects.filter(pk=lock.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Lock.objects.filter(pk=lock.pk).update(reason="something else")
    locks.unlock_database(by=role_users["data_manager"], reason="late query")
    with pytest.raises(DatabaseError), transaction.atomic():
        Lock.objects.filter(pk=lock.pk).update(unlock_reason="rewritten")


def test_day10_visibility_and_the_statisticians_unblinding_read_the_one_database_lock(
    participant, role_users
):
    from crf.blinding import d10_results_visible
    from randomization import arm_access
    from randomization.services.unblinding import record_unblinding_authorisation

    dm, monitor = role_users["data_manager"], role_users["monitor"]
    record_unblinding_authorisation(by=dm, reference="SPONSOR-1")
    assert not d10_results_visible(monitor) and not arm_access.statistician_unblinded()
    locks.lock_database(by=dm, reason="final")
    assert d10_results_visible(monitor) and arm_access.statistician_unblinded()
    # A lifted lock is kept in the history but no longer counts: nothing is inferred from
    # the existence of rows (the old check was `.exists()`).
    locks.unlock_database(by=dm, reason="late query")
    assert Lock.objects.exists()
    assert not d10_results_visible(monitor) and not arm_access.statistician_unblinded()
    # A casebook lock is not a database lock.
    locks.lock_casebook(participant, by=dm, reason="reviewed")
    assert not d10_results_visible(monitor)


# ---------------------------------------------------------------- every write service


def _writes(participant: Any, users: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """One call per write service on this participant's data (fresh objects each time)."""
    inv, coord = users["investigator"], users["coordinator"]
    d1 = d0_of(participant) + timedelta(days=1)
    baseline = crf.save_baseline(participant, by=inv, data=baseline_data()).obj
    sae = crf.save_adverse_event(
        participant,
        by=inv,
        data=ae_data(serious=True, sae_hospitalisation=True, awareness_date=localdate()),
    ).obj
    screening = make_screening(participant.site, by=inv)
    screening.participant = participant
    screening.save(update_fields=["participant"])
    return {
        "save_baseline (edit)": lambda: crf.save_baseline(
            participant,
            by=coord,
            data={"height_cm": 170},
            instance=baseline,
            expected_version=baseline.version,
            reason="typo",
        ),
        "save_daily (new)": lambda: crf.save_daily(
            participant, day_date=d1, by=coord, data={"gcs": 12}
        ),
        "save_concomitant_medication": lambda: crf.save_concomitant_medication(
            participant, by=coord, data={"drug_name": "paracetamol"}
        ),
        "mark_entered_in_error": lambda: crf.mark_entered_in_error(
            baseline, by=coord, reason="wrong patient"
        ),
        "record_death": lambda: crf.record_death(participant, by=inv, death_date=d1),
        "acknowledge_sae": lambda: crf.acknowledge_sae(sae, by=users["data_manager"]),
        "record_consent (correction)": lambda: consent(screening, by=inv),
    }


def _refused(call: Callable[[], Any]) -> str:
    try:
        with transaction.atomic():
            call()
    except crf.ParticipantLocked as locked:
        return f"app: {locked}"
    except DatabaseError as error:
        assert is_lock_refusal(error), error
        return "database"
    return ""


@pytest.mark.parametrize("level", ["database", "casebook"])
def test_every_write_service_is_refused_on_locked_data_and_works_after_unlock(
    level: str, participant: Any, role_users: dict[str, Any]
) -> None:
    dm = role_users["data_manager"]
    writes = _writes(participant, role_users)
    before = clinical_rows()
    if level == "database":
        locks.lock_database(by=dm, reason="final")
    else:
        locks.lock_casebook(participant, by=dm, reason="reviewed")
    refused = {name: _refused(call) for name, call in writes.items()}
    assert all(refused.values()), refused
    assert clinical_rows() == before
    # The CRF services say it in words before the database has to.
    assert all(v.startswith("app") for k, v in refused.items() if k.startswith(("save", "mark")))

    if level == "database":
        locks.unlock_database(by=dm, reason="late query")
    else:
        locks.unlock_casebook(participant, by=dm, reason="late query")
    for name, call in writes.items():
        assert _refused(call) == "", name


def test_a_new_screening_and_an_enrolment_are_refused_during_a_database_lock(site11, role_users):
    from eligibility.services import enrol

    inv, dm = role_users["investigator"], role_users["data_manager"]
    inv.set_password(FACTORY_PASSWORD)
    inv.save()
    screening = make_screening(site11, by=inv)
    consent(screening, by=inv)
    locks.lock_database(by=dm, reason="final")
    before = clinical_rows()
    assert _refused(lambda: make_screening(site11, by=inv)) == "database"
    assert _refused(lambda: enrol(screening, by=inv, password=FACTORY_PASSWORD)) == "database"
    assert clinical_rows() == before
    locks.unlock_database(by=dm, reason="screening must go on")
    assert enrol(screening, by=inv, password=FACTORY_PASSWORD).code


def test_no_clinical_model_is_writable_through_the_django_admin() -> None:
    from django.contrib import admin

    guarded = {spec.model for spec in guard_specs()}
    assert not guarded & set(admin.site._registry)
