"""`as_field` writes what crispy's `as_crispy_field` writes, byte for byte (issue #13).

Every field of the screening, consent and kit-action forms is compared, unbound and bound
with errors, required or not, with and without help text. The negative controls plant a
one-character slip in the fast path and check that the comparison sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.utils import translation

from eligibility.forms import ConsentForm, ScreeningForms
from platinium.templatetags import fast_fields
from randomization.forms import KitActionForm

pytestmark = pytest.mark.django_db

BAD_SCREENING = {"age": "abc", "evaluated_at": "x", "sex": "Z", "labs-platelets_g_l": "-1"}


def _forms() -> Iterator[forms.BaseForm]:
    screening = ScreeningForms()
    yield from (screening.screening, screening.apache_ii, screening.labs)
    invalid = ScreeningForms(BAD_SCREENING)
    invalid.is_valid()
    yield from (invalid.screening, invalid.apache_ii, invalid.labs)
    yield ConsentForm()
    yield KitActionForm()
    bad_kit = KitActionForm({"kit_code": "", "action": "nonsense"})
    bad_kit.is_valid()
    yield bad_kit


def differences() -> list[str]:
    """Fields whose two renderings differ (a fresh BoundField each time, as a template has)."""
    found = []
    for form in _forms():
        for name, field in form.fields.items():
            for required in (False, True):
                for help_text in ("", "Aide <b>x</b>"):
                    field.required = required
                    field.help_text = help_text
                    form._bound_fields_cache.pop(name, None)
                    crispy = str(as_crispy_field(form[name]))
                    form._bound_fields_cache.pop(name, None)
                    if str(fast_fields.as_field(form[name])) != crispy:
                        found.append(f"{type(form).__name__}.{name} {required} {help_text!r}")
    return found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_field_renders_as_crispy_renders_it(language: str) -> None:
    with translation.override(language):
        assert differences() == []


def test_the_screening_form_takes_the_fast_path() -> None:
    screening = ScreeningForms()
    parts = (screening.screening, screening.apache_ii, screening.labs)
    labelled = [field for form in parts for field in form]
    assert sum(fast_fields.is_plain(f) for f in labelled) >= 60
    assert not fast_fields.is_plain(screening.screening["version"])  # hidden: crispy


@pytest.mark.parametrize(
    "slip",
    [
        ("render_plain", lambda field: "x" + _original_render_plain(field)),
        ("_errors_and_help", lambda field, auto_id: _original_errors(field, auto_id)[1:]),
    ],
)
def test_negative_control_a_slip_in_the_fast_path_is_seen(
    monkeypatch: pytest.MonkeyPatch, slip: tuple[str, Any]
) -> None:
    name, wrong = slip
    monkeypatch.setattr(fast_fields, name, wrong)
    assert differences()


def test_negative_control_an_error_dropped_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the bound forms show errors: dropping them must be caught there."""
    monkeypatch.setattr(
        fast_fields,
        "_errors_and_help",
        lambda field, auto_id: _original_errors(_NoErrors(field), auto_id),
    )
    assert any(name.startswith("ScreeningForm.age") for name in differences())


class _NoErrors:
    def __init__(self, field: Any) -> None:
        self._field = field
        self.errors: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._field, name)


_original_render_plain = fast_fields.render_plain
_original_errors = fast_fields._errors_and_help
