"""`manage.py seed_demo`: the ten demo accounts, idempotent, refused in production."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, EXTRA_MEMBERSHIPS
from accounts.models import Membership, User
from accounts.roles import Role

pytestmark = pytest.mark.django_db

EXPECTED_MEMBERSHIPS = {
    "demo-investigator": {(Role.INVESTIGATOR, "11")},
    "demo-coordinator": {(Role.COORDINATOR, "11")},
    "demo-pharmacist": {(Role.PHARMACIST, "11")},
    "demo-monitor": {(Role.MONITOR, "11"), (Role.MONITOR, "16")},
    "demo-datamanager": {(Role.DATA_MANAGER, None)},
    "demo-statistician": {(Role.STATISTICIAN, None)},
    "demo-randomization": {(Role.RANDOMIZATION_MANAGER, None)},
    "demo-admin": {(Role.ADMIN, None)},
    "demo-investigator-nantes": {(Role.INVESTIGATOR, "16")},
    "demo-pharmacist-nantes": {(Role.PHARMACIST, "16")},
}


def _seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.app_label not in {"sessions", "contenttypes"}
    }


@override_settings(DEBUG=True)
def test_seed_demo_creates_the_ten_accounts_with_their_memberships() -> None:
    output = _seed()
    assert DEMO_PASSWORD in output
    users = User.objects.filter(username__startswith="demo-")
    assert {u.username for u in users} == set(EXPECTED_MEMBERSHIPS) == set(DEMO_ACCOUNTS)
    for username, expected in EXPECTED_MEMBERSHIPS.items():
        have = {
            (m.role, m.site.code if m.site else None)
            for m in Membership.objects.active().filter(user__username=username)
        }
        assert have == expected, username
    assert len(EXTRA_MEMBERSHIPS) == 1
    for user in users:
        assert user.is_active
        assert user.check_password(DEMO_PASSWORD)


@override_settings(DEBUG=True)
def test_second_run_adds_nothing() -> None:
    _seed()
    before = _row_counts()
    _seed()
    assert _row_counts() == before


@override_settings(DEBUG=True)
def test_second_run_keeps_a_changed_demo_password() -> None:
    _seed()
    user = User.objects.get(username="demo-monitor")
    user.set_password("changed-by-the-user-123")
    user.save()
    _seed()
    user.refresh_from_db()
    assert user.check_password("changed-by-the-user-123")


@override_settings(DEBUG=False)
def test_refused_when_debug_is_false_without_force() -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        _seed()
    assert not User.objects.filter(username__startswith="demo-").exists()


@override_settings(DEBUG=False)
def test_force_allows_it_on_a_test_database() -> None:
    _seed(force=True)
    assert User.objects.filter(username__startswith="demo-").count() == 10
