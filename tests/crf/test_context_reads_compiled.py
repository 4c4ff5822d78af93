"""Reads compiled once per process and prepared (ADR 0045) beyond the three of every save:
a screening's rows (every screening save, enrolment and randomization re-evaluate them),
the other rows the injection, infection and adverse-event rules read, and the system
queries of a row an update compares its edit checks with. Each must return
what the ORM read it replaced returns, on a synthetic trial with voided screening rows,
a screening without rows and forms entered in error; controls: the same reads without the
"current rows" filter are caught."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model, Value

from crf.models import (
    CrfStatus,
    DataQuery,
    QueryOrigin,
    QueryStatus,
    SecondaryInfection,
    StudyDrugAdministration,
)
from crf.rules import context
from eligibility import adapter
from eligibility.models import Consent, MhlaDrResult, Screening, SofaDay
from participants.models import Participant
from platinium.lib.compiled import (
    PLACEHOLDER,
    SECOND_PLACEHOLDER,
    TEXT_PLACEHOLDER,
    compile_query,
)
from platinium.lib.study_time import paris_date
from tests.crf.trial import trial_326  # noqa: F401  (module fixture)

pytestmark = pytest.mark.django_db


def reference_screening_data(screening: Screening) -> adapter.ScreeningData:
    """`data_from_screening` as the ORM read it before it was compiled: six queries."""
    from eligibility.models import ApacheIIValues, ScreeningLabs

    values = adapter._values
    try:
        apache = values(screening.apache_ii, adapter.APACHE_FIELDS)
    except ApacheIIValues.DoesNotExist:
        apache = {}
    try:
        labs = values(screening.labs, adapter.LAB_FIELDS)
    except ScreeningLabs.DoesNotExist:
        labs = {}

    def rows(manager: Any, names: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"id": r.pk, **values(r, names)} for r in manager.current()]

    return adapter.ScreeningData(
        header=values(screening, adapter.HEADER_FIELDS),
        sofa=rows(screening.sofa_days, adapter.SOFA_FIELDS),
        mhla_dr=rows(screening.mhla_dr_results, adapter.MHLA_DR_FIELDS),
        lymphocytes=rows(screening.lymphocyte_counts, adapter.LYMPHOCYTE_FIELDS),
        apache_ii=apache,
        labs=labs,
        corticosteroids=rows(screening.corticosteroid_courses, adapter.COURSE_FIELDS),
    )


@pytest.fixture
def screenings(trial_326: Any) -> list[Screening]:  # noqa: F811
    """Every screening of the trial, some rows voided, one screening with several rows
    per section inserted out of order, and one screening without rows."""
    sofa = SofaDay.objects.order_by("-pk").first()
    for day in (sofa.icu_day + 2, sofa.icu_day + 1):
        sofa.pk, sofa.icu_day = None, day
        sofa.save()
    mhla = MhlaDrResult.objects.order_by("-pk").first()
    for hours in (5, 30):
        mhla.pk, mhla.sampled_at = None, mhla.sampled_at - timedelta(hours=hours)
        mhla.save()
    for model in (SofaDay, MhlaDrResult):
        for row in model.objects.order_by("pk")[:3]:
            row.void()
    first = Screening.objects.order_by("pk").first()
    Screening.objects.create(
        site=first.site,
        seq=999,
        number=Screening.format_number(first.site.code, 999),
        created_by=first.created_by,
    )
    found = list(Screening.objects.order_by("pk"))
    data = [reference_screening_data(s) for s in found]
    assert any(d.sofa and d.apache_ii and d.labs for d in data)
    assert data[-1].sofa == [] and data[-1].apache_ii == {} and data[-1].labs == {}
    assert any(d.corticosteroids for d in data)
    assert any(len(d.sofa) > 2 and len(d.mhla_dr) > 2 for d in data)
    return found


def test_a_screening_s_rows_equal_the_orm_reads(screenings: list[Screening]) -> None:
    for screening in screenings:
        assert adapter.data_from_screening(screening) == reference_screening_data(screening)


def test_control_rows_read_without_the_current_filter_are_caught(
    screenings: list[Screening],
) -> None:
    voided = SofaDay.objects.filter(voided_at__isnull=False).first()
    everything = compile_query(
        SofaDay.objects.filter(screening_id=PLACEHOLDER).values_list("pk", *adapter.SOFA_FIELDS)
    )
    current = adapter._compiled_rows()["sofa"]
    ids = [row[0] for row in current.rows(voided.screening_id)]
    assert voided.pk in [row[0] for row in everything.rows(voided.screening_id)]
    assert voided.pk not in ids
    reference = reference_screening_data(voided.screening)
    assert [row["id"] for row in reference.sofa] == ids


def _values(objects: list[Model]) -> list[tuple[Any, ...]]:
    """Instances compared by every column (Model equality is the primary key only)."""
    return [
        (type(o), tuple((f.attname, getattr(o, f.attname)) for f in o._meta.concrete_fields))
        for o in objects
    ]


def reference_others(model: Any, participant: Participant, instance: Any) -> list[Model]:
    return list(
        model.objects.current()
        .filter(participant=participant)
        .exclude(pk=getattr(instance, "pk", None))
    )


def reference_first_injection_and_consent(participant: Participant) -> dict[str, Any]:
    first_given = (
        StudyDrugAdministration.objects.current()
        .filter(participant=participant, given=True, given_at__isnull=False)
        .order_by("given_at")
        .values_list("given_at", flat=True)
        .first()
    )
    consented_at = (
        Consent.objects.filter(screening__participant=participant)
        .values_list("consented_at", flat=True)
        .first()
    )
    return {
        "first_injection_date": paris_date(first_given) if first_given else None,
        "consent_date": paris_date(consented_at) if consented_at else None,
    }


@pytest.fixture
def participants(trial_326: Any) -> list[Participant]:  # noqa: F811
    """Every participant, one injection and one infection entered in error."""
    for model in (StudyDrugAdministration, SecondaryInfection):
        row = model.objects.order_by("pk").first()
        model.objects.filter(pk=row.pk).update(status=CrfStatus.ENTERED_IN_ERROR)
    return list(Participant.objects.order_by("pk"))


def test_the_other_rows_the_rules_read_equal_the_orm_reads(
    participants: list[Participant],
) -> None:
    reads = {
        StudyDrugAdministration: context.other_injections,
        SecondaryInfection: context.other_infections,
    }
    seen = dict.fromkeys(reads, 0)
    for participant in participants:
        for model, read in reads.items():
            for instance in [None, *model.objects.filter(participant=participant)]:
                found = read(participant, instance, {})["others"]
                assert _values(found) == _values(reference_others(model, participant, instance))
                seen[model] += len(found)
        assert context.first_injection_and_consent(
            participant, None, {}
        ) == reference_first_injection_and_consent(participant)
    assert all(seen.values())
    assert any(
        context.first_injection_and_consent(p, None, {})["first_injection_date"]
        for p in participants
    )


def test_control_other_rows_without_the_current_filter_are_caught(
    participants: list[Participant],
) -> None:
    voided = StudyDrugAdministration.objects.filter(status=CrfStatus.ENTERED_IN_ERROR).first()
    everything = compile_query(
        StudyDrugAdministration.objects.filter(participant_id=PLACEHOLDER).exclude(
            pk=SECOND_PLACEHOLDER
        ),
        expected=2,
        placeholders=(PLACEHOLDER, SECOND_PLACEHOLDER),
    )
    participant = voided.participant
    reference = _values(reference_others(StudyDrugAdministration, participant, None))
    assert _values(everything.instances(participant.pk, 0)) != reference
    assert _values(context.other_injections(participant, None, {})["others"]) == reference


def reference_system_queries(obj: Model) -> list[Model]:
    return list(DataQuery.objects.system().for_object(obj).exclude(status=QueryStatus.CANCELLED))


def test_a_row_s_system_queries_equal_the_orm_read(trial_326: Any) -> None:  # noqa: F811
    """What an update compares its edit checks with: the row's system queries not
    cancelled, newest first; not another row's, not another form's row of the same id, not
    a person's query. Control: the read without the cancelled filter is caught."""
    from crf.models import DailyFollowUp
    from crf.services.core import _compiled_system_queries

    row = DailyFollowUp.objects.order_by("pk").first()
    other = DailyFollowUp.objects.order_by("pk").last()

    def query(obj: Model, label: str = "", **values: Any) -> None:
        DataQuery.objects.create(
            participant_id=obj.participant_id,
            model_label=label or obj._meta.label_lower,
            object_id=obj.pk,
            field="gcs",
            msgid="A check",
            params={"limit": 3, "unit": "mmHg"},
            **values,
        )

    query(row, origin=QueryOrigin.SYSTEM)
    query(row, origin=QueryOrigin.SYSTEM, status=QueryStatus.ANSWERED)
    query(row, origin=QueryOrigin.SYSTEM, status=QueryStatus.CANCELLED)
    query(row, origin=QueryOrigin.MONITOR)
    query(row, "crf.baseline", origin=QueryOrigin.SYSTEM)
    query(other, origin=QueryOrigin.SYSTEM)
    for obj in (row, other):
        found = _compiled_system_queries().instances(obj.pk, obj._meta.label_lower)
        assert _values(found) == _values(reference_system_queries(obj))
    assert len(reference_system_queries(row)) == 2
    everything = compile_query(
        DataQuery.objects.filter(
            model_label=TEXT_PLACEHOLDER, object_id=Value(PLACEHOLDER)
        ).system(),
        expected=2,
        placeholders=(PLACEHOLDER, TEXT_PLACEHOLDER),
    )
    assert len(everything.instances(row.pk, row._meta.label_lower)) == 3
