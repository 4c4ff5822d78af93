"""Query ageing on the review dashboard (issue #9): per site, open queries, median and
oldest age in days, answered queries awaiting review; computed in SQL (percentile_cont)."""

from __future__ import annotations

import statistics
from typing import Any

import lxml.html
import pytest
from django.conf import settings

from crf.models import DataQuery
from monitoring import dashboard
from tests.dashboard.helpers import dashboard_url, open_query

pytestmark = pytest.mark.django_db


def ageing_row(html: str, code: str) -> dict[str, str] | None:
    tree = lxml.html.fromstring(html)
    rows = tree.xpath(f"//tr[@class='ageing-row'][@data-site='{code}']")
    if not rows:
        return None
    return {cell.get("class") or "site": cell.text_content().strip() for cell in rows[0]}


def _with_status(participant: Any, days_old: int, status: str) -> DataQuery:
    query = open_query(participant, days_old=days_old)
    DataQuery.objects.filter(pk=query.pk).update(status=status)
    return query


@pytest.fixture
def ageing_trial(site11: Any, site16: Any) -> None:
    """Site 11: open 1, 4 and 10 days, reopened 21 days, answered 3 days (awaiting
    review), closed 60 days, and a day-10 biology query open 90 days (never counted).
    Site 16: one randomized participant, no query."""
    from tests.randomization.factories import make_randomized_participant

    p11 = make_randomized_participant(site11)
    make_randomized_participant(site16)
    for days in (1, 4, 10):
        open_query(p11, days_old=days)
    _with_status(p11, 21, "reopened")
    _with_status(p11, 3, "answered")
    _with_status(p11, 60, "closed")
    hidden = open_query(p11, days_old=90)
    DataQuery.objects.filter(pk=hidden.pk).update(model_label="crf.d10biology")


def test_the_ageing_figures_per_site(ageing_trial: None, client_for: Any) -> None:
    html = client_for("data_manager").get(dashboard_url()).content.decode()
    row11 = ageing_row(html, "11")
    assert row11 is not None
    expected_median = statistics.median([1, 4, 10, 21])  # 7.0
    assert row11["open"] == "4"
    # French decimal comma (the page is French by default).
    assert row11["median"] == f"{expected_median:.1f}".replace(".", ",")
    assert row11["oldest"] == "21"
    assert row11["answered"] == "1"
    row16 = ageing_row(html, "16")
    assert row16 is not None
    assert (row16["open"], row16["median"], row16["oldest"], row16["answered"]) == (
        "0",
        "—",
        "—",
        "0",
    )


def test_the_median_comes_from_postgresql_not_python(ageing_trial: None, site11: Any) -> None:
    """An even number of ages (1, 4, 10, 21 days): percentile_cont interpolates between
    the two middle ones, (4 + 10) / 2 = 7, like statistics.median."""
    figures = dashboard.query_ageing([site11.pk])[site11.pk]
    assert figures["median_days"] == pytest.approx(7.0, abs=0.05)
    assert figures["oldest_days"] == 21


def test_negative_control_counting_day_10_biology_changes_the_oldest(
    ageing_trial: None, site11: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the day-10 exclusion the hidden 90-day query shows: the figure test above
    would catch a blinding leak."""
    monkeypatch.setattr(dashboard, "HIDDEN_UNTIL_LOCK", "crf.none")
    assert dashboard.query_ageing([site11.pk])[site11.pk]["oldest_days"] == 90


def test_a_site_user_sees_only_the_ageing_of_the_own_site(
    ageing_trial: None, client_for: Any
) -> None:
    html = client_for("investigator_nantes").get(dashboard_url()).content.decode()
    assert ageing_row(html, "11") is None
    assert ageing_row(html, "16") is not None


def test_english_labels(ageing_trial: None, client_for: Any) -> None:
    client = client_for("data_manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(dashboard_url()).content.decode()
    assert "Median days open" in html
    assert ageing_row(html, "11")["median"] == "7.0"  # type: ignore[index]


def test_protocol_deviations_and_those_not_reviewed_per_site(
    site11: Any, site16: Any, role_users: dict[str, Any], client_for: Any
) -> None:
    """Site 11: three deviations, one reviewed, one reviewed then changed by the site, one
    never reviewed → "3 (2)". Site 16: one reviewed → "1 (0)"."""
    from crf.services import review_deviation, save_protocol_deviation
    from tests.dashboard.helpers import site_row
    from tests.deviations.helpers import deviation_data, make_deviation

    dm, inv = role_users["data_manager"], role_users["investigator"]
    reviewed, changed, _never = (make_deviation(site11, inv) for _ in range(3))
    other = make_deviation(site16, role_users["investigator_nantes"])
    for deviation in (reviewed, changed, other):
        review_deviation(deviation, classification="MINOR", comment="ok", by=dm)
    save_protocol_deviation(
        changed.participant,
        by=inv,
        data=deviation_data(description="Changed."),
        instance=changed,
        expected_version=changed.version,
        reason="corrected",
    )
    html = client_for("data_manager").get(dashboard_url()).content.decode()
    assert site_row(html, "11")["deviations"] == "3 (2)"  # type: ignore[index]
    assert site_row(html, "16")["deviations"] == "1 (0)"  # type: ignore[index]
