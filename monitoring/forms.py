from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import ReauthenticationForm
from crf.models.deviation_review import MAX_REVIEW_COMMENT
from crf.models.followup import DeviationSeverity


class LockForm(forms.Form):
    """Lock or unlock: a reason, the user's password, and the authenticator code when the
    user has a device (accounts.reauth)."""

    action = forms.ChoiceField(
        choices=[("lock", _("Lock")), ("unlock", _("Unlock"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    token = forms.CharField(
        label=_("Authenticator code"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, with_token: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_token:
            self.fields["token"].required = True
        else:
            del self.fields["token"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason."))
        return reason


class CasebookSignatureForm(ReauthenticationForm):
    """Re-authentication plus the digest of the casebook as shown (monitoring/signing.py):
    the investigator signs what they saw, not a later state."""

    seen = forms.CharField(widget=forms.HiddenInput, max_length=64)


# The thread's limit (crf.models.queries.MAX_MESSAGE_LENGTH), checked by the service too:
# the form says it first, in words, and the service refuses whatever gets past a form.
def _message(label: Any, *, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={
            "max_length": _("The message is too long: %(limit_value)d characters at most.")
        },
    )


class RaiseQueryForm(forms.Form):
    text = _message(_("Question"))


class QueryActionForm(forms.Form):
    """Close, reopen or cancel: the message, and the version of the query shown."""

    text = _message(_("Message"), required=False)
    expected_version = forms.IntegerField(widget=forms.HiddenInput)


class AnswerQueryForm(forms.Form):
    """The site's answer; `corrected_value` (the field's own form field, optional) corrects
    the queried value in the same step."""

    text = _message(_("Answer"))
    correct = forms.BooleanField(label=_("Correct the value"), required=False)
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, value_field: forms.Field | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if value_field is None:
            del self.fields["correct"]
        else:
            value_field.required = False
            value_field.label = _("Corrected value")
            self.fields["corrected_value"] = value_field

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("correct") and cleaned.get("corrected_value") in (None, ""):
            self.add_error("corrected_value", _("Enter the corrected value."))
        return cleaned


class DeviationReviewForm(forms.Form):
    """The data manager's review: the sponsor's classification, a comment, and the version
    of the deviation as shown (a deviation changed meanwhile is refused)."""

    classification = forms.ChoiceField(
        label=_("Classification"), choices=DeviationSeverity.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Review comment"),
        max_length=MAX_REVIEW_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
