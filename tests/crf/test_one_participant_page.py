"""One participant page (issue #11, ADR 0035): the old URL leads to the timeline page,
"Randomize" after enrolment, ICU discharge edits the open stay, the header names the
participant's site, the participant list gives today's study day."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crf.services import save_icu_stay
from tests.crf.helpers import d0_of, paris, randomized

pytestmark = pytest.mark.django_db


def test_the_old_participant_url_leads_to_the_participant_page(site11, site16, client_for):
    participant, other = randomized(site11, days_ago=4), randomized(site16, days_ago=4)
    old = reverse("participants:detail", args=[participant.code])
    page = reverse("crf:participant", args=[participant.code])
    for role in ("investigator", "monitor", "data_manager"):
        response = client_for(role).get(old)
        assert response.status_code == 302 and response["Location"] == page, role
    # The pharmacist reads no clinical data: the bare page stays theirs.
    response = client_for("pharmacist").get(old)
    assert response.status_code == 200 and 'id="timeline"' not in response.content.decode()
    # Another site's participant: 404 before any redirect.
    other_url = reverse("participants:detail", args=[other.code])
    assert client_for("investigator").get(other_url).status_code == 404
    # The breadcrumb of the forms goes to the page, not the old URL.
    casebook = client_for("investigator").get(reverse("crf:casebook", args=[participant.code]))
    html = casebook.content.decode()
    assert f'href="{page}"' in html and f'href="{old}"' not in html


def test_an_enrolled_participant_offers_randomize_to_the_roles_allowed(site11, client_for):
    from tests.randomization.factories import make_participant

    enrolled = make_participant(site11)
    url = reverse("crf:participant", args=[enrolled.code])
    assert 'id="randomize-link"' in client_for("investigator").get(url).content.decode()
    assert 'id="randomize-link"' not in client_for("monitor").get(url).content.decode()


def test_icu_discharge_edits_the_open_stay_instead_of_a_new_overlapping_one(
    site11, role_users, client_for
):
    participant = randomized(site11, days_ago=6)
    url = reverse("crf:participant", args=[participant.code])
    client = client_for("investigator")
    new = reverse("crf:form_new", args=[participant.code, "icu-stay"])
    assert f'id="icu-discharge-link" href="{new}"' in client.get(url).content.decode()
    stay = save_icu_stay(
        participant, by=role_users["investigator"], data={"admitted_at": paris(d0_of(participant))}
    ).obj
    edit = reverse("crf:form_edit", args=[participant.code, "icu-stay", stay.pk])
    assert f'id="icu-discharge-link" href="{edit}"' in client.get(url).content.decode()
    casebook = client.get(reverse("crf:casebook", args=[participant.code])).content.decode()
    assert f'id="icu-discharge-link" href="{edit}"' in casebook
    assert f'href="{new}"' not in casebook  # no "New" stay that would overlap
    # Read-only roles get no discharge button.
    assert 'id="icu-discharge-link"' not in client_for("monitor").get(url).content.decode()


def test_the_header_names_the_participants_site_not_the_users(site11, site16, client_for):
    theirs = randomized(site16, days_ago=4)
    html = client_for("data_manager").get(reverse("crf:participant", args=[theirs.code]))
    html = html.content.decode()
    assert f'id="participant-site">{site16.code} · {site16.city}</span>' in html
    # Negative control: on a site-11 participant the investigator sees their own site.
    ours = randomized(site11, days_ago=4)
    html = client_for("investigator").get(reverse("crf:participant", args=[ours.code]))
    assert 'id="participant-site"' not in html.content.decode()


def test_the_participant_list_gives_todays_study_day(site11, client_for):
    participant = randomized(site11, days_ago=7)
    html = client_for("investigator").get(reverse("participants:list")).content.decode()
    row = html.split(f">{participant.code}</a>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="study-day">J7</td>' in row
