from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import ReauthenticationForm
from randomization.models import Shipment

MAX_LIST_BYTES = 5 * 1024 * 1024


class RandomizeForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    confirm = forms.BooleanField(
        label=_(
            "I confirm that this participant is eligible, has consented, and is to be "
            "randomized now."
        ),
    )


class UnblindForm(ReauthenticationForm):
    field_order = ["reason", "password", "token"]

    reason = forms.CharField(
        label=_("Medical reason for emergency unblinding"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class ListUploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    sha256 = forms.CharField(
        label=_("Declared SHA-256"),
        max_length=200,
        required=False,
        help_text=_("The hash from the statistician's .sha256 file."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LIST_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class ScanForm(forms.Form):
    """One text field: a barcode scanner types the code and presses Enter (submits)."""

    kit_code = forms.CharField(
        label=_("Kit code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


class CloseReceiptForm(forms.Form):
    temperature = forms.ChoiceField(
        label=_("Temperature logger"),
        choices=[
            (Shipment.Temperature.OK, _("Logger OK")),
            (Shipment.Temperature.ALARM, _("Logger alarm")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Shown only when kits were not scanned (issue #11): they will be recorded as lost.
    missing_confirmed = forms.BooleanField(
        label=_("I confirm that the kits not scanned are missing from the delivery"),
        required=False,
    )


class QuarantineDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision for the whole shipment"),
        choices=[("release", _("Release (usable)")), ("reject", _("Reject (to destroy)"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason / sponsor reference"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class IncidentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Incident"),
        choices=[("damaged", _("Damaged")), ("lost", _("Lost"))],
        widget=forms.RadioSelect,
    )
    doses_remaining = forms.BooleanField(
        label=_("The participant still needs doses (a replacement kit will be allocated)"),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class KitActionForm(ScanForm):
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("return", _("Returned to the pharmacy")),
            ("to_destruction", _("Send to destruction")),
            ("destroy", _("Destroyed")),
        ],
    )
    reason = forms.CharField(label=_("Note"), required=False, max_length=2000)
