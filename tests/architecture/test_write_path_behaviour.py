"""The writes this issue moved onto the single write path: versioned, reasoned, in the field
history and in the audit trail; a locked casebook refuses them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.context import acting_user
from audit.history import object_history
from audit.models import AuditEvent
from audit.services import ReasonRequired
from crf.models import AdverseEvent, Baseline, CrfStatus
from crf.services import events, record_death, save_adverse_event, save_baseline, save_infection
from eligibility.adapter import data_from_screening
from eligibility.models import Screening
from eligibility.services import correct_screening
from participants.models import Participant
from participants.services import ParticipantLocked
from tests.crf.helpers import ae_data, baseline_data, d0_of, randomized
from tests.eligibility.factories import make_enrolled_participant, site_investigator
from tests.webform import form_in

pytestmark = pytest.mark.django_db


def _status_changes(participant: Participant) -> list[Any]:
    return [
        entry
        for entry in object_history(participant)
        if any(change.field == "status" for change in entry.changes) and entry.label == "update"
    ]


def _death(participant: Participant, by: Any) -> None:
    with acting_user(by):
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
    (entry,) = _status_changes(participant)
    assert entry.reason == "death reported by the family"
    assert entry.username == by.username
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
    assert all(entry.reason == "" for entry in _status_changes(participant))
    assert not AuditEvent.objects.filter(action="participants.status_changed").exists()


def test_no_status_write_on_a_locked_casebook(site11: Any, role_users: dict[str, Any]) -> None:
    participant = randomized(site11)
    Participant.objects.filter(pk=participant.pk).update(locked_at=timezone.now())
    with pytest.raises(ParticipantLocked):
        _death(participant, role_users["investigator"])
    assert Participant.objects.get(pk=participant.pk).status != Participant.Status.DIED


def _sae_data() -> dict[str, Any]:
    return ae_data(
        serious=True,
        sae_hospitalisation=True,
        term="Severe haemorrhage",
        awareness_date=timezone.localdate(),
    )


def _timestamp_entries(ae: AdverseEvent, field: str) -> list[Any]:
    return [e for e in object_history(ae) if any(c.field == field for c in e.changes)]


def test_sae_notification_and_acknowledgement_are_versioned_and_in_the_field_history(
    site11: Any, role_users: dict[str, Any], client_for: Any, django_capture_on_commit_callbacks
) -> None:
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=role_users["investigator"], data=_sae_data()).obj
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


def test_a_microorganism_edit_appears_in_the_field_history_with_its_reason(
    site11: Any, role_users: dict[str, Any]
) -> None:
    by = role_users["investigator"]
    participant = randomized(site11)
    with acting_user(by):
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
    organism = episode.microorganisms.get()
    last = object_history(organism)[-1]
    assert last.label == "update" and last.username == by.username
    assert [(c.field, c.old, c.new) for c in last.changes] == [("mrsa", "N", "Y")]
    assert last.reason == "MRSA confirmed by the laboratory"
    event = AuditEvent.objects.get(action="crf.infectionmicroorganism.update")
    assert event.reason == "MRSA confirmed by the laboratory" and event.data == {"positions": [1]}


def test_correct_screening_is_refused_on_a_locked_casebook(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    Participant.objects.filter(pk=participant.pk).update(locked_at=timezone.now())
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
