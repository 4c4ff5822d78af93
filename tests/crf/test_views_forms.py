"""CRF pages as the roles that use them; day-10 biology blinding; locked participants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from crf.models import ConcomitantMedication, D10Biology
from crf.services import save_baseline, save_d10_biology, save_injection
from tests.crf.helpers import baseline_data, d0_of, injection_data, paris, randomized

pytestmark = pytest.mark.django_db


def _medication(participant, **kw):
    data = {
        "category": "ANTIBACTERIAL",
        "drug_name": "piperacillin",
        "route": "IV",
        "start_date": (d0_of(participant) + timedelta(days=1)).isoformat(),
        "ongoing": "true",
        "indication": "EMPIRICAL",
    }
    data.update(kw)
    return data


def test_coordinator_creates_a_medication_through_the_form(site11, client_for):
    participant = randomized(site11)
    url = reverse("crf:form_new", args=[participant.code, "medication"])
    assert client_for("coordinator").get(url).status_code == 200
    response = client_for("coordinator").post(url, _medication(participant))
    assert response.status_code == 302
    assert ConcomitantMedication.objects.get().status == "complete"


def test_impossible_dates_are_refused_on_the_form_with_the_reason(site11, client_for):
    participant = randomized(site11)
    url = reverse("crf:form_new", args=[participant.code, "medication"])
    start = d0_of(participant) + timedelta(days=3)
    response = client_for("coordinator").post(
        url,
        _medication(
            participant,
            start_date=start.isoformat(),
            ongoing="false",
            stop_date=(start - timedelta(days=1)).isoformat(),
        ),
    )
    assert response.status_code == 200
    assert not ConcomitantMedication.objects.exists()
    assert "is-invalid" in response.content.decode()


def test_a_bad_injection_number_in_the_url_is_a_404_not_a_500(site11, client_for):
    participant = randomized(site11)
    url = reverse("crf:form_new", args=[participant.code, "injection"])
    assert client_for("coordinator").get(url + "?number=9").status_code == 404
    assert client_for("coordinator").get(url + "?number=x").status_code == 404
    assert client_for("coordinator").get(url + "?number=2").status_code == 200


def test_injection_form_refuses_a_day_10_injection(site11, client_for):
    participant = randomized(site11, days_ago=30)
    url = reverse("crf:form_new", args=[participant.code, "injection"]) + "?number=5"
    when = paris(d0_of(participant) + timedelta(days=10))
    data = {k: ("true" if v is True else v) for k, v in injection_data(participant, when).items()}
    data["given_at"] = when.strftime("%Y-%m-%dT%H:%M")
    client = client_for("coordinator")
    client.cookies["django_language"] = "en"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "this date is D10" in response.content.decode()


def test_pharmacist_never_sees_the_casebook(site11, client_for):
    participant = randomized(site11)
    assert (
        client_for("pharmacist").get(reverse("crf:casebook", args=[participant.code])).status_code
        == 403
    )


def test_locked_participant_forms_are_read_only(site11, role_users, client_for):
    participant = randomized(site11)
    baseline = save_baseline(participant, by=role_users["coordinator"], data=baseline_data()).obj
    from participants.locks import lock_casebook

    lock_casebook(participant, by=role_users["data_manager"], reason="casebook reviewed")
    detail = client_for("coordinator").get(
        reverse("crf:form_detail", args=[participant.code, "baseline", baseline.pk])
    )
    assert "lecture seule" in detail.content.decode()
    url = reverse("crf:form_edit", args=[participant.code, "baseline", baseline.pk])
    response = client_for("coordinator").post(
        url, {"height_cm": "150", "expected_version": "1", "reason_for_change": "x"}
    )
    assert response.status_code == 200
    baseline.refresh_from_db()
    assert baseline.height_cm == 178


@pytest.fixture
def d10(site11, role_users):
    participant = randomized(site11, days_ago=20)
    save_injection(
        participant,
        number=1,
        by=role_users["coordinator"],
        data=injection_data(participant, paris(d0_of(participant) + timedelta(days=1))),
    )
    biology = save_d10_biology(
        participant,
        by=role_users["data_manager"],
        data={
            "sample_taken": True,
            "sampled_at": paris(d0_of(participant) + timedelta(days=10), 8),
            "mhla_dr_abc": 12345,
            "method": "STANDARDISED_FLOW",
            "laboratory": "LYON-HCL",
            "lymphocytes_value": "1.4",
            "lymphocytes_unit": "G/L",
        },
    ).obj
    return participant, biology


@pytest.mark.parametrize("role", ["investigator", "coordinator", "monitor", "statistician"])
def test_d10_mhla_dr_is_hidden_from_blinded_roles_before_lock(d10, client_for, role):
    participant, biology = d10
    client = client_for(role)
    detail = reverse("crf:form_detail", args=[participant.code, "d10", biology.pk])
    assert client.get(detail).status_code == 404
    casebook = client.get(reverse("crf:casebook", args=[participant.code])).content.decode()
    assert "12345" not in casebook and "12 345" not in casebook
    trail = client.get(reverse("audit:object_trail", args=["crf.d10biology", biology.pk]))
    assert trail.status_code == 404


def test_d10_results_are_visible_to_data_management(d10, client_for):
    participant, biology = d10
    response = client_for("data_manager").get(
        reverse("crf:form_detail", args=[participant.code, "d10", biology.pk])
    )
    assert response.status_code == 200 and "12345" in response.content.decode()


def test_one_setting_relaxes_d10_blinding(d10, client_for, settings):
    participant, biology = d10
    settings.PLATINIUM_D10_VISIBLE_BEFORE_LOCK = True
    response = client_for("investigator").get(
        reverse("crf:form_detail", args=[participant.code, "d10", biology.pk])
    )
    assert response.status_code == 200


def test_site_staff_cannot_enter_d10_biology(d10, role_users):
    from django.core.exceptions import PermissionDenied

    participant, biology = d10
    with pytest.raises(PermissionDenied):
        save_d10_biology(
            participant,
            by=role_users["investigator"],
            data={},
            instance=biology,
            expected_version=1,
            reason="x",
        )


def test_timeline_can_read_d10_status_without_the_results(d10, role_users):
    participant, _ = d10
    rows = list(
        D10Biology.objects.progress_visible_to(role_users["investigator"])
        .filter(participant=participant)
        .values("status", "sample_taken")
    )
    assert rows == [{"status": "complete", "sample_taken": True}]
    assert not D10Biology.objects.visible_to(role_users["investigator"]).exists()


def test_entered_in_error_through_the_page_needs_a_reason(site11, role_users, client_for):
    participant = randomized(site11)
    baseline = save_baseline(participant, by=role_users["coordinator"], data=baseline_data()).obj
    url = reverse("crf:form_entered_in_error", args=[participant.code, "baseline", baseline.pk])
    client_for("coordinator").post(url, {"reason": ""})
    baseline.refresh_from_db()
    assert baseline.status == "complete"
    client_for("coordinator").post(url, {"reason": "duplicate", "expected_version": "1"})
    baseline.refresh_from_db()
    assert baseline.status == "entered_in_error"


def test_monitor_cannot_open_an_edit_page(site11, role_users, client_for):
    participant = randomized(site11)
    baseline = save_baseline(participant, by=role_users["coordinator"], data=baseline_data()).obj
    url = reverse("crf:form_edit", args=[participant.code, "baseline", baseline.pk])
    assert client_for("monitor").get(url).status_code == 403
    assert (
        client_for("monitor")
        .get(reverse("crf:form_detail", args=[participant.code, "baseline", baseline.pk]))
        .status_code
        == 200
    )


def test_d10_results_become_visible_to_the_monitor_after_the_recorded_database_lock(
    role_users,
):
    from crf.blinding import d10_results_visible
    from participants.locks import lock_database

    monitor = role_users["monitor"]
    assert not d10_results_visible(monitor)
    lock_database(by=role_users["data_manager"], reason="final lock")
    assert d10_results_visible(monitor)
    # Pharmacists never see clinical data, lock or not.
    assert not d10_results_visible(role_users["pharmacist"])
