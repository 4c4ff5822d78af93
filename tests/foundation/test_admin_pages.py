"""User management through the pages, as the technical administrator."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, User
from accounts.roles import Role

pytestmark = pytest.mark.django_db

NEW_USER = {
    "username": "nurse.nantes",
    "first_name": "Anne",
    "last_name": "Martin",
    "email": "anne.martin@example.org",
    "password": "a-long-enough-passphrase",
}


def test_admin_creates_a_user_then_grants_a_role(client_for, site16) -> None:
    client = client_for("admin")
    assert client.get(reverse("accounts:user_create")).status_code == 200
    response = client.post(reverse("accounts:user_create"), NEW_USER)
    user = User.objects.get(username="nurse.nantes")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", kwargs={"user_id": user.pk})
    assert user.check_password(NEW_USER["password"])
    response = client.post(
        reverse("accounts:user_detail", kwargs={"user_id": user.pk}),
        {"role": Role.COORDINATOR, "site": site16.pk},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.site) == (Role.COORDINATOR, site16)
    detail = client.get(reverse("accounts:user_detail", kwargs={"user_id": user.pk}))
    assert "Nantes" in detail.content.decode()
    listing = client.get(reverse("accounts:user_list"), {"q": "nurse"}).content.decode()
    assert "nurse.nantes" in listing


def test_admin_cannot_grant_itself_a_role(client_for, role_users) -> None:
    admin = role_users["admin"]
    response = client_for("admin").post(
        reverse("accounts:user_detail", kwargs={"user_id": admin.pk}),
        {"role": Role.DATA_MANAGER, "site": ""},
    )
    assert response.status_code == 200
    assert "Vous ne pouvez pas vous attribuer un rôle." in response.content.decode()
    assert not admin.memberships.filter(role=Role.DATA_MANAGER).exists()


def test_over_long_username_is_a_form_error_not_a_500(client_for) -> None:
    response = client_for("admin").post(
        reverse("accounts:user_create"), {**NEW_USER, "username": "x" * 151}
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not User.objects.filter(username__startswith="xxxx").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "has space"),
        ("email", "not-an-email"),
        ("password", "short"),
        ("first_name", "y" * 151),
        ("email", "a" * 250 + "@example.org"),
    ],
)
def test_bad_user_input_is_a_form_error(client_for, field: str, value: str) -> None:
    response = client_for("admin").post(reverse("accounts:user_create"), {**NEW_USER, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(email=NEW_USER["email"]).exists()


def test_duplicate_username_is_refused_whatever_the_case(client_for, role_users) -> None:
    response = client_for("admin").post(
        reverse("accounts:user_create"), {**NEW_USER, "username": "INVESTIGATOR"}
    )
    assert response.status_code == 200
    assert "déjà utilisé" in response.content.decode()


def test_unknown_role_or_site_is_a_form_error(client_for, role_users) -> None:
    target = role_users["coordinator"]
    url = reverse("accounts:user_detail", kwargs={"user_id": target.pk})
    client = client_for("admin")
    assert client.post(url, {"role": "superuser", "site": ""}).status_code == 200
    assert client.post(url, {"role": Role.MONITOR, "site": "999999"}).status_code == 200
    assert client.post(url, {"role": Role.MONITOR, "site": "abc"}).status_code == 200
    assert target.memberships.count() == 1


def test_revoke_and_disable_through_the_pages_need_a_reason(client_for, role_users) -> None:
    client = client_for("admin")
    target = role_users["coordinator"]
    membership = target.memberships.get()
    client.post(reverse("accounts:membership_revoke", kwargs={"membership_id": membership.pk}), {})
    membership.refresh_from_db()
    assert membership.revoked_at is None
    client.post(
        reverse("accounts:membership_revoke", kwargs={"membership_id": membership.pk}),
        {"reason": "moved to another unit"},
    )
    membership.refresh_from_db()
    assert membership.revoked_at is not None
    url = reverse("accounts:user_set_active", kwargs={"user_id": target.pk})
    client.post(url, {"active": "0"})
    target.refresh_from_db()
    assert target.is_active
    client.post(url, {"active": "0", "reason": "left"})
    target.refresh_from_db()
    assert not target.is_active


def test_unknown_user_id_is_a_404(client_for) -> None:
    response = client_for("admin").get(reverse("accounts:user_detail", kwargs={"user_id": 999999}))
    assert response.status_code == 404
