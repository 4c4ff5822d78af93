from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.services import reason_required


class ReasonForChangeMixin(forms.Form):
    """Adds the 'reason for change' field, required once the data was saved before."""

    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you modify data that was already saved."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        self.reason_required = instance is not None and reason_required(instance)
        if not self.reason_required:
            self.fields.pop("reason_for_change")

    def clean_reason_for_change(self) -> str:
        reason = (self.cleaned_data.get("reason_for_change") or "").strip()
        if self.reason_required and not reason:
            raise forms.ValidationError(_("Give a reason for this change."))
        return reason
