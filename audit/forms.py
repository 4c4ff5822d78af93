from __future__ import annotations

import uuid
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
        if self.reason_required and not reason and self._data_changed():
            raise forms.ValidationError(_("Give a reason for this change."))
        return reason

    def _data_changed(self) -> bool:
        """A form saved unchanged needs no reason (nothing is written); the services
        still refuse any real change of saved data without one."""
        bookkeeping = {"reason_for_change", "expected_version", "version"}
        return any(name not in bookkeeping for name in self.changed_data)


SUBMISSION_KEY = "submission_key"


def add_submission_key(form: forms.BaseForm) -> None:
    """A hidden one-time key, fresh at each rendering of a creating page (ADR 0011).

    Not required: a page opened before the key existed (or a script) still saves, once;
    refusing it would lose what was typed."""
    form.fields[SUBMISSION_KEY] = forms.UUIDField(
        widget=forms.HiddenInput,
        required=False,
        error_messages={
            "invalid": _("This page is out of date: reload it and enter the form again."),
        },
    )
    if not form.is_bound:
        form.initial[SUBMISSION_KEY] = uuid.uuid4()


def show_submission_key_errors(form: forms.BaseForm) -> None:
    """A hidden field's error is not drawn next to it: repeat it at the top of the form."""
    for message in form.errors.get(SUBMISSION_KEY, []):
        if message not in form.non_field_errors():
            form.add_error(None, message)
