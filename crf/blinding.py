"""Who may see day-10 biology results (randomization.md "Blinding beyond the arm field").

Decided in docs/decisions/0010-d10-biology-visibility.md: data management (who enters
them) always; everyone else with clinical access only after database lock, unless the
sponsor relaxes it with PLATINIUM_D10_VISIBLE_BEFORE_LOCK. Settings are read here, at
call time, so tests and a sponsor decision change one value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from accounts.access import has_capability
from accounts.roles import Capability
from participants import locks

if TYPE_CHECKING:
    from accounts.types import Visitor


UNKNOWN: Any = object()  # d10_results_visible: the database lock not read by the caller


def database_locked() -> bool:
    """The database lock in force (participants.locks.current_database_lock), the same
    record that opens the statistician's unblinded access (roles.md C2): one fact, one
    place, never inferred from the data."""
    return locks.database_locked()


def d10_results_visible(user: Visitor, *, database_lock: Any = UNKNOWN) -> bool:
    """`database_lock`: the database lock in force (or None) when the caller has read it
    already (participants.locks.current_for, the participant page), to save the query."""
    if has_capability(user, Capability.ENTER_D10_BIOLOGY):
        return True
    if not has_capability(user, Capability.VIEW_CLINICAL_DATA):
        return False
    if getattr(settings, "PLATINIUM_D10_VISIBLE_BEFORE_LOCK", False):
        return True
    if database_lock is not UNKNOWN:
        return database_lock is not None
    return database_locked()
