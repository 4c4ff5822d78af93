"""Home-page work list of the participants (issue #11)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from participants.models import Participant


def participants_to_randomize(user: Any, scope: Q) -> int:
    """Enrolled participants without an allocation yet."""
    return Participant.objects.visible_to(user).filter(scope).to_randomize().count()
