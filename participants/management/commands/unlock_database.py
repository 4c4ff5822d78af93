from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.roles import Capability
from participants import locks
from participants.management.commands._lock_command import LockCommand


class Command(LockCommand):
    help = "Lift the database lock (data manager; reason required; audited, kept in history)."
    capability = Capability.UNLOCK
    done = "Database unlocked"

    def service(self) -> Callable[..., Any]:
        return locks.unlock_database
