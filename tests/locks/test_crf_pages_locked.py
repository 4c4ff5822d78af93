"""Every CRF form page (generated from crf.definitions.FORMS) refuses a save
on locked data with a clear French message and writes nothing; unlocking restores it.

The data are the ones the rendered page would post (tests/webform.py): the user opened the
page before the lock was taken, then submitted. The casebook level is covered the same way
by tests/foundation/test_mass_assignment.py (create, edit, entered in error)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from participants import locks
from tests.crf.helpers import randomized
from tests.foundation.test_mass_assignment import (
    EDIT_CHANGE,
    SLUGS,
    _errors,
    _new_url,
    _payload,
    _rows,
    _saved_row,
    _writer,
)
from tests.webform import apply, form_in, forms_in

FORM_LOCKED = "Ce formulaire est gelé"
DATABASE_LOCKED = "La base de données est gelée"


def _french_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(site11: Any, role_users: dict[str, Any]) -> dict[str, Any]:
    return {"participant": randomized(site11, days_ago=100), "users": role_users}


def _page_data(client: Client, url: str, changes: dict[str, Any]) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    data = form_in(page.content, containing="expected_version").data()
    apply(data, changes)
    return data


def _messages(response: Any) -> str:
    return response.content.decode()


@pytest.mark.parametrize("slug", SLUGS)
def test_a_form_lock_refuses_the_edit_page_with_a_french_message(
    slug: str, world: dict[str, Any]
) -> None:
    participant, users = world["participant"], world["users"]
    row = _saved_row(slug, participant, users)
    client = _french_client(_writer(slug, users))
    url = reverse("crf:form_edit", args=[participant.code, slug, row.pk])
    field, value = EDIT_CHANGE[slug]
    value = value(participant) if callable(value) else value
    data = _page_data(client, url, {field: value, "reason_for_change": "changed after lock"})
    before = _rows(slug, participant)
    locks.lock_form(row, by=users["data_manager"], reason="form reviewed")
    response = client.post(url, data, follow=True)
    assert FORM_LOCKED in _messages(response)
    assert _rows(slug, participant) == before
    # The page now shows the form read-only: the lock message and no field to save.
    page = client.get(url).content.decode()
    assert FORM_LOCKED in page
    assert not any(field in f.names() for f in forms_in(page))

    # Unlocked, the same submission is written.
    locks.unlock_form(row, by=users["data_manager"], reason="query answered")
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert _rows(slug, participant) != before


@pytest.mark.parametrize("slug", SLUGS)
def test_a_database_lock_refuses_every_new_form_with_a_french_message(
    slug: str, world: dict[str, Any]
) -> None:
    participant, users = world["participant"], world["users"]
    client = _french_client(_writer(slug, users))
    url = _new_url(slug, participant)
    data = _page_data(client, url, _payload(slug, participant))
    locks.lock_database(by=users["data_manager"], reason="final lock")
    response = client.post(url, data, follow=True)
    assert DATABASE_LOCKED in _messages(response)
    assert _rows(slug, participant) == []

    locks.unlock_database(by=users["data_manager"], reason="late query")
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert len(_rows(slug, participant)) == 1


def test_the_daily_grid_row_is_refused_under_a_database_lock(world: dict[str, Any]) -> None:
    from crf.models import DailyFollowUp
    from tests.crf.helpers import d0_of

    participant, users = world["participant"], world["users"]
    client = _french_client(users["coordinator"])
    day = (d0_of(participant) + timedelta(days=1)).isoformat()
    grid = client.get(reverse("crf:daily_grid", args=[participant.code]) + f"?edit={day}")
    url = reverse("crf:daily_grid_row", args=[participant.code, day])
    html = grid.content.decode()
    form = next(f for f in forms_in(html) if day in f.action)
    data = form.data()
    apply(data, {"imv": "true"})
    locks.lock_database(by=users["data_manager"], reason="final lock")
    response = client.post(url, data, follow=True)
    assert DATABASE_LOCKED in response.content.decode()
    assert not DailyFollowUp.objects.filter(participant=participant).exists()
    locks.unlock_database(by=users["data_manager"], reason="late query")
    client.post(url, data)
    assert DailyFollowUp.objects.filter(participant=participant).exists()
