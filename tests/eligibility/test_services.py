"""Screening services: save, consent, enrol (refusals), correction after enrolment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.reauth import ReauthenticationFailed
from audit.models import AuditEvent
from audit.services import ReasonRequired
from eligibility.adapter import data_from_screening
from eligibility.case import CaseInputError
from eligibility.models import Consent, EligibilityConfirmation, Screening
from eligibility.samples import sample_data
from eligibility.services import (
    EnrolmentRefused,
    ScreeningLocked,
    correct_screening,
    create_screening,
    enrol,
    randomization_preconditions,
    record_consent,
    save_screening,
)
from participants.models import Participant
from tests.eligibility.factories import (
    FACTORY_PASSWORD,
    consent,
    make_enrolled_participant,
    make_screening,
    site_investigator,
)

pytestmark = pytest.mark.django_db


def test_screening_numbers_are_per_site_and_sequential(site11: Any, site16: Any) -> None:
    a = make_screening(site11)
    b = make_screening(site11)
    c = make_screening(site16)
    assert (a.number, b.number, c.number) == ("S-11-0001", "S-11-0002", "S-16-0001")


def test_eligible_screening_stores_status_and_scores(site11: Any) -> None:
    screening = make_screening(site11)
    assert screening.status == Screening.Status.ELIGIBLE
    assert (screening.failed_codes, screening.missing_codes) == ([], [])
    assert screening.sofa_first_week_max == 15
    assert screening.apache_ii_total == 11
    assert screening.egfr == Decimal("67.1")


def test_screen_failure_keeps_its_failed_codes(site11: Any) -> None:
    screening = make_screening(site11, eligible=False, age=17)
    screening.refresh_from_db()
    assert screening.status == Screening.Status.NOT_ELIGIBLE
    assert screening.failed_codes == ["I1", "I4"]


def test_incomplete_screening_lists_missing_codes_and_can_be_resumed(site11: Any) -> None:
    inv = site_investigator(site11)
    screening = make_screening(site11, by=inv, labs={"alt_u_l": None})
    assert screening.status == Screening.Status.INCOMPLETE
    assert screening.missing_codes == ["E18"]
    data = data_from_screening(screening)
    data.labs["alt_u_l"] = Decimal(45)
    save_screening(screening, by=inv, data=data, reason="ALT result received")
    screening.refresh_from_db()
    assert screening.status == Screening.Status.ELIGIBLE
    assert screening.version == 3


def test_saving_again_requires_a_reason(site11: Any) -> None:
    screening = make_screening(site11)
    with pytest.raises(ReasonRequired):
        save_screening(screening, by=site_investigator(site11), data=sample_data())


def test_hard_limit_refuses_and_saves_nothing(site11: Any) -> None:
    inv = site_investigator(site11)
    before = Screening.objects.count()
    data = sample_data()
    data.sofa[0]["fio2"] = Decimal(21)
    with pytest.raises(CaseInputError) as error:
        create_screening(site11, by=inv, data=data)
    assert error.value.message == "FiO₂ is a fraction between 0.21 and 1.00"
    assert Screening.objects.count() == before  # the number was not consumed either
    assert make_screening(site11).number == "S-11-0001"


def test_soft_limit_is_accepted_and_recorded(site11: Any) -> None:
    screening = make_screening(site11, labs={"ast_uln": Decimal(90)})
    assert screening.status == Screening.Status.ELIGIBLE
    assert [f["field"] for f in screening.soft_limit_flags] == ["labs.ast_uln"]


def test_a_monitor_cannot_create_a_screening(site11: Any, role_users: dict) -> None:
    with pytest.raises(PermissionDenied):
        create_screening(site11, by=role_users["monitor"], data=sample_data())


def test_consent_by_a_proxy_needs_the_continuation_status(site11: Any) -> None:
    screening = make_screening(site11)
    with pytest.raises(ValidationError) as error:
        record_consent(
            screening,
            by=site_investigator(site11),
            given_by="PROXY",
            consented_at=screening.evaluated_at,
            information_sheet_version="1.0",
        )
    assert "continuation_outcome" in error.value.message_dict


def test_consent_before_icu_admission_is_refused(site11: Any) -> None:
    screening = make_screening(site11)
    with pytest.raises(ValidationError):
        record_consent(
            screening,
            by=site_investigator(site11),
            given_by="PATIENT",
            consented_at=screening.icu_admission.replace(year=2024),
            information_sheet_version="1.0",
        )


def test_enrol_gives_a_participant_code_and_records_the_confirmation(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    assert participant.code == "11-001"
    assert screening.status == Screening.Status.ENROLLED
    confirmation = EligibilityConfirmation.objects.get(screening=screening)
    # the statement is stored as the investigator read it: French by default
    assert (
        confirmation.statement
        == "Je confirme que ce patient remplit tous les critères d'éligibilité"
    )
    assert AuditEvent.objects.filter(action="eligibility.enrolled").count() == 1
    assert randomization_preconditions(participant) == []


def _refusal(screening: Screening, user: Any, password: str = FACTORY_PASSWORD) -> str:
    with pytest.raises(EnrolmentRefused) as error:
        enrol(screening, by=user, password=password)
    assert not Participant.objects.exists()
    return error.value.message


def test_enrol_refuses_a_not_eligible_patient(site11: Any) -> None:
    screening = make_screening(site11, eligible=False)
    consent(screening)
    assert "n'est pas éligible (I4)" in _refusal(screening, site_investigator(site11))


def test_enrol_refuses_an_incomplete_screening(site11: Any) -> None:
    screening = make_screening(site11, labs={"alt_u_l": None})
    consent(screening)
    assert "incomplète (E18)" in _refusal(screening, site_investigator(site11))


def test_enrol_refuses_without_consent(site11: Any) -> None:
    screening = make_screening(site11)
    assert "Aucun consentement" in _refusal(screening, site_investigator(site11))


def test_enrol_refuses_a_wrong_password_and_audits_it(site11: Any) -> None:
    screening = make_screening(site11)
    consent(screening)
    with pytest.raises(ReauthenticationFailed) as error:
        enrol(screening, by=site_investigator(site11), password="wrong")
    assert "mot de passe" in error.value.message
    assert not Participant.objects.exists()
    event = AuditEvent.objects.get(action="reauthentication_failed")
    assert event.data == {"purpose": "enrolment", "failed": "password"}


def test_enrol_re_evaluates_the_stored_data_not_the_stored_status(site11: Any) -> None:
    screening = make_screening(site11, eligible=False)
    consent(screening)
    Screening.objects.filter(pk=screening.pk).update(status="eligible", failed_codes=[])
    assert "n'est pas éligible" in _refusal(screening, site_investigator(site11))


def test_a_coordinator_cannot_enrol(site11: Any, role_users: dict) -> None:
    screening = make_screening(site11)
    consent(screening, by=role_users["coordinator"])
    with pytest.raises(PermissionDenied):
        enrol(screening, by=role_users["coordinator"], password=FACTORY_PASSWORD)
    assert not Participant.objects.exists()


def test_another_sites_investigator_cannot_enrol(site11: Any, role_users: dict) -> None:
    screening = make_screening(site11)
    consent(screening)
    with pytest.raises(PermissionDenied):
        enrol(screening, by=role_users["investigator_nantes"], password=FACTORY_PASSWORD)


def test_enrol_twice_is_refused(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    with pytest.raises(EnrolmentRefused):
        enrol(screening, by=site_investigator(site11), password=FACTORY_PASSWORD)


def test_an_enrolled_screening_is_changed_only_by_correction(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    with pytest.raises(ScreeningLocked):
        save_screening(screening, by=site_investigator(site11), data=sample_data(), reason="x")


def test_correction_requires_a_reason(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    with pytest.raises(ReasonRequired):
        correct_screening(
            screening,
            by=site_investigator(site11),
            reason=" ",
            changes=data_from_screening(screening),
        )


def test_correction_that_makes_the_patient_ineligible_flags_the_participant(
    site11: Any,
) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    changes = data_from_screening(screening)
    changes.header["age"] = 17
    correct_screening(
        screening, by=site_investigator(site11), reason="Age transcription error", changes=changes
    )
    participant.refresh_from_db()
    screening.refresh_from_db()
    assert participant.eligibility_flag is True
    assert "I1" in participant.eligibility_flag_reason
    assert screening.status == Screening.Status.ENROLLED  # never un-enrolled or deleted
    assert screening.failed_codes == ["I1"]
    assert Participant.objects.filter(pk=participant.pk).exists()
    assert randomization_preconditions(participant)  # no randomization now


def test_correction_keeping_eligibility_does_not_flag(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    screening = Screening.objects.get(participant=participant)
    changes = data_from_screening(screening)
    changes.header["weight_kg"] = Decimal(82)
    correct_screening(screening, by=site_investigator(site11), reason="weighed", changes=changes)
    participant.refresh_from_db()
    assert participant.eligibility_flag is False


def test_randomization_preconditions_need_consent_and_an_active_site(site11: Any) -> None:
    participant = make_enrolled_participant(site11)
    assert randomization_preconditions(participant) == []
    Consent.objects.filter(screening__participant=participant).delete()
    site11.status = "closed"
    site11.save()
    reasons = randomization_preconditions(participant)
    assert any("consentement" in r for r in reasons)
    assert any("centre" in r for r in reasons)


def test_removed_rows_are_voided_not_deleted(site11: Any) -> None:
    inv = site_investigator(site11)
    screening = make_screening(site11, by=inv)
    data = data_from_screening(screening)
    data.mhla_dr = []
    save_screening(screening, by=inv, data=data, reason="wrong sample")
    screening.refresh_from_db()
    assert screening.mhla_dr_results.count() == 1
    assert screening.mhla_dr_results.current().count() == 0
    assert screening.missing_codes == ["I4"]
    assert timezone.now() >= screening.mhla_dr_results.get().voided_at
