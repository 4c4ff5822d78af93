"""Property: every choice a form offers stays in the user's scope (defect 5).

A Limoges (site 11) investigator was offered the infection episodes of every site in the
concomitant-medication form, and a link to another site's episode was saved. Checked
here over EVERY form page a site user can open (the access tables' GET entries, a new and
an edit page of every CRF form of the registry), as every site role of site 11:

- each offered value of each model choice field resolves to an object of the user's
  sites, visible to them, of the same participant as the form's row, and not entered in
  error (unless it is the value already saved);
- every other select, radio or checkbox of the page is a plain (non-object) choice of a
  rendered Django form, or one of the few hand-written controls listed below;
- every form class with a model choice field is rendered by the sweep (a new one is
  covered automatically, or this fails);
- a POST naming an out-of-scope object gets a form error and writes nothing.
Each check has a negative control: the limitation removed, the check finds the leak.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any
from urllib.parse import urljoin

import pytest
from django import forms
from django.apps import apps
from django.test import Client
from django.urls import reverse

from accounts.access import visible_sites
from audit.services import site_code_of
from tests.access.harness import SITE_ROLES, World, all_entries
from tests.properties import scope_world
from tests.properties.scope_world import ModelChoice, model_choices, pages_for
from tests.webform import forms_in

pytestmark = pytest.mark.django_db

# Choice controls written by hand in templates (not Django form fields), and what their
# values are. "site" offers objects and is checked like a model choice.
HAND_WRITTEN = {
    "site": "site switcher (base.html): Site primary keys",
    "status": "status filter of list pages: status codes, not objects",
    "action": "audit log filter: action names, not objects",
    "level": "lock history filter: lock levels, not objects",
    "site_code": "query worklist, record status: codes of the user's own sites (sites_with)",
    "form": "query worklist filter: form labels, not objects",
    "origin": "query worklist filter: who raised the query (monitor, data manager, system)",
    "classification": "deviation log filter: major / minor codes, not objects",
    "all": "participant list: the 'all my sites' box, a flag, not an object",
    "dispense_sort": "pharmacy 'kits to dispense' list: sort orders, not objects",
}

# Form classes with a model choice field that no site user can open, and why.
NOT_FOR_SITE_USERS = {
    "accounts.forms.GrantRoleForm": "accounts:user_detail",  # user management only
    # Data managers and statisticians only; every site is in their scope.
    "exports.forms.ExportForm": "exports:home",
}

APPS = ("crf", "eligibility", "participants", "randomization", "audit", "accounts")
FORM_APPS = (*APPS, "monitoring", "exports", "sites")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page_choices(html: bytes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for form in forms_in(html):
        for name, values in form.choices().items():
            out.setdefault(name, []).extend(values)
    return out


def _out_of_scope(choice: ModelChoice, obj: Any, user: Any) -> str:
    """Why an offered object should not be offered ("" when it may be)."""
    site_codes = {s.code for s in visible_sites(user)}
    code = site_code_of(obj)
    if not code:
        return f"{obj!r} cannot be placed in a site: give its model a scope"
    if code not in site_codes:
        return f"another site's object ({code}): {obj}"
    visible_to = getattr(type(obj)._default_manager, "visible_to", None)
    if visible_to is not None and not visible_to(user).filter(pk=obj.pk).exists():
        return f"an object the user may not see: {obj}"
    instance = getattr(choice.form, "instance", None)
    mine = getattr(instance, "participant_id", None)
    theirs = getattr(obj, "participant_id", None)
    if mine is not None and theirs is not None and mine != theirs:
        return f"another participant's object: {obj}"
    saved = getattr(instance, f"{choice.name}_id", None)
    if getattr(obj, "status", "") == "entered_in_error" and obj.pk != saved:
        return f"an object entered in error: {obj}"
    return ""


def scope_problems(world: World, roles: tuple[str, ...]) -> tuple[list[str], set[Any], set[str]]:
    """Sweep every page of every role; return (problems, form classes with a model
    choice seen, page labels seen with a model choice)."""
    problems: list[str] = []
    seen_classes: set[Any] = set()
    seen_pages: set[str] = set()
    for role in roles:
        user = world.users[role]
        client = _client(user)
        for page, url in pages_for(world, role):
            response = client.get(url, follow=True)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            offered = _page_choices(response.content)
            fields = {}
            for form in scope_world.rendered_forms(response):
                for name in form.fields:
                    fields[form.add_prefix(name)] = form.fields[name]
            for name in offered:
                if name not in fields and name not in HAND_WRITTEN:
                    problems.append(f"{role} {page}: choice control {name!r} of no form field")
            for site_pk in offered.get("site", []) if "site" not in fields else []:
                site = apps.get_model("sites", "Site").objects.get(pk=site_pk)
                if site not in visible_sites(user):
                    problems.append(f"{role} {page}: site switcher offers {site.code}")
            for choice in model_choices(page, url, response):
                seen_classes.add(type(choice.form))
                seen_pages.add(page)
                for value in offered.get(choice.html_name, []):
                    if value == "":
                        continue
                    why = _out_of_scope(choice, choice.resolve(value), user)
                    if why:
                        problems.append(f"{role} {page} {choice.html_name}: {why}")
    return problems, seen_classes, seen_pages


@pytest.fixture
def world(role_users: dict[str, Any]) -> World:
    return scope_world.build(role_users)


def test_the_medication_form_offers_only_the_participants_current_infections(world):
    """Defect 5 as reported: the list offered every site's episodes."""
    client = _client(world.users["investigator"])
    url = reverse("crf:form_new", args=[world.crf11.code, "medication"])
    offered = _page_choices(client.get(url).content)["linked_infection"]
    assert sorted(v for v in offered if v) == [str(world.infection11.pk)]


def test_linking_another_sites_infection_is_refused_with_a_form_error(world):
    """Defect 5 as reported: 11-022's drug linked to a 15-001 (here 16) episode was saved."""
    from crf.models import ConcomitantMedication

    client = _client(world.users["investigator"])
    url = reverse("crf:form_new", args=[world.crf11.code, "medication"])
    form = next(f for f in forms_in(client.get(url).content) if "linked_infection" in f.names())
    data = form.data()
    data.update(drug_name="amikacin", linked_infection=str(world.infection16.pk))
    before = ConcomitantMedication.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "linked_infection" in response.context["form"].errors
    assert ConcomitantMedication.objects.count() == before


def test_every_offered_object_is_in_the_users_site_and_participant(world):
    problems, _classes, _pages = scope_problems(world, tuple(sorted(SITE_ROLES)))
    assert problems == []


def test_the_scope_check_finds_the_leak_when_the_limitation_is_removed(world, monkeypatch):
    """Negative control: offer every row (the defect) and the sweep must report it."""
    monkeypatch.setattr(
        "crf.forms.participant_choices", lambda model, instance, name: model.objects.all()
    )
    problems, _classes, _pages = scope_problems(world, ("investigator",))
    text = "\n".join(problems)
    assert "another site's object (16)" in text
    assert "another participant's object" in text
    assert "an object entered in error" in text


def _project_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class of the project's apps (their forms modules imported first)."""
    from crf.definitions import FORMS
    from crf.forms import form_class

    for name in FORM_APPS:
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module(f"{name}.forms")
    for definition in FORMS:
        form_class(definition)  # the CRF form classes are built on first use: build them all
    out, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            # form_class() builds the CRF classes with type(): judge by their project base.
            if any(c.__module__.split(".")[0] in FORM_APPS for c in sub.__mro__[:-3]):
                out.append(sub)
    return out


def _has_model_choice(cls: type[forms.BaseForm]) -> bool:
    return any(isinstance(f, forms.ModelChoiceField) for f in cls.base_fields.values())


def test_every_form_with_a_model_choice_is_rendered_by_the_sweep(world):
    from crf.definitions import FORMS, by_model
    from crf.forms import form_class

    _problems, seen, pages = scope_problems(world, tuple(sorted(SITE_ROLES)))
    expected = {cls for cls in _project_form_classes() if _has_model_choice(cls)}
    medication = by_model(apps.get_model("crf", "ConcomitantMedication"))
    assert form_class(medication) in expected  # sanity
    missing = {f"{c.__module__}.{c.__qualname__}" for c in expected - seen}
    assert missing == set(NOT_FOR_SITE_USERS)
    # The exempt forms' pages really are closed to every site role.
    for name in NOT_FOR_SITE_USERS.values():
        for entry in (e for e in all_entries() if e.name == name):
            assert not (entry.allowed & SITE_ROLES), name
    # A CRF form with a model choice is swept both when new and when edited.
    for definition in FORMS:
        slug = definition.slug
        if _has_model_choice(form_class(definition)):
            assert {f"crf:form_new {slug}", f"crf:form_edit {slug}"} <= pages, slug


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in APPS
    }


def _version(instance: Any) -> Any:
    if getattr(instance, "pk", None) is None:
        return None
    return type(instance)._default_manager.filter(pk=instance.pk).values("version").first()


def _candidates(choice: ModelChoice, user: Any) -> list[Any]:
    """One out-of-scope object per reason (another site, another participant…)."""
    picked: dict[str, Any] = {}
    for obj in choice.field.queryset.model._default_manager.order_by("pk"):
        why = _out_of_scope(choice, obj, user)
        kind = why.split(":")[0].split(" (")[0]
        if why and kind not in picked:
            picked[kind] = obj
    return list(picked.values())


def post_problems(world: World, role: str) -> tuple[list[str], int]:
    """POST every model choice field of every page with an out-of-scope object; return
    (problems, number of posts made)."""
    problems: list[str] = []
    posts = 0
    user = world.users[role]
    client = _client(user)
    for page, url in pages_for(world, role):
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        url = response.request["PATH_INFO"] + (
            "?" + response.request["QUERY_STRING"] if response.request.get("QUERY_STRING") else ""
        )
        html = response.content
        for choice in model_choices(page, url, response):
            form = next(
                f for f in forms_in(html) if choice.html_name in f.names() and f.method == "post"
            )
            for bad in _candidates(choice, user):
                data = form.data()
                data[choice.html_name] = str(bad.pk)
                if "reason_for_change" in data:  # an edit: the user gives a reason
                    data["reason_for_change"] = "link corrected"
                before, version = _counts(), _version(choice.form.instance)
                answer = client.post(urljoin(url, form.action) if form.action else url, data)
                posts += 1
                where = f"{page} {choice.html_name}={bad}"
                errors = [
                    f
                    for f in scope_world.rendered_forms(answer)
                    if choice.name in f.errors and f.add_prefix(choice.name) == choice.html_name
                ]
                if answer.status_code not in (200, 422):
                    problems.append(f"{where}: answered {answer.status_code}")
                elif not errors:
                    problems.append(f"{where}: no error on the field")
                if _counts() != before or _version(choice.form.instance) != version:
                    problems.append(f"{where}: a row was written")
    return problems, posts


def test_a_post_naming_an_out_of_scope_object_gets_a_form_error_and_writes_nothing(world):
    problems, posts = post_problems(world, "investigator")
    assert posts >= 4  # new and edit medication pages: another site, another participant
    assert problems == []


def test_the_post_check_finds_the_save_when_both_guards_are_removed(world, monkeypatch):
    """Negative control: no queryset limitation and no service check → rows are written."""
    monkeypatch.setattr(
        "crf.forms.participant_choices", lambda model, instance, name: model.objects.all()
    )
    monkeypatch.setattr("crf.services.core._linked_rows", lambda *a, **k: [])
    problems, _posts = post_problems(world, "investigator")
    assert any("a row was written" in p for p in problems), problems


def test_the_service_refuses_a_link_the_form_let_through(world, monkeypatch):
    """The single save path guards too: with the form's limitation removed, the post is
    still refused on the field and nothing is written."""
    monkeypatch.setattr(
        "crf.forms.participant_choices", lambda model, instance, name: model.objects.all()
    )
    problems, posts = post_problems(world, "investigator")
    assert posts >= 4 and problems == []
