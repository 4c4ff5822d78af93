"""Concurrency of randomize() on real PostgreSQL (randomization.md "the randomization transaction").

Real threads, each with its own database connection, released together by a
threading.Barrier. The same harness checks every run: all requests answered, 0 slot
shared, 0 gap in a stratum's sequence, 0 kit whose arm differs from its slot, 0 kit
used twice; a naive "first free row then save" implementation kept below must be
caught by it (negative control).

Connections: PostgreSQL's default max_connections is 100. Every thread passes the
barrier together, then a semaphore lets at most MAX_CONNECTIONS threads hold a
connection at a time (each closes its connection when done). With 200 threads the
requests therefore still arrive in one burst, 80 at a time at the database.

Participants are created in bulk (fast path) and `randomization_preconditions` is
monkeypatched to return [] (the `eligible` fixture): these tests are about locking;
test_services_preconditions.py proves that preconditions are enforced.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from accounts.access import memberships_of
from participants.models import Participant
from randomization import arm_cipher
from randomization.models import Allocation, Kit, Slot
from randomization.services.allocation import AlreadyRandomized, NoKitAvailable, randomize
from sites.models import Site
from tests.randomization.factories import load_slots, make_kits, make_participants, slot_arms

MAX_CONNECTIONS = 80

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("eligible"),
]


@dataclass
class Outcome:
    """(participant id, slot id, kit ids) of every allocation, and every error."""

    allocations: list[tuple[int, int, list[int]]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def run_in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread, all released at once; results or exceptions."""
    barrier = threading.Barrier(len(calls))
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)
    results: list[Any] = [None] * len(calls)

    def worker(i: int) -> None:
        barrier.wait()
        with gate:
            try:
                results[i] = calls[i]()
            except BaseException as exc:
                results[i] = exc
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


def _arm(token: str) -> str:
    return arm_cipher.decrypt_arm(token, settings.PLATINIUM_ARM_KEY)


def violations(outcome: Outcome) -> dict[str, int]:
    """The invariants of randomization.md, counted; all zero means correct."""
    slots = {
        s.pk: s
        for s in Slot.objects.filter(
            pk__in=[slot_id for _p, slot_id, _k in outcome.allocations]
        ).select_related("stratum")
    }
    kits = {k.pk: k for k in Kit.objects.all()}
    slot_use = Counter(slot_id for _p, slot_id, _k in outcome.allocations)
    kit_use = Counter(kit_id for _p, _s, kit_ids in outcome.allocations for kit_id in kit_ids)
    seqs: dict[str, list[int]] = defaultdict(list)
    for slot_id in slot_use:
        seqs[slots[slot_id].stratum.code].append(slots[slot_id].seq)
    gaps = sum(max(s) - len(s) for s in seqs.values())
    mismatches = sum(
        1
        for _p, slot_id, kit_ids in outcome.allocations
        for kit_id in kit_ids
        if _arm(kits[kit_id].arm_token) != _arm(slots[slot_id].arm_token)
    )
    return {
        "errors": len(outcome.errors),
        "shared_slots": sum(n - 1 for n in slot_use.values() if n > 1),
        "gaps": gaps,
        "kit_arm_mismatches": mismatches,
        "kits_used_twice": sum(n - 1 for n in kit_use.values() if n > 1),
        "allocations_without_kit": sum(1 for *_x, kit_ids in outcome.allocations if not kit_ids),
    }


CLEAN = {
    "errors": 0,
    "shared_slots": 0,
    "gaps": 0,
    "kit_arm_mismatches": 0,
    "kits_used_twice": 0,
    "allocations_without_kit": 0,
}


def outcome_from_database(results: list[Any]) -> Outcome:
    outcome = Outcome(errors=[r for r in results if isinstance(r, BaseException)])
    kits_of: dict[int, list[int]] = defaultdict(list)
    for kit_id, participant_id in Kit.objects.filter(participant__isnull=False).values_list(
        "pk", "participant_id"
    ):
        kits_of[participant_id].append(kit_id)
    for participant_id, slot_id in Allocation.objects.values_list("participant_id", "slot_id"):
        outcome.allocations.append((participant_id, slot_id, kits_of[participant_id]))
    return outcome


def randomize_all(participants: list[Participant], user: Any) -> list[Any]:
    memberships_of(user)  # fill the per-user cache before the threads share the object
    return run_in_parallel(
        [
            (lambda p=p: randomize(p, by=user, idempotency_key=uuid.uuid4().hex))
            for p in participants
        ]
    )


def stock_site(site: Site, n: int) -> list[Participant]:
    per_arm = max(Counter(slot_arms(site, n)).values()) + 2
    make_kits(site, per_arm)
    return make_participants(site, n)


@pytest.mark.slow
@pytest.mark.parametrize("n", [50, 200])
def test_simultaneous_randomizations_at_one_site_are_serialised(n, role_users, site11):
    load_slots([site11])
    participants = stock_site(site11, n)
    started = time.perf_counter()
    results = randomize_all(participants, role_users["investigator"])
    elapsed = time.perf_counter() - started
    outcome = outcome_from_database(results)
    assert violations(outcome) == CLEAN, [repr(e) for e in outcome.errors[:3]]
    assert len(outcome.allocations) == n
    assert sorted(s.seq for s in Slot.objects.filter(allocation__isnull=False)) == list(
        range(1, n + 1)
    )
    print(f"\n{n} simultaneous randomizations at one site: {elapsed:.2f} s")


@pytest.mark.slow
def test_326_randomizations_across_23_sites(role_users):
    from tests.factories import make_user_with_role

    sites = list(Site.objects.order_by("code"))
    load_slots(sites)
    per_site = [326 // 23 + (1 if i < 326 % 23 else 0) for i in range(23)]
    participants = []
    users = {}
    for site, n in zip(sites, per_site, strict=True):
        participants += stock_site(site, n)
        users[site.pk] = make_user_with_role(f"inv-{site.code}", "investigator", site.code)
        memberships_of(users[site.pk])
    assert len(participants) == 326
    results = run_in_parallel(
        [
            (lambda p=p: randomize(p, by=users[p.site_id], idempotency_key=uuid.uuid4().hex))
            for p in participants
        ]
    )
    outcome = outcome_from_database(results)
    assert violations(outcome) == CLEAN, [repr(e) for e in outcome.errors[:3]]
    assert len(outcome.allocations) == 326


@pytest.mark.slow
def test_20_parallel_calls_for_one_participant_give_exactly_one_allocation(role_users, site11):
    load_slots([site11])
    make_kits(site11, 20)
    [participant] = make_participants(site11, 1)
    user = role_users["investigator"]
    memberships_of(user)
    results = run_in_parallel(
        [
            (lambda: randomize(participant, by=user, idempotency_key=uuid.uuid4().hex))
            for _ in range(20)
        ]
    )
    successes = [r for r in results if isinstance(r, Allocation)]
    refused = [r for r in results if isinstance(r, AlreadyRandomized)]
    assert len(successes) == 1 and len(refused) == 19
    assert Allocation.objects.count() == 1
    assert Kit.objects.filter(participant=participant).count() == 1
    # The same request repeated 20 times (one idempotency key): 20 times the same answer.
    [second] = make_participants(site11, 1)
    same_key = uuid.uuid4().hex
    results = run_in_parallel(
        [(lambda: randomize(second, by=user, idempotency_key=same_key)) for _ in range(20)]
    )
    assert {r.pk for r in results if isinstance(r, Allocation)} == {
        Allocation.objects.get(participant=second).pk
    }
    assert all(isinstance(r, Allocation) for r in results)


@pytest.mark.slow
def test_10_parallel_randomizations_for_the_last_2_kits_consume_no_slot_without_kit(
    role_users, site11
):
    load_slots([site11])
    arms = slot_arms(site11, 10)
    scarce = arms[0]
    # 2 kits of the first slot's arm, plenty of the other (make_kits makes both arms
    # equally; the extra kits of the scarce arm are taken out of the stock).
    kits = make_kits(site11, 10)
    scarce_kits = [k for k in kits if _arm(k.arm_token) == scarce]
    Kit.objects.filter(pk__in=[k.pk for k in scarce_kits[2:]]).update(status=Kit.Status.LOST)
    participants = make_participants(site11, 10)
    results = randomize_all(participants, role_users["investigator"])
    outcome = outcome_from_database(results)
    no_kit = [r for r in results if isinstance(r, NoKitAvailable)]
    # Successes are exactly the slots before the third slot of the scarce arm.
    third = [i for i, arm in enumerate(arms) if arm == scarce][2]
    assert len(outcome.allocations) == third
    assert len(no_kit) == 10 - third
    outcome.errors = [e for e in outcome.errors if not isinstance(e, NoKitAvailable)]
    assert violations(outcome) == CLEAN
    assert (
        Kit.objects.filter(
            pk__in=[k.pk for k in scarce_kits[:2]], status=Kit.Status.ALLOCATED
        ).count()
        == 2
    )
    assert sorted(s.seq for s in Slot.objects.filter(allocation__isnull=False)) == list(
        range(1, third + 1)
    )


# ------------------------------------------------------------------ negative control


def naive_randomize(participant: Participant, *, picks: list[tuple[int, int, list[int]]]) -> None:
    """What randomization.md warns against: read the first free slot and kit, then save.

    It keeps its allocations in `picks` (as a table without unique constraints would).
    """
    with transaction.atomic():
        taken = {slot_id for _p, slot_id, _k in list(picks)}
        slot = (
            Slot.objects.filter(stratum__site_id=participant.site_id)
            .exclude(pk__in=taken)
            .order_by("seq")
            .first()
        )
        arm = _arm(slot.arm_token)
        kit = next(
            k
            for k in Kit.objects.filter(
                site_id=participant.site_id, status=Kit.Status.AVAILABLE
            ).order_by("code")
            if _arm(k.arm_token) == arm
        )
        time.sleep(0.02)  # the request's other work between the read and the write
        Kit.objects.filter(pk=kit.pk).update(status=Kit.Status.ALLOCATED, participant=participant)
        picks.append((participant.pk, slot.pk, [kit.pk]))


@pytest.mark.slow
def test_the_harness_catches_a_naive_first_free_row_implementation(site11):
    load_slots([site11])
    participants = stock_site(site11, 50)
    picks: list[tuple[int, int, list[int]]] = []
    results = run_in_parallel([(lambda p=p: naive_randomize(p, picks=picks)) for p in participants])
    outcome = Outcome(
        allocations=picks, errors=[r for r in results if isinstance(r, BaseException)]
    )
    found = violations(outcome)
    assert found["errors"] == 0  # every request "succeeded"…
    assert found["shared_slots"] > 0 and found["kits_used_twice"] > 0  # …and the harness sees it
