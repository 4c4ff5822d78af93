"""Analysis datasets: rows streamed from the database in dictionary column order.

A `Dataset` pairs a dictionary spec with a generator of rows (lists of Python values);
every format (exports/formats/) writes from the same rows. Blinded by default (ADR 0015):
no arm, no kit-to-arm link, no restricted day-10 biology and nothing computed from it;
the restricted columns are never even selected from the database.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import F, Max, Model, Q, QuerySet
from django.utils import timezone, translation

from accounts.access import site_filter
from accounts.roles import Capability
from audit.history import EVENT_COLUMNS, changes_of, event_model_of, tracked_columns
from crf.derived import derived_outcomes
from crf.models import (
    CrfStatus,
    D10Biology,
    DailyFollowUp,
    DataQuery,
    FollowUp,
    MessageKind,
    StudyDrugAdministration,
)
from eligibility.models import Screening
from exports import dictionary as d
from participants.models import Participant
from platinium.lib.study_time import paris_date

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

    @cached_property
    def positions(self) -> dict[str, int]:
        """Column name → its index in a row (the ODM writer looks values up by name for
        every row: computing the columns each time was a sixth of its time)."""
        positions: dict[str, int] = {}
        for index, variable in enumerate(self.columns):
            positions.setdefault(variable.name, index)
        return positions


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


def queries_dataset(
    user: User, *, blinded: bool = True, sites: Sequence[str] | None = None
) -> Dataset:
    """One row per data query of the user's clinical scope: where, status, dates. A query
    on a restricted day-10 result is left out of a blinded export (its field and dates
    would say a result was queried)."""
    spec = d.queries_dataset()
    columns = spec.columns(blinded=blinded)
    tables = d.tables()

    def rows() -> Iterator[list[Any]]:
        now = timezone.now()
        qs = DataQuery.objects.filter(_clinical(user, "participant__site")).filter(
            _sites("participant__site", sites)
        )
        if blinded:
            qs = qs.exclude(model_label="crf.d10biology", field__in=D10Biology.BLINDED_FIELDS)
        found = (
            qs.annotate(
                answered_at=Max("messages__at", filter=Q(messages__kind=MessageKind.ANSWERED))
            )
            .order_by("participant__site__code", "participant__code", "id")
            .values(
                "id",
                "model_label",
                "object_id",
                "field",
                "status",
                "origin",
                "raised_at",
                "answered_at",
                "closed_at",
                participant_code=F("participant__code"),
                site_code=F("participant__site__code"),
            )
        )
        for row in found.iterator(chunk_size=CHUNK_SIZE):
            end = paris_date(row["closed_at"] or now)
            values = {
                "participant": row["participant_code"],
                "site": row["site_code"],
                "query_id": row["id"],
                "form": tables.get(row["model_label"], row["model_label"]),
                "record_id": row["object_id"],
                "field": row["field"],
                "query_status": row["status"],
                "origin": row["origin"],
                "raised_at": row["raised_at"],
                "answered_at": row["answered_at"],
                "closed_at": row["closed_at"],
                "days_open": (end - paris_date(row["raised_at"])).days,
            }
            yield [values[v.name] for v in columns]

    return Dataset(spec, blinded, rows)


def _audit_value(value: Any) -> Any:
    """A snapshot value (JSON) as text: booleans 1/0 and lists joined with | as in every
    other dataset."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list):
        return "|".join(str(_audit_value(item)) for item in value)
    return str(value)


def _field_labels(model: type[Model]) -> dict[str, tuple[str, str]]:
    out = {}
    for f in model._meta.concrete_fields:
        labels = []
        for language in ("fr", "en"):
            with translation.override(language):
                labels.append(str(f.verbose_name))
        out[f.attname] = (labels[0], labels[1])
    return out


def _audit_stream(
    index: int,
    name: str,
    model: type[Model],
    participant_path: str,
    user: User,
    *,
    blinded: bool,
    sites: Sequence[str] | None,
) -> Iterator[tuple[tuple[str, str, int], dict[str, Any]]]:
    """The changes of one table, ordered by site and participant: ((site, participant,
    table index), change)."""
    table_spec = d.child_dataset(name) if name in d.CHILD_FORMS else d.crf_dataset(name)
    # The table's exported columns only (the restricted ones too when unblinded), and the
    # form's status and voiding reason.
    exported = {v.source for v in table_spec.columns(blinded=blinded) if v.source}
    exported |= {"status", "entered_in_error_reason"}
    shown = [c for c in tracked_columns(model) if c in exported]
    labels = _field_labels(model)
    site_path = f"pgh_obj__{participant_path}__site__code"
    code_path = f"pgh_obj__{participant_path}__code"
    events = (
        event_model_of(model)
        .objects.filter(_clinical(user, f"pgh_obj__{participant_path}__site"))
        .filter(_sites(f"pgh_obj__{participant_path}__site", sites))
        .order_by(site_path, code_path, "pgh_obj_id", "pgh_created_at", "pgh_id")
        .values(*EVENT_COLUMNS, *tracked_columns(model), site_code=F(site_path), code=F(code_path))
    )
    # Where the event changes_of is reading comes from (it reads one event at a time).
    where: dict[str, tuple[str, str]] = {}

    def located(stream: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for event in stream:
            where["event"] = (event["site_code"], event["code"])
            yield event

    for obj_id, entry in changes_of(model, located(events.iterator(chunk_size=CHUNK_SIZE))):
        site, participant = where["event"]
        for change in entry.changes:
            old, new = _audit_value(change.old), _audit_value(change.new)
            # A creation lists the values entered, not every empty field of the form.
            if change.field not in shown or (entry.label == "insert" and new is None):
                continue
            fr, en = labels.get(change.field, (change.field, change.field))
            yield (
                (site, participant, index),
                {
                    "participant": participant,
                    "site": site,
                    "table": name,
                    "record_id": obj_id,
                    "event_id": entry.event_id,
                    "event": entry.label,
                    "field": change.field,
                    "field_label_fr": fr,
                    "field_label_en": en,
                    "old_value": old,
                    "new_value": new,
                    "changed_by": entry.username or None,
                    "changed_at": entry.at,
                    "reason": entry.reason or None,
                },
            )


def audit_trail_dataset(
    user: User, *, blinded: bool = True, sites: Sequence[str] | None = None
) -> Dataset:
    """Field-level history of every CRF table of the user's clinical scope (one row per
    changed field), merged by participant: one server-side cursor per table. Only the
    tables of the CRF datasets (never allocation or kit tables) and only their exported
    columns: blinded as the datasets themselves."""
    spec = d.audit_trail_dataset()
    columns = spec.columns(blinded=blinded)
    sources = [(name, model, "participant") for name, (model, _t) in d.crf_forms().items()]
    sources += [
        (name, model, f"{parent}__participant") for name, (model, parent) in d.CHILD_FORMS.items()
    ]

    def rows() -> Iterator[list[Any]]:
        streams = [
            _audit_stream(i, name, model, path, user, blinded=blinded, sites=sites)
            for i, (name, model, path) in enumerate(sources)
        ]
        for _key, values in heapq.merge(*streams, key=lambda item: item[0]):
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
    datasets.append(queries_dataset(user, blinded=blinded, sites=sites))
    datasets.append(audit_trail_dataset(user, blinded=blinded, sites=sites))
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
