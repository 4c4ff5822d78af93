"""A world with data at site 11 and site 16, and the form pages a site user can open.

Shared by the "choices stay in scope" and "one submit, one record" properties. The pages
come from the code's own lists: every GET entry of the access truth tables
(tests/access/table_*.py, which test_url_coverage keeps complete), and a new and an edit
page of every CRF form (crf.definitions.FORMS).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.forms.formsets import BaseFormSet
from django.urls import reverse

from tests.access.harness import SITE_ROLES, World, all_entries, build_world

# Site-11 users of the site roles (their grants do not reach site 16).
SITE_USERS = tuple(sorted(SITE_ROLES))


def _infection(participant: Any, by: Any, days: int) -> Any:
    from crf.services import save_infection
    from tests.crf.helpers import d0_of

    data = {
        "onset_date": d0_of(participant) + timedelta(days=days),
        "location": "STUDY_ICU",
        "category": "UTI",
        "uti_type": "UTI_A",
        "septic_shock": False,
        "microbiologically_documented": False,
    }
    return save_infection(participant, by=by, data=data).obj


def build(role_users: dict[str, Any]) -> World:
    """Every access table's objects, plus infections of three participants at two sites
    (one voided) and a medication linked to one: the objects a choice could leak."""
    from crf.services import mark_entered_in_error, save_concomitant_medication
    from tests.crf.helpers import randomized

    world = build_world(role_users)
    inv11, inv16 = role_users["investigator"], role_users["investigator_nantes"]
    world.crf11b = randomized(world.site11)  # another participant of the same site
    world.infection11 = _infection(world.crf11, inv11, 2)
    world.voided11 = mark_entered_in_error(
        _infection(world.crf11, inv11, 3), by=inv11, reason="duplicate"
    )
    world.infection11b = _infection(world.crf11b, inv11, 2)
    world.infection16 = _infection(world.crf16, inv16, 2)
    world.medication11 = save_concomitant_medication(
        world.crf11,
        by=inv11,
        data={"drug_name": "piperacillin", "linked_infection": world.infection11},
    ).obj
    return world


def crf_pages(world: World) -> Iterator[tuple[str, str]]:
    """(label, url) of the new page of every CRF form of participant crf11, and the edit
    page of every saved row of it."""
    from crf.definitions import FORMS
    from crf.models import CrfStatus
    from tests.crf.helpers import d0_of

    d0 = d0_of(world.crf11)
    fixed = {"number": "1", "day_date": (d0 + timedelta(days=2)).isoformat(), "visit": "FU_D30"}
    for definition in FORMS:
        slug = definition.slug
        url = reverse("crf:form_new", args=[world.crf11.code, slug])
        key = definition.fixed
        yield (
            f"crf:form_new {slug}",
            url + (f"?{key}={fixed[key]}" if key else ""),
        )
        rows = definition.model.objects.filter(participant=world.crf11).exclude(
            status=CrfStatus.ENTERED_IN_ERROR
        )
        for row in rows:
            edit = reverse("crf:form_edit", args=[world.crf11.code, slug, row.pk])
            yield f"crf:form_edit {slug}", edit


def table_pages(world: World, role: str) -> Iterator[tuple[str, str]]:
    """(label, url) of every GET entry of the access tables this role may open."""
    for entry in all_entries():
        if entry.method != "GET" or role not in entry.allowed or entry.public:
            continue
        kwargs = entry.kwargs(world) if entry.kwargs else {}
        url = reverse(entry.name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")
        yield entry.name, url


def pages_for(world: World, role: str) -> list[tuple[str, str]]:
    from accounts.access import has_capability
    from accounts.roles import Capability

    pages = []
    if has_capability(world.users[role], Capability.ENTER_CRF, world.site11):
        pages += list(crf_pages(world))
    pages += list(table_pages(world, role))
    unique: dict[str, str] = {}
    for label, url in pages:
        unique.setdefault(url, label)
    return [(label, url) for url, label in unique.items()]


def rendered_forms(response: Any) -> list[forms.BaseForm]:
    """The Django forms a page rendered, found in its template context (forms, formsets,
    containers with all_forms(), and lists/dicts of them, e.g. the daily grid's rows)."""
    found: dict[int, forms.BaseForm] = {}

    def visit(value: Any, depth: int) -> None:
        if isinstance(value, forms.BaseForm):
            found[id(value)] = value
        elif isinstance(value, BaseFormSet):
            for form in value.forms:
                visit(form, depth)
        elif callable(getattr(value, "all_forms", None)):
            for form in value.all_forms():
                visit(form, depth)
        elif depth < 3 and isinstance(value, (list, tuple)):
            for item in value:
                visit(item, depth + 1)
        elif depth < 3 and isinstance(value, dict):
            for item in value.values():
                visit(item, depth + 1)

    for context in response.context or []:
        for value in context.flatten().values():
            visit(value, 0)
    return list(found.values())


@dataclass(frozen=True)
class ModelChoice:
    """A model choice field as a page rendered it."""

    page: str
    url: str
    form: forms.BaseForm
    name: str  # the field's name in the form
    html_name: str  # the name the browser posts

    @property
    def field(self) -> forms.ModelChoiceField:
        return self.form.fields[self.name]  # type: ignore[return-value]

    def resolve(self, value: str) -> Any:
        """The object an offered value stands for, looked up with NO scope at all."""
        model = self.field.queryset.model
        lookup = self.field.to_field_name or "pk"
        return model._default_manager.get(**{lookup: value})


def model_choices(page: str, url: str, response: Any) -> list[ModelChoice]:
    return [
        ModelChoice(page, url, form, name, form.add_prefix(name))
        for form in rendered_forms(response)
        for name, field in form.fields.items()
        if isinstance(field, forms.ModelChoiceField) and not field.disabled
    ]
