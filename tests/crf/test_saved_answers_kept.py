"""Editing a saved form keeps every answer the site did not touch (reported defects).

Each test goes through the rendered page (tests/webform.py): what the browser would post
for a saved row is what the row already holds, plus the one change the user typed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from crf.models import AdverseEvent, CrfStatus, DailyFollowUp
from crf.services import save_adverse_event, save_daily
from tests.crf.helpers import ae_data, d0_of, daily_data, randomized
from tests.webform import form_in, submit

pytestmark = pytest.mark.django_db

YES_NO_FIELDS = [
    f.name
    for f in DailyFollowUp._meta.concrete_fields
    if f.get_internal_type() == "BooleanField" and f.null
]


def test_editing_one_daily_value_keeps_every_yes_no_answer_and_the_airway(
    site11, role_users, client_for
):
    participant = randomized(site11, days_ago=5)
    d0 = d0_of(participant)
    row = save_daily(participant, day_date=d0, by=role_users["coordinator"], data=daily_data()).obj
    before = {name: getattr(row, name) for name in YES_NO_FIELDS}
    assert True in before.values() and False in before.values()
    assert row.airway == "TUBE" and row.status == CrfStatus.COMPLETE
    grid = reverse("crf:daily_grid", args=[participant.code])

    response = submit(
        client_for("coordinator"),
        f"{grid}?edit={d0.isoformat()}",
        form_id=f"row-{d0.isoformat()}",
        changes={"map_mmhg": "60", "reason_for_change": "MAP re-read on the chart"},
    )

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.map_mmhg == 60
    assert {name: getattr(row, name) for name in YES_NO_FIELDS} == before
    assert row.airway == "TUBE"
    assert row.status == CrfStatus.COMPLETE
    from pghistory.models import Events

    changed = set()
    for event in Events.objects.tracks(row).order_by("pgh_created_at")[1:]:
        changed |= set((event.pgh_diff or {}).keys())
    assert "imv" not in changed and "map_mmhg" in changed


def test_a_saved_yes_no_answer_is_the_selected_option_of_its_select(site11, role_users, client_for):
    participant = randomized(site11, days_ago=5)
    d0 = d0_of(participant)
    row = save_daily(participant, day_date=d0, by=role_users["coordinator"], data=daily_data()).obj
    page = client_for("coordinator").get(
        reverse("crf:form_edit", args=[participant.code, "daily", row.pk])
    )
    data = form_in(page.content, containing="imv").data()
    assert data["imv"] == "true" and data["rrt"] == "false"


def _sae(**overrides):
    return ae_data(
        serious=True,
        sae_hospitalisation=True,
        term="Severe haemorrhage",
        severity_grade=3,
        awareness_date=timezone.localdate(),
        **overrides,
    )


def test_an_edited_sae_stays_serious_and_on_the_acknowledgement_list(
    site11, role_users, client_for, settings, django_capture_on_commit_callbacks
):
    settings.PLATINIUM_VIGILANCE_EMAIL = "pv@sponsor.invalid"
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=role_users["investigator"], data=_sae()).obj
    mail.outbox.clear()
    edit = reverse("crf:form_edit", args=[participant.code, "adverse-event", ae.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            client_for("investigator"),
            edit,
            containing="severity_grade",
            changes={"severity_grade": "4", "reason_for_change": "worsened"},
        )

    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.severity_grade == 4
    assert ae.serious is True and ae.ongoing is True and ae.sae_hospitalisation is True
    sae_list = client_for("data_manager").get(reverse("crf:sae_list")).content.decode()
    assert "Severe haemorrhage" in sae_list or participant.code in sae_list
    assert AdverseEvent.objects.awaiting_acknowledgement().filter(pk=ae.pk).exists()
    # The grade is not an SAE follow-up item: vigilance hears nothing new.
    assert mail.outbox == []


def test_a_changed_sae_item_sends_one_follow_up_report(
    site11, role_users, client_for, settings, django_capture_on_commit_callbacks
):
    settings.PLATINIUM_VIGILANCE_EMAIL = "pv@sponsor.invalid"
    participant = randomized(site11)
    with django_capture_on_commit_callbacks(execute=True):
        ae = save_adverse_event(participant, by=role_users["investigator"], data=_sae()).obj
    mail.outbox.clear()
    edit = reverse("crf:form_edit", args=[participant.code, "adverse-event", ae.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(
            client_for("investigator"),
            edit,
            containing="severity_grade",
            changes={
                "outcome": "RECOVERED",
                "ongoing": "false",
                "end_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
                "reason_for_change": "resolved",
            },
        )

    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.serious is True and ae.outcome == "RECOVERED"
    assert len(mail.outbox) == 1


def test_a_form_saved_unchanged_says_nothing_was_saved_and_needs_no_reason(
    site11, role_users, client_for
):
    participant = randomized(site11, days_ago=5)
    row = save_daily(
        participant, day_date=d0_of(participant), by=role_users["coordinator"], data=daily_data()
    ).obj
    client = client_for("coordinator")

    response = submit(
        client, reverse("crf:form_edit", args=[participant.code, "daily", row.pk]), containing="imv"
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Aucune modification : rien n&#x27;a été enregistré." in page
    row.refresh_from_db()
    assert row.version == 1


def test_eq5d_typed_at_d60_is_not_kept_and_the_page_says_so(site11, client_for):
    """Skip logic empties what does not apply (EQ-5D is a D90 item): never silently."""
    from crf.models import FollowUp

    participant = randomized(site11, days_ago=70)
    client = client_for("coordinator")
    url = reverse("crf:form_new", args=[participant.code, "follow-up"]) + "?visit=FU_D60"
    form = form_in(client.get(url).content, containing="eq5d_mobility")
    data = form.data()
    contact = (d0_of(participant) + timedelta(days=60)).isoformat()
    mobility = "2"  # "slight problems in walking about", a number input on the page
    data.update(vital_status="ALIVE", contact_date=contact, eq5d_mobility=mobility)

    response = client.post(url, data, follow=True)

    row = FollowUp.objects.get(participant=participant, visit="FU_D60")
    assert row.eq5d_mobility in ("", None)  # D60 has no EQ-5D
    said = " ".join(str(m) for m in response.context["messages"])
    assert "Non conservé" in said and "mobilité" in said.lower(), said
    # Negative control: at D90 the same answer is kept and nothing is said.
    participant90 = randomized(site11, days_ago=95)
    url90 = reverse("crf:form_new", args=[participant90.code, "follow-up"]) + "?visit=FU_D90"
    form90 = form_in(client.get(url90).content, containing="eq5d_mobility")
    data90 = form90.data()
    contact90 = (d0_of(participant90) + timedelta(days=90)).isoformat()
    data90.update(vital_status="ALIVE", contact_date=contact90, eq5d_mobility=mobility)
    response90 = client.post(url90, data90, follow=True)
    kept = FollowUp.objects.get(participant=participant90, visit="FU_D90")
    assert kept.eq5d_mobility == 2
    assert "Non conservé" not in " ".join(str(m) for m in response90.context["messages"])
