"""Analysis datasets: rows streamed from the database in dictionary column order.

A `Dataset` pairs a dictionary spec with a generator of rows (lists of Python values);
every format (exports/formats/) writes from the same rows. Blinded by default (ADR 0015):
no arm, no kit-to-arm link, no restricted day-10 biology and nothing computed from it;
the restricted columns are never even selected from the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q, QuerySet

from accounts.access import site_filter
from accounts.roles import Capability
from crf.derived import derived_outcomes
from crf.models import CrfStatus, D10Biology, DailyFollowUp, FollowUp, StudyDrugAdministration
from eligibility.models import Screening
from exports import dictionary as d
from participants.models import Participant

if TYPE_CHECKING:
    from accounts.types import User

# Rows fetched per round trip: memory stays flat whatever the trial size.
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Dataset:
    spec: d.DatasetSpec
    blinded: bool
    rows: Callable[[], Iterator[list[Any]]]  # a fresh stream each call

    @property
    def columns(self) -> tuple[d.Variable, ...]:
        return self.spec.columns(blinded=self.blinded)


def _sites(field: str, sites: Sequence[str] | None) -> Q:
    return Q(**{f"{field}__code__in": list(sites)}) if sites else Q()


def _clinical(user: User, field: str) -> Q:
    return site_filter(user, Capability.VIEW_CLINICAL_DATA, field=field)


def _crf_queryset(model: type[Model], user: User, *, blinded: bool) -> QuerySet:
    if model is D10Biology and blinded:
        # The form's progress (sampled or not, why not) is in the clinical scope; its
        # results are not selected at all (columns restricted in the dictionary).
        return model.objects.filter(_clinical(user, "participant__site"))
    return model.objects.visible_to(user)


def _visit(model: type[Model], row: dict[str, Any]) -> str:
    if model is DailyFollowUp:
        return f"D{row['study_day']}"
    if model is FollowUp:
        return row["visit"]
    if model is StudyDrugAdministration:
        return f"INJ{row['number']}"
    for key in ("stay_number", "episode_number", "ae_number"):
        if key in row:
            return f"{model.FORM_CODE}_{row[key]}"
    return model.FORM_CODE


def crf_dataset(
    name: str, user: User, *, blinded: bool = True, sites: Sequence[str] | None = None
) -> Dataset:
    model = d.crf_forms()[name][0]
    spec = d.crf_dataset(name)
    columns = spec.columns(blinded=blinded)
    sources = [v.source for v in columns if v.source]
    visit_keys = [
        k
        for k in ("study_day", "visit", "number", "stay_number", "episode_number", "ae_number")
        if k in {f.attname for f in model._meta.concrete_fields}
    ]

    def rows() -> Iterator[list[Any]]:
        qs = (
            _crf_queryset(model, user, blinded=blinded)
            .current()
            .filter(_sites("participant__site", sites))
            .order_by("participant__site__code", "participant__code", "id")
            .values(*dict.fromkeys(sources + visit_keys))
        )
        for row in qs.iterator(chunk_size=CHUNK_SIZE):
            yield [_visit(model, row) if v.name == "visit" else row[v.source] for v in columns]

    return Dataset(spec, blinded, rows)


def child_dataset(
    name: str, user: User, *, blinded: bool = True, sites: Sequence[str] | None = None
) -> Dataset:
    """Organisms of an infection episode, readmissions of a follow-up: the rows of current
    forms that are not voided themselves."""
    model, parent = d.CHILD_FORMS[name]
    spec = d.child_dataset(name)
    columns = spec.columns(blinded=blinded)

    def rows() -> Iterator[list[Any]]:
        qs = (
            model.objects.visible_to(user)
            .filter(entered_in_error=False)
            .exclude(**{f"{parent}__status": CrfStatus.ENTERED_IN_ERROR})
            .filter(_sites(f"{parent}__participant__site", sites))
            .order_by(f"{parent}__participant__site__code", f"{parent}__participant__code", "id")
            .values(*[v.source for v in columns])
        )
        for row in qs.iterator(chunk_size=CHUNK_SIZE):
            yield [row[v.source] for v in columns]

    return Dataset(spec, blinded, rows)


def screening_dataset(
    user: User, *, blinded: bool = True, sites: Sequence[str] | None = None
) -> Dataset:
    spec = d.screening_dataset()
    columns = spec.columns(blinded=blinded)

    def rows() -> Iterator[list[Any]]:
        qs = (
            Screening.objects.visible_to(user)
            .filter(_sites("site", sites))
            .order_by("site__code", "seq")
            .values(*[v.source for v in columns])
        )
        for row in qs.iterator(chunk_size=CHUNK_SIZE):
            yield [row[v.source] for v in columns]

    return Dataset(spec, blinded, rows)


def _outcome_values(participant: Participant, randomized_at: Any) -> dict[str, Any]:
    o = derived_outcomes(participant, randomized_at)
    return {
        "randomized_at": randomized_at,
        "d90_mortality": o.d90_mortality,
        "icu_mortality": o.icu_mortality,
        "infections_by_d90": o.infections_by_d90,
        "vfd_d28": o.ventilator_free_days_d28,
        "vfd_d90": o.ventilator_free_days_d90,
        "icu_free_days_d28": o.icu_free_days_d28,
        "icu_free_days_d90": o.icu_free_days_d90,
        "icu_los_days": o.icu_los.total_days if o.icu_los else None,
        "icu_los_after_rand_days": o.icu_los.after_randomization_days if o.icu_los else None,
        "hospital_los_days": o.hospital_los.total_days if o.hospital_los else None,
        "injections_given": o.exposure.injections_given,
        "kits_used": o.exposure.kits_used,
        "imv_days": o.resource_use.imv_days,
        "rrt_days": o.resource_use.rrt_days,
        "vasopressor_days": o.resource_use.vasopressor_days,
        "antibiotic_days": o.resource_use.antibiotic_days,
        "d10_mhla_dr_restored": o.immune_restoration.mhla_dr,
        "d10_lymphocytes_restored": o.immune_restoration.lymphocytes,
        "d10_immune_restoration": o.immune_restoration.restored,
    }


def outcomes_dataset(
    user: User, *, blinded: bool = True, sites: Sequence[str] | None = None
) -> Dataset:
    """One row per randomized participant. The outcomes are rebuilt per participant by
    crf.derived (a few queries each): an offline export, not a page."""
    spec = d.outcomes_dataset()
    columns = spec.columns(blinded=blinded)

    def rows() -> Iterator[list[Any]]:
        participants = (
            Participant.objects.filter(_clinical(user, "site"), allocation__isnull=False)
            .filter(_sites("site", sites))
            .select_related("site", "allocation")
            .order_by("site__code", "code")
        )
        for participant in participants.iterator(chunk_size=CHUNK_SIZE):
            values = _outcome_values(participant, participant.allocation.randomized_at)
            values |= {"participant": participant.code, "site": participant.site.code}
            # Only the dataset's columns leave: blinded, not the restoration computed
            # from restricted day-10 results.
            yield [values[v.name] for v in columns]

    return Dataset(spec, blinded, rows)


def allocation_dataset(user: User, *, sites: Sequence[str] | None = None) -> Dataset:
    """The arm (unblinded export only): randomization.arm_access checks the person."""
    from randomization.arm_access import unblinded_allocations

    spec = d.allocation_dataset()
    columns = spec.columns(blinded=False)

    def rows() -> Iterator[list[Any]]:
        for row in unblinded_allocations(user=user):
            if sites and row["site_code"] not in sites:
                continue
            values = {**row, "participant": row["participant_code"], "site": row["site_code"]}
            yield [values[v.name] for v in columns]

    return Dataset(spec, False, rows)


def build(user: User, *, blinded: bool = True, sites: Sequence[str] | None = None) -> list[Dataset]:
    """Every dataset of one export, in the dictionary's order."""
    datasets = [crf_dataset(name, user, blinded=blinded, sites=sites) for name in d.crf_forms()]
    datasets += [child_dataset(name, user, blinded=blinded, sites=sites) for name in d.CHILD_FORMS]
    datasets.append(screening_dataset(user, blinded=blinded, sites=sites))
    datasets.append(outcomes_dataset(user, blinded=blinded, sites=sites))
    if not blinded:
        datasets.append(allocation_dataset(user, sites=sites))
    return datasets


def reporting(datasets: list[Dataset], progress: Callable[[int, int], None]) -> list[Dataset]:
    """The same datasets, calling `progress(done, total)` as each one is read to its end."""
    total = len(datasets)

    def wrap(index: int, dataset: Dataset) -> Dataset:
        def rows() -> Iterator[list[Any]]:
            yield from dataset.rows()
            progress(index + 1, total)

        return replace(dataset, rows=rows)

    return [wrap(i, dataset) for i, dataset in enumerate(datasets)]
