"""Every URL, as every role: allowed roles get through, the others get 403/404,
anonymous users are sent to the login page, and another site's object is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.access.harness import ROLE_KEYS, Entry, all_entries, build_world

DENIED = {403, 404}


def _request(client: Client, entry: Entry, world: Any, kwargs: dict[str, Any]) -> Any:
    url = reverse(entry.name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")
    if entry.method == "POST":
        data = entry.data(world) if entry.data else {}
        return client.post(url, data)
    return client.get(url)


@pytest.mark.django_db
@pytest.mark.parametrize("entry", all_entries(), ids=lambda e: f"{e.method} {e.name}")
def test_url_answers_each_role_as_the_truth_table_says(entry: Entry, role_users: dict) -> None:
    check_entry(entry, role_users, build_world(role_users))


@pytest.mark.django_db
def test_harness_catches_a_view_that_lets_the_wrong_role_in(role_users: dict) -> None:
    """Negative control: claim the user list is for investigators only; the check must fail."""
    wrong = Entry("accounts:user_list", frozenset({"investigator"}))
    with pytest.raises(AssertionError):
        check_entry(wrong, role_users, build_world(role_users))


def check_entry(entry: Entry, role_users: dict, world: Any) -> None:
    kwargs = entry.kwargs(world) if entry.kwargs else {}
    for role in ROLE_KEYS:
        client = Client()
        client.force_login(role_users[role])
        response = _request(client, entry, world, kwargs)
        if role in entry.allowed:
            assert response.status_code not in DENIED | {405, 500}, (role, response.status_code)
        else:
            assert response.status_code in DENIED, (role, response.status_code)
    if not entry.public:
        response = _request(Client(), entry, world, kwargs)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "entry", [e for e in all_entries() if e.other_site_kwargs], ids=lambda e: e.name
)
def test_other_sites_object_is_not_found(entry: Entry, role_users: dict) -> None:
    world = build_world(role_users)
    kwargs = entry.other_site_kwargs(world)
    for role in sorted(entry.allowed & entry.other_site_denied):
        client = Client()
        client.force_login(role_users[role])
        response = _request(client, entry, world, kwargs)
        assert response.status_code == 404, (role, response.status_code)
    # Negative control: the Nantes investigator does see the site-16 object.
    if "investigator" in entry.allowed:
        client = Client()
        client.force_login(role_users["investigator_nantes"])
        assert _request(client, entry, world, kwargs).status_code not in DENIED
