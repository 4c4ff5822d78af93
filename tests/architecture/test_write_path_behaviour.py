"""The writes this issue moved onto the single write path: versioned, reasoned, in the field
history and in the audit trail; a locked casebook refuses them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.history import object_history
from audit.models import AuditEvent
from audit.services import ReasonRequired
from audit.versioning import StaleVersion
from crf.models import AdverseEvent, Baseline, CrfStatus, InfectionMicroorganism
from crf.services import events, record_death, save_adverse_event, save_baseline, save_infection
from crf.services import forms as crf_forms
from eligibility.adapter import data_from_screening
from eligibility.models import Screening
from eligibility.services import correct_screening
from participants.locks import lock_casebook
from participants.models import Participant
from participants.services import ParticipantLocked
from tests.crf.helpers import baseline_data, d0_of, randomized, sae_data
from tests.eligibility.factories import make_enrolled_participant, site_investigator
from tests.webform import form_in

pytestmark = pytest.mark.django_db


def _status_changes(participant: Participant) -> list[Any]:
    """The history rows that changed the status (oldest first)."""
    return [
        entry
        for entry in object_history(participant)
        if entry.label == "update" and any(c.field == "status" for c in entry.changes)
    ]


def _death_entry(participant: Participant) -> Any:
    entry = _status_changes(participant)[-1]
    assert [c.new for c in entry.changes if c.field == "status"] == ["died"]
    return entry


def _death(participant: Participant, by: Any) -> None:
    # No surrounding history context (as in a task): a reason on the row can only come from
    # the service's own `change_reason` (nested contexts would merge their reasons).
    record_death(
        participant,
        by=by,
        death_date=timezone.localdate(),
        source="follow_up",
        reason="death reported by the family",
    )


def test_record_death_changes_the_status_with_a_version_bump_history_and_audit(
    site11: Any, role_users: dict[str, Any]
) -> None:
    by = role_users["investigator"]
    participant = randomized(site11)
    version = Participant.objects.get(pk=participant.pk).version
    _death(participant, by)
    participant.refresh_from_db()
    assert participant.status == Participant.Status.DIED
    assert participant.version == version + 1 and participant.updated_by == by
    entry = _death_entry(participant)
    assert entry.reason == "death reported by the family"
    event = AuditEvent.objects.get(action="participants.status_changed")
    assert event.data["to"] == "died" and event.reason == "death reported by the family"


def test_negative_control_a_queryset_update_of_the_status_is_caught(
    site11: Any, role_users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write removed by this issue, put back: no version bump, no reason, no event."""

    def old_write(participant: Participant, *, status: str, by: Any, reason: str) -> None:
        Participant.objects.filter(pk=participant.pk).update(status=status)

    monkeypatch.setattr(events, "change_participant_status", old_write)
    participant = randomized(site11)
    version = Participant.objects.get(pk=participant.pk).version
    _death(participant, role_users["investigator"])
    participant.refresh_from_db()
    assert participant.status == Participant.Status.DIED
    assert participant.version == version  # the checks above would fail
    assert not AuditEvent.objects.filter(action="participants.status_changed").exists()


def test_no_status_write_on_a_locked_casebook(site11: Any, role_users: dict[str, Any]) -> None:
    participant = randomized(site11)
    lock_casebook(participant, by=role_users["data_manager"], reason="casebook review done")
    with pytest.raises(ParticipantLocked):
        _death(participant, role_users["investigator"])
    assert Participant.objects.get(pk=participant.pk).status != Participant.Status.DIED


def _timestamp_entries(ae: AdverseEvent, field: str) -> list[Any]:
    return [
        e
        for e in object_history(ae)
        if e.label == "update" and any(c.field == field for c in e.changes)
    ]


def test_sae_notification_and_acknowledgement_are_versioned_and_in_the_field_history(
    site11: Any, role_users: dict[str, Any], client_for: Any, django_capture_on_commit_callbacks
) -> None:
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=role_users["investigator"], data=sae_data()).obj
    ae.refresh_from_db()
    assert ae.sae_notified_at is not None and ae.version == 2
    (notified,) = _timestamp_entries(ae, "sae_notified_at")
    assert notified.label == "update" and notified.reason == "SAE report e-mailed to vigilance"
    response = client_for("data_manager").post(reverse("crf:sae_acknowledge", args=[ae.pk]))
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.acknowledged_by == role_users["data_manager"] and ae.version == 3
    (acknowledged,) = _timestamp_entries(ae, "acknowledged_at")
    assert acknowledged.username == role_users["data_manager"].username
    assert acknowledged.reason == "SAE acknowledged by vigilance"
    assert AuditEvent.objects.filter(action="crf.sae.acknowledged", target_id=str(ae.pk)).exists()


def test_a_form_opened_before_the_sae_notification_cannot_erase_its_timestamp(
    site11: Any, role_users: dict[str, Any], django_capture_on_commit_callbacks
) -> None:
    """The notification bumps the version: an edit from the row as it was before is stale,
    instead of writing `sae_notified_at = NULL` back (a lost update)."""
    by = role_users["investigator"]
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=by, data=sae_data()).obj
    assert ae.sae_notified_at is None and ae.version == 1  # the row as the form showed it
    with pytest.raises(StaleVersion):
        save_adverse_event(
            participant,
            by=by,
            data=sae_data() | {"severity_grade": 3},
            instance=ae,
            expected_version=ae.version,
            reason="grade corrected",
        )
    assert AdverseEvent.objects.get(pk=ae.pk).sae_notified_at is not None


def _infection(participant: Participant, by: Any, **kwargs: Any) -> Any:
    return save_infection(
        participant,
        by=by,
        data={
            "onset_date": d0_of(participant) + timedelta(days=3),
            "location": "STUDY_ICU",
            "category": "BSI",
            "bsi_origin": "UNKNOWN",
            "septic_shock": False,
            "microbiologically_documented": True,
        },
        **kwargs,
    )


def _edit_microorganism(participant: Participant, by: Any) -> None:
    """Outside any history context (see `_death`): the reason comes from the service."""
    episode = _infection(
        participant, by, microorganisms=[{"organism": "Staphylococcus aureus", "mrsa": "N"}]
    ).obj
    _infection(
        participant,
        by,
        instance=episode,
        expected_version=episode.version,
        reason="MRSA confirmed by the laboratory",
        microorganisms=[{"organism": "Staphylococcus aureus", "mrsa": "Y"}],
    )


def test_negative_control_child_rows_saved_as_before_leave_no_business_event(
    site11: Any, role_users: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child rows saved as before this issue (a plain save of every row, nothing
    reported back): the edit leaves no audit event, which the test below would catch."""

    def old_save(episode: Any, rows: Any) -> None:
        existing = {m.position: m for m in episode.microorganisms.all()}
        for position, row in enumerate(rows, start=1):
            current = existing.get(position) or InfectionMicroorganism(
                infection=episode, position=position
            )
            for name, value in row.items():
                setattr(current, name, value)
            current.save()

    monkeypatch.setattr(crf_forms, "_save_microorganisms", old_save)
    _edit_microorganism(randomized(site11), role_users["investigator"])
    assert InfectionMicroorganism.objects.get().mrsa == "Y"
    assert not AuditEvent.objects.filter(action="crf.infectionmicroorganism.update").exists()


def test_a_microorganism_edit_appears_in_the_field_history_with_its_reason(
    site11: Any, role_users: dict[str, Any]
) -> None:
    by = role_users["investigator"]
    participant = randomized(site11)
    _edit_microorganism(participant, by)
    organism = InfectionMicroorganism.objects.get()
    last = object_history(organism)[-1]
    assert last.label == "update"
    assert [(c.field, c.old, c.new) for c in last.changes] == [("mrsa", "N", "Y")]
    assert last.reason == "MRSA confirmed by the laboratory"
    event = (
        AuditEvent.objects.filter(action="crf.infectionmicroorganism.update").order_by("id").last()
    )
    assert event is not None
    assert event.reason == "MRSA confirmed by the laboratory" and event.data == {"positions": [1]}
    # Saved again unchanged: no history row and no event for the child row.
    episode = organism.infection
    _infection(
        participant,
        by,
        instance=episode,
        expected_version=episode.version,
        reason="re-read",
        microorganisms=[{"organism": "Staphylococcus aureus", "mrsa": "Y"}],
    )
    assert len(object_history(organism)) == 2
    assert AuditEvent.objects.filter(action="crf.infectionmicroorganism.update").count() == 2


def test_correct_screening_is_refused_on_a_locked_casebook(
    site11: Any, role_users: dict[str, Any]
) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    lock_casebook(participant, by=role_users["data_manager"], reason="casebook review done")
    version = screening.version
    with pytest.raises(ParticipantLocked):
        correct_screening(
            screening,
            by=site_investigator(site11),
            reason="typo",
            changes=data_from_screening(screening),
        )
    assert Screening.objects.get(pk=screening.pk).version == version
    assert not AuditEvent.objects.filter(action="eligibility.screening_corrected").exists()


def test_a_form_in_progress_is_changed_without_a_reason_and_a_complete_one_needs_one(
    site11: Any, role_users: dict[str, Any], client_for: Any
) -> None:
    """roles.md: the reason for change is required once a form is complete."""
    by = role_users["coordinator"]
    participant = randomized(site11)
    draft = save_baseline(participant, by=by, data=baseline_data(height_cm=None)).obj
    assert draft.status == CrfStatus.IN_PROGRESS
    url = reverse("crf:form_edit", args=[participant.code, "baseline", draft.pk])
    page = client_for("coordinator").get(url).content
    assert "reason_for_change" not in form_in(page, containing="expected_version").names()
    done = save_baseline(
        participant, by=by, data=baseline_data(), instance=draft, expected_version=1
    ).obj
    assert done.status == CrfStatus.COMPLETE
    page = client_for("coordinator").get(url).content
    assert "reason_for_change" in form_in(page, containing="expected_version").names()
    with pytest.raises(ReasonRequired):
        save_baseline(
            participant,
            by=by,
            data=baseline_data(height_cm=170),
            instance=Baseline.objects.get(pk=draft.pk),
            expected_version=2,
        )
