"""The audit-trail pages: object trail (old → new, reason), site isolation, global log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from audit.context import acting_user, change_reason
from audit.models import AuditEvent
from audit.services import record
from participants.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def participants(role_users: dict[str, Any], site11: Any, site16: Any) -> dict[str, Participant]:
    made = {}
    for site, user in (
        (site11, role_users["investigator"]),
        (site16, role_users["investigator_nantes"]),
    ):
        with acting_user(user):
            made[site.code] = Participant.objects.create(
                site=site,
                seq=3,
                code=f"{site.code}-003",
                enrolled_at=timezone.now(),
                enrolled_by=user,
            )
    return made


def _trail_url(participant: Participant) -> str:
    return reverse(
        "audit:object_trail",
        kwargs={"model_label": "participants.participant", "pk": participant.pk},
    )


def test_object_trail_shows_old_new_who_and_reason(client_for, participants, role_users) -> None:
    participant = participants["11"]
    with acting_user(role_users["coordinator"]), change_reason("transferred, lost contact"):
        participant.status = Participant.Status.LOST
        participant.save()
    record(
        "status_changed",
        target=participant,
        by=role_users["coordinator"],
        reason="transferred, lost contact",
    )
    html = client_for("investigator").get(_trail_url(participant)).content.decode()
    # Field label and choice labels, in French, never the column and its codes.
    with translation.override("fr"):
        enrolled, lost = str(Participant.Status.ENROLLED.label), str(Participant.Status.LOST.label)
    assert f"<del>{escape(enrolled)}</del> → <ins>{escape(lost)}</ins>" in html
    assert "<del>enrolled</del>" not in html
    assert "transferred, lost contact" in html
    assert "coordinator" in html
    assert "status_changed" in html  # an action nobody named is shown by its code


def test_another_sites_object_trail_is_not_found(client_for, participants) -> None:
    assert client_for("investigator").get(_trail_url(participants["16"])).status_code == 404
    assert client_for("monitor").get(_trail_url(participants["16"])).status_code == 404
    # Negative control: the Nantes investigator and the data manager see it.
    assert client_for("investigator_nantes").get(_trail_url(participants["16"])).status_code == 200
    assert client_for("data_manager").get(_trail_url(participants["16"])).status_code == 200


@pytest.mark.parametrize(
    ("label", "pk"),
    [
        ("nope.model", "1"),
        ("accounts.user", "1"),
        ("participants.participant", "abc"),
        ("participants.participant", "999999"),
        ("audit.auditevent", "1"),
    ],
)
def test_unknown_or_untraceable_objects_are_404(client_for, label: str, pk: str) -> None:
    url = reverse("audit:object_trail", kwargs={"model_label": label, "pk": pk})
    assert client_for("data_manager").get(url).status_code == 404


def test_global_log_filters_by_action_user_site_and_dates(client_for, participants, role_users):
    inv, nantes = role_users["investigator"], role_users["investigator_nantes"]
    record("alpha_action", target=participants["11"], by=inv)
    record("beta_action", target=participants["16"], by=nantes)
    client = client_for("data_manager")

    def rows(**query: str) -> str:
        response = client.get(reverse("audit:log"), query)
        assert response.status_code == 200
        return response.content.decode()

    assert "alpha_action" in rows() and "beta_action" in rows()
    by_action = rows(action="alpha_action")
    assert "11-003" in by_action and "16-003" not in by_action
    by_user = rows(user=nantes.username)
    assert "beta_action</td>" in by_user and "alpha_action</td>" not in by_user
    by_site = rows(site="16")
    assert "16-003" in by_site and "11-003" not in by_site
    assert "11-003" in rows(q="11-0")
    today = timezone.localdate()
    assert "alpha_action</td>" in rows(start=str(today), end=str(today))
    future = rows(start=str(today + timedelta(days=1)))
    assert "Aucun événement ne correspond." in future
    # Bad filter values are ignored, never a 500.
    assert rows(start="not-a-date", end="2026-13-45", page="x", site="999")


def test_monitor_and_investigator_cannot_see_the_global_log(client_for) -> None:
    for role in ("monitor", "investigator", "statistician", "admin"):
        assert client_for(role).get(reverse("audit:log")).status_code == 403, role


def test_global_log_is_paginated_in_few_queries(
    client_for, role_users, django_assert_max_num_queries
):
    for index in range(60):
        AuditEvent.objects.create(action=f"bulk_{index}", actor_username="x")
    client = client_for("data_manager")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audit:log"), {"page": 2})
    assert response.status_code == 200
