"""The main pages of issue #13 read the same number of queries whatever the data: the
participant page for an empty or a long course, the flowsheet for a two-day or a six-week
stay, the participant list for one participant or more than a page. Each check has a
negative control: a per-row query slipped into the page makes the counts differ.

And the flowsheet's ICU days, read from the clinical-state forms only
(crf.timeline.CLINICAL_STATE_DEFINITIONS), are those the whole course gives.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crf import grid, participant_views, timeline
from crf.models import DailyFollowUp
from crf.schedule import expected_forms
from crf.services import save_adverse_event, save_daily, save_icu_stay
from participants import views as participant_list_views
from platinium.lib.study_time import paris_date
from tests.crf.helpers import ae_data, d0_of, daily_data, paris, randomized
from tests.randomization.factories import make_participants

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str) -> int:
    client.get(url)  # warm: session, content types, site
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _fill(participant: Any, user: Any, days: int) -> None:
    d0 = d0_of(participant)
    for n in range(days):
        save_daily(participant, day_date=d0 + timedelta(days=n), by=user, data=daily_data())


@pytest.fixture
def short_and_long(site11, role_users):
    """A course of one daily form and one of 40 daily forms with adverse events."""
    coordinator = role_users["coordinator"]
    short = randomized(site11, days_ago=1)
    _fill(short, coordinator, 1)
    long = randomized(site11, days_ago=45)
    _fill(long, coordinator, 40)
    for _ in range(3):
        save_adverse_event(long, by=coordinator, data=ae_data())
    return short, long


def _page(participant: Any) -> str:
    return reverse("crf:participant", args=[participant.code])


def _grid(participant: Any) -> str:
    return reverse("crf:daily_grid", args=[participant.code])


def test_the_participant_page_reads_as_many_queries_for_a_long_course(short_and_long, client_for):
    short, long = short_and_long
    for role in ("investigator", "data_manager"):
        client = client_for(role)
        assert _queries(client, _page(short)) == _queries(client, _page(long))


def test_negative_control_a_query_per_row_on_the_participant_page_is_caught(
    short_and_long, client_for, monkeypatch
):
    short, long = short_and_long
    labels = participant_views._label_choices

    def per_row(course: timeline.Course) -> None:
        labels(course)
        for row in course.rows["DAILY"]:
            DailyFollowUp.objects.filter(pk=row["id"]).exists()

    monkeypatch.setattr(participant_views, "_label_choices", per_row)
    client = client_for("investigator")
    assert _queries(client, _page(short)) != _queries(client, _page(long))


def test_the_flowsheet_reads_as_many_queries_for_a_long_stay(short_and_long, client_for):
    short, long = short_and_long
    for role in ("coordinator", "monitor"):  # inputs, read-only cells
        client = client_for(role)
        assert _queries(client, _grid(short)) == _queries(client, _grid(long))
        assert _queries(client, _grid(long) + "?week=1") == _queries(client, _grid(short))


def test_negative_control_a_query_per_day_on_the_flowsheet_is_caught(
    short_and_long, client_for, monkeypatch
):
    short, long = short_and_long
    unbound_day = grid._unbound_day  # each day's inputs (one form lends its fields)

    def per_day(prototype: Any, day: Any, *args: Any) -> Any:
        DailyFollowUp.objects.filter(day_date=day).exists()
        return unbound_day(prototype, day, *args)

    monkeypatch.setattr(grid, "_unbound_day", per_day)
    client = client_for("coordinator")
    assert _queries(client, _grid(short)) != _queries(client, _grid(long))


@pytest.fixture
def one_then_many(site11):
    """The list's URL and a function that adds 60 participants (5 randomized) to site 11."""

    def grow() -> None:
        # The randomized ones first: their codes, hence their rows, on the first page.
        for days in range(5):
            randomized(site11, days_ago=days + 2, dispensed=False)
        make_participants(site11, 60)

    randomized(site11, days_ago=3, dispensed=False)
    return grow


def test_the_participant_list_reads_as_many_queries_for_more_than_a_page(one_then_many, client_for):
    site_list, all_sites = reverse("participants:list"), reverse("participants:list") + "?all=1"
    investigator, data_manager = client_for("investigator"), client_for("data_manager")
    before = (_queries(investigator, site_list), _queries(data_manager, all_sites))
    one_then_many()
    after = (_queries(investigator, site_list), _queries(data_manager, all_sites))
    assert before == after


def test_negative_control_a_query_per_row_on_the_participant_list_is_caught(
    one_then_many, client_for, monkeypatch
):
    day_of = participant_list_views.study_day

    def per_row(d0: Any, today: Any) -> int:
        DailyFollowUp.objects.exists()
        return day_of(d0, today)

    monkeypatch.setattr(participant_list_views, "study_day", per_row)
    client, url = client_for("investigator"), reverse("participants:list")
    before = _queries(client, url)
    one_then_many()
    assert _queries(client, url) != before


def _stay_and_death(participant: Any, user: Any) -> None:
    """ICU discharge at D3, readmission D6-D8: the ICU days have a gap."""
    d0 = d0_of(participant)
    save_icu_stay(
        participant,
        by=user,
        data={
            "admitted_at": paris(d0 - timedelta(days=2)),
            "discharged_at": paris(d0 + timedelta(days=3)),
            "vital_status": "ALIVE",
            "destination": "WARD",
        },
    )
    save_icu_stay(
        participant,
        by=user,
        data={
            "admitted_at": paris(d0 + timedelta(days=6)),
            "discharged_at": paris(d0 + timedelta(days=8), 18),
            "vital_status": "ALIVE",
            "destination": "WARD",
        },
    )


def _days_from_the_whole_course(participant: Any, user: Any) -> dict:
    state = timeline.clinical_state(timeline.load_course(participant, user, kit_codes=False))
    assert state is not None
    today = paris_date(timezone.now())
    return {f.target_date: f.study_day for f in expected_forms(state, today) if f.code == "DAILY"}


def test_the_flowsheet_days_from_the_clinical_state_forms_are_those_of_the_whole_course(
    site11, role_users
):
    participant = randomized(site11, days_ago=20)
    user = role_users["coordinator"]
    _stay_and_death(participant, user)
    _fill(participant, user, 2)
    whole = _days_from_the_whole_course(participant, user)
    assert grid.icu_days(participant, user) == whole
    d0 = d0_of(participant)
    assert d0 + timedelta(days=3) in whole and d0 + timedelta(days=6) in whole
    assert d0 + timedelta(days=5) not in whole and d0 + timedelta(days=9) not in whole


def test_negative_control_a_clinical_state_form_left_out_changes_the_flowsheet_days(
    site11, role_users, monkeypatch
):
    participant = randomized(site11, days_ago=20)
    user = role_users["coordinator"]
    _stay_and_death(participant, user)
    whole = _days_from_the_whole_course(participant, user)
    without_stays = tuple(
        d for d in timeline.CLINICAL_STATE_DEFINITIONS if d.code != "ICU_DISCHARGE"
    )
    monkeypatch.setattr(grid, "CLINICAL_STATE_DEFINITIONS", without_stays)
    assert grid.icu_days(participant, user) != whole
