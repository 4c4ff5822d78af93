"""The one authorization check: `has_capability(user, capability, site)`.

Memberships are read once per request and cached on the user object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.roles import ALL, CONDITIONAL_CAPABILITIES, ROLE_CAPABILITIES, Role
from sites.models import Site

if TYPE_CHECKING:
    from accounts.types import Visitor

_CACHE_ATTR = "_platinium_memberships"


def memberships_of(user: Visitor) -> list[tuple[str, int | None, str | None]]:
    """(role, site id, site code) of the user's active memberships, cached per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(user.memberships.active().values_list("role", "site_id", "site__code"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_memberships(user: Visitor) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Visitor) -> set[str]:
    return {role for role, _site, _code in memberships_of(user)}


def capability_scope(user: Visitor, capability: str) -> tuple[bool, set[int]]:
    """(all sites?, site ids) in which the user holds `capability`."""
    all_sites = False
    site_ids: set[int] = set()
    for role, site_id, _code in memberships_of(user):
        scope = ROLE_CAPABILITIES.get(role, {}).get(capability)
        if scope is None:
            continue
        if scope == ALL:
            all_sites = True
        elif site_id is not None:
            site_ids.add(site_id)
    return all_sites, site_ids


def has_capability(user: Visitor, capability: str, site: Site | int | None = None) -> bool:
    """Does the user hold `capability` at `site` (or anywhere when site is None)?

    Conditional capabilities (roles.md C2) are further checked by their own module.
    """
    all_sites, site_ids = capability_scope(user, capability)
    if site is None:
        return all_sites or bool(site_ids)
    site_id = site if isinstance(site, int) else site.pk
    return all_sites or site_id in site_ids


def is_conditional(user: Visitor, capability: str) -> bool:
    """True when the user's only grant of `capability` is a conditional one (C2)."""
    return all(
        (role, capability) in CONDITIONAL_CAPABILITIES
        for role, _s, _c in memberships_of(user)
        if capability in ROLE_CAPABILITIES.get(role, {})
    )


def site_filter(
    user: Visitor, capability: str, field: str = "site", site: Site | int | None = None
) -> Q:
    """A Q object restricting `field` to the sites where the user holds `capability`; with
    `site`, to that site alone if the user holds it there (else nothing), as one condition:
    the scope and the site as two made PostgreSQL misjudge the rows (issue #13)."""
    if site is not None:
        return Q(**{field: site}) if has_capability(user, capability, site) else Q(pk__in=[])
    all_sites, site_ids = capability_scope(user, capability)
    if all_sites:
        return Q()
    if not site_ids:
        return Q(pk__in=[])
    return Q(**{f"{field}__in": site_ids})


def sites_with(user: Visitor, capability: str) -> QuerySet[Site]:
    all_sites, site_ids = capability_scope(user, capability)
    if all_sites:
        return Site.objects.all()
    return Site.objects.filter(pk__in=site_ids)


def visible_sites(user: Visitor) -> QuerySet[Site]:
    """Sites the user may pick in the site switcher (any site-scoped membership)."""
    ids = {site_id for _r, site_id, _c in memberships_of(user) if site_id is not None}
    if any(role in {Role.DATA_MANAGER, Role.STATISTICIAN} for role in roles_of(user)):
        return Site.objects.all()
    return Site.objects.filter(pk__in=ids)


def require_capability(user: Visitor, capability: str, site: Site | int | None = None) -> None:
    if not has_capability(user, capability, site):
        raise PermissionDenied


def work_filter(user: Visitor, capability: str, current: Site | None, field: str = "site") -> Q:
    """The sites a work list covers (home page, issue #11): every site for a holder of
    `capability` on all sites, else the site chosen in the switcher when the user holds
    `capability` there, else all the user's sites with it."""
    all_sites, site_ids = capability_scope(user, capability)
    if all_sites:
        return Q()
    if current is not None and current.pk in site_ids:
        return Q(**{field: current.pk})
    return site_filter(user, capability, field=field)
