"""Consent (crf-spec.md §2.2) and the investigator's confirmation of eligibility."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.versioning import VersionedModel
from eligibility.models.choices import (
    INFORMATION_SHEET_VERSIONS,
    ConsentGiver,
    ContinuationConsent,
)


@pghistory.track()
class Consent(VersionedModel):
    screening = models.OneToOneField(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="consent"
    )
    given_by = models.CharField(_("consent given by"), max_length=24, choices=ConsentGiver.choices)
    consented_at = models.DateTimeField(_("consent date and time"))
    information_sheet_version = models.CharField(
        _("information sheet version"), max_length=10, choices=INFORMATION_SHEET_VERSIONS
    )
    continuation_outcome = models.CharField(
        _("continuation consent by the patient"),
        max_length=16,
        choices=ContinuationConsent.choices,
        blank=True,
    )
    continuation_date = models.DateField(_("continuation consent date"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.screening_id} · {self.get_given_by_display()}"


@pghistory.track()
class EligibilityConfirmation(models.Model):
    """The investigator's e-signature of eligibility at enrolment (re-authenticated)."""

    screening = models.OneToOneField(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="confirmation"
    )
    investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    statement = models.TextField(_("statement shown"))
    # The engine's verdict at the moment of confirmation, for the record.
    engine_status = models.CharField(max_length=12)

    def __str__(self) -> str:
        return f"{self.screening_id} · {self.confirmed_at:%Y-%m-%d %H:%M}"
