"""`visible_to(user, site)` of participants and screenings: the chosen site's rows when the
user may see them there, none at a site the user may not see (even a site the user
chose in the session before losing it), whatever the user's other sites. Negative
control: a site read that skips the access check shows the other site's rows."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from eligibility.models import Screening, ScreeningQuerySet
from participants.models import Participant
from sites.models import Site
from tests.eligibility.factories import make_enrolled_participant
from tests.factories import make_user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site11: Site, site16: Site) -> dict[str, Any]:
    make_enrolled_participant(site11)
    make_enrolled_participant(site16)
    return {
        "inv11": make_user_with_role("inv-11-only", Role.INVESTIGATOR, "11"),
        "dm": make_user_with_role("dm-all", Role.DATA_MANAGER, None),
        "site11": site11,
        "site16": site16,
    }


def _check(world: dict[str, Any], model: Any) -> None:
    inv11, dm = world["inv11"], world["dm"]
    own = model.objects.visible_to(inv11, world["site11"])
    assert own.exists() and {r.site_id for r in own} == {world["site11"].pk}
    assert not model.objects.visible_to(inv11, world["site16"]).exists()
    assert set(model.objects.visible_to(dm, world["site16"])) == set(
        model.objects.filter(site=world["site16"])
    )
    assert {r.site_id for r in model.objects.visible_to(inv11)} == {world["site11"].pk}


@pytest.mark.parametrize("model", [Participant, Screening])
def test_a_site_read_is_that_site_if_visible_and_nothing_otherwise(world, model):
    _check(world, model)


def test_negative_control_a_site_read_without_the_access_check_is_caught(world, monkeypatch):
    monkeypatch.setattr(
        ScreeningQuerySet,
        "visible_to",
        lambda self, user, site=None: self.filter(site=site) if site else self.all(),
    )
    with pytest.raises(AssertionError):
        _check(world, Screening)
