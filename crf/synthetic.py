"""A synthetic full trial (`manage.py seed_demo --participants N`): 23 sites, screening
failures, enrolment, randomization, and each participant's course up to today.

What runs through the real services, and what does not (and why):
- Screening, consent, enrolment and randomization: the real services of eligibility and
  randomization, replayed at the moment they happened (`simulated_now` patches
  django.utils.timezone.now for the call), because `randomized_at` is set by the service
  to "now" and is immutable afterwards (database trigger). Two shortcuts: enrolment calls
  `eligibility.services._enrol` (the engine re-evaluation, audit and numbering all run)
  without the password e-signature, since synthetic investigators have no password; and
  the outbox e-mails of those replayed past events are not queued (marked sent).
- Kits: the real supply chain (dispatch_shipment, receive_kit, close_receipt) whenever
  the resupply rule has requested a shipment; if no allocation/kit list was loaded by
  the randomization demo, a UAT list is imported through its import services.
- CRF rows: `bulk_create` (a save per row would take ~20 minutes for 326 participants).
  Every row is validated by the same rules as a save (crf.synthetic_course.validated:
  skipped items blanked, hard checks raise, derived fields and status computed); soft
  findings open the same EditCheckFlag rows; pghistory triggers still record each
  insert. Per-row audit events are replaced by one `crf.synthetic_course` event per
  participant.
Deterministic for a seed (one Random per participant), except which of the earliest-
expiring kits randomize picks (`secrets`, by design). Idempotent: N is the total of
randomized participants wanted; a second run with the same N adds nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from accounts.roles import Role
from audit.services import record
from crf.models import CRF_MODELS, EditCheckFlag
from crf.schedule import STUDY_TIME_ZONE
from crf.synthetic_course import CourseBuilder, plan_course
from participants.models import Participant
from sites.models import Site

RECRUITMENT_START = date(2025, 7, 9)  # protocol.md §1
SCREEN_FAILURE_RATE = 0.25
FAILURE_KINDS = ("I3", "I4", "E1", "E4", "E13", "E18", "E19", "I4", "I1")


@contextmanager
def simulated_now(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment` (past events of the synthetic trial)."""
    with (
        mock.patch("django.utils.timezone.now", return_value=moment),
        mock.patch("randomization.tasks.send_notification_task.delay"),
    ):
        yield


def site_users(site: Site, users: dict[str, Any]) -> dict[str, Any]:
    """The site's investigator and pharmacist: the demo accounts at 11/16, else synthetic
    accounts without a usable password (they cannot log in)."""
    demo = {
        "11": ("demo-investigator", "demo-pharmacist"),
        "16": ("demo-investigator-nantes", "demo-pharmacist-nantes"),
    }
    inv_name, pharm_name = demo.get(site.code, (None, None))
    out = {}
    for role, name in ((Role.INVESTIGATOR, inv_name), (Role.PHARMACIST, pharm_name)):
        user = (users.get(name) or User.objects.filter(username=name).first()) if name else None
        if user is None:
            user, created = User.objects.get_or_create(
                username=f"synthetic-{role}-{site.code}",
                defaults={"email": f"synthetic-{role}-{site.code}@platinium.invalid"},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, role=role, site=site, revoked_at=None)
        out[role] = user
    return out


def _shares(n: int, sites: list[Site], rng: random.Random) -> dict[str, int]:
    """Recruitment per site: uneven, like a real multicentre trial (largest remainder)."""
    weights = {s.code: rng.uniform(0.4, 1.8) for s in sites}
    total = sum(weights.values())
    exact = {code: n * w / total for code, w in weights.items()}
    shares = {code: int(x) for code, x in exact.items()}
    for code in sorted(exact, key=lambda c: exact[c] - shares[c], reverse=True)[
        : n - sum(shares.values())
    ]:
        shares[code] += 1
    return shares


def _randomization_times(n: int, rng: random.Random, now: datetime) -> list[datetime]:
    """Spread over the recruitment period so far: most participants have finished D90,
    some are in the ICU today."""
    today = now.astimezone(STUDY_TIME_ZONE).date()
    first = max(RECRUITMENT_START, today - timedelta(days=480))
    span = max(1, (today - first).days - 1)
    times = []
    for _ in range(n):
        day = first + timedelta(days=rng.randint(0, span))
        moment = datetime.combine(day, datetime.min.time(), tzinfo=STUDY_TIME_ZONE)
        times.append(moment + timedelta(hours=rng.randint(9, 19), minutes=rng.randint(0, 59)))
    return sorted(t for t in times if t < now - timedelta(hours=1))


# ---------------------------------------------------------------------------- supply


def ensure_allocation_list(users: dict[str, Any], rng: random.Random, stdout: Any) -> None:
    """Import a UAT allocation list for all sites unless one is loaded already."""
    from randomization import allocation_list
    from randomization.models import Stratum
    from randomization.services import import_allocation_list

    if Stratum.objects.count() >= Site.objects.count():
        return
    manager = users["demo-randomization"]
    seed_hex = f"{rng.getrandbits(128):032x}"
    raw = allocation_list.generate(seed_hex, "UAT", "synthetic-1").encode()
    import_allocation_list(
        raw,
        by=manager,
        declared_sha256=allocation_list.sha256_hex(raw),
        filename="synthetic-allocation-list.csv",
    )
    stdout.write("Synthetic trial: UAT allocation list imported for all sites")


def ensure_depot(needed: int, users: dict[str, Any], rng: random.Random) -> None:
    """Enough kits at the central depot for `needed` more kits (a UAT kit list import)."""
    from randomization import allocation_list, kit_codes
    from randomization.models import Kit
    from randomization.services import import_kit_list

    at_depot = Kit.objects.filter(status=Kit.Status.AT_DEPOT, site__isnull=True).count()
    if at_depot >= needed:
        return
    per_arm = (needed - at_depot) // 2 + 60
    expiry = timezone.localdate() + timedelta(days=720)
    text = kit_codes.generate_kit_list(per_arm, f"SYN-{rng.randint(100, 999)}", expiry, rng=rng)
    raw = text.encode()
    import_kit_list(
        raw,
        by=users["demo-randomization"],
        declared_sha256=allocation_list.sha256_hex(raw),
        filename="synthetic-kit-list.csv",
    )


def deliver_shipments(site: Site, *, pharmacist: Any, depot_user: Any) -> int:
    """The depot ships each requested shipment; the site pharmacy scans what is in transit
    and closes the receipt (temperature logger OK)."""
    from randomization.models import Kit, Shipment
    from randomization.services import (
        close_receipt,
        dispatch_shipment,
        receive_kit,
        request_initial_supply,
    )

    if not Shipment.objects.filter(site=site).exists():
        request_initial_supply(site, by=depot_user)
    delivered = 0
    for shipment in Shipment.objects.filter(site=site, status=Shipment.Status.REQUESTED):
        dispatch_shipment(shipment, by=depot_user)
    for shipment in Shipment.objects.filter(site=site, status=Shipment.Status.IN_TRANSIT):
        codes = Kit.objects.filter(shipment=shipment, status=Kit.Status.IN_TRANSIT)
        for code in codes.values_list("code", flat=True):
            receive_kit(shipment, by=pharmacist, scanned_code=code)
        close_receipt(shipment, by=pharmacist, temperature=Shipment.Temperature.OK)
        delivered += 1
    return delivered


# ---------------------------------------------------------------------- participants


def enrol_and_randomize(
    site: Site, *, when: datetime, staff: dict[str, Any], depot_user: Any, rng: random.Random
) -> Participant:
    """Screen (some failures first), consent, enrol and randomize one patient at `when`."""
    from eligibility.demo import KINDS
    from eligibility.samples import sample_data
    from eligibility.services import _enrol, create_screening, record_consent
    from randomization.services import randomize

    inv = staff[Role.INVESTIGATOR]
    evaluated = when - timedelta(hours=rng.randint(2, 8))
    icu = evaluated - timedelta(days=8, hours=6)
    while rng.random() < SCREEN_FAILURE_RATE:
        kind = rng.choice(FAILURE_KINDS)
        failed_icu = icu - timedelta(days=rng.randint(1, 20))
        data = sample_data(icu_admission=failed_icu, **dict(KINDS[kind]))
        data.header["age"] = KINDS[kind].get("age", rng.randint(30, 85))
        with simulated_now(failed_icu + timedelta(days=8, hours=7)):
            create_screening(site, by=inv, data=data)
    data = sample_data(icu_admission=icu)
    data.header["age"] = rng.randint(30, 85)
    data.header["sex"] = rng.choice("MMF")
    with simulated_now(evaluated + timedelta(minutes=30)):
        screening = create_screening(site, by=inv, data=data)
        giver = rng.choice(("PATIENT", "PROXY", "PROXY"))
        record_consent(
            screening,
            by=inv,
            given_by=giver,
            consented_at=evaluated - timedelta(hours=1),
            information_sheet_version="1.0",
            continuation_outcome="" if giver == "PATIENT" else "NOT_YET",
        )
        participant = _enrol(screening, by=inv)
    with simulated_now(when):
        deliver_shipments(site, pharmacist=staff[Role.PHARMACIST], depot_user=depot_user)
        randomize(participant, by=inv, idempotency_key=f"synthetic-{participant.code}")
        deliver_shipments(site, pharmacist=staff[Role.PHARMACIST], depot_user=depot_user)
    return participant


# ----------------------------------------------------------------------------- CRF


def seed_courses(
    participants: list[Participant],
    *,
    seed: str,
    stdout: Any,
    now: datetime | None = None,
    plan_overrides: dict[str, Any] | None = None,
) -> int:
    """Build and bulk-insert the CRF course of each participant without one."""
    from randomization.models import Allocation, Kit

    now = now or timezone.now()
    ids = [p.pk for p in participants]
    t_r = dict(
        Allocation.objects.filter(participant_id__in=ids).values_list(
            "participant_id", "randomized_at"
        )
    )
    kits: dict[int, str] = {}
    for pid, code in (
        Kit.objects.filter(participant_id__in=ids)
        .order_by("allocated_at", "code")
        .values_list("participant_id", "code")
    ):
        kits.setdefault(pid, code)
    done = {
        pid
        for model in CRF_MODELS[:3]
        for pid in model.objects.filter(participant_id__in=ids).values_list(
            "participant_id", flat=True
        )
    }
    rows: dict[type, list[Any]] = {}
    flags: list[tuple[Any, list[Any]]] = []
    statuses: dict[str, list[int]] = {}
    built = 0
    for participant in participants:
        if participant.pk in done or participant.pk not in t_r:
            continue
        rng = random.Random(f"{seed}-{participant.code}")
        plan = plan_course(rng)
        for key, value in (plan_overrides or {}).items():
            setattr(plan, key, value)
        builder = CourseBuilder(
            participant,
            randomized_at=t_r[participant.pk],
            kit_code=kits[participant.pk],
            by=participant.enrolled_by,
            rng=rng,
            now=now,
        )
        icu_admitted = t_r[participant.pk] - timedelta(days=8, hours=rng.randint(8, 14))
        out = builder.build(plan, icu_admitted=icu_admitted)
        for model, objs in out.rows.items():
            rows.setdefault(model, []).extend(objs)
        flags += out.flags
        statuses.setdefault(out.participant_status, []).append(participant.pk)
        built += 1
    with transaction.atomic():
        for model in CRF_MODELS:
            if rows.get(model):
                model.objects.bulk_create(rows[model], batch_size=1000)
        EditCheckFlag.objects.bulk_create(
            EditCheckFlag(
                participant_id=obj.participant_id,
                model_label=obj._meta.label_lower,
                object_id=obj.pk,
                field=f.field,
                msgid=f.msgid,
                params={k: str(v) for k, v in f.params.items()},
                message=f.english[:500],
                created_by=obj.created_by,
            )
            for obj, soft in flags
            for f in soft
        )
        for status, pids in statuses.items():
            Participant.objects.filter(pk__in=pids).update(status=status)
        for participant in participants:
            if participant.pk in t_r and participant.pk not in done:
                record(
                    "crf.synthetic_course",
                    target=participant,
                    by=participant.enrolled_by,
                    data={"synthetic": True},
                )
    stdout.write(
        f"Synthetic CRF courses: {built} participants, "
        f"{sum(len(v) for v in rows.values())} forms, {len(flags)} flagged"
    )
    return built


def build_trial(n: int, *, users: dict[str, Any], rng: random.Random, stdout: Any) -> int:
    """Top the trial up to `n` randomized participants, each with a course to today."""
    from randomization.models import Allocation

    started = time.monotonic()
    existing = Allocation.objects.count()
    missing = n - existing
    seed = f"{rng.getrandbits(64):016x}"
    trial_rng = random.Random(f"trial-{n}-{seed}")
    if missing > 0:
        ensure_allocation_list(users, trial_rng, stdout)
        ensure_depot(2 * missing + 16 * Site.objects.count(), users, trial_rng)
        sites = list(Site.objects.active().order_by("code"))
        staff = {site.code: site_users(site, users) for site in sites}
        shares = _shares(missing, sites, trial_rng)
        plan = [code for code, k in shares.items() for _ in range(k)]
        trial_rng.shuffle(plan)
        times = _randomization_times(len(plan), trial_rng, timezone.now())
        by_code = {site.code: site for site in sites}
        depot_user = users["demo-randomization"]
        last_notification = _last_notification_id()
        for index, (code, when) in enumerate(zip(plan, times, strict=False)):
            site = by_code[code]
            enrol_and_randomize(
                site,
                when=when,
                staff=staff[code],
                depot_user=depot_user,
                rng=random.Random(f"{seed}-enrol-{index}"),
            )
        _mark_replayed_notifications_sent(after=last_notification)
        stdout.write(
            f"Synthetic trial: {len(times)} participants randomized "
            f"({time.monotonic() - started:.0f} s)"
        )
    randomized = list(
        Participant.objects.filter(allocation__isnull=False).select_related("site").order_by("pk")
    )
    seed_courses(randomized, seed=seed, stdout=stdout)
    stdout.write(f"Synthetic trial ready in {time.monotonic() - started:.0f} s")
    return max(missing, 0)


def _last_notification_id() -> int:
    from randomization.models import Notification

    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _mark_replayed_notifications_sent(*, after: int) -> None:
    """The e-mails of replayed past events are not sent (their delivery was suppressed)."""
    from randomization.models import Notification

    Notification.objects.filter(pk__gt=after, sent_at__isnull=True).update(sent_at=timezone.now())
