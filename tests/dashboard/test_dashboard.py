"""The review dashboard (issue #9, ADR 0021): figures, scope, blinding, query bound."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring import dashboard
from tests.dashboard.helpers import dashboard_url, site_row, small_trial, tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial(site11: Any, site16: Any, role_users: dict[str, Any]) -> None:
    small_trial(site11, site16, role_users["investigator"], role_users["investigator_nantes"])


def test_the_data_manager_sees_the_figures_of_every_site(trial: None, client_for: Any) -> None:
    html = client_for("data_manager").get(dashboard_url()).content.decode()
    # screened → eligible → enrolled → randomized → completed
    assert [n for _step, n in tables(html)["table-consort"]] == ["4", "3", "3", "3", "0"]
    row11 = site_row(html, "11")
    assert row11 is not None
    assert row11["randomized"] == "2"
    assert (row11["queries-lt7"], row11["queries-7to30"], row11["queries-gt30"]) == ("1", "0", "1")
    assert row11["saes"] == "2"
    assert row11["sdv"] == "0/22 (0 %)"
    assert row11["resign"] == "0"
    row16 = site_row(html, "16")
    assert row16 is not None
    assert (row16["randomized"], row16["queries-lt7"], row16["saes"]) == ("1", "3", "1")
    recruitment = tables(html)["table-recruitment"]
    assert recruitment[-1][1] == "3"  # cumulative randomized this month
    assert 'id="dashboard-data"' in html


def test_no_arm_is_shown(trial: None, client_for: Any) -> None:
    import json

    import lxml.html

    html = client_for("statistician").get(dashboard_url()).content.decode()
    main = html.split('id="main"')[1].split("<footer")[0].lower()
    for word in ("placebo", "interf", "ifn"):
        assert word not in main
    block = lxml.html.fromstring(html).get_element_by_id("dashboard-data").text_content()
    assert '"arm' not in json.dumps(json.loads(block))


@pytest.mark.parametrize("role", ["monitor", "investigator", "coordinator"])
def test_a_site_11_user_sees_no_site_16_figure(trial: None, client_for: Any, role: str) -> None:
    html = client_for(role).get(dashboard_url()).content.decode()
    assert site_row(html, "11") is not None
    assert site_row(html, "16") is None
    consort = [n for _step, n in tables(html)["table-consort"]]
    assert (consort[0], consort[3]) == ("3", "2")
    assert tables(html)["table-recruitment"][-1][1] == "2"


def test_negative_control_without_the_scope_filter_site_16_shows(
    trial: None, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Remove the scope filter: the same test now sees site 16, so it would catch a leak."""
    from django.db.models import Q

    monkeypatch.setattr(dashboard, "scope", lambda user, field="site": Q())
    html = client_for("monitor").get(dashboard_url()).content.decode()
    assert site_row(html, "16") is not None
    assert tables(html)["table-consort"][0][1] == "4"


def test_the_pharmacist_is_refused_and_has_no_menu_entry(client_for: Any) -> None:
    client = client_for("pharmacist")
    assert client.get(dashboard_url()).status_code == 403
    assert dashboard_url() not in client.get("/").content.decode()
    assert dashboard_url() in client_for("monitor").get("/").content.decode()


def test_the_expected_curve_is_linear_to_the_planned_end() -> None:
    import datetime

    first = datetime.date(2025, 7, 9)
    assert dashboard.expected_by(first, first) == 0
    assert dashboard.expected_by(dashboard.PLANNED_END, first) == 326
    middle = first + (dashboard.PLANNED_END - first) / 2
    assert dashboard.expected_by(middle, first) == 163


@pytest.mark.parametrize("n", [2, 20])
def test_the_number_of_queries_does_not_grow_with_the_trial(
    site11: Any,
    site16: Any,
    role_users: dict[str, Any],
    client_for: Any,
    django_assert_max_num_queries: Any,
    n: int,
) -> None:
    from tests.dashboard.helpers import open_query
    from tests.randomization.factories import make_randomized_participant

    for i in range(n):
        participant = make_randomized_participant(site11 if i % 2 else site16)
        open_query(participant, days_old=i)
    client = client_for("data_manager")
    client.get(dashboard_url())  # session and caches warm
    with django_assert_max_num_queries(20):
        response = client.get(dashboard_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert tables(html)["table-recruitment"][-1][1] == str(n)


@pytest.mark.parametrize("n", [2, 20])
def test_the_monitors_dashboard_stays_within_20_queries(
    site11: Any,
    site16: Any,
    client_for: Any,
    django_assert_max_num_queries: Any,
    n: int,
) -> None:
    """Issue #9: the dashboard as a site-scoped monitor too (the data manager's above)."""
    from tests.dashboard.helpers import open_query
    from tests.randomization.factories import make_randomized_participant

    for i in range(n):
        open_query(make_randomized_participant(site11 if i % 2 else site16), days_old=i)
    client = client_for("monitor")
    client.get(dashboard_url())
    with django_assert_max_num_queries(20):
        assert client.get(dashboard_url()).status_code == 200


def test_negative_control_without_the_clinical_check_the_pharmacist_gets_in(
    client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drop the clinical-access check: the pharmacist's 403 turns into a page, so the
    refusal test above would catch its removal."""
    from monitoring import dashboard_views

    monkeypatch.setattr(dashboard_views, "has_capability", lambda user, capability: True)
    assert client_for("pharmacist").get(dashboard_url()).status_code == 200
