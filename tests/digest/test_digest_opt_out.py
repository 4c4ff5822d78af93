"""The daily query digest can be turned off by the person it is for (ADR 0031): on their
own preferences page, audited, and respected by the next run."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from monitoring.models import QueryDigest
from monitoring.tasks import send_query_digests_task
from tests.digest.test_query_digest import _mail_to, _only_mail_to, queries  # noqa: F401
from tests.webform import submit

pytestmark = pytest.mark.django_db

PREFERENCES = reverse("accounts:preferences")


def _turn_off(client: Any) -> Any:
    return submit(client, PREFERENCES, form_id="preferences-form", changes={"query_digest": None})


def test_the_box_is_ticked_by_default(client_for: Any) -> None:
    page = client_for("investigator").get(PREFERENCES).content.decode()
    assert 'name="query_digest"' in page
    assert "checked" in page.split('name="query_digest"')[1].split(">")[0]


def test_an_opted_out_investigator_gets_no_digest(
    queries: dict[str, Any],  # noqa: F811
    client_for: Any,
    role_users: dict[str, Any],
) -> None:
    response = _turn_off(client_for("investigator"))
    assert response.status_code == 302
    role_users["investigator"].refresh_from_db()
    assert role_users["investigator"].query_digest is False
    send_query_digests_task.delay()
    assert _mail_to("investigator") == []
    assert not QueryDigest.objects.filter(user=role_users["investigator"]).exists()
    # Negative control: the coordinator of the same site, who kept it, still gets theirs.
    assert "2 queries attendent votre réponse" in _only_mail_to("coordinator").body


def test_the_choice_is_audited(client_for: Any, role_users: dict[str, Any]) -> None:
    _turn_off(client_for("monitor"))
    event = AuditEvent.objects.get(action="user.digest_preference_changed")
    assert event.actor == role_users["monitor"]
    assert event.data == {"query_digest": False}
    # Saving the page unchanged records nothing more.
    _turn_off(client_for("monitor"))
    assert AuditEvent.objects.filter(action="user.digest_preference_changed").count() == 1


def test_turning_it_back_on_sends_it_again(
    queries: dict[str, Any],  # noqa: F811
    client_for: Any,
    role_users: dict[str, Any],
) -> None:
    client = client_for("monitor")
    _turn_off(client)
    submit(client, PREFERENCES, form_id="preferences-form", changes={"query_digest": "on"})
    role_users["monitor"].refresh_from_db()
    assert role_users["monitor"].query_digest is True
    send_query_digests_task.delay()
    assert "1 query répondue à revoir" in _only_mail_to("monitor").body
    assert AuditEvent.objects.filter(action="user.digest_preference_changed").count() == 2


def test_a_person_changes_only_their_own_preference(role_users: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied

    from accounts.services import set_digest_preference

    with pytest.raises(PermissionDenied):
        set_digest_preference(
            role_users["investigator"], query_digest=False, by=role_users["admin"]
        )
    role_users["investigator"].refresh_from_db()
    assert role_users["investigator"].query_digest is True
    assert mail.outbox == []


def test_the_page_is_linked_from_the_user_menu(client_for: Any) -> None:
    assert PREFERENCES in client_for("pharmacist").get("/").content.decode()
