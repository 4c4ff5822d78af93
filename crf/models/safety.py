"""Adverse events and SAEs (crf-spec.md §2.9), concomitant medications (§2.10)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crf.models.base import CrfQuerySet, CrfRecord

# An SAE reaches the sponsor's vigilance within 24 h of awareness (protocol.md §3).
SAE_REPORTING_DELAY = timedelta(hours=24)


class AeRelationship(models.TextChoices):
    RELATED = "RELATED", _("Related")
    NOT_RELATED = "NOT_RELATED", _("Not related")


class AeAction(models.TextChoices):
    DOSE_NOT_CHANGED = "DOSE_NOT_CHANGED", _("Dose not changed")
    DRUG_INTERRUPTED = "DRUG_INTERRUPTED", _("Drug interrupted")
    DRUG_WITHDRAWN = "DRUG_WITHDRAWN", _("Drug withdrawn")
    NOT_APPLICABLE = "NOT_APPLICABLE", _("Not applicable (treatment finished or not started)")


class AeOutcome(models.TextChoices):
    RECOVERED = "RECOVERED", _("Recovered / resolved")
    RECOVERING = "RECOVERING", _("Recovering")
    NOT_RECOVERED = "NOT_RECOVERED", _("Not recovered")
    SEQUELAE = "SEQUELAE", _("Recovered with sequelae")
    FATAL = "FATAL", _("Fatal")
    UNKNOWN = "UNKNOWN", _("Unknown")


class AdverseEventQuerySet(CrfQuerySet):
    def serious(self) -> AdverseEventQuerySet:
        return self.current().filter(serious=True)

    def awaiting_acknowledgement(self) -> AdverseEventQuerySet:
        """The SAE dashboard list: serious, not yet acknowledged by vigilance."""
        return self.serious().filter(acknowledged_at__isnull=True)

    def to_report(self) -> AdverseEventQuerySet:
        """Serious, and the report has not left for vigilance yet: the site's 24-hour clock
        is running (protocol.md §3)."""
        return self.serious().filter(sae_notified_at__isnull=True)


@pghistory.track()
class AdverseEvent(CrfRecord):
    FORM_CODE = "ADVERSE_EVENT"
    CDASH = {
        "ae_number": "AESPID",
        "term": "AETERM",
        "onset_date": "AESTDAT",
        "onset_time": "AESTTIM",
        "end_date": "AEENDAT",
        "ongoing": "AEONGO",
        "serious": "AESER",
        "sae_death": "AESDTH",
        "sae_life_threatening": "AESLIFE",
        "sae_hospitalisation": "AESHOSP",
        "sae_disability": "AESDISAB",
        "sae_congenital": "AESCONG",
        "sae_medically_important": "AESMIE",
        "severity_grade": "AETOXGR",
        "relationship": "AEREL",
        "action": "AEACN",
        "other_action": "AEACNOTH",
        "outcome": "AEOUT",
    }
    SERVER_FIELDS = (
        "ae_number",
        "sae_recorded_at",
        "sae_notified_at",
        "acknowledged_at",
        "acknowledged_by",
    )
    SERIOUSNESS_FIELDS = (
        "sae_death",
        "sae_life_threatening",
        "sae_hospitalisation",
        "sae_disability",
        "sae_congenital",
        "sae_medically_important",
    )

    ae_number = models.PositiveSmallIntegerField(_("AE number"))
    term = models.CharField(_("event term (verbatim)"), max_length=200, blank=True)
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    onset_time = models.TimeField(_("onset time (optional)"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), null=True, blank=True)
    serious = models.BooleanField(_("serious"), null=True, blank=True)
    sae_death = models.BooleanField(_("results in death"), default=False)
    sae_life_threatening = models.BooleanField(_("life-threatening"), default=False)
    sae_hospitalisation = models.BooleanField(
        _("hospitalisation required or prolonged"), default=False
    )
    sae_disability = models.BooleanField(_("persistent or significant disability"), default=False)
    sae_congenital = models.BooleanField(_("congenital anomaly"), default=False)
    sae_medically_important = models.BooleanField(_("other medically important"), default=False)
    severity_grade = models.PositiveSmallIntegerField(
        _("severity grade (CTCAE v5.0)"), null=True, blank=True
    )
    relationship = models.CharField(
        _("relationship to study drug"), max_length=12, choices=AeRelationship.choices, blank=True
    )
    action = models.CharField(
        _("action taken with study drug"), max_length=20, choices=AeAction.choices, blank=True
    )
    other_action = models.CharField(_("other action"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=AeOutcome.choices, blank=True)
    awareness_date = models.DateField(
        _("date the investigator became aware (SAE)"), null=True, blank=True
    )
    # The 24-hour clock: when the EDC first held it as serious, when vigilance was e-mailed,
    # and when vigilance / data management acknowledged it.
    sae_recorded_at = models.DateTimeField(
        _("SAE recorded at"), null=True, blank=True, editable=False
    )
    sae_notified_at = models.DateTimeField(
        _("vigilance notified at"), null=True, blank=True, editable=False
    )
    acknowledged_at = models.DateTimeField(
        _("acknowledged at"), null=True, blank=True, editable=False
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acknowledged by"),
        editable=False,
    )

    objects = AdverseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["participant_id", "ae_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "ae_number"], name="crf_ae_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(severity_grade__isnull=True)
                | models.Q(severity_grade__gte=1, severity_grade__lte=5),
                name="crf_ae_grade_1_5",
            ),
        ]
        indexes = [models.Index(fields=["serious", "acknowledged_at"], name="crf_ae_sae_ack")]

    def __str__(self) -> str:
        return f"{self.participant} · AE {self.ae_number}"

    def sae_deadline(self) -> datetime | None:
        """24 h after the start of the awareness day (Europe/Paris)."""
        if not self.serious or self.awareness_date is None:
            return None
        from platinium.lib.study_time import STUDY_TIME_ZONE

        start = datetime.combine(self.awareness_date, datetime.min.time(), tzinfo=STUDY_TIME_ZONE)
        return start + SAE_REPORTING_DELAY

    @property
    def reported_late(self) -> bool:
        deadline = self.sae_deadline()
        return bool(deadline and self.sae_recorded_at and self.sae_recorded_at > deadline)

    def sae_context(self) -> dict[str, Any]:
        return {"ae": self, "participant": self.participant}


class MedicationCategory(models.TextChoices):
    CORTICOSTEROID = "CORTICOSTEROID", _("Corticosteroid")
    OTHER_IMMUNOSUPPRESSANT = "OTHER_IMMUNOSUPPRESSANT", _("Other immunosuppressant")
    IMMUNOSTIMULANT = "IMMUNOSTIMULANT", _("Immunostimulant (G-CSF, GM-CSF, IVIG, other IFN)")
    ANTIBACTERIAL = "ANTIBACTERIAL", _("Antibacterial")
    ANTIFUNGAL = "ANTIFUNGAL", _("Antifungal")
    ANTIVIRAL = "ANTIVIRAL", _("Antiviral")
    VACCINE = "VACCINE", _("Vaccine")
    CHEMOTHERAPY = "CHEMOTHERAPY", _("Chemotherapy")


ANTIMICROBIAL_CATEGORIES = frozenset({"ANTIBACTERIAL", "ANTIFUNGAL", "ANTIVIRAL"})
STEROID_CATEGORIES = frozenset({"CORTICOSTEROID", "OTHER_IMMUNOSUPPRESSANT"})


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    G = "g", "g"
    UG = "ug", "µg"
    IU = "IU", _("IU")


class Route(models.TextChoices):
    IV = "IV", _("Intravenous")
    PO = "PO", _("Oral")
    SC = "SC", _("Subcutaneous")
    IM = "IM", _("Intramuscular")
    INHALED = "INHALED", _("Inhaled")
    TOPICAL = "TOPICAL", _("Topical")
    ENTERAL = "ENTERAL", _("Enteral")


class Indication(models.TextChoices):
    PROPHYLAXIS = "PROPHYLAXIS", _("Prophylaxis")
    EMPIRICAL = "EMPIRICAL", _("Empirical")
    DOCUMENTED = "DOCUMENTED", _("Documented")


@pghistory.track()
class ConcomitantMedication(CrfRecord):
    FORM_CODE = "CONCOMITANT_MEDICATION"
    CDASH = {
        "category": "CMCAT",
        "drug_name": "CMTRT",
        "atc_code": "CMDECOD",
        "dose": "CMDOSE",
        "dose_unit": "CMDOSU",
        "daily_dose_mg": "CMDOSTOT",
        "frequency": "CMDOSFRQ",
        "route": "CMROUTE",
        "start_date": "CMSTDAT",
        "stop_date": "CMENDAT",
        "ongoing": "CMONGO",
        "indication": "CMINDC",
    }
    SERVER_FIELDS = ("prednisone_equivalent_mg",)

    category = models.CharField(
        _("category"), max_length=24, choices=MedicationCategory.choices, blank=True
    )
    drug_name = models.CharField(_("drug name (INN)"), max_length=100, blank=True)
    atc_code = models.CharField(_("ATC code"), max_length=8, blank=True)
    dose = models.DecimalField(
        _("dose per administration"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    dose_unit = models.CharField(_("dose unit"), max_length=3, choices=DoseUnit.choices, blank=True)
    daily_dose_mg = models.DecimalField(
        _("daily dose (mg/day)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    frequency = models.CharField(
        _("frequency (QD, BID, TID, Q6H, CONTINUOUS …)"), max_length=16, blank=True
    )
    route = models.CharField(_("route"), max_length=8, choices=Route.choices, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    stop_date = models.DateField(_("stop date"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), null=True, blank=True)
    indication = models.CharField(
        _("indication (antimicrobials)"), max_length=12, choices=Indication.choices, blank=True
    )
    linked_infection = models.ForeignKey(
        "crf.SecondaryInfection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="medications",
        verbose_name=_("linked infection episode"),
    )
    prednisone_equivalent_mg = models.DecimalField(
        _("prednisone-equivalent daily dose (mg/day)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("concomitant medication")
        verbose_name_plural = _("concomitant medications")
        ordering = ["participant_id", "start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stop_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(stop_date__gte=models.F("start_date")),
                name="crf_cm_stop_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.drug_name}"
