"""The daily ICU flowsheet: a column per ICU day, one day saved at a time, live SOFA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from crf.models import DailyFollowUp
from crf.services import save_icu_stay
from tests.crf.helpers import d0_of, daily_data, paris, randomized

pytestmark = pytest.mark.django_db


def _post(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        out[key] = "true" if value is True else "false" if value is False else str(value)
    return out


def test_grid_has_one_column_per_icu_day_until_discharge(site11, role_users, client_for):
    participant = randomized(site11, days_ago=10)
    d0 = d0_of(participant)
    save_icu_stay(
        participant,
        by=role_users["coordinator"],
        data={
            "admitted_at": paris(d0 - timedelta(days=8)),
            "discharged_at": paris(d0 + timedelta(days=3)),
            "vital_status": "ALIVE",
            "destination": "HOME",
        },
    )
    body = client_for("coordinator").get(reverse("crf:daily_grid", args=[participant.code]))
    html = body.content.decode()
    for n in range(4):
        assert f'id="day-{(d0 + timedelta(days=n)).isoformat()}"' in html
    assert f'id="day-{(d0 + timedelta(days=4)).isoformat()}"' not in html
    assert "data-copy-previous" in html


def test_saving_one_row_does_not_need_the_others(site11, client_for):
    participant = randomized(site11, days_ago=5)
    day = d0_of(participant) + timedelta(days=2)
    url = reverse("crf:daily_grid_row", args=[participant.code, day.isoformat()])
    response = client_for("coordinator").post(url, _post(daily_data()))
    assert response.status_code == 302
    row = DailyFollowUp.objects.get()
    assert row.day_date == day and row.study_day == 2 and row.sofa_total is not None
    # Edit of the saved row needs its version and a reason.
    again = client_for("coordinator").post(
        url,
        _post(daily_data(gcs=9)) | {"expected_version": "1", "reason_for_change": "re-assessed"},
    )
    assert again.status_code == 302
    row.refresh_from_db()
    assert row.gcs == 9 and row.version == 2


def test_an_impossible_value_in_a_row_is_refused_with_its_message(site11, client_for):
    participant = randomized(site11, days_ago=5)
    day = d0_of(participant) + timedelta(days=1)
    url = reverse("crf:daily_grid_row", args=[participant.code, day.isoformat()])
    response = client_for("coordinator").post(url, _post(daily_data(temperature_max_c="47")))
    assert response.status_code == 200
    assert "47" in response.content.decode()
    assert not DailyFollowUp.objects.exists()


def test_live_sofa_endpoint_computes_without_saving(site11, client_for):
    participant = randomized(site11, days_ago=5)
    url = reverse("crf:daily_sofa", args=[participant.code])
    response = client_for("coordinator").post(url, _post(daily_data()))
    assert response.status_code == 200
    # P/F 200 on IMV → 2, platelets 120 → 1, bili 25 → 1, NE 0.05 → 3, GCS 14 → 1, creat 150 → 1
    body = response.content.decode()
    assert '<strong data-sofa="sofa_total">9</strong>' in body
    for name, points in (("respiration", 2), ("coagulation", 1), ("cardiovascular", 3)):
        assert f'data-sofa="sofa_{name}">{points}<' in body
    assert not DailyFollowUp.objects.exists()


def test_monitor_reads_the_grid_without_inputs_and_cannot_post(site11, client_for):
    participant = randomized(site11, days_ago=3)
    html = client_for("monitor").get(reverse("crf:daily_grid", args=[participant.code]))
    assert html.status_code == 200 and "<input" not in html.content.decode().split("<main")[1]
    day = d0_of(participant).isoformat()
    response = client_for("monitor").post(
        reverse("crf:daily_grid_row", args=[participant.code, day]), _post(daily_data())
    )
    assert response.status_code == 403


def test_grid_page_query_count_is_bounded(
    site11, role_users, client_for, django_assert_max_num_queries
):
    from crf.services import save_daily

    participant = randomized(site11, days_ago=12)
    for n in range(10):
        save_daily(
            participant,
            day_date=d0_of(participant) + timedelta(days=n),
            by=role_users["coordinator"],
            data=daily_data(),
        )
    client = client_for("coordinator")
    with django_assert_max_num_queries(25):
        assert client.get(reverse("crf:daily_grid", args=[participant.code])).status_code == 200


def test_a_week_of_days_is_editable_and_older_weeks_open_on_request(site11, role_users, client_for):
    from crf.services import save_daily

    participant = randomized(site11, days_ago=12)
    d0 = d0_of(participant)
    for n in range(12):
        save_daily(
            participant,
            day_date=d0 + timedelta(days=n),
            by=role_users["coordinator"],
            data=daily_data(gcs=10),
        )
    url = reverse("crf:daily_grid", args=[participant.code])
    html = client_for("coordinator").get(url).content.decode()
    # D12 (today) is still to enter: the page opens on its week (D7 → D12, the second week).
    assert html.count('<form id="row-') == 6
    old = (d0 + timedelta(days=1)).isoformat()
    assert f'action="{reverse("crf:daily_grid_row", args=[participant.code, old])}"' not in html
    assert 'href="?week=1"' in html
    for opened in (url + f"?edit={old}", url + "?week=1"):
        page = client_for("coordinator").get(opened).content.decode()
        assert f'action="{reverse("crf:daily_grid_row", args=[participant.code, old])}"' in page
        assert page.count('<form id="row-') == 7
    # The week after shows the day before it as saved values, ready for "same as yesterday".
    day_before = (d0 + timedelta(days=6)).isoformat()
    assert '"gcs": "10"' in html and f'data-form="row-{day_before}"' in html
    # A malformed day or week is a 404, not a 500.
    assert client_for("coordinator").get(url + "?edit=yesterday").status_code == 404
    assert client_for("coordinator").get(url + "?week=two").status_code == 404


def test_a_stale_grid_row_is_refused_with_who_and_when_and_nothing_is_lost(
    site11, role_users, client_for
):
    import re

    from crf.services import save_daily

    participant = randomized(site11, days_ago=5)
    day = d0_of(participant) + timedelta(days=1)
    row = save_daily(
        participant, day_date=day, by=role_users["coordinator"], data=daily_data(gcs=10)
    ).obj
    save_daily(
        participant,
        day_date=day,
        by=role_users["coordinator"],
        data=daily_data(gcs=11),
        instance=row,
        expected_version=1,
        reason="re-assessed",
    )
    url = reverse("crf:daily_grid_row", args=[participant.code, day.isoformat()])
    response = client_for("investigator").post(
        url,
        _post(daily_data(gcs=12)) | {"expected_version": "1", "reason_for_change": "late"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"Modifié par coordinator à \d\d:\d\d depuis que vous", body)
    row.refresh_from_db()
    assert row.gcs == 11 and row.version == 2
