"""has_capability / site_filter / visible_to: site-scoped vs all-sites, revoked, inactive."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.access import (
    forget_memberships,
    has_capability,
    site_filter,
    sites_with,
    visible_sites,
)
from accounts.models import Membership
from accounts.roles import Capability as C
from accounts.roles import Role
from participants.models import Participant
from tests.factories import make_user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def participants(role_users: dict[str, Any], site11: Any, site16: Any) -> dict[str, Participant]:
    def make(site: Any, seq: int, by: Any) -> Participant:
        return Participant.objects.create(
            site=site,
            seq=seq,
            code=Participant.format_code(site.code, seq),
            enrolled_at=timezone.now(),
            enrolled_by=by,
        )

    return {
        "11": make(site11, 1, role_users["investigator"]),
        "16": make(site16, 1, role_users["investigator_nantes"]),
    }


def test_site_role_holds_its_capability_at_its_own_site_only(role_users, site11, site16) -> None:
    investigator = role_users["investigator"]
    assert has_capability(investigator, C.ENTER_CRF, site11)
    assert has_capability(investigator, C.ENTER_CRF, site11.pk)
    assert not has_capability(investigator, C.ENTER_CRF, site16)
    assert has_capability(investigator, C.ENTER_CRF)  # somewhere
    assert not has_capability(investigator, C.LOCK)


def test_all_sites_role_holds_its_capability_everywhere(role_users, site11, site16) -> None:
    data_manager = role_users["data_manager"]
    assert has_capability(data_manager, C.VIEW_CLINICAL_DATA, site11)
    assert has_capability(data_manager, C.VIEW_CLINICAL_DATA, site16)
    assert not has_capability(data_manager, C.ENTER_CRF, site11)
    assert set(sites_with(data_manager, C.VIEW_PARTICIPANTS)) == set(type(site11).objects.all())


def test_site_filter_limits_querysets_to_the_users_sites(role_users, participants) -> None:
    visible = Participant.objects.filter(site_filter(role_users["monitor"], C.VIEW_PARTICIPANTS))
    assert list(visible) == [participants["11"]]
    everything = site_filter(role_users["statistician"], C.VIEW_PARTICIPANTS)
    assert set(Participant.objects.filter(everything)) == set(participants.values())
    nothing = site_filter(role_users["admin"], C.VIEW_PARTICIPANTS)
    assert not Participant.objects.filter(nothing).exists()


def test_visible_to_hides_another_sites_participant(role_users, participants) -> None:
    assert list(Participant.objects.visible_to(role_users["investigator"])) == [participants["11"]]
    assert list(Participant.objects.visible_to(role_users["investigator_nantes"])) == [
        participants["16"]
    ]
    assert Participant.objects.visible_to(role_users["data_manager"]).count() == 2
    assert not Participant.objects.visible_to(role_users["randomization_manager"]).exists()
    assert not Participant.objects.visible_to(role_users["admin"]).exists()


def test_user_with_two_site_memberships_sees_both_sites(role_users, participants, site16) -> None:
    monitor = role_users["monitor"]
    Membership.objects.create(user=monitor, role=Role.MONITOR, site=site16)
    forget_memberships(monitor)
    assert Participant.objects.visible_to(monitor).count() == 2
    assert {s.code for s in visible_sites(monitor)} == {"11", "16"}


def test_revoked_membership_grants_nothing(role_users, participants, site11) -> None:
    coordinator = role_users["coordinator"]
    assert has_capability(coordinator, C.RANDOMIZE, site11)
    coordinator.memberships.update(revoked_at=timezone.now())
    forget_memberships(coordinator)
    assert not has_capability(coordinator, C.RANDOMIZE, site11)
    assert not Participant.objects.visible_to(coordinator).exists()


def test_inactive_user_has_no_capability(role_users, participants, site11) -> None:
    data_manager = role_users["data_manager"]
    data_manager.is_active = False
    assert not has_capability(data_manager, C.VIEW_PARTICIPANTS, site11)
    assert not Participant.objects.visible_to(data_manager).exists()


def test_anonymous_user_has_no_capability(site11) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not has_capability(AnonymousUser(), C.VIEW_PARTICIPANTS, site11)
    assert not Participant.objects.filter(
        site_filter(AnonymousUser(), C.VIEW_PARTICIPANTS)
    ).exists()


def test_memberships_are_read_once_per_request(
    role_users, site11, django_assert_num_queries
) -> None:
    user = make_user_with_role("cached-investigator", Role.INVESTIGATOR, "11")
    with django_assert_num_queries(1):
        for capability in (C.SCREEN, C.ENTER_CRF, C.SIGN, C.VIEW_AUDIT):
            has_capability(user, capability, site11)


def test_statisticians_arm_access_is_conditional(role_users) -> None:
    from accounts.access import is_conditional

    assert is_conditional(role_users["statistician"], C.SEE_ARM)
    assert not is_conditional(role_users["randomization_manager"], C.SEE_ARM)
