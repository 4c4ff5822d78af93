"""Screening forms: the header, the SOFA grid (one row per ICU day) and the repeating groups.

Field types are checked here; every clinical limit is checked by the case parser through
`eligibility.adapter` (the same code as `evaluate_eligibility`), and its refusals are put
back on the form field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import ReauthenticationForm
from audit.forms import ReasonForChangeMixin, add_submission_key
from eligibility.adapter import (
    APACHE_FIELDS,
    COURSE_FIELDS,
    HEADER_FIELDS,
    LAB_FIELDS,
    LYMPHOCYTE_FIELDS,
    MHLA_DR_FIELDS,
    SOFA_FIELDS,
    FieldMessage,
    ScreeningData,
)
from eligibility.models import (
    ApacheIIValues,
    Consent,
    CorticosteroidCourse,
    LymphocyteCount,
    MhlaDrResult,
    Screening,
    ScreeningLabs,
    SofaDay,
)
from eligibility.parameters import LAST_FIRST_WEEK_ICU_DAY

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# A later ICU day can be added to the grid: it is shown as "after day 7" (I3 ignores it).
EXTRA_SOFA_ROWS = 1


def _style(form: forms.BaseForm, compact: bool = False) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.DateTimeInput):
            field.widget = forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=DATETIME_FORMAT
            )
            field.input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        elif isinstance(widget, forms.DateInput):
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        if compact:
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
            if field.label:
                field.widget.attrs.setdefault("aria-label", str(field.label))
        # Everything may be left blank: a blank value is "missing" for the engine.
        field.required = False


class ScreeningForm(ReasonForChangeMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Screening
        fields = list(HEADER_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for field in self.fields.values():
            field.required = False
        if "reason_for_change" in self.fields:
            self.fields["reason_for_change"].required = False


class RowForm(forms.ModelForm):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self, compact=True)

    def values(self) -> dict[str, Any] | None:
        """The row's values, or None when the row is empty or marked for removal."""
        data = getattr(self, "cleaned_data", None) or {}
        if data.get("DELETE"):
            return None
        fields = [n for n in self._meta.fields if n != "icu_day"]  # type: ignore[union-attr]
        if not any(data.get(n) not in (None, "") for n in fields if not n.endswith("unit")):
            return None
        return {name: data.get(name) for name in ["id", *self._meta.fields]}  # type: ignore[misc]


class SofaDayForm(RowForm):
    class Meta:
        model = SofaDay
        fields = list(SOFA_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["icu_day"].widget.attrs.update({"min": 1, "max": 120})


class MhlaDrForm(RowForm):
    class Meta:
        model = MhlaDrResult
        fields = list(MHLA_DR_FIELDS)


class LymphocyteForm(RowForm):
    class Meta:
        model = LymphocyteCount
        fields = list(LYMPHOCYTE_FIELDS)


class CourseForm(RowForm):
    class Meta:
        model = CorticosteroidCourse
        fields = list(COURSE_FIELDS)


class ApacheForm(forms.ModelForm):
    class Meta:
        model = ApacheIIValues
        fields = list(APACHE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class LabsForm(forms.ModelForm):
    class Meta:
        model = ScreeningLabs
        fields = list(LAB_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class RowsFormSet(forms.BaseFormSet):
    """Rows drawn as a table (eligibility/_rows.html): the column header is the only visible
    label, so each control also carries it as its accessible name, the "delete" box too."""

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        delete = form.fields.get("DELETE")
        if delete is not None:
            delete.widget.attrs.setdefault("aria-label", str(delete.label))


SofaFormSet = forms.formset_factory(SofaDayForm, formset=RowsFormSet, extra=0)
MhlaDrFormSet = forms.formset_factory(MhlaDrForm, formset=RowsFormSet, extra=1, can_delete=True)
LymphocyteFormSet = forms.formset_factory(
    LymphocyteForm, formset=RowsFormSet, extra=1, can_delete=True
)
CourseFormSet = forms.formset_factory(CourseForm, formset=RowsFormSet, extra=1, can_delete=True)

_ROWS = {
    "sofa": SofaFormSet,
    "mhla_dr": MhlaDrFormSet,
    "lymphocytes": LymphocyteFormSet,
    "corticosteroids": CourseFormSet,
}


def _sofa_initial(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_day = {row["icu_day"]: row for row in rows}
    grid = [by_day.pop(day, {"icu_day": day}) for day in range(1, LAST_FIRST_WEEK_ICU_DAY + 1)]
    grid += sorted(by_day.values(), key=lambda r: r["icu_day"])
    return grid + [{} for _ in range(EXTRA_SOFA_ROWS)]


class ScreeningForms:
    """Every form of the screening page, validated and turned into ScreeningData together."""

    def __init__(
        self,
        data: Any = None,
        *,
        screening: Screening | None = None,
        stored: ScreeningData | None = None,
        disabled: bool = False,
    ) -> None:
        stored = stored or ScreeningData()
        self.screening = ScreeningForm(data, instance=screening)
        if screening is None:
            add_submission_key(self.screening)  # a new screening: one submit, one record
        self.apache_ii = ApacheForm(data, prefix="apache", initial=stored.apache_ii)
        self.labs = LabsForm(data, prefix="labs", initial=stored.labs)
        self.sofa = SofaFormSet(data, prefix="sofa", initial=_sofa_initial(stored.sofa))
        self.mhla_dr = MhlaDrFormSet(data, prefix="mhla", initial=stored.mhla_dr)
        self.lymphocytes = LymphocyteFormSet(data, prefix="lym", initial=stored.lymphocytes)
        self.corticosteroids = CourseFormSet(data, prefix="cs", initial=stored.corticosteroids)
        self._row_index: dict[str, list[int]] = {}
        if disabled:
            for form in self.all_forms():
                for field in form.fields.values():
                    field.disabled = True

    def formsets(self) -> dict[str, forms.BaseFormSet]:
        return {
            "sofa": self.sofa,
            "mhla_dr": self.mhla_dr,
            "lymphocytes": self.lymphocytes,
            "corticosteroids": self.corticosteroids,
        }

    def all_forms(self) -> list[forms.BaseForm]:
        single: list[forms.BaseForm] = [self.screening, self.apache_ii, self.labs]
        return single + [f for fs in self.formsets().values() for f in fs.forms]

    def is_valid(self) -> bool:
        valid = [self.screening.is_valid(), self.apache_ii.is_valid(), self.labs.is_valid()]
        valid += [fs.is_valid() for fs in self.formsets().values()]
        return all(valid)

    def to_data(self) -> ScreeningData:
        """The values typed so far (fields with a type error are left out)."""
        for form in self.all_forms():
            form.is_valid()
        header = {n: self.screening.cleaned_data.get(n) for n in HEADER_FIELDS}
        out = ScreeningData(
            header=header,
            apache_ii={n: self.apache_ii.cleaned_data.get(n) for n in APACHE_FIELDS},
            labs={n: self.labs.cleaned_data.get(n) for n in LAB_FIELDS},
        )
        for section, formset in self.formsets().items():
            rows, index = [], []
            for i, form in enumerate(formset.forms):
                values = form.values()
                if values is not None:
                    rows.append(values)
                    index.append(i)
            setattr(out, section, rows)
            self._row_index[section] = index
        return out

    def form_for(self, message: FieldMessage) -> forms.BaseForm:
        if message.section in self._row_index and message.index is not None:
            positions = self._row_index[message.section]
            if message.index < len(positions):
                return self.formsets()[message.section].forms[positions[message.index]]
        return {"apache_ii": self.apache_ii, "labs": self.labs}.get(message.section, self.screening)

    def add_error(self, message: FieldMessage) -> None:
        form = self.form_for(message)
        name = message.field if message.field in form.fields else None
        form.add_error(name, message.message)

    @property
    def reason(self) -> str:
        return (self.screening.cleaned_data.get("reason_for_change") or "").strip()

    @property
    def version(self) -> int | None:
        return self.screening.cleaned_data.get("version")


class ConsentForm(ReasonForChangeMixin, forms.ModelForm):
    class Meta:
        model = Consent
        fields = [
            "given_by",
            "consented_at",
            "information_sheet_version",
            "continuation_outcome",
            "continuation_date",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
        # Sent with a correction too, so a resent first recording is recognised.
        add_submission_key(self)
        for name in ("given_by", "consented_at", "information_sheet_version"):
            self.fields[name].required = True


class EnrolForm(ReauthenticationForm):
    """The investigator's electronic signature: password (and code when 2FA is set up)."""

    password = forms.CharField(
        label=_("Your password (electronic signature)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_submission_key(self)  # a double click signs (and enrols) once
