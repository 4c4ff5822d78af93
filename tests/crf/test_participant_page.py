"""The participant page: the whole course on one screen, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crf.models import D10Biology
from crf.services import (
    save_adverse_event,
    save_baseline,
    save_d10_biology,
    save_daily,
    save_infection,
    save_injection,
)
from participants.locks import lock_casebook
from participants.models import Participant
from tests.crf.helpers import (
    ae_data,
    baseline_data,
    d0_of,
    daily_data,
    injection_data,
    paris,
    randomized,
)

pytestmark = pytest.mark.django_db


def _statuses(html: str) -> dict[str, list[str]]:
    """data-form → [data-status …] in page order."""
    found: dict[str, list[str]] = {}
    pattern = r'data-form="([A-Z0-9_]+)" data-form-status="(\w+)"'
    for form, status in re.findall(pattern, html):
        found.setdefault(form, []).append(status)
    return found


@pytest.fixture
def participant(site11):
    return randomized(site11, days_ago=12)


def _page(client, participant):
    return client.get(
        reverse("crf:participant", args=[participant.code]), headers={"accept-language": "en"}
    )


def test_timeline_overlays_stored_forms_on_the_schedule(participant, role_users, client_for):
    inv = role_users["investigator"]
    d0 = d0_of(participant)
    save_baseline(participant, by=inv, data=baseline_data())
    save_injection(
        participant,
        number=1,
        by=inv,
        data=injection_data(participant, paris(d0 + timedelta(days=1))),
    )
    save_daily(participant, day_date=d0, by=inv, data=daily_data())
    save_daily(
        participant, day_date=d0 + timedelta(days=1), by=inv, data=daily_data(gcs=None)
    )  # a required item missing: in progress

    response = _page(client_for("investigator"), participant)

    assert response.status_code == 200
    statuses = _statuses(response.content.decode())
    assert statuses["BASELINE"] == ["complete"]
    assert statuses["INJ1"] == ["complete"]
    # D12 today: injections 2–5 windows are over (overdue), the follow-ups not due yet.
    assert statuses["INJ2"] == statuses["INJ5"] == ["overdue"]
    assert statuses["DAILY"][:2] == ["complete", "in_progress"]
    assert statuses["DAILY"][2] == "overdue" and statuses["DAILY"][-1] == "due"
    assert statuses["FU_D30"] == ["not_due"]
    assert 'class="status status-overdue"' in response.content.decode()


def test_every_status_is_shown_with_text_as_well_as_colour(participant, client_for):
    html = _page(client_for("investigator"), participant).content.decode()
    for code, text in (
        ("overdue", "En retard"),
        ("due", "Attendu"),
        ("not_due", "Pas encore attendu"),
    ):
        assert re.search(rf'status status-{code}" data-status="{code}">{text}<', html)


def test_links_open_saved_forms_and_start_missing_ones(participant, role_users, client_for):
    inv = role_users["investigator"]
    baseline = save_baseline(participant, by=inv, data=baseline_data()).obj
    html = _page(client_for("investigator"), participant).content.decode()
    assert reverse("crf:form_detail", args=[participant.code, "baseline", baseline.pk]) in html
    assert reverse("crf:form_new", args=[participant.code, "injection"]) + "?number=2" in html
    assert reverse("crf:daily_grid", args=[participant.code]) + "?edit=" in html


def test_read_only_roles_get_no_entry_links(participant, client_for):
    html = _page(client_for("monitor"), participant).content.decode()
    assert "/new/" not in html


def test_day10_results_stay_hidden_only_the_status_shows(participant, role_users, client_for):
    save_d10_biology(
        participant,
        by=role_users["data_manager"],
        data={
            "sample_taken": True,
            "sampled_at": paris(d0_of(participant) + timedelta(days=10)),
            "mhla_dr_abc": 13579,
            "method": "STANDARDISED_FLOW",
            "laboratory": "LAB-1",
            "lymphocytes_value": "2.46",
            "lymphocytes_unit": "G/L",
        },
    )
    row = D10Biology.objects.get()
    html = _page(client_for("investigator"), participant).content.decode()
    assert _statuses(html)["D10_BIOLOGY"][0] in {"complete", "in_progress"}
    assert "13579" not in html and "2.46" not in html
    assert reverse("crf:form_detail", args=[participant.code, "d10", row.pk]) not in html
    # Negative control: data management (who enters them) does get the link.
    dm_html = _page(client_for("data_manager"), participant).content.decode()
    assert reverse("crf:form_detail", args=[participant.code, "d10", row.pk]) in dm_html


def test_logs_show_infections_and_adverse_events_with_an_sae_badge(
    participant, role_users, client_for
):
    inv = role_users["investigator"]
    today = timezone.localdate()
    save_infection(
        participant,
        by=inv,
        data={"onset_date": today - timedelta(days=3), "location": "STUDY_ICU", "category": "PN"},
    )
    save_adverse_event(
        participant,
        by=inv,
        data=ae_data(
            term="Septic shock", serious=True, sae_life_threatening=True, awareness_date=today
        ),
    )
    save_adverse_event(participant, by=inv, data=ae_data(term="Rash"))
    html = _page(client_for("investigator"), participant).content.decode()
    assert "Pneumonie" in html
    assert html.count("sae-badge") == 1
    assert "Septic shock" in html and "Rash" in html


def test_kit_codes_are_shown_never_an_arm(participant, client_for):
    from randomization.selectors import kit_codes_for

    html = _page(client_for("monitor"), participant).content.decode()
    for code in kit_codes_for(participant):
        assert code in html
    assert "arm" not in re.sub(r"<[^>]+>", " ", html).lower().split()


def test_locked_participant_shows_its_forms_locked(participant, role_users, client_for):
    save_baseline(participant, by=role_users["investigator"], data=baseline_data())
    lock_casebook(participant, by=role_users["data_manager"], reason="casebook reviewed")
    html = _page(client_for("investigator"), participant).content.decode()
    assert _statuses(html)["BASELINE"] == ["locked"]
    assert "/new/" not in html


def test_eligibility_flag_is_shown(participant, client_for):
    Participant.objects.filter(pk=participant.pk).update(eligibility_flag=True)
    html = _page(client_for("investigator"), participant).content.decode()
    assert 'id="eligibility-flag"' in html


def test_not_yet_randomized_participant_has_no_timeline(site11, client_for):
    from tests.randomization.factories import make_participant

    enrolled = make_participant(site11)
    response = _page(client_for("investigator"), enrolled)
    assert response.status_code == 200
    assert 'id="timeline"' not in response.content.decode()


def test_participant_list_links_to_the_page_for_clinical_roles_only(participant, client_for):
    url = reverse("crf:participant", args=[participant.code])
    assert url in client_for("investigator").get(reverse("participants:list")).content.decode()
    pharmacy = client_for("pharmacist").get(reverse("participants:list")).content.decode()
    assert url not in pharmacy
    assert reverse("participants:detail", args=[participant.code]) in pharmacy


def test_query_count_does_not_grow_with_the_forms(
    participant, role_users, client_for, django_assert_max_num_queries
):
    inv = role_users["investigator"]
    client = client_for("investigator")
    _page(client, participant)  # warm caches (content types, sessions)
    d0 = d0_of(participant)
    for day in range(0, 12):
        save_daily(participant, day_date=d0 + timedelta(days=day), by=inv, data=daily_data())
    for n, day in enumerate((1, 3, 5, 7, 9), start=1):
        save_injection(
            participant,
            number=n,
            by=inv,
            data=injection_data(participant, paris(d0 + timedelta(days=day))),
        )
    for _ in range(3):
        save_adverse_event(participant, by=inv, data=ae_data())
    with django_assert_max_num_queries(15):
        assert _page(client, participant).status_code == 200


def test_day10_link_follows_the_database_lock_the_page_already_read(
    participant, role_users, client_for, monkeypatch
):
    """d10_results_visible takes the database lock the page read with the casebook lock
    (participants.locks.current_for) instead of reading it again: the investigator (blinded
    to day-10 results) gets the link once the database is locked, not before, not after it
    is lifted. Negative control: a page that took any lock for the database lock shows the
    link while only the casebook is locked."""
    from crf import participant_views
    from participants import locks

    save_d10_biology(
        participant,
        by=role_users["data_manager"],
        data={"sample_taken": True, "sampled_at": paris(d0_of(participant) + timedelta(days=10))},
    )
    link = reverse("crf:form_detail", args=[participant.code, "d10", D10Biology.objects.get().pk])
    client, dm = client_for("investigator"), role_users["data_manager"]

    def shown() -> bool:
        return link in _page(client, participant).content.decode()

    locks.lock_casebook(participant, by=dm, reason="reviewed")
    assert not shown()
    locks.lock_database(by=dm, reason="final")
    assert shown()
    locks.unlock_database(by=dm, reason="late query")
    assert not shown()
    current_for = locks.current_for
    monkeypatch.setattr(
        participant_views.locks,
        "current_for",
        lambda p: (current_for(p)[0] or current_for(p)[1], current_for(p)[1]),
    )
    assert shown()
