"""The record status dashboard (issue #11, ADR 0035): participants × scheduled forms, the
participant page's statuses with colour and text, scoped by site, filters in the URL, a
fixed number of queries whatever the number of participants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crf.services import save_baseline, save_injection
from monitoring.queries import raise_query
from tests.crf.helpers import baseline_data, d0_of, injection_data, paris, randomized

pytestmark = pytest.mark.django_db
URL = reverse("crf:status_dashboard")


def _cells(html: str, code: str) -> dict[str, str]:
    """form column → data-status of the participant's row."""
    row = html.split(f'data-participant="{code}"', 1)[1].split("</tr>", 1)[0]
    return dict(re.findall(r'data-form="(\w+)" data-status="(\w*)"', row))


def test_cells_show_the_participant_pages_statuses_in_colour_and_text(
    site11, role_users, client_for
):
    participant = randomized(site11, days_ago=12)
    inv = role_users["investigator"]
    save_baseline(participant, by=inv, data=baseline_data())
    d0 = d0_of(participant)
    save_injection(
        participant, number=1, by=inv, data=injection_data(participant, paris(d0 + timedelta(1)))
    )
    response = client_for("investigator").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    cells = _cells(html, participant.code)
    assert cells["BASELINE"] == cells["INJ1"] == "complete"
    assert cells["INJ2"] == "overdue"  # D12: the window of injection 2 is over
    assert cells["FU_D30"] == "not_due"
    assert cells["END_OF_STUDY"] == "not_due"
    assert '<span class="status status-overdue">En retard' in html  # colour AND text
    assert '<span class="status status-complete">' in html


def test_an_unresolved_query_shows_the_form_as_queried(site11, role_users, client_for):
    participant = randomized(site11, days_ago=3)
    baseline = save_baseline(participant, by=role_users["investigator"], data=baseline_data()).obj
    raise_query(baseline, field="sex", text="Sexe à vérifier", by=role_users["monitor"])
    cells = _cells(client_for("monitor").get(URL).content.decode(), participant.code)
    assert cells["BASELINE"] == "queried"
    # Negative control: the status filter keeps only the participants with such a form.
    other = randomized(site11, days_ago=3)
    html = client_for("monitor").get(URL + "?status=queried").content.decode()
    assert participant.code in html and other.code not in html


def test_site_roles_see_their_site_central_roles_every_site_and_filter_by_site(
    site11, site16, client_for
):
    ours, theirs = randomized(site11, days_ago=5), randomized(site16, days_ago=5)
    html = client_for("investigator").get(URL).content.decode()
    assert ours.code in html and theirs.code not in html
    assert 'id="f-site"' not in html  # one site: no site filter
    html = client_for("data_manager").get(URL).content.decode()
    assert ours.code in html and theirs.code in html  # across all sites at once
    html = client_for("data_manager").get(URL + f"?site_code={site16.code}").content.decode()
    assert theirs.code in html and ours.code not in html
    # A site the user may not see is ignored, never shown.
    html = client_for("investigator").get(URL + f"?site_code={site16.code}").content.decode()
    assert theirs.code not in html


def test_refused_to_roles_without_clinical_access(client_for):
    assert client_for("pharmacist").get(URL).status_code == 403
    assert client_for("randomization_manager").get(URL).status_code == 403


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL + "?status=overdue")
        assert response.status_code == 200
        client.get(URL)
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_participants(site11, client_for):
    """5 or 50 participants: the same number of queries (ADR 0035), within 20 a page."""
    from tests.randomization.factories import make_participant, make_randomized_participant

    client = client_for("data_manager")
    client.get(URL)  # warm the session
    for n in range(5):
        make_randomized_participant(site11, randomized_at=paris(d0_for(n)))
    make_participant(site11)  # not randomized: a row too
    few = _queries(client)
    for n in range(45):
        make_randomized_participant(site11, randomized_at=paris(d0_for(n)))
    many = _queries(client)
    assert many == few
    assert few <= 2 * 20


def d0_for(n: int):
    from django.utils import timezone

    return timezone.localdate() - timedelta(days=1 + n % 40)
