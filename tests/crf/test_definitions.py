"""One definition per CRF form (crf/definitions.py, issue #8): every CRF model of the app
has exactly one, and the slugs, URLs, form classes, rules, save services, schedule codes
and timeline columns all come from it."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterable
from datetime import date

import pytest
from django.apps import apps
from django.urls import resolve, reverse

from crf import definitions, timeline
from crf.definitions import DEFINITIONS, FORMS, CrfDefinition, by_model, by_schedule_code, by_slug
from crf.forms import CrfForm, form_class
from crf.models import CrfRecord, Death
from crf.schedule import VISITS_BY_CODE
from crf.services import forms as form_services
from crf.services import save_for
from exports import dictionary


def crf_models() -> list[type[CrfRecord]]:
    """Every concrete CRF model of the crf app (a model added later is found here)."""
    return [m for m in apps.get_app_config("crf").get_models() if issubclass(m, CrfRecord)]


def definition_problems(models: Iterable[type], defined: Iterable[CrfDefinition]) -> list[str]:
    """What breaks "one definition per CRF model": a model without one, or with two."""
    count: dict[type, int] = {}
    for definition in defined:
        count[definition.model] = count.get(definition.model, 0) + 1
    problems = [f"{m.__name__}: no definition" for m in models if m not in count]
    problems += [f"{m.__name__}: {n} definitions" for m, n in count.items() if n > 1]
    return problems


def test_it_gives_every_crf_model_exactly_one_definition():
    assert len(crf_models()) == 13  # the 12 forms and the death record
    assert definition_problems(crf_models(), DEFINITIONS) == []
    assert tuple(d.model for d in DEFINITIONS) == definitions.CRF_MODELS
    assert {d.model for d in DEFINITIONS} == set(crf_models())


@pytest.mark.parametrize("left_out", range(len(DEFINITIONS)))
def test_it_fails_for_a_model_added_without_a_definition(left_out):
    """Negative control: the same check over a definitions list missing one, or with one
    twice, names the model."""
    missing = DEFINITIONS[:left_out] + DEFINITIONS[left_out + 1 :]
    model = DEFINITIONS[left_out].model
    assert definition_problems(crf_models(), missing) == [f"{model.__name__}: no definition"]
    twice = (*DEFINITIONS, DEFINITIONS[left_out])
    assert definition_problems(crf_models(), twice) == [f"{model.__name__}: 2 definitions"]


def test_it_finds_each_definition_by_model_and_by_slug():
    assert len({d.slug for d in DEFINITIONS}) == len(DEFINITIONS)
    for definition in DEFINITIONS:
        assert by_model(definition.model) is definition
    for definition in FORMS:
        assert by_slug(definition.slug) is definition
    with pytest.raises(KeyError):
        by_slug("death")  # the death record has no page: written by the forms reporting it
    assert tuple(d for d in DEFINITIONS if d.model is not Death) == FORMS


@pytest.mark.parametrize("definition", FORMS, ids=lambda d: d.slug)
def test_each_form_page_url_form_rules_and_save_derive_from_its_definition(definition):
    url = reverse("crf:form_new", args=["11-001", definition.slug])
    assert resolve(url).kwargs["form"] == definition.slug
    # The form class: the model's, without the key its URL fixes, built once.
    form = form_class(definition)
    assert issubclass(form, CrfForm) and form._meta.model is definition.model
    assert form_class(definition) is form
    if definition.fixed:
        definition.model._meta.get_field(definition.fixed)  # a real field of the model
        assert definition.fixed not in form.base_fields
    assert definition.rules is not None
    # The save service it names: a function of crf.services.forms taking the participant.
    service = getattr(form_services, definition.save)
    assert inspect.isfunction(service) and service.__name__ == definition.save
    assert next(iter(inspect.signature(service).parameters)) == "participant"
    if definition.fixed:
        assert definition.fixed in inspect.signature(service).parameters


def test_the_death_record_has_no_form_rules_or_save_of_its_own():
    death = by_model(Death)
    assert not death.has_page and death.rules is None
    with pytest.raises(ValueError):
        form_class(death)
    with pytest.raises(ValueError):
        save_for(death, None, by=None, data={})
    # Negative control: naming something that is not a save service is refused too.
    with pytest.raises(ValueError):
        save_for(dataclasses.replace(by_slug("baseline"), save="record"), None, by=None, data={})


def test_every_schedule_code_belongs_to_exactly_one_definition():
    codes = [code for d in DEFINITIONS for code in d.schedule_codes]
    assert sorted(codes) == sorted(VISITS_BY_CODE)
    for definition in DEFINITIONS:
        for code in definition.schedule_codes:
            assert by_schedule_code(code) is definition
            assert code.startswith(definition.code)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.slug)
def test_timeline_columns_are_fields_of_the_model(definition):
    names = {f.name for f in definition.model._meta.concrete_fields}
    assert {"id", "status"} <= set(definition.timeline_fields) <= names
    assert not definition.timeline_order or definition.timeline_order in names


def test_exports_timeline_and_edit_checks_read_the_definitions():
    assert dictionary.crf_forms() == {
        d.slug.replace("-", "_"): (d.model, d.title) for d in DEFINITIONS
    }
    on = date(2026, 1, 4)
    for code in VISITS_BY_CODE:  # the page links each form of its timeline to its slug
        assert timeline._item(code, on, on, "due").slug == by_schedule_code(code).slug
    # The AE's late-report check exists only while saving: a re-run must not close it.
    assert [d.slug for d in DEFINITIONS if not d.rerun_closes_queries] == ["adverse-event"]
