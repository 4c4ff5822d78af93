"""A synthetic full trial (`manage.py seed_demo --participants N`): 23 sites, screening
failures, enrolment, randomization, dispensing, and each participant's course up to today.

Every clinical write goes through the real services, at the moment it happened
(demo.clock: the services stamp their writes with `timezone.now()`, which the builder
simulates; see that module for what is and is not simulated):
- screening, consent: eligibility.services.create_screening / record_consent;
- enrolment: eligibility.services._enrol, i.e. `enrol` minus the password check. Decision:
  the password is the investigator's e-signature in front of the enrolment page (21 CFR
  11.200), a check of a person, not of a data rule; the engine re-evaluation, numbering,
  confirmation and audit all run. Synthetic site accounts have no usable password (nobody
  can log in with them), and each PBKDF2 check costs ~0.4 s, which alone would exceed the
  time budget of a 326-participant trial;
- randomization, dispensing, supply chain: randomization.services.* (randomize,
  dispense_kit right after it, dispatch_shipment, receive_kit, close_receipt): no kit
  of a randomized participant is left "to dispense", and the kit is dispensed before any
  injection names it;
- every CRF form, death, SAE acknowledgement: crf.services (demo.course).
E-mails: the outbox tasks (`.delay`) are replaced, inside the builder only, by a direct run
of the same task with Django's dummy e-mail backend and a placeholder SAE PDF
(`quiet_notifications`): the notification rows and `sae_notified_at` are stamped as sent,
at the simulated moment, and nothing leaves the machine.

Deterministic for a seed (one Random per participant), except which of the earliest-
expiring kits randomize and the depot pick (`secrets`, by design). Idempotent: N is the
total of randomized participants wanted; a second run with the same N adds nothing (a
participant with a baseline form already has its course).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

from django.db import connection, connections
from django.test import override_settings

from accounts.models import Membership, User
from accounts.roles import Role
from audit.context import acting_user
from crf.models import Baseline
from demo.clock import SimulatedClock, real_now
from demo.course import CourseWriter, Staff, plan_course
from participants.models import Participant
from platinium.lib.study_time import STUDY_TIME_ZONE, paris_date
from sites.models import Site

if TYPE_CHECKING:
    from accounts.types import User

RECRUITMENT_START = date(2025, 7, 9)  # the protocol's first inclusion
SCREEN_FAILURE_RATE = 0.25
FAILURE_KINDS = ("I3", "I4", "E1", "E4", "E13", "E18", "E19", "I4", "I1")
# Events less than this old are "not entered yet" (the site enters the day's forms later).
ENTRY_MARGIN = timedelta(hours=1)


@contextmanager
def quiet_notifications() -> Iterator[None]:
    """Run the e-mail tasks at once, in this process, with nothing sent (module docstring)."""
    from crf import tasks as crf_tasks
    from randomization import tasks as randomization_tasks

    tasks = (
        randomization_tasks.send_notification_task,
        crf_tasks.send_sae_notification_task,
    )
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        mock.patch("crf.pdf.sae_pdf", lambda *args, **kwargs: b"%PDF-1.4 demo placeholder"),
        mock.patch.object(tasks[0], "delay", lambda *a: tasks[0].run(*a)),
        mock.patch.object(tasks[1], "delay", lambda *a: tasks[1].run(*a)),
    ):
        yield


@dataclass
class CachedReads:
    """What `cached_randomization_reads` read, per participant id, and the real reads."""

    times: dict[int, datetime]
    kits: dict[int, set[str]]
    read_time: Callable[[Any], datetime | None]
    read_kits: Callable[[Any], set[str]]

    def stale(self) -> list[int]:
        """The participants whose cached value is no longer what the database holds."""
        return sorted(
            {pk for pk, value in self.times.items() if self.read_time(pk) != value}
            | {pk for pk, codes in self.kits.items() if self.read_kits(pk) != codes}
        )


@contextmanager
def cached_randomization_reads() -> Iterator[CachedReads]:
    """Every CRF save re-reads the participant's randomization time (is it randomized?)
    and every study-drug save the kits dispensed to the participant (the only kits an
    injection may name): a query each of about a dozen per form. While the courses are
    written they cannot change once read: randomized_at is immutable (a database trigger),
    and the builder dispenses every kit in `enrol_and_randomize`, before any course is
    written, and dispenses no kit afterwards (the kit log is append-only). So they are
    read once per participant; the rules still receive exactly what the database holds
    (tests/demo/test_synthetic_trial.py)."""
    from randomization import selectors

    real_randomized_at = selectors.randomized_at
    real_dispensed = selectors.dispensed_kit_codes_for
    times: dict[int, datetime] = {}
    kits: dict[int, set[str]] = {}

    def randomized_at(participant: Any) -> datetime | None:
        if participant.pk not in times:
            value = real_randomized_at(participant)
            if value is None:
                return None
            times[participant.pk] = value
        return times[participant.pk]

    def dispensed_kit_codes_for(participant: Any) -> set[str]:
        key = getattr(participant, "pk", participant)  # a participant or its id
        if key not in kits:
            kits[key] = real_dispensed(participant)
        return set(kits[key])

    with (
        mock.patch.object(selectors, "randomized_at", randomized_at),
        mock.patch.object(selectors, "dispensed_kit_codes_for", dispensed_kit_codes_for),
    ):
        yield CachedReads(times, kits, real_randomized_at, real_dispensed)


@contextmanager
def builder_session() -> Iterator[SimulatedClock]:
    """The clock, the quiet e-mails, and asynchronous commits for this connection only:
    demo data may lose its last transactions in a server crash (never their consistency),
    and a commit per form otherwise waits for a WAL flush each time."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        with SimulatedClock().installed() as clock, quiet_notifications():
            yield clock
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")


def site_users(site: Site, users: dict[str, Any]) -> dict[str, Any]:
    """The site's investigator and pharmacist: the demo accounts at 11/16, else synthetic
    accounts without a usable password (they cannot log in)."""
    demo = {
        "11": ("demo-investigator", "demo-pharmacist"),
        "16": ("demo-investigator-nantes", "demo-pharmacist-nantes"),
    }
    inv_name, pharm_name = demo.get(site.code, (None, None))
    out: dict[str, Any] = {}
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
    today = paris_date(now)
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
    from randomization.services.lists import import_allocation_list

    if Stratum.objects.count() >= Site.objects.count():
        return
    raw = allocation_list.generate(f"{rng.getrandbits(128):032x}", "UAT", "synthetic-1").encode()
    import_allocation_list(
        raw,
        by=users["demo-randomization"],
        declared_sha256=allocation_list.sha256_hex(raw),
        filename="synthetic-allocation-list.csv",
    )
    stdout.write("Synthetic trial: UAT allocation list imported for all sites")


def ensure_depot(needed: int, users: dict[str, Any], rng: random.Random) -> None:
    """Enough kits at the central depot for `needed` more kits (a UAT kit list import)."""
    from randomization import allocation_list, kit_codes
    from randomization.models import Kit
    from randomization.services.lists import import_kit_list

    at_depot = Kit.objects.filter(status=Kit.Status.AT_DEPOT, site__isnull=True).count()
    if at_depot >= needed:
        return
    per_arm = (needed - at_depot) // 2 + 60
    expiry = paris_date(real_now()) + timedelta(days=720)
    text = kit_codes.generate_kit_list(per_arm, f"SYN-{rng.randint(100, 999)}", expiry, rng=rng)
    raw = text.encode()
    import_kit_list(
        raw,
        by=users["demo-randomization"],
        declared_sha256=allocation_list.sha256_hex(raw),
        filename="synthetic-kit-list.csv",
    )


def deliver_shipments(site: Site, *, pharmacist: User, depot_user: User) -> int:
    """The depot ships each requested shipment; the site pharmacy scans what is in transit
    and closes the receipt (temperature logger OK)."""
    from randomization.models import Kit, Shipment
    from randomization.services.supply import close_receipt, receive_kit, request_initial_supply

    # One read when there is nothing to do (most calls: every shipment delivered).
    statuses = set(
        Shipment.objects.filter(site=site).order_by().values_list("status", flat=True).distinct()
    )
    if not statuses:
        request_initial_supply(site, by=depot_user)
    elif not statuses & {Shipment.Status.REQUESTED, Shipment.Status.IN_TRANSIT}:
        return 0
    delivered = 0
    for shipment in Shipment.objects.filter(site=site, status=Shipment.Status.REQUESTED):
        _dispatch(shipment, depot_user)
    for shipment in Shipment.objects.filter(site=site, status=Shipment.Status.IN_TRANSIT):
        codes = Kit.objects.filter(shipment=shipment, status=Kit.Status.IN_TRANSIT)
        for code in codes.values_list("code", flat=True):
            receive_kit(shipment, by=pharmacist, scanned_code=code)
        close_receipt(shipment, by=pharmacist, temperature=Shipment.Temperature.OK)
        delivered += 1
    return delivered


def _dispatch(shipment: Any, depot_user: User) -> None:
    """The depot locks every depot kit it considers (SKIP LOCKED): while another builder
    process dispatches, this one sees an empty depot. Wait for it rather than fail."""
    from randomization.services.supply import SupplyShortage, dispatch_shipment

    for attempt in range(100):
        try:
            dispatch_shipment(shipment, by=depot_user)
            return
        except SupplyShortage:
            if attempt == 99:
                raise
            time.sleep(0.05)


def dispense_allocated(participant: Participant, *, pharmacist: User) -> int:
    """The pharmacy dispenses (scans) every kit allocated to the participant."""
    from randomization.models import Kit
    from randomization.services.dispensing import dispense_kit

    codes = list(
        Kit.objects.filter(participant=participant, status=Kit.Status.ALLOCATED)
        .order_by("code")
        .values_list("code", flat=True)
    )
    for code in codes:
        dispense_kit(participant, by=pharmacist, scanned_code=code)
    return len(codes)


# ---------------------------------------------------------------------- participants


def enrol_and_randomize(
    site: Site,
    *,
    when: datetime,
    clock: SimulatedClock,
    staff: dict[str, Any],
    depot_user: User,
    rng: random.Random,
) -> Participant:
    """Screen (some failures first), consent, enrol, randomize at `when`, dispense."""
    from eligibility.demo import KINDS
    from eligibility.samples import sample_data
    from eligibility.services import _enrol, create_screening, record_consent
    from randomization.services.allocation import randomize

    inv, pharmacist = staff[Role.INVESTIGATOR], staff[Role.PHARMACIST]
    evaluated = when - timedelta(hours=rng.randint(2, 8))
    icu = evaluated - timedelta(days=8, hours=6)
    while rng.random() < SCREEN_FAILURE_RATE:
        kind = rng.choice(FAILURE_KINDS)
        failed_icu = icu - timedelta(days=rng.randint(1, 20))
        data = sample_data(icu_admission=failed_icu, **dict(KINDS[kind]))
        data.header["age"] = KINDS[kind].get("age", rng.randint(30, 85))
        with clock.at(failed_icu + timedelta(days=8, hours=7)):
            create_screening(site, by=inv, data=data)
    data = sample_data(icu_admission=icu)
    data.header["age"] = rng.randint(30, 85)
    data.header["sex"] = rng.choice("MMF")
    with clock.at(evaluated + timedelta(minutes=30)):
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
    with clock.at(when):
        deliver_shipments(site, pharmacist=pharmacist, depot_user=depot_user)
        randomize(participant, by=inv, idempotency_key=f"synthetic-{participant.code}")
    with clock.at(when + timedelta(minutes=40)):
        dispense_allocated(participant, pharmacist=pharmacist)
        deliver_shipments(site, pharmacist=pharmacist, depot_user=depot_user)
    return participant


# ----------------------------------------------------------------------------- CRF


def write_courses(
    participants: list[Participant],
    *,
    seed: str,
    users: dict[str, Any],
    clock: SimulatedClock,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Write, through the CRF services, the course of each randomized participant without
    one (a baseline form marks a course already written)."""
    from randomization.models import Allocation, Kit

    now = now or real_now()
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
    done = set(
        Baseline.objects.filter(participant_id__in=ids).values_list("participant_id", flat=True)
    )
    data_manager = users["demo-datamanager"]
    built = writes = 0
    with cached_randomization_reads():
        for participant in participants:
            built, writes = _write_course(
                participant,
                plan_seed=f"{seed}-{participant.code}",
                skip=participant.pk in done or participant.pk not in t_r,
                randomized_at=t_r.get(participant.pk),
                kit=kits.get(participant.pk, ""),
                staff=Staff(investigator=participant.enrolled_by, data_manager=data_manager),
                clock=clock,
                now=now,
                totals=(built, writes),
            )
    return built, writes


def _write_course(
    participant: Participant,
    *,
    plan_seed: str,
    skip: bool,
    randomized_at: datetime | None,
    kit: str,
    staff: Staff,
    clock: SimulatedClock,
    now: datetime,
    totals: tuple[int, int],
) -> tuple[int, int]:
    built, writes = totals
    if skip or randomized_at is None:
        return built, writes
    rng = random.Random(plan_seed)
    plan = plan_course(rng)
    writer = CourseWriter(
        participant, randomized_at=randomized_at, kit_code=kit, staff=staff, rng=rng
    )
    icu_admitted = randomized_at - timedelta(days=8, hours=rng.randint(8, 14))
    before = writes
    with acting_user(participant.enrolled_by, reason="demo data"):
        for event in writer.build(plan, icu_admitted=icu_admitted):
            if event.moment > now - ENTRY_MARGIN:
                break  # not entered yet: a later run of the seed does not add it either
            with clock.at(event.moment):
                event.call()
            writes += 1
    return built + (writes > before), writes


def build_trial(
    n: int, *, users: dict[str, Any], rng: random.Random, stdout: Any, workers: int = 1
) -> int:
    """Top the trial up to `n` randomized participants, each with a course to today.

    `workers` > 1: the sites are shared out between that many forked processes, each with
    its own database connection (sites are independent: own stratum, stock, sequences;
    the depot pick uses SKIP LOCKED). Needs committed data, so never inside a test's
    transaction. The result is the same as with one worker (same seed → same codes and
    values), only the kits the depot and randomize pick differ (random by design).
    """
    from randomization.models import Allocation

    started = time.monotonic()
    missing = n - Allocation.objects.count()
    seed = f"{rng.getrandbits(64):016x}"
    trial_rng = random.Random(f"trial-{n}-{seed}")
    now = real_now()
    schedule: list[tuple[int, str, datetime]] = []
    if missing > 0:
        sites = list(Site.objects.active().order_by("code"))
        shares = _shares(missing, sites, trial_rng)
        plan = [code for code, k in shares.items() for _ in range(k)]
        trial_rng.shuffle(plan)
        times = _randomization_times(len(plan), trial_rng, now)
        schedule = list(zip(range(len(times)), plan, times, strict=False))
        with builder_session() as clock, clock.at(times[0] - timedelta(days=30) if times else now):
            ensure_allocation_list(users, trial_rng, stdout)
            ensure_depot(2 * missing + 16 * len(sites), users, trial_rng)
            for site in sites:
                site_users(site, users)
    codes = sorted(
        {code for _i, code, _t in schedule}
        | set(
            Participant.objects.filter(allocation__isnull=False).values_list(
                "site__code", flat=True
            )
        )
    )
    job = SiteJob(seed=seed, users=users, schedule=schedule, now=now)
    if workers > 1 and len(codes) > 1:
        totals = _run_in_processes(job, _share_sites(codes, schedule, workers))
    else:
        totals = job.run(codes)
    stdout.write(
        f"Synthetic trial: {totals[0]} participants randomized, {totals[1]} courses written "
        f"({totals[2]} service calls) in {time.monotonic() - started:.0f} s"
    )
    return max(missing, 0)


@dataclass
class SiteJob:
    """Randomize the scheduled participants of some sites, then write their courses."""

    seed: str
    users: dict[str, Any]
    schedule: list[tuple[int, str, datetime]]
    now: datetime

    def run(self, codes: list[str]) -> tuple[int, int, int]:
        wanted = set(codes)
        sites = {site.code: site for site in Site.objects.filter(code__in=wanted)}
        with builder_session() as clock:
            staff = {code: site_users(site, self.users) for code, site in sites.items()}
            randomized = 0
            for index, code, when in self.schedule:
                if code not in wanted:
                    continue
                enrol_and_randomize(
                    sites[code],
                    when=when,
                    clock=clock,
                    staff=staff[code],
                    depot_user=self.users["demo-randomization"],
                    rng=random.Random(f"{self.seed}-enrol-{index}"),
                )
                randomized += 1
            participants = list(
                Participant.objects.filter(allocation__isnull=False, site__code__in=wanted)
                .select_related("site", "enrolled_by")
                .order_by("pk")
            )
            built, writes = write_courses(
                participants, seed=self.seed, users=self.users, clock=clock, now=self.now
            )
        return randomized, built, writes


def _share_sites(
    codes: list[str], schedule: list[tuple[int, str, datetime]], workers: int
) -> list[list[str]]:
    """Sites to processes, largest recruitment first, each to the least loaded process."""
    load = dict.fromkeys(codes, 1)
    for _index, code, _when in schedule:
        load[code] += 1
    shares: list[list[str]] = [[] for _ in range(min(workers, len(codes)))]
    weights = [0] * len(shares)
    for code in sorted(codes, key=lambda c: (-load[c], c)):
        target = weights.index(min(weights))
        shares[target].append(code)
        weights[target] += load[code]
    return shares


def _run_in_processes(job: SiteJob, shares: list[list[str]]) -> tuple[int, int, int]:
    """Fork one process per share of sites; each opens its own database connection."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()  # a forked child must not share the parent's socket

    def child(codes: list[str]) -> None:
        try:
            results.put(("ok", job.run(codes)))
        except BaseException as error:  # reported to the parent, which raises
            results.put(("error", f"{type(error).__name__}: {error}"))
            raise
        finally:
            connections.close_all()

    processes = [context.Process(target=child, args=(codes,)) for codes in shares]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    errors = [detail for status, detail in outcomes if status == "error"]
    if errors:
        raise RuntimeError("synthetic trial worker failed: " + "; ".join(errors))
    totals = [0, 0, 0]
    for _status, numbers in outcomes:
        for i, value in enumerate(numbers):
            totals[i] += value
    return totals[0], totals[1], totals[2]
