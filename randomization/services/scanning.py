"""A scanned kit code: which kit it is, and who may act on a site's kits (pharmacy views)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import Capability
from randomization import kit_codes
from randomization.models import Kit
from sites.models import Site


class KitRefused(Exception):
    """A scanned kit cannot be used for this action; nothing was written."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def require_kit_manager(by: User, site_id: int) -> None:
    if not has_capability(by, Capability.MANAGE_KITS, site_id):
        raise PermissionDenied


def scan(scanned_code: str, *, site_id: int, lock: bool = True) -> Kit:
    """The kit behind a scanned code (locked); refuses invalid, unknown and foreign codes."""
    code = kit_codes.normalise(scanned_code)
    if not kit_codes.is_valid(code):
        raise KitRefused(
            gettext("%(code)s is not a valid kit code; scan it again.") % {"code": code[:20]}
        )
    kits = Kit.objects.select_for_update() if lock else Kit.objects.all()
    kit = kits.filter(code=code).first()
    if kit is None:
        raise KitRefused(gettext("Kit %(code)s is unknown.") % {"code": code})
    if kit.site_id != site_id:
        raise KitRefused(gettext("Kit %(code)s does not belong to this site.") % {"code": code})
    return kit


def scanned_kit(scanned_code: str, *, site: Site) -> Kit:
    """Look a scanned code up at ``site`` (no lock: the action that follows locks it)."""
    return scan(scanned_code, site_id=site.pk, lock=False)
