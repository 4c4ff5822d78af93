from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import ReauthenticationForm


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
