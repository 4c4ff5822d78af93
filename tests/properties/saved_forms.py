"""Saved forms with every item filled, and the round-trip check of their edit pages.

A saved row is built straight in the database (rules are not the point here) with as many
items filled as its form allows: Yes AND No answers, a pick of every select and ticked
box list offered by the rendered page, dates, times, numbers, arrays, text. Two variants
per form swap the Yes/No answers and the picks, so every answer appears saved both ways.

`round_trip(client, url, …)` opens an edit page, posts exactly what the browser would
post unchanged (plus a reason), and reports every column of the row and of its child rows
that changed, and the history (pghistory) and audit rows written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from pghistory.models import Event

from audit.models import AuditEvent
from crf.definitions import by_model
from crf.models import AdverseEvent, CrfStatus, InfectionMicroorganism, SecondaryInfection
from crf.services.core import data_fields
from tests.crf.helpers import d0_of, kit_of, paris
from tests.webform import form_in, submit

# Statuses a saved form is edited at (entered-in-error forms are not editable).
EDITABLE_STATUSES = (CrfStatus.IN_PROGRESS, CrfStatus.COMPLETE)
VARIANTS = (0, 1)
REASON = "round trip: nothing changed"


def role_for(model: type) -> str:
    """The role that enters this form (day-10 biology: data management)."""
    from accounts.roles import Capability

    entered_by = by_model(model).enter
    return "data_manager" if entered_by == Capability.ENTER_D10_BIOLOGY else "coordinator"


def _keys(model: type, participant: Any, day: date) -> dict[str, Any]:
    """The row's keys that the URL or the service own (number, day, visit…)."""
    names = {f.name for f in model._meta.concrete_fields}
    keys: dict[str, Any] = {}
    for name, value in {
        "day_date": day,
        "study_day": (day - d0_of(participant)).days,
        "number": 1,
        "stay_number": 1,
        "episode_number": 1,
        "ae_number": 1,
        "visit": "FU_D30",
    }.items():
        if name in names:
            keys[name] = value
    return keys


def new_url(model: type, participant: Any, day: date) -> str:
    definition = by_model(model)
    url = reverse("crf:form_new", args=[participant.code, definition.slug])
    if definition.fixed:
        url += f"?{definition.fixed}={_keys(model, participant, day)[definition.fixed]}"
    return url


def edit_url(obj: Any) -> str:
    slug = by_model(type(obj)).slug
    return reverse("crf:form_edit", args=[obj.participant.code, slug, obj.pk])


def offered(client: Any, model: type, participant: Any, day: date) -> dict[str, list[str]]:
    """What the rendered form offers per item (selects, Yes/No, ticked lists)."""
    page = client.get(new_url(model, participant, day))
    assert page.status_code == 200, page.status_code
    key = by_model(model).fixed
    first = next(f.name for f in data_fields(model) if f.name != key)
    return form_in(page.content, containing=first).choices()


def _pick(options: list[str], k: int) -> str:
    real = [o for o in options if o not in ("", "unknown")]
    assert real, "a select without any real option"
    return real[k % len(real)]


def _number(f: models.Field, k: int) -> Any:
    if isinstance(f, models.DecimalField):
        places = f.decimal_places
        whole = 1 + k % 5
        return Decimal(whole) + (Decimal(5).scaleb(-places) if places else 0)
    return 1 + k % 5  # 1–5 fits every scale of the CRF (grades, EQ-5D, months)


def filled_values(
    model: type, participant: Any, options: Mapping[str, list[str]], *, variant: int
) -> dict[str, Any]:
    """A value for every item of the form, of its own type (see the module docstring)."""
    d0 = d0_of(participant)
    values: dict[str, Any] = {}
    key = by_model(model).fixed
    for i, f in enumerate(data_fields(model)):
        if f.name == key:
            continue
        k = i + variant
        later = d0 + timedelta(days=i)  # later items are later dates (admitted ≤ discharged)
        if isinstance(f, ArrayField):
            if f.base_field.choices:
                real = options[f.name]
                picked = {real[k % len(real)], real[(k + 1) % len(real)]}
                values[f.name] = [o for o in real if o in picked]
            else:
                values[f.name] = [later, later + timedelta(days=1)]
        elif isinstance(f, models.BooleanField):
            values[f.name] = k % 2 == 0
        elif f.is_relation:
            values[f.attname] = int(_pick(options[f.name], k))
        elif f.choices:
            values[f.name] = _pick(options[f.name], k)
        elif isinstance(f, models.DateTimeField):
            values[f.name] = paris(later, 8 + i % 12, (7 * i) % 60)
        elif isinstance(f, models.DateField):
            values[f.name] = later
        elif isinstance(f, models.TimeField):
            values[f.name] = time(9 + i % 12, 45)
        elif isinstance(f, (models.DecimalField, models.IntegerField)):
            values[f.name] = _number(f, k)
        elif f.name == "kit_code":
            values[f.name] = kit_of(participant)
        elif isinstance(f, (models.CharField, models.TextField)):
            text = f"{f.name} {k}"
            values[f.name] = text[: f.max_length] if f.max_length else text
        else:  # a new field type: give it a value here rather than leave it out
            raise NotImplementedError(f"{model.__name__}.{f.name}: {type(f).__name__}")
    return values


def saved_form(
    model: type,
    participant: Any,
    *,
    by: Any,
    client: Any,
    status: str,
    variant: int,
    day: date | None = None,
) -> Any:
    """A saved row of `model` at `status`, every item filled (parents built first)."""
    day = day or d0_of(participant)
    if any(f.is_relation and f.related_model is SecondaryInfection for f in data_fields(model)):
        saved_form(
            SecondaryInfection,
            participant,
            by=by,
            client=client,
            status=CrfStatus.COMPLETE,
            variant=variant,
        )
    values = filled_values(
        model, participant, offered(client, model, participant, day), variant=variant
    )
    obj = model(
        participant=participant,
        created_by=by,
        updated_by=by,
        status=status,
        **_keys(model, participant, day),
        **values,
    )
    if isinstance(obj, AdverseEvent) and obj.serious:
        obj.sae_recorded_at = paris(d0_of(participant), 12)  # a serious AE is an SAE
    obj.save()
    if isinstance(obj, SecondaryInfection):
        # Markers that fit their organism (the episode's own rules check them on save).
        yes_no = ["Y", "N"][variant], ["N", "Y"][variant]
        organisms = [
            ("Staphylococcus aureus", {"mrsa": yes_no[0], "vre": "NT"}),
            ("Enterococcus faecium", {"mrsa": "NT", "vre": yes_no[1]}),
        ]
        for position, (organism, markers) in enumerate(organisms, start=1):
            InfectionMicroorganism.objects.create(
                infection=obj,
                position=position,
                organism=organism,
                c3g_resistant=["Y", "N", "U", "NT"][(position + variant) % 4],
                esbl=["Y", "N", "U", "NT"][(position + variant + 1) % 4],
                carbapenem_resistant=["Y", "N", "U", "NT"][(position + variant + 2) % 4],
                carbapenemase="Y",
                carbapenemase_type="KPC" if variant == 0 else "OXA48",
                **markers,
            )
    return obj


def _rows(obj: models.Model) -> dict[str, Any]:
    """Every column of the row and of its child rows (reverse foreign keys)."""
    model = type(obj)
    out: dict[str, Any] = {"": model._default_manager.filter(pk=obj.pk).values().get()}
    for rel in model._meta.related_objects:
        if (rel.one_to_many or rel.one_to_one) and not issubclass(rel.related_model, Event):
            child = rel.related_model
            out[child._meta.label] = list(
                child._default_manager.filter(**{rel.field.name: obj}).order_by("pk").values()
            )
    return out


def history_count() -> int:
    """Rows of every pghistory event table, plus audit trail entries."""
    events = sum(
        m._default_manager.count()
        for m in apps.get_models()
        if issubclass(m, Event) and not m._meta.proxy
    )
    return events + AuditEvent.objects.count()


@dataclass
class RoundTrip:
    response: Any
    changed: dict[str, Any] = field(default_factory=dict)
    history_written: int = 0

    @property
    def problems(self) -> list[str]:
        """Empty when the page saved (a redirect) and nothing was written."""
        out = []
        if self.response.status_code != 302:
            out.append(f"the unchanged form was refused ({self.response.status_code})")
        out += [f"{name}: {old!r} → {new!r}" for name, (old, new) in self.changed.items()]
        if self.history_written:
            out.append(f"{self.history_written} history/audit row(s) written")
        return out


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for table, rows in before.items():
        if table == "":
            changed.update({k: (v, after[""][k]) for k, v in rows.items() if after[""][k] != v})
        elif rows != after[table]:
            changed[table] = (rows, after[table])
    return changed


def round_trip(
    client: Any, url: str, obj: models.Model, *, form_id: str | None = None, containing: str
) -> RoundTrip:
    """Open `url`, post its form unchanged (with a reason), report what was written."""
    before, written = _rows(obj), history_count()
    response = submit(
        client,
        url,
        form_id=form_id,
        containing=None if form_id else containing,
        changes={"reason_for_change": REASON},
    )
    return RoundTrip(
        response=response,
        changed=_diff(before, _rows(obj)),
        history_written=history_count() - written,
    )
