"""The synthetic trial of `seed_demo --participants N` (demo.trial): written through the
real services, deterministic for a seed, idempotent, no kit left to dispense, realistic.

A handful of participants here; the 326-participant build and its time are `make bench`.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import Count

from audit.models import AuditEvent
from crf.definitions import CRF_MODELS
from crf.models import (
    AdverseEvent,
    DailyFollowUp,
    Death,
    IcuStay,
    SecondaryInfection,
    StudyDrugAdministration,
)
from demo.clock import real_now
from participants.models import Participant
from platinium.lib.study_time import d0_from_randomized_at, paris_date
from randomization.models import Allocation, Kit

pytestmark = pytest.mark.django_db

SMALL = 12
SMALL_SEED = 19  # a seed whose 12 participants reach every stage (see the last test)


def demo_users() -> dict[str, Any]:
    from accounts.demo import seed_accounts

    return seed_accounts()


def build(n: int, seed: int = 7) -> io.StringIO:
    from demo.trial import build_trial

    out = io.StringIO()
    build_trial(n, users=demo_users(), rng=random.Random(seed), stdout=out)
    return out


@pytest.fixture(scope="module")
def small_trial(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """One small trial for the read-only tests of this module, rolled back after them."""
    from tests.factories import restore_migration_data

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            restore_migration_data()
            build(SMALL, seed=SMALL_SEED)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def snapshot() -> dict[str, Any]:
    """The trial's content without database ids or kit codes (kit choice is random)."""
    return {
        "participants": sorted(Participant.objects.values_list("code", "status")),
        "randomized_at": sorted(
            Allocation.objects.values_list("participant__code", "randomized_at")
        ),
        "daily": sorted(
            DailyFollowUp.objects.values_list(
                "participant__code", "day_date", "sofa_total", "imv", "status"
            )
        ),
        "injections": sorted(
            StudyDrugAdministration.objects.values_list(
                "participant__code", "number", "given", "given_at", "status"
            )
        ),
        "infections": sorted(
            SecondaryInfection.objects.values_list("participant__code", "onset_date", "category")
        ),
        "adverse_events": sorted(
            AdverseEvent.objects.values_list("participant__code", "onset_date", "term", "outcome")
        ),
        "deaths": sorted(Death.objects.values_list("participant__code", "death_date")),
    }


def rows_without_trail() -> list[str]:
    """CRF rows lacking field history (pghistory event) or a business event (AuditEvent
    crf.<model>.create): a row the services did not write."""
    missing = []
    for model in CRF_MODELS:
        label = model._meta.label_lower
        history = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
        with_history = set(history.objects.values_list("pgh_obj_id", flat=True))
        with_event = {
            int(pk)
            for pk in AuditEvent.objects.filter(
                target_type=label, action=f"crf.{model._meta.model_name}.create"
            ).values_list("target_id", flat=True)
        }
        for pk in model.objects.values_list("pk", flat=True):
            if pk not in with_history or pk not in with_event:
                missing.append(f"{label}:{pk}")
    return missing


def kits_left_to_dispense() -> list[str]:
    return list(
        Kit.objects.filter(
            status=Kit.Status.ALLOCATED, participant__allocation__isnull=False
        ).values_list("code", flat=True)
    )


@pytest.mark.usefixtures("small_trial")
def test_every_crf_row_of_the_seed_has_field_history_and_a_business_event():
    assert sum(model.objects.count() for model in CRF_MODELS) > 100
    for model in (DailyFollowUp, StudyDrugAdministration, IcuStay):
        assert model.objects.exists(), model
    assert rows_without_trail() == []
    # Negative control: a row inserted around the services (the old bulk_create builder)
    # has its trigger history but no business event: the check names it.
    row = DailyFollowUp.objects.order_by("pk").first()
    row.pk, row.day_date = None, row.day_date - timedelta(days=60)
    with transaction.atomic():
        DailyFollowUp.objects.bulk_create([row])
        assert rows_without_trail() == [f"crf.dailyfollowup:{row.pk}"]
        transaction.set_rollback(True)


@pytest.mark.usefixtures("small_trial")
def test_no_randomized_participant_has_a_kit_left_to_dispense():
    randomized = Participant.objects.filter(allocation__isnull=False)
    assert randomized.count() == SMALL
    assert kits_left_to_dispense() == []
    assert Kit.objects.filter(participant__in=randomized, status=Kit.Status.DISPENSED).count() == (
        SMALL
    )
    # Each injection names a kit that was dispensed to that participant before it.
    given = StudyDrugAdministration.objects.filter(given=True).select_related("participant")
    assert given.exists()
    for injection in given:
        kit = Kit.objects.get(code=injection.kit_code)
        assert kit.participant_id == injection.participant_id
        dispensed = kit.log.get(to_status=Kit.Status.DISPENSED)
        assert dispensed.occurred_at < injection.given_at


@pytest.mark.usefixtures("small_trial")
def test_the_trial_is_dated_in_the_past_and_valid_against_the_schedule():
    now = real_now()
    times = sorted(Allocation.objects.values_list("randomized_at", flat=True))
    assert times[-1] < now and times[-1] - times[0] > timedelta(days=90)
    randomized = Participant.objects.filter(allocation__isnull=False)
    assert randomized.values("site").distinct().count() >= 8
    # Every business event of a form was stamped when the form was entered (simulated
    # clock), after the participant's randomization and before today.
    for event in AuditEvent.objects.filter(action="crf.dailyfollowup.create")[:50]:
        row = DailyFollowUp.objects.select_related("participant__allocation").get(
            pk=event.target_id
        )
        assert row.participant.allocation.randomized_at < event.occurred_at < now
        assert paris_date(event.occurred_at) > row.day_date - timedelta(days=1)
    stays: dict[int, list[IcuStay]] = {}
    for stay in IcuStay.objects.all():
        stays.setdefault(stay.participant_id, []).append(stay)
    for row in DailyFollowUp.objects.select_related("participant__allocation"):
        d0 = d0_from_randomized_at(row.participant.allocation.randomized_at)
        assert 0 <= (row.day_date - d0).days <= 90
        assert any(
            paris_date(s.admitted_at) <= row.day_date
            and (s.discharged_at is None or row.day_date <= paris_date(s.discharged_at))
            for s in stays[row.participant_id]
        ), row
    for injection in StudyDrugAdministration.objects.filter(given=True):
        assert 1 <= injection.study_day <= 9
    per_participant = StudyDrugAdministration.objects.values("participant").annotate(n=Count("id"))
    assert max(row["n"] for row in per_participant) <= 5


@pytest.mark.usefixtures("small_trial")
def test_participants_are_at_every_stage_of_a_real_trial():
    statuses = dict(
        Participant.objects.filter(allocation__isnull=False)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    S = Participant.Status
    assert statuses.get(S.RANDOMIZED, 0) >= 1  # in progress (in the ICU or followed up)
    assert statuses.get(S.COMPLETED, 0) >= 1
    assert statuses.get(S.DIED, 0) >= 1
    assert statuses.get(S.WITHDRAWN, 0) + statuses.get(S.LOST, 0) >= 1
    assert Death.objects.count() == statuses[S.DIED]


def test_course_plans_have_realistic_proportions():
    from demo.course import plan_course

    plans = [plan_course(random.Random(f"plan-{i}")) for i in range(3000)]
    died = sum(p.death_day is not None for p in plans) / len(plans)
    infected = sum(bool(p.infection_days) for p in plans) / len(plans)
    ended_early = sum(bool(p.early_end) for p in plans) / len(plans)
    assert 0.18 <= died <= 0.26
    assert 0.25 <= infected <= 0.45
    assert 0.03 <= ended_early <= 0.09


def test_same_seed_gives_the_same_trial_and_a_second_run_adds_nothing():
    with transaction.atomic():
        build(5, seed=3)
        first = snapshot()
        transaction.set_rollback(True)
    assert first["participants"] and first["daily"]
    build(5, seed=3)
    assert snapshot() == first
    counts = row_counts()
    output = build(5, seed=3).getvalue()
    assert row_counts() == counts
    assert "0 participants" in output


@pytest.mark.usefixtures("small_trial")
def test_the_builder_s_cached_reads_are_what_the_database_holds():
    """Read through the builder's caches as the CRF saves read them (the facts' dispensed
    kits, the randomized check), each participant twice: every value is the database's.
    Controls: a kit dispensed after the read, and a cached time altered, are caught."""
    from crf.facts import participant_facts
    from demo.trial import cached_randomization_reads
    from randomization import selectors
    from randomization.models import KitEvent

    randomized = list(Participant.objects.filter(allocation__isnull=False).order_by("pk"))
    with cached_randomization_reads() as cache:
        for _twice in range(2):
            for participant in randomized:
                dispensed = set(
                    KitEvent.objects.filter(
                        participant=participant,
                        to_status=Kit.Status.DISPENSED,
                        kit__participant=participant,
                    ).values_list("kit__code", flat=True)
                )
                assert dispensed
                assert participant_facts(participant).kit_codes == dispensed
                assert selectors.randomized_at(participant) == participant.allocation.randomized_at
        assert sorted(cache.kits) == sorted(cache.times) == [p.pk for p in randomized]
        assert cache.stale() == []

        first = randomized[0]
        with transaction.atomic():
            spare = Kit.objects.exclude(participant=first).order_by("pk").first()
            Kit.objects.filter(pk=spare.pk).update(participant=first)
            KitEvent.objects.create(
                kit=spare, to_status=Kit.Status.DISPENSED, participant=first, site=first.site
            )
            assert cache.stale() == [first.pk]
            assert spare.code not in participant_facts(first).kit_codes  # the stale value
            transaction.set_rollback(True)
        assert cache.stale() == []
        cache.times[first.pk] -= timedelta(minutes=1)
        assert cache.stale() == [first.pk]
