"""Fast paths to build randomization data in tests (no file import, no preconditions).

`make_randomized_participant(site)` is what other apps' tests use: a participant with
an allocation, a slot and an allocated kit, written directly (not through the
randomize service, which needs confirmed eligibility).
"""

from __future__ import annotations

import functools
import random
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from accounts.roles import Role
from participants.models import Participant
from randomization import allocation_list, arm_access, kit_codes
from randomization import parameters as p
from randomization.models import Allocation, AllocationList, Kit, KitEvent, KitList, Slot, Stratum
from sites.models import Site
from tests.factories import make_user_with_role

FACTORY_SEED = "0123456789abcdef0123456789abcdef"
SWAP = {"A": "B", "B": "A"}


def factory_user(
    key: str = "factory-randomization",
    role: str = Role.RANDOMIZATION_MANAGER,
    site_code: str | None = None,
) -> Any:
    return make_user_with_role(key, role, site_code)


@functools.lru_cache(maxsize=8)
def _rows(seed: str, env: str) -> tuple[allocation_list.AllocationRow, ...]:
    return tuple(allocation_list.parse(allocation_list.generate(seed, env, "1")).rows)


def load_slots(
    sites: list[Site] | None = None,
    *,
    seed: str = FACTORY_SEED,
    swap: bool = False,
    list_version: str = "factory",
    by: Any = None,
    products: dict[str, str] | None = None,
) -> AllocationList:
    """Slots of a generated list for `sites` (default: all), arms swapped if `swap`;
    `products` as the list's header names them (default: the generator's)."""
    sites = list(sites) if sites is not None else list(Site.objects.all())
    by = by or factory_user()
    codes = {s.code for s in sites}
    rows = [r for r in _rows(seed, "UAT") if r.stratum_code in codes]
    alist = AllocationList.objects.create(
        list_version=list_version,
        env="UAT",
        sha256=f"{list_version:0>64}"[:64],
        strata=",".join(sorted(codes)),
        slot_count=len(rows),
        products=dict(p.DEFAULT_PRODUCTS) if products is None else products,
        loaded_by=by,
    )
    strata = {}
    for site in sites:
        stratum, _ = Stratum.objects.update_or_create(
            site=site, defaults={"code": site.code, "allocation_list": alist}
        )
        strata[site.code] = stratum
    tokens = arm_access.seal_many(SWAP[r.arm] if swap else r.arm for r in rows)
    Slot.objects.bulk_create(
        Slot(
            allocation_list=alist,
            stratum=strata[r.stratum_code],
            seq=r.seq,
            block_id=r.block_id,
            block_size=r.block_size,
            arm_token=token,
            rand_no=r.rand_no,
        )
        for r, token in zip(rows, tokens, strict=True)
    )
    return alist


def slot_arms(site: Site, n: int, *, seed: str = FACTORY_SEED, swap: bool = False) -> list[str]:
    """The arms of the first n slots of a site in the factory list (for sizing kit stock)."""
    arms = [r.arm for r in _rows(seed, "UAT") if r.stratum_code == site.code][:n]
    return [SWAP[a] for a in arms] if swap else arms


def _kit_list(by: Any) -> KitList:
    kit_list, _ = KitList.objects.get_or_create(
        sha256="f" * 64, defaults={"filename": "factory", "kit_count": 0, "loaded_by": by}
    )
    return kit_list


def make_kits(
    site: Site | None,
    per_arm: int,
    *,
    status: str = Kit.Status.AVAILABLE,
    expiry: date | None = None,
    rng: random.Random | None = None,
    swap: bool = False,
    lot: str = "LOT-T1",
    shipment: Any = None,
    codes: list[str] | None = None,
) -> list[Kit]:
    """`per_arm` kits of each arm, written directly in `status` at `site`."""
    by = factory_user()
    rng = rng or random.Random()
    existing = set(Kit.objects.values_list("code", flat=True))
    n = per_arm * len(p.ARMS)
    codes = codes or kit_codes.generate_kit_codes(n, rng=rng, existing=existing)
    arms = [p.ARMS[i // per_arm] for i in range(n)]
    if swap:
        arms = [SWAP[a] for a in arms]
    expiry = expiry or (timezone.localdate() + timedelta(days=365))
    kits = Kit.objects.bulk_create(
        Kit(
            code=code,
            arm_token=token,
            lot=lot,
            expiry=expiry,
            kit_list=_kit_list(by),
            status=status,
            site=site,
            shipment=shipment,
        )
        for code, token in zip(codes, arm_access.seal_many(arms), strict=True)
    )
    KitEvent.objects.bulk_create(
        KitEvent(
            kit=kit, from_status="", to_status=status, by=by, site=site, reason="test fast path"
        )
        for kit in kits
    )
    return kits


def make_participant(
    site: Site, *, status: str = Participant.Status.ENROLLED, enrolled_by: Any = None
) -> Participant:
    enrolled_by = enrolled_by or factory_user(
        "factory-investigator-" + site.code, Role.INVESTIGATOR, site.code
    )
    seq = (Participant.objects.filter(site=site).aggregate(m=Max("seq"))["m"] or 0) + 1
    return Participant.objects.create(
        site=site,
        seq=seq,
        code=Participant.format_code(site.code, seq),
        status=status,
        enrolled_at=timezone.now(),
        enrolled_by=enrolled_by,
    )


def make_participants(site: Site, n: int) -> list[Participant]:
    """n enrolled participants in one INSERT (concurrency tests)."""
    by = factory_user("factory-investigator-" + site.code, Role.INVESTIGATOR, site.code)
    start = (Participant.objects.filter(site=site).aggregate(m=Max("seq"))["m"] or 0) + 1
    now = timezone.now()
    return Participant.objects.bulk_create(
        Participant(
            site=site,
            seq=seq,
            code=Participant.format_code(site.code, seq),
            enrolled_at=now,
            enrolled_by=by,
        )
        for seq in range(start, start + n)
    )


def make_randomized_participant(
    site: Site, *, randomized_at: datetime | None = None
) -> Participant:
    """A randomized participant with slot, allocation and one allocated kit (fast path)."""
    if not Stratum.objects.filter(site=site).exists():
        load_slots([site], list_version=f"factory-{site.code}")
    stratum = Stratum.objects.get(site=site)
    participant = make_participant(site)
    slot = (
        Slot.objects.filter(
            allocation_list=stratum.allocation_list, stratum=stratum, allocation__isnull=True
        )
        .order_by("seq")
        .first()
    )
    assert slot is not None, "factory list exhausted"
    when = randomized_at or timezone.now()
    code = kit_codes.generate_kit_codes(
        1, existing=set(Kit.objects.values_list("code", flat=True))
    )[0]
    by = participant.enrolled_by
    Allocation.objects.create(
        participant=participant,
        slot=slot,
        site=site,
        randomized_at=when,
        randomized_by=by,
        idempotency_key=f"factory-{participant.code}",
    )
    kit = Kit.objects.create(
        code=code,
        arm_token=slot.arm_token,
        lot="LOT-T1",
        expiry=timezone.localdate() + timedelta(days=365),
        kit_list=_kit_list(factory_user()),
        status=Kit.Status.ALLOCATED,
        site=site,
        participant=participant,
        allocated_at=when,
    )
    KitEvent.objects.create(
        kit=kit,
        from_status="",
        to_status=Kit.Status.ALLOCATED,
        by=by,
        site=site,
        participant=participant,
        reason="test fast path",
    )
    participant.status = Participant.Status.RANDOMIZED
    participant.save(update_fields=["status"])
    return participant
