from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.roles import Capability
from participants import locks
from participants.management.commands._lock_command import LockCommand


class Command(LockCommand):
    help = "Lock the whole trial database (data manager; reason required; audited)."
    capability = Capability.LOCK
    done = "Database locked"

    def service(self) -> Callable[..., Any]:
        return locks.lock_database
