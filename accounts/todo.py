"""The administrator's work list on the home page (issue #11): accounts only."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Membership, User


def without_role(users: QuerySet[User]) -> QuerySet[User]:
    """Active accounts with no active membership: they can do nothing until given a role."""
    has_role = Exists(Membership.objects.active().filter(user=OuterRef("pk")))
    return users.filter(is_active=True).exclude(has_role)


def admin_counts() -> dict[str, Any]:
    users = User.objects.order_by()
    return {
        "active_users": users.filter(is_active=True).count(),
        "users_without_role": without_role(users).count(),
    }
