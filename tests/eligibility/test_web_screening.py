"""The screening pages through the test client: limits, warnings, resume, log, CONSORT, roles."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from eligibility.models import Consent, Screening
from participants.models import Participant
from tests.eligibility.factories import (
    FACTORY_PASSWORD,
    consent,
    make_enrolled_participant,
    make_screening,
)
from tests.eligibility.webform import post_data
from tests.webform import form_in

pytestmark = pytest.mark.django_db
BASE = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "eligibility" / "cases.json").read_text()
)[0]


def _case(**changes: Any) -> dict[str, Any]:
    case = copy.deepcopy(BASE)
    case.update(changes)
    return case


def _create(client: Any, data: dict[str, str]) -> Any:
    return client.post(reverse("eligibility:screening_create"), data)


def test_fio2_of_21_is_refused_with_a_clear_message_and_nothing_saved(client_for: Any) -> None:
    data = post_data(BASE)
    data["sofa-0-fio2"] = "21"
    response = _create(client_for("investigator"), data)
    assert response.status_code == 422
    assert "La FiO₂ est une fraction comprise entre 0,21 et 1,00" in response.content.decode()
    assert not Screening.objects.exists()


def test_gcs_16_is_refused(client_for: Any) -> None:
    data = post_data(BASE)
    data["apache-gcs"] = "16"
    response = _create(client_for("investigator"), data)
    assert response.status_code == 422
    assert "16 est impossible : valeurs autorisées de 3 à 15" in response.content.decode()
    assert not Screening.objects.exists()


def test_a_sample_after_the_evaluation_time_is_saved_ignored_and_shown_not_counted(
    client_for: Any,
) -> None:
    # Was refused (the whole screening could not be saved): a later sample is normal in a
    # patient file and must only be left out of I4.
    data = post_data(BASE)
    data["lym-0-sampled_at"] = "2025-03-09T17:00"  # evaluation: 2025-03-09 16:00
    client = client_for("investigator")
    response = _create(client, data)
    assert response.status_code == 302
    screening = Screening.objects.get()
    assert screening.status == "incomplete"  # as if the only lymphocyte count were absent
    page = client.get(response["Location"]).content.decode()
    assert 'id="criterion-I4" data-status="missing"' in page
    assert 'id="not-counted-lymphocytes-0"' in page
    assert "non compté" in page


def test_the_live_checklist_marks_a_later_sample_not_counted(client_for: Any) -> None:
    client = client_for("investigator")
    created = _create(client, post_data(BASE))
    assert created.status_code == 302
    screening = Screening.objects.get()
    page = client.get(created["Location"])
    form = form_in(page.content, containing="lym-0-sampled_at")
    data = form.data()
    url = reverse("eligibility:checklist", args=[screening.pk])

    counted = client.post(url, data).content.decode()
    assert 'id="criterion-I4" data-status="met"' in counted
    assert "not-counted-" not in counted

    data["lym-0-sampled_at"] = "2025-03-09T17:00"
    html = client.post(url, data).content.decode()
    assert 'id="criterion-I4" data-status="missing"' in html
    assert 'id="not-counted-lymphocytes-0"' in html
    assert "non compté" in html
    assert "Refused values" not in html and "Valeurs refusées" not in html
    client.cookies["django_language"] = "en"
    assert "not counted" in client.post(url, data).content.decode()


def test_a_screening_in_the_future_is_refused(client_for: Any) -> None:
    data = post_data(BASE)
    data["evaluated_at"] = "2099-01-01T10:00"
    client = client_for("investigator")
    # English chosen explicitly: this message has no French translation in the catalogue yet.
    client.cookies["django_language"] = "en"
    response = _create(client, data)
    assert response.status_code == 422
    assert "The screening time is in the future" in response.content.decode()


def test_soft_limit_is_saved_with_a_visible_warning(client_for: Any) -> None:
    data = post_data(BASE)
    data["labs-ast_uln"] = "90"
    client = client_for("investigator")
    response = _create(client, data)
    assert response.status_code == 302
    screening = Screening.objects.get()
    assert screening.status == "eligible"
    assert screening.soft_limit_flags[0]["field"] == "labs.ast_uln"
    page = client.get(response["Location"]).content.decode()
    assert "90 U/L est inhabituellement élevé (&gt; 80 U/L) : vérifiez-le" in page


def test_checklist_reports_a_refused_value_and_still_evaluates_the_rest(
    client_for: Any,
) -> None:
    data = post_data(BASE)
    data["sofa-0-fio2"] = "21"
    response = client_for("investigator").post(reverse("eligibility:checklist_new"), data)
    html = response.content.decode()
    assert "La FiO₂ est une fraction comprise entre 0,21 et 1,00" in html
    assert 'id="criterion-I4" data-status="met"' in html
    assert 'id="criterion-I3" data-status="missing"' in html


def test_checklist_shows_sofa_components_apache_breakdown_and_egfr(client_for: Any) -> None:
    response = client_for("investigator").post(
        reverse("eligibility:checklist_new"), post_data(BASE)
    )
    html = response.content.decode()
    assert 'id="score-sofa">15<' in html
    assert 'id="score-apache">11<' in html
    assert 'id="score-egfr">67,1<' in html  # French decimal comma (default language)
    assert "Réponse : oui" in html  # explanations are shown


def test_an_incomplete_screening_is_saved_and_resumed_with_a_reason(client_for: Any) -> None:
    client = client_for("coordinator")
    case = _case(labs={**BASE["labs"], "alt_u_l": None})
    response = _create(client, post_data(case))
    screening = Screening.objects.get()
    assert (screening.status, screening.missing_codes) == ("incomplete", ["E18"])
    url = reverse("eligibility:screening_detail", args=[screening.pk])
    page = client.get(url).content.decode()
    assert 'name="reason_for_change"' in page
    sofa_rows = [{"icu_day": day} for day in range(1, 8)]
    data = post_data(BASE, version=str(screening.version))
    # The grid shows days 1–7; the row of day 2 carries the stored values.
    del sofa_rows
    response = client.post(url, data)
    assert response.status_code == 422
    assert "Indiquez le motif de cette modification." in response.content.decode()
    data["reason_for_change"] = "ALT result received"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    screening.refresh_from_db()
    assert screening.status == "eligible"


def test_a_stale_version_is_refused(client_for: Any) -> None:
    client = client_for("investigator")
    _create(client, post_data(BASE))
    screening = Screening.objects.get()
    data = post_data(BASE, version="0", reason_for_change="x")
    response = client.post(reverse("eligibility:screening_detail", args=[screening.pk]), data)
    assert response.status_code == 422
    assert "modifiée par quelqu&#39;un d&#39;autre" in response.content.decode()


def test_screening_log_filters_and_consort_counts(client_for: Any, site11: Any) -> None:
    make_screening(site11)  # eligible
    make_screening(site11, eligible=False)  # I4
    make_screening(site11, eligible=False, age=17)  # I1 + I4
    make_screening(
        site11,
        apache_ii={"gcs": 3, "chronic_health": "nonoperative", "arterial_ph": 7.1, "map_mmhg": 45},
    )  # E4
    make_screening(site11, labs={"alt_u_l": None})  # incomplete
    make_enrolled_participant(site11)
    client = client_for("monitor")
    response = client.get(reverse("eligibility:screening_list"))
    consort = response.context["consort"]
    assert consort["assessed"] == 6
    assert consort["not_eligible"] == 3
    assert consort["not_meeting_inclusion"] == 2
    assert consort["meeting_exclusion"] == 1
    assert consort["incomplete"] == 1
    assert consort["enrolled"] == 1
    assert {r["code"]: r["count"] for r in consort["reasons"]} == {"I1": 1, "I4": 2, "E4": 1}
    filtered = client.get(reverse("eligibility:screening_list"), {"status": "not_eligible"})
    assert len(filtered.context["screenings"]) == 3
    none = client.get(reverse("eligibility:screening_list"), {"from": "2030-01-01"})
    assert len(none.context["screenings"]) == 0


def test_screening_list_query_budget(
    client_for: Any, site11: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        make_screening(site11)
    make_enrolled_participant(site11)
    client = client_for("investigator")
    client.get(reverse("eligibility:screening_list"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("eligibility:screening_list"))
    assert len(response.context["screenings"]) == 6


def test_monitor_sees_the_screening_read_only(client_for: Any, site11: Any) -> None:
    screening = make_screening(site11)
    client = client_for("monitor")
    url = reverse("eligibility:screening_detail", args=[screening.pk])
    page = client.get(url).content.decode()
    assert 'id="save-screening"' not in page
    assert "disabled" in page
    assert client.post(url, post_data(BASE, reason_for_change="x")).status_code == 403


def test_another_sites_screening_is_not_found(client_for: Any, site16: Any) -> None:
    screening = make_screening(site16)
    client = client_for("investigator")
    for name in ("screening_detail", "consent", "enrol"):
        assert client.get(reverse(f"eligibility:{name}", args=[screening.pk])).status_code == 404


def test_investigator_records_consent_and_enrols_through_the_pages(
    client_for: Any, site11: Any, role_users: dict
) -> None:
    client = client_for("investigator")
    _create(client, post_data(BASE))
    screening = Screening.objects.get()
    response = client.post(
        reverse("eligibility:consent", args=[screening.pk]),
        {
            "given_by": "PROXY",
            "consented_at": "2025-03-09T15:00",
            "information_sheet_version": "1.0",
            "continuation_outcome": "NOT_YET",
        },
    )
    assert response.status_code == 302
    assert Consent.objects.get().given_by == "PROXY"
    enrol_url = reverse("eligibility:enrol", args=[screening.pk])
    page = client.get(enrol_url).content.decode()
    assert "Je confirme que ce patient remplit tous les critères d&#x27;éligibilité" in page
    wrong = client.post(enrol_url, {"password": "nope"})
    assert wrong.status_code == 422 and not Participant.objects.exists()
    response = client.post(enrol_url, {"password": FACTORY_PASSWORD})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "11-001" in page


def test_a_coordinator_prepares_but_cannot_enrol(client_for: Any, site11: Any) -> None:
    screening = make_screening(site11)
    consent(screening)
    client = client_for("coordinator")
    assert client.get(reverse("eligibility:enrol", args=[screening.pk])).status_code == 403
    page = client.get(reverse("eligibility:screening_detail", args=[screening.pk]))
    assert 'id="enrol-link"' not in page.content.decode()


def test_a_post_cannot_set_the_status_or_the_site(client_for: Any, site11: Any) -> None:
    data = post_data(_case(labs={**BASE["labs"], "alt_u_l": None}), status="enrolled", site="2")
    _create(client_for("investigator"), data)
    screening = Screening.objects.get()
    assert screening.status == "incomplete" and screening.site == site11
