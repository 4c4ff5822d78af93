"""Home-page work list of the screening log (issue #11)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from eligibility.models import Screening


def screenings_to_finish(user: Any, scope: Q) -> int:
    """Drafts, incomplete checklists and eligible screenings not enrolled yet."""
    return Screening.objects.visible_to(user).filter(scope).to_finish().count()
