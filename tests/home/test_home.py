"""Home pages that say what to do (issue #11, ADR 0023): per-role counts on a small trial,
each count a link to the list of exactly those items, site isolation, a query bound."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lxml.html
import pytest
from django.utils import timezone

from tests.home.helpers import counts, rows_behind

pytestmark = pytest.mark.django_db


def build_site(site: Any, investigator: Any) -> dict[str, Any]:
    """One site's work: an eligible screening to finish (and a finished one), a participant
    to randomize, a participant randomized 2 days ago (D2: baseline and injection 1
    overdue, injection 2 due today; its kit not dispensed) with an SAE not yet reported
    and another reported and acknowledged, a query to answer, one answered (to review),
    one closed; an in-transit shipment and 2 available kits expiring in 10 days."""
    from crf.models import AdverseEvent, DataQuery
    from crf.services import save_adverse_event
    from randomization.models import Kit, Shipment
    from tests.crf.helpers import ae_data, randomized, sae_data
    from tests.dashboard.helpers import open_query
    from tests.eligibility.factories import make_screening
    from tests.randomization.factories import make_kits, make_participant

    make_screening(site)
    make_screening(site, eligible=False)
    make_participant(site)
    patient = randomized(site, days_ago=2, dispensed=False)
    save_adverse_event(patient, by=investigator, data=sae_data())
    acknowledged = save_adverse_event(patient, by=investigator, data=ae_data(term="Fall")).obj
    save_adverse_event(patient, by=investigator, data=ae_data(term="Rash"))  # not serious
    now = timezone.now()
    AdverseEvent.objects.filter(pk=acknowledged.pk).update(
        serious=True, sae_recorded_at=now, sae_notified_at=now, acknowledged_at=now
    )
    open_query(patient, days_old=1)
    answered = open_query(patient, days_old=10)
    closed = open_query(patient, days_old=40)
    DataQuery.objects.filter(pk=answered.pk).update(status="answered")
    DataQuery.objects.filter(pk=closed.pk).update(status="closed")
    Shipment.objects.create(
        number=f"SH-{site.code}-H1",
        site=site,
        reason=Shipment.Reason.RESUPPLY,
        kits_per_arm=1,
        status=Shipment.Status.IN_TRANSIT,
    )
    Shipment.objects.create(
        number=f"SH-{site.code}-H2", site=site, reason=Shipment.Reason.RESUPPLY, kits_per_arm=1
    )
    make_kits(site, 1, expiry=timezone.localdate() + timedelta(days=10))
    make_kits(site, 1, expiry=timezone.localdate() + timedelta(days=60))
    make_kits(site, 1, status=Kit.Status.RECEIVED, expiry=timezone.localdate())
    return {"patient": patient}


@pytest.fixture
def trial(site11: Any, site16: Any, role_users: dict[str, Any]) -> dict[str, Any]:
    return {
        "11": build_site(site11, role_users["investigator"]),
        "16": build_site(site16, role_users["investigator_nantes"]),
    }


SITE_WORK = {
    "screenings_to_finish": 1,
    "participants_to_randomize": 1,
    "injections_due": 1,
    "forms_overdue": 2,
    "saes_to_report": 1,
    "queries_to_answer": 1,
}


def test_the_investigator_sees_the_work_of_their_site(trial: Any, client_for: Any) -> None:
    found = counts(client_for("investigator").get("/").content.decode())
    assert {key: found[key][0] for key in SITE_WORK} == SITE_WORK
    assert found["casebooks_to_resign"][0] == 0
    for key in ("kits_to_dispense", "queries_to_review", "saes_to_acknowledge", "exports_ready"):
        assert key not in found  # not their work


def test_the_coordinator_has_no_signature_to_do(trial: Any, client_for: Any) -> None:
    found = counts(client_for("coordinator").get("/").content.decode())
    assert {key: found[key][0] for key in SITE_WORK} == SITE_WORK
    assert "casebooks_to_resign" not in found


@pytest.mark.parametrize("role", ["investigator", "coordinator", "pharmacist", "monitor"])
def test_each_count_opens_the_list_of_exactly_those_items(
    trial: Any, client_for: Any, role: str
) -> None:
    client = client_for(role)
    found = counts(client.get("/").content.decode())
    checked = 0
    for key, (n, url) in found.items():
        rows = rows_behind(client, key, url)
        if rows is None:
            continue
        assert rows == n, (key, url)
        checked += 1
    assert checked >= 2


def test_another_sites_items_are_never_counted(trial: Any, client_for: Any) -> None:
    """Site 16 has the same work as site 11: a site-11 user counts only site 11's."""
    for role in ("investigator", "coordinator"):
        found = counts(client_for(role).get("/").content.decode())
        assert {key: found[key][0] for key in SITE_WORK} == SITE_WORK
    pharmacy = counts(client_for("pharmacist").get("/").content.decode())
    assert pharmacy["kits_to_dispense"][0] == 1
    assert pharmacy["shipments_to_receive"][0] == 1
    assert pharmacy["kits_expiring"][0] == 2
    monitor = counts(client_for("monitor").get("/").content.decode())
    assert monitor["queries_to_review"][0] == 1
    assert monitor["participants_to_verify"][0] == 1


def _two_site_investigator() -> Any:
    from django.test import Client

    from accounts.roles import Role
    from tests.factories import make_user_with_role

    user = make_user_with_role("investigator-11-16", Role.INVESTIGATOR, "11")
    make_user_with_role("investigator-11-16", Role.INVESTIGATOR, "16")
    client = Client()
    client.force_login(user)
    return client


def test_an_investigator_of_two_sites_counts_the_current_site_only(trial: Any) -> None:
    client = _two_site_investigator()
    found = counts(client.get("/").content.decode())  # current site: the first, 11
    assert {key: found[key][0] for key in SITE_WORK} == SITE_WORK
    assert rows_behind(client, "queries_to_answer", found["queries_to_answer"][1]) == 1
    assert rows_behind(client, "forms_overdue", found["forms_overdue"][1]) == 2
    client.post("/accounts/site/", {"site": str(trial["16"]["patient"].site_id)})
    found = counts(client.get("/").content.decode())
    assert {key: found[key][0] for key in SITE_WORK} == SITE_WORK


def test_negative_control_without_the_site_filter_site_16_is_counted(
    trial: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Widen the work scope to all the user's sites: the counts double, so the tests above
    would catch another site's items in the count."""
    from accounts.access import site_filter
    from platinium import worklists

    monkeypatch.setattr(
        worklists,
        "work_filter",
        lambda user, capability, current, field="site": site_filter(user, capability, field),
    )
    found = counts(_two_site_investigator().get("/").content.decode())
    assert found["participants_to_randomize"][0] == 2
    assert found["forms_overdue"][0] == 4
    assert found["saes_to_report"][0] == 2
    assert found["queries_to_answer"][0] == 2


def test_the_data_manager_counts_every_site(trial: Any, client_for: Any) -> None:
    found = counts(client_for("data_manager").get("/").content.decode())
    assert found["saes_to_acknowledge"][0] == 2  # the two unreported SAEs, one per site
    assert (found["queries_lt7"][0], found["queries_7to30"][0], found["queries_gt30"][0]) == (
        2,
        2,
        0,
    )
    assert found["locks_database"][0] == 0
    assert found["exports_ready"][0] == 0
    client = client_for("data_manager")
    assert rows_behind(client, "queries_7to30", found["queries_7to30"][1]) == 2
    assert rows_behind(client, "saes_to_acknowledge", found["saes_to_acknowledge"][1]) == 2


def test_the_statistician_randomization_manager_and_admin_see_their_own_lists(
    trial: Any, client_for: Any, role_users: dict[str, Any]
) -> None:
    from exports.models import ExportJob

    ExportJob.objects.create(requested_by=role_users["statistician"], format="csv", status="done")
    ExportJob.objects.create(requested_by=role_users["data_manager"], format="csv", status="done")
    stat = counts(client_for("statistician").get("/").content.decode())
    assert set(stat) == {"exports_ready"}
    assert stat["exports_ready"][0] == 1
    rando = counts(client_for("randomization_manager").get("/").content.decode())
    assert set(rando) == {"allocation_lists", "kits_at_depot"}
    assert rando["allocation_lists"][0] >= 1
    admin = counts(client_for("admin").get("/").content.decode())
    assert admin["users_without_role"][0] == 0
    from tests.factories import UserFactory

    UserFactory(username="newcomer")
    admin = counts(client_for("admin").get("/").content.decode())
    assert admin["users_without_role"][0] == 1
    assert rows_behind(client_for("admin"), "users_without_role", admin["users_without_role"][1])


def test_no_count_names_an_arm(trial: Any, client_for: Any) -> None:
    for role in ("investigator", "pharmacist", "monitor", "data_manager", "statistician"):
        html = client_for(role).get("/").content.decode()
        main = lxml.html.fromstring(html).get_element_by_id("main").text_content().lower()
        for word in ("placebo", "interf", "ifn", "arm "):
            assert word not in main, (role, word)


def test_the_french_page_shows_french_labels(trial: Any, client_for: Any) -> None:
    client = client_for("investigator")
    client.cookies["django_language"] = "fr"
    html = client.get("/", headers={"accept-language": "fr"}).content.decode()
    assert "Formulaires en retard" in html
    assert "Overdue forms" not in html
    assert "Injections due today" not in html


@pytest.mark.parametrize(
    "role",
    [
        "investigator",
        "coordinator",
        "pharmacist",
        "monitor",
        "data_manager",
        "statistician",
        "randomization_manager",
        "admin",
    ],
)
def test_the_home_page_is_bounded(
    trial: Any, client_for: Any, django_assert_max_num_queries: Any, role: str
) -> None:
    from tests.crf.helpers import randomized

    client = client_for(role)
    client.get("/")
    with django_assert_max_num_queries(20) as before:
        small = client.get("/")
    for site in ("11", "16"):
        for days_ago in (1, 5, 12):
            randomized(trial[site]["patient"].site, days_ago=days_ago)
    with django_assert_max_num_queries(20) as after:
        large = client.get("/")
    assert small.status_code == large.status_code == 200
    # The same queries with 4 or 10 participants: nothing is read participant by participant.
    assert len(after.captured_queries) == len(before.captured_queries)
