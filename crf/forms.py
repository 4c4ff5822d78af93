"""Crispy model forms of the CRF. Types are checked here; protocol rules run in the
services (crf/rules/*), whose refusals the views put back on the fields."""

from __future__ import annotations

from functools import cache
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.db.models.fields import BLANK_CHOICE_DASH
from django.forms.models import construct_instance
from django.utils.translation import gettext_lazy as _

from audit.forms import ReasonForChangeMixin, add_submission_key
from crf.definitions import CrfDefinition
from crf.layout import compact_layout
from crf.models.base import CrfRecord
from crf.models.infection import CarbapenemaseType, MarkerResult
from crf.services.core import data_fields

# The empty choice of every CRF select: nothing picked yet.
NOT_ANSWERED = "—"


class YesNoSelect(forms.NullBooleanSelect):
    """Yes / No / not answered. NullBooleanSelect renders a saved True as the selected
    "true" option; a plain Select rendered it as "True", matched no option, and the
    browser posted the first one ("unknown"): every saved answer was erased on save."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", NOT_ANSWERED), ("true", _("Yes")), ("false", _("No"))]


def _widget(field: models.Field) -> forms.Widget | None:
    if isinstance(field, models.DateTimeField):
        return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    if isinstance(field, models.DateField):
        return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    if isinstance(field, models.TimeField):
        return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    if isinstance(field, models.BooleanField) and field.null:
        return YesNoSelect()
    return None


def _not_null_without_default(model: type[models.Model]) -> set[str]:
    text_like = (models.CharField, models.TextField, models.BooleanField, models.JSONField)
    return {
        f.name
        for f in data_fields(model)
        if not f.null
        and not f.has_default()
        and not isinstance(f, text_like)
        and not isinstance(f, ArrayField)
    }


def participant_choices(
    model: type[models.Model], instance: models.Model, name: str
) -> models.QuerySet:
    """The rows a CRF form may link to: its own participant's, not entered in error (a
    drug's infection episode is one of the same patient's, never another site's). The
    value saved before stays offered so an edit does not silently drop it."""
    if not issubclass(model, CrfRecord):
        # A link to anything else needs its own scope: decide it here, not by default.
        raise ImproperlyConfigured(f"{name}: a CRF form may only link rows of its participant")
    participant_id = getattr(instance, "participant_id", None)
    rows = model.objects.filter(participant_id=participant_id)
    usable = rows.current()
    if type(instance) is model and instance.pk:
        usable = usable.exclude(pk=instance.pk)
    saved = getattr(instance, f"{name}_id", None)
    return usable | rows.filter(pk=saved) if saved else usable


class CrfForm(ReasonForChangeMixin, forms.ModelForm):
    """Base form: every item optional (a missing one leaves the form in progress),
    a hidden version for optimistic locking, the reason for change once saved, and a
    one-time submission key when it creates a row (`creating=True`, ADR 0011)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = participant_choices(field.queryset.model, self.instance, name)
        if creating:
            add_submission_key(self)
        needed = _not_null_without_default(type(self.instance))
        for name, field in self.fields.items():
            if name not in {"reason_for_change"}:
                # A value the database cannot do without (e.g. an ICU admission time) is
                # asked for here; every other item may be left for later (in progress).
                field.required = name in needed
        if self.instance.pk and not self.is_bound:
            self.initial["expected_version"] = self.instance.version
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = compact_layout(self)

    def _post_clean(self) -> None:
        """Build the instance but leave protocol checks to the service (crf/rules), whose
        messages are specific; the database constraints still guard the rows."""
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as error:
            self._update_errors(error)

    def model_data(self) -> dict[str, Any]:
        """The cleaned values of model fields, for the service."""
        names = {f.name for f in data_fields(type(self.instance))}
        return {k: v for k, v in self.cleaned_data.items() if k in names}


@cache
def form_class(definition: CrfDefinition) -> type[CrfForm]:
    """The model form of a CRF form, built once from its definition: every data field but
    the key its URL fixes (number, visit, day), never typed in the form."""
    if not definition.has_page:
        raise ValueError(f"{definition.slug} has no form of its own")
    model = definition.model
    fields = [f.name for f in data_fields(model) if f.name != definition.fixed]
    widgets = {f.name: w for f in data_fields(model) if (w := _widget(f)) is not None}
    attrs: dict[str, Any] = {}
    for f in data_fields(model):
        # Arrays of codes (Charlson items, specimens) are ticked, not typed.
        if isinstance(f, ArrayField) and f.base_field.choices:
            attrs[f.name] = forms.MultipleChoiceField(
                label=f.verbose_name,
                choices=f.base_field.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": fields, "widgets": widgets})
    built = type(f"{model.__name__}Form", (CrfForm,), attrs)
    for field in built.base_fields.values():
        _name_the_empty_choice(field)
    return built


def _name_the_empty_choice(field: forms.Field) -> None:
    """The empty choice of a select reads "—", as the Yes/No selects, not Django's
    "---------" (a unit not yet picked, a category left for later)."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label is not None:
            field.empty_label = NOT_ANSWERED
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
        choices = list(field.choices)
        if choices and choices[0][0] == "" and choices[0][1] == BLANK_CHOICE_DASH[0][1]:
            field.choices = [("", NOT_ANSWERED), *choices[1:]]


class MicroorganismForm(forms.Form):
    organism = forms.CharField(label=_("Microorganism"), max_length=100, required=False)
    mrsa = forms.ChoiceField(label="MRSA", choices=MarkerResult.choices, initial="NT")
    vre = forms.ChoiceField(label="VRE", choices=MarkerResult.choices, initial="NT")
    c3g_resistant = forms.ChoiceField(label=_("C3G-R"), choices=MarkerResult.choices, initial="NT")
    esbl = forms.ChoiceField(label="ESBL", choices=MarkerResult.choices, initial="NT")
    carbapenem_resistant = forms.ChoiceField(
        label=_("Carbapenem-R"), choices=MarkerResult.choices, initial="NT"
    )
    carbapenemase = forms.ChoiceField(
        label=_("Carbapenemase"), choices=MarkerResult.choices, initial="NT"
    )
    carbapenemase_type = forms.ChoiceField(
        label=_("Type"), choices=[("", "—"), *CarbapenemaseType.choices], required=False
    )


MicroorganismFormSet = forms.formset_factory(MicroorganismForm, extra=0, max_num=3, absolute_max=3)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
