"""Study drug administration (crf-spec.md §2.5): one row per planned injection 1–5."""

from __future__ import annotations

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from crf.models.base import CrfRecord, CrfStatus


class ReasonNotGiven(models.TextChoices):
    DISCHARGED = "DISCHARGED", _("Patient discharged from ICU")
    DEATH = "DEATH", _("Death")
    ADVERSE_EVENT = "ADVERSE_EVENT", _("Adverse event")
    INVESTIGATOR_DECISION = "INVESTIGATOR_DECISION", _("Investigator decision (safety)")
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN", _("Consent withdrawn")
    KIT_NOT_AVAILABLE = "KIT_NOT_AVAILABLE", _("Kit not available / dispensing error")
    TRANSFERRED = "TRANSFERRED", _("Patient transferred")
    FORGOTTEN = "FORGOTTEN", _("Forgotten")
    OTHER = "OTHER", _("Other")


class InjectionSite(models.TextChoices):
    DELTOID = "DELTOID", _("Deltoid")
    ANTERIOR_THIGH = "ANTERIOR_THIGH", _("Anterior thigh")
    ABDOMEN = "ABDOMEN", _("Abdomen")
    OTHER = "OTHER", _("Other")


class Side(models.TextChoices):
    LEFT = "LEFT", _("Left")
    RIGHT = "RIGHT", _("Right")
    MIDLINE = "MIDLINE", _("Midline")


@pghistory.track()
class StudyDrugAdministration(CrfRecord):
    """Planned injection `number`; the treatment label is always MASKED (never an arm)."""

    FORM_CODE = "INJ"  # INJ1..INJ5 in crf/schedule.py: f"INJ{number}"
    CDASH = {
        "number": "ECSPID",
        "given": "ECOCCUR",
        "reason_not_given": "ECREASOC",
        "given_at": "ECSTDAT/ECSTTIM",
        "kit_code": "ECREFID",
        "volume_ml": "ECDOSE (ECDOSU=mL)",
        "full_dose": "ECADJ",
        "injection_site": "ECLOC",
        "side": "ECLAT",
        "study_day": "ECSTDY",
    }
    SERVER_FIELDS = ("number", "study_day")
    TREATMENT_LABEL = "IFN-γ-1b 100 µg or placebo (MASKED)"  # ECTRT = MASKED
    ROUTE = "SUBCUTANEOUS"

    number = models.PositiveSmallIntegerField(_("injection number"))
    given = models.BooleanField(_("injection given"), null=True, blank=True)
    reason_not_given = models.CharField(
        _("reason not given"), max_length=24, choices=ReasonNotGiven.choices, blank=True
    )
    reason_not_given_other = models.CharField(_("other reason"), max_length=200, blank=True)
    given_at = models.DateTimeField(_("date and time of injection"), null=True, blank=True)
    study_day = models.SmallIntegerField(_("study day"), null=True, blank=True, editable=False)
    kit_code = models.CharField(_("kit number"), max_length=32, blank=True)
    volume_ml = models.DecimalField(
        _("volume administered (mL)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    full_dose = models.BooleanField(_("full dose given"), null=True, blank=True)
    full_dose_reason = models.CharField(
        _("reason the full dose was not given"), max_length=200, blank=True
    )
    injection_site = models.CharField(
        _("injection site"), max_length=16, choices=InjectionSite.choices, blank=True
    )
    side = models.CharField(_("side"), max_length=8, choices=Side.choices, blank=True)
    local_reaction_previous = models.BooleanField(
        _("local reaction at the previous site"), null=True, blank=True
    )
    administered_by = models.CharField(
        _("administered by (delegation log ID)"), max_length=64, blank=True
    )

    class Meta:
        verbose_name = _("study drug administration")
        verbose_name_plural = _("study drug administrations")
        ordering = ["participant_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "number"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_injection_one_per_number",
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1, number__lte=5), name="crf_injection_number_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('injection')} {self.number}"

    @property
    def form_code(self) -> str:
        return f"INJ{self.number}"
