"""The three reads of every clinical save, compiled once per process (ADR 0045): the
participant row locked, the locks in force, the participant's facts. Each must return what
the ORM query it replaces returns, on a varied synthetic trial (deaths, several ICU stays,
forms entered in error, locks of each level), and the row must really be locked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from crf import facts as facts_module
from crf.facts import ParticipantFacts, participant_facts
from crf.models import Baseline, Death, IcuStay
from participants import locks
from participants.models import Lock, Participant
from participants.services import lock_for_write
from platinium.lib.compiled import PLACEHOLDER, compile_for, compile_query
from platinium.lib.study_time import d0_from_randomized_at, paris_date
from randomization.models import Allocation
from tests.crf.trial import trial_326  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db


def reference_facts(participant: Participant, now: Any) -> ParticipantFacts:
    """The facts as the ORM read them before they were compiled: four queries."""
    t_r = (
        Allocation.objects.filter(participant=participant)
        .values_list("randomized_at", flat=True)
        .first()
    )
    death_date, death_at = (
        Death.objects.current()
        .filter(participant=participant)
        .values_list("death_date", "death_at")
        .first()
    ) or (None, None)
    stays = tuple(
        IcuStay.objects.current()
        .filter(participant=participant)
        .order_by("stay_number")
        .values_list("stay_number", "admitted_at", "discharged_at")
    )
    baseline = (
        Baseline.objects.current()
        .filter(participant=participant)
        .values("weight_kg", "sex")
        .first()
        or {}
    )
    return ParticipantFacts(
        randomized_at=t_r,
        d0=d0_from_randomized_at(t_r) if t_r else None,
        now=now,
        today=paris_date(now),
        death_date=death_date,
        death_at=death_at,
        icu_stays=stays,
        weight_kg=baseline.get("weight_kg"),
        sex=baseline.get("sex") or "",
        participant_id=participant.pk,
    )


def _void_some_forms() -> None:
    """An ICU stay and a baseline entered in error, as a data manager would (the facts
    must leave them out)."""
    from crf.models import CrfStatus

    stay = IcuStay.objects.filter(stay_number=1).order_by("pk").first()
    baseline = Baseline.objects.exclude(participant=stay.participant).order_by("pk").first()
    for row in (stay, baseline):
        type(row).objects.filter(pk=row.pk).update(status=CrfStatus.ENTERED_IN_ERROR)


@pytest.fixture
def varied(trial_326: Any) -> list[Participant]:  # noqa: F811
    _void_some_forms()
    participants = list(Participant.objects.order_by("pk"))
    from django.utils import timezone

    facts = [reference_facts(p, timezone.now()) for p in participants]
    # The trial holds what the comparison must cover.
    assert any(f.death_date for f in facts)
    assert any(len(f.icu_stays) > 1 for f in facts)
    assert any(f.icu_stays and f.icu_stays[-1][2] is None for f in facts)
    assert IcuStay.objects.exclude(status="COMPLETE").exclude(status="IN_PROGRESS").exists()
    return participants


def test_facts_equal_the_orm_reads_for_every_participant(varied: list[Participant]) -> None:
    from django.utils import timezone

    now = timezone.now()
    for participant in varied:
        assert participant_facts(participant, now=now) == reference_facts(participant, now)


def test_control_a_facts_query_that_keeps_forms_entered_in_error_is_caught(
    varied: list[Participant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: the comparison above sees a query that forgets `.current()`."""
    from django.utils import timezone

    now = timezone.now()
    reference = {p.pk: reference_facts(p, now) for p in varied}
    current_rows = type(IcuStay.objects.all())
    monkeypatch.setattr(current_rows, "current", lambda rows: rows.all())
    facts_module._compiled_facts.cache_clear()
    try:
        differ = [p for p in varied if participant_facts(p, now=now) != reference[p.pk]]
    finally:
        facts_module._compiled_facts.cache_clear()
    assert differ, "a query that keeps entered-in-error stays went unnoticed"


def test_the_locked_row_equals_the_orm_row_with_its_site(varied: list[Participant]) -> None:
    fields = [f.attname for f in Participant._meta.concrete_fields]
    for participant in varied:
        with transaction.atomic():
            fresh = lock_for_write(participant.pk)
        orm = Participant.objects.select_related("site").get(pk=participant.pk)
        assert [getattr(fresh, f) for f in fields] == [getattr(orm, f) for f in fields]
        assert fresh.site.pk == orm.site.pk
        site_fields = [f.attname for f in type(orm.site)._meta.concrete_fields]
        assert [getattr(fresh.site, f) for f in site_fields] == [
            getattr(orm.site, f) for f in site_fields
        ]
        # The site was read with the row: naming it costs no query.
        with _no_queries():
            assert fresh.site.code == orm.site.code


def test_an_unknown_participant_does_not_exist(varied: list[Participant]) -> None:
    with transaction.atomic(), pytest.raises(Participant.DoesNotExist):
        lock_for_write(10**9)


def test_outside_a_transaction_the_lock_is_refused_as_the_orm_refuses_it(
    varied: list[Participant],
) -> None:
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError), _autocommit():
        lock_for_write(varied[0].pk)


def _locks_reference(participant_id: Any, form: models.Model | None) -> Lock | None:
    condition = models.Q(level=Lock.Level.DATABASE)
    if participant_id is not None:
        condition |= models.Q(level=Lock.Level.CASEBOOK, participant_id=participant_id)
    if form is not None and form.pk is not None:
        condition |= models.Q(
            level=Lock.Level.FORM, model_label=form._meta.label_lower, object_id=form.pk
        )
    found = list(Lock.objects.current().filter(condition))
    order = {Lock.Level.DATABASE: 0, Lock.Level.CASEBOOK: 1, Lock.Level.FORM: 2}
    return min(found, key=lambda lock: order[lock.level]) if found else None


def test_the_lock_in_force_equals_the_orm_read_for_every_level(
    varied: list[Participant], role_users: dict[str, Any]
) -> None:
    stays = list(IcuStay.objects.order_by("pk")[:3])
    first, second = stays[0].participant, stays[1].participant
    cases: list[tuple[Any, models.Model | None]] = [
        (p, form) for p in (first, second, None, first.pk) for form in (None, *stays)
    ]

    def check() -> int:
        seen = 0
        for participant, form in cases:
            got = locks.lock_refusing(participant, form)
            pid = participant.pk if isinstance(participant, Participant) else participant
            assert got == _locks_reference(pid, form), (participant, form)
            seen += got is not None
        return seen

    by = role_users["data_manager"]
    assert check() == 0
    Lock.objects.create(
        level=Lock.Level.FORM,
        model_label="crf.icustay",
        object_id=stays[0].pk,
        participant=first,
        site=first.site,
        locked_by=by,
        reason="test",
    )
    assert check() == 4  # the form, asked with either participant or none
    Lock.objects.create(
        level=Lock.Level.CASEBOOK, participant=second, site=second.site, locked_by=by, reason="t"
    )
    assert check() > 4
    Lock.objects.create(level=Lock.Level.DATABASE, locked_by=by, reason="test")
    assert check() == len(cases)


def test_the_compiled_lock_is_the_orm_s_own_for_update(varied: list[Participant]) -> None:
    """The row lock is the ORM's SQL, FOR UPDATE OF the participant row only (concurrent
    saves of one participant queue on it: tests/properties and tests/locks)."""
    from participants.services import _locked_row, locked_row_query

    with transaction.atomic():
        lock_for_write(varied[0].pk)
        orm_sql, _params = locked_row_query().filter(pk=PLACEHOLDER).query.sql_with_params()
    assert _locked_row().compiled.sql == orm_sql
    assert orm_sql.endswith('FOR UPDATE OF "participants_participant"')


def test_compile_query_refuses_what_it_cannot_read_back() -> None:
    with pytest.raises(ImproperlyConfigured):
        compile_query(Participant.objects.filter(pk=PLACEHOLDER).prefetch_related("locks"))
    with pytest.raises(ImproperlyConfigured):
        twice = models.Q(pk=PLACEHOLDER) | models.Q(site_id=PLACEHOLDER)
        compile_for(Participant.objects.filter(twice))
    with pytest.raises(ImproperlyConfigured):
        compile_for(Participant.objects.all())


class _no_queries:
    def __enter__(self) -> None:
        from django.test.utils import CaptureQueriesContext

        self.ctx = CaptureQueriesContext(connection)
        self.ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.ctx.__exit__(*exc)
        assert len(self.ctx.captured_queries) == 0, self.ctx.captured_queries


class _autocommit:
    """Pretend the connection is in autocommit, as outside any transaction."""

    def __enter__(self) -> None:
        self.real = connection.get_autocommit
        connection.get_autocommit = lambda: True  # type: ignore[method-assign]

    def __exit__(self, *exc: Any) -> None:
        connection.get_autocommit = self.real  # type: ignore[method-assign]
