"""Demo accounts, one per role (README lists them). Never run when DEBUG is false."""

from __future__ import annotations

from accounts.models import Membership, User
from accounts.roles import Role
from sites.models import Site

DEMO_PASSWORD = "demo-platinium"

# username → (role, site code or None)
DEMO_ACCOUNTS: dict[str, tuple[str, str | None]] = {
    "demo-investigator": (Role.INVESTIGATOR, "11"),
    "demo-coordinator": (Role.COORDINATOR, "11"),
    "demo-pharmacist": (Role.PHARMACIST, "11"),
    "demo-monitor": (Role.MONITOR, "11"),
    "demo-datamanager": (Role.DATA_MANAGER, None),
    "demo-statistician": (Role.STATISTICIAN, None),
    "demo-randomization": (Role.RANDOMIZATION_MANAGER, None),
    "demo-admin": (Role.ADMIN, None),
    "demo-investigator-nantes": (Role.INVESTIGATOR, "16"),
    "demo-pharmacist-nantes": (Role.PHARMACIST, "16"),
}
# The demo monitor also monitors Nantes, so the site switcher has something to switch.
EXTRA_MEMBERSHIPS: list[tuple[str, str, str]] = [("demo-monitor", Role.MONITOR, "16")]


def seed_accounts() -> dict[str, User]:
    """Create (or keep) the demo accounts; idempotent."""
    users: dict[str, User] = {}
    sites = {site.code: site for site in Site.objects.all()}
    for username, (role, site_code) in DEMO_ACCOUNTS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@platinium.invalid",
                "first_name": "Demo",
                "last_name": username.removeprefix("demo-").replace("-", " ").title(),
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        Membership.objects.get_or_create(
            user=user,
            role=role,
            site=sites.get(site_code) if site_code else None,
            revoked_at=None,
        )
        users[username] = user
    for username, role, site_code in EXTRA_MEMBERSHIPS:
        Membership.objects.get_or_create(
            user=users[username], role=role, site=sites[site_code], revoked_at=None
        )
    return users
