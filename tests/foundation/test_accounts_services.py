"""accounts.services: who may grant what, revocation, deactivation (invariant 5)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.access import has_capability
from accounts.models import Membership
from accounts.roles import Capability as C
from accounts.roles import Role
from audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(role_users: dict[str, Any]) -> Any:
    return role_users["admin"]


def test_grant_role_gives_the_capability_and_is_audited(admin, site16) -> None:
    user = UserFactory(username="new-nurse")
    membership = services.grant_role(user, role=Role.COORDINATOR, site=site16, by=admin)
    assert membership.granted_by == admin
    assert has_capability(user, C.ENTER_CRF, site16)
    event = AuditEvent.objects.get(action="role_granted")
    assert event.actor == admin
    assert event.data == {"role": "coordinator", "site": "16"}
    assert event.site_code == "16"


def test_nobody_grants_a_role_to_themselves(admin) -> None:
    with pytest.raises(services.AccountError, match="vous attribuer un rôle"):
        services.grant_role(admin, role=Role.DATA_MANAGER, site=None, by=admin)
    assert not admin.memberships.filter(role=Role.DATA_MANAGER).exists()


def test_database_also_refuses_a_self_granted_membership(admin) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=admin, role=Role.STATISTICIAN, granted_by=admin)


def test_admin_cannot_also_hold_a_clinical_role(role_users, site11) -> None:
    other_admin = role_users["admin"]
    granter = UserFactory(username="granter")
    with pytest.raises(services.AccountError, match="rôle clinique"):
        services.grant_role(other_admin, role=Role.INVESTIGATOR, site=site11, by=granter)
    with pytest.raises(services.AccountError, match="rôle clinique"):
        services.grant_role(role_users["monitor"], role=Role.ADMIN, site=None, by=granter)


def test_global_role_refuses_a_site_and_site_role_needs_one(admin, site11) -> None:
    user = UserFactory(username="someone")
    with pytest.raises(services.AccountError, match="tous les centres"):
        services.grant_role(user, role=Role.STATISTICIAN, site=site11, by=admin)
    with pytest.raises(services.AccountError, match="centre"):
        services.grant_role(user, role=Role.MONITOR, site=None, by=admin)
    with pytest.raises(services.AccountError):
        services.grant_role(user, role="superhero", site=None, by=admin)
    assert not user.memberships.exists()
    assert not AuditEvent.objects.filter(action="role_granted").exists()


def test_the_same_role_twice_is_refused(admin, role_users, site11) -> None:
    with pytest.raises(services.AccountError, match="déjà"):
        services.grant_role(role_users["monitor"], role=Role.MONITOR, site=site11, by=admin)


def test_revoke_removes_the_capability_keeps_the_row_and_records_the_reason(
    admin, role_users, site11
) -> None:
    monitor = role_users["monitor"]
    membership = monitor.memberships.get()
    services.revoke_membership(membership, by=admin, reason="left the CRO")
    membership.refresh_from_db()
    assert membership.revoked_at is not None
    assert not has_capability(monitor, C.SDV, site11)
    assert Membership.objects.filter(pk=membership.pk).exists()  # never deleted
    assert AuditEvent.objects.get(action="role_revoked").reason == "left the CRO"
    # The role can be granted again afterwards (the unique constraint is on active rows).
    services.grant_role(monitor, role=Role.MONITOR, site=site11, by=admin)


def test_nobody_revokes_their_own_role(admin) -> None:
    with pytest.raises(services.AccountError):
        services.revoke_membership(admin.memberships.get(), by=admin, reason="oops")


def test_deactivated_users_session_stops_working_on_the_next_request(admin, role_users) -> None:
    """roles.md invariant 5."""
    investigator = role_users["investigator"]
    client = Client()
    client.force_login(investigator)
    assert client.get(reverse("participants:list")).status_code == 200
    services.set_user_active(investigator, active=False, by=admin, reason="left the unit")
    response = client.get(reverse("participants:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.get(action="user_deactivated").reason == "left the unit"


def test_negative_control_an_active_users_session_keeps_working(role_users) -> None:
    client = Client()
    client.force_login(role_users["investigator"])
    client.get(reverse("participants:list"))
    assert client.get(reverse("participants:list")).status_code == 200


def test_reactivated_user_can_log_in_again(admin, role_users) -> None:
    coordinator = role_users["coordinator"]
    services.set_user_active(coordinator, active=False, by=admin, reason="leave")
    services.set_user_active(coordinator, active=True, by=admin, reason="back")
    response = Client().post(
        reverse("accounts:login"),
        {"username": coordinator.username, "password": "correct-horse-battery-staple"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_admin_cannot_deactivate_itself(admin) -> None:
    with pytest.raises(services.AccountError):
        services.set_user_active(admin, active=False, by=admin, reason="test")
    admin.refresh_from_db()
    assert admin.is_active


def test_create_user_validates_the_password_and_is_audited(admin) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.create_user("shortpw", email="a@example.org", password="short", by=admin)
    user = services.create_user(
        "nurse.limoges", email="n@example.org", password="a-long-enough-passphrase", by=admin
    )
    assert user.check_password("a-long-enough-passphrase")
    assert AuditEvent.objects.get(action="user_created").target_id == str(user.pk)
