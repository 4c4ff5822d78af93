from __future__ import annotations

from typing import Any

import factory

from accounts.models import Membership, User
from accounts.roles import Role

# key → (role, site code or None). The truth-table tests use these keys.
DEMO_ROLE_USERS: dict[str, tuple[str, str | None]] = {
    "investigator": (Role.INVESTIGATOR, "11"),
    "coordinator": (Role.COORDINATOR, "11"),
    "pharmacist": (Role.PHARMACIST, "11"),
    "monitor": (Role.MONITOR, "11"),
    "data_manager": (Role.DATA_MANAGER, None),
    "statistician": (Role.STATISTICIAN, None),
    "randomization_manager": (Role.RANDOMIZATION_MANAGER, None),
    "admin": (Role.ADMIN, None),
    "investigator_nantes": (Role.INVESTIGATOR, "16"),
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.django.Password("correct-horse-battery-staple")


def make_user_with_role(username: str, role: str, site_code: str | None, **kwargs: Any) -> User:
    from sites.models import Site

    user = UserFactory(username=username, **kwargs)
    site = Site.objects.get(code=site_code) if site_code else None
    Membership.objects.get_or_create(user=user, role=role, site=site, revoked_at=None)
    return user


def restore_migration_data() -> None:
    """Put back the rows data migrations load (the 23 registry sites).

    Transactional tests (threads, live server, Celery worker) flush the database after
    each test; the next test must still find the sites the migration created.
    """
    from sites.models import Site
    from sites.registry import REGISTRY_SITES

    if Site.objects.count() >= len(REGISTRY_SITES):
        return
    for code, name, city in REGISTRY_SITES:
        Site.objects.get_or_create(code=code, defaults={"name": name, "city": city})
