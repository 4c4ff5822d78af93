from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from sites.models import Site

FORMAT_CHOICES = [
    ("csv", _("CSV (zipped, one file per dataset, with the data dictionary)")),
    ("xlsx", _("Excel workbook (one sheet per dataset)")),
    ("xpt", _("SAS transport (XPT) with PROC FORMAT")),
    ("dta", _("Stata (.dta) with value labels")),
    ("odm", _("CDISC ODM 1.3.2 (XML, metadata and clinical data)")),
]


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.none(),
        required=False,
        help_text=_("None selected: every site."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.order_by("code")  # type: ignore[attr-defined]
