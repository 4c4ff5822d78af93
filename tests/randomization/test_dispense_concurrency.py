"""Two pharmacists scan the same kit at the same moment (reliability issue): real threads,
each with its own PostgreSQL connection, released together. Exactly one dispensing
succeeds, the kit is dispensed once, one kit-log entry and one audit event.

The read-check-write window of `dispense_kit` is widened (a pause before the status
change) so that without the row lock both threads would pass the status check: the
negative control removes the lock and shows the same check then fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from accounts.roles import Role
from audit.models import AuditEvent
from randomization import kits
from randomization.models import Kit, KitEvent
from randomization.services import dispensing
from randomization.services.scanning import KitRefused
from tests.factories import make_user_with_role
from tests.randomization.factories import make_randomized_participant
from tests.randomization.test_concurrency import run_in_parallel

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PAUSE = 0.5  # seconds between reading the kit and writing its new status


@pytest.fixture
def slow_transition(monkeypatch: pytest.MonkeyPatch) -> None:
    original = kits.transition

    def paused(kit: Kit, to_status: str, **kwargs: Any) -> Any:
        time.sleep(PAUSE)  # both threads have read the kit by now, unless it is locked
        return original(kit, to_status, **kwargs)

    monkeypatch.setattr(dispensing, "transition", paused)


def dispense_twice(site: Any) -> tuple[Kit, list[Any]]:
    participant = make_randomized_participant(site)
    kit = Kit.objects.get(participant=participant)
    pharmacists = [
        make_user_with_role(f"pharmacist-{n}-{site.code}", Role.PHARMACIST, site.code)
        for n in (1, 2)
    ]
    calls: list[Callable[[], Any]] = [
        lambda by=by: dispensing.dispense_kit(participant, by=by, scanned_code=kit.code)
        for by in pharmacists
    ]
    return kit, run_in_parallel(calls)


def dispensing_violations(kit: Kit, results: list[Any]) -> list[str]:
    """Everything that shows the kit was dispensed more than once (empty: correct)."""
    problems = []
    succeeded = [r for r in results if isinstance(r, Kit)]
    refused = [r for r in results if isinstance(r, KitRefused)]
    other = [r for r in results if not isinstance(r, Kit | KitRefused)]
    if other:
        problems.append(f"unexpected outcomes: {other!r}")
    if len(succeeded) != 1 or len(refused) != 1:
        problems.append(f"{len(succeeded)} succeeded, {len(refused)} refused")
    log = KitEvent.objects.filter(kit=kit, to_status=Kit.Status.DISPENSED).count()
    if log != 1:
        problems.append(f"{log} dispensing entries in the kit log")
    audit = AuditEvent.objects.filter(
        action="randomization.kit_dispensed", data__kit=kit.code
    ).count()
    if audit != 1:
        problems.append(f"{audit} audit events")
    kit.refresh_from_db()
    if kit.status != Kit.Status.DISPENSED:
        problems.append(f"kit ends {kit.status}")
    return problems


@pytest.mark.slow
def test_two_pharmacists_dispensing_one_kit_at_once_dispense_it_once(site11, slow_transition):
    kit, results = dispense_twice(site11)
    assert dispensing_violations(kit, results) == []
    (refusal,) = [r for r in results if isinstance(r, KitRefused)]
    assert kit.code in str(refusal)  # the second scan is told the kit is no longer allocated


@pytest.mark.slow
def test_negative_control_without_the_row_lock_the_kit_is_dispensed_twice(
    site11, slow_transition, monkeypatch
):
    scan = dispensing.scan
    monkeypatch.setattr(
        dispensing,
        "scan",
        lambda code, *, site_id, lock=True: scan(code, site_id=site_id, lock=False),
    )
    kit, results = dispense_twice(site11)
    assert dispensing_violations(kit, results) != []
