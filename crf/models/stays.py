"""ICU stays and discharge (§2.11), hospital discharge (§2.12) and death (§2.17)."""

from __future__ import annotations

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from crf.models.base import CrfRecord, CrfStatus, DeathCause, VitalStatus


class IcuDestination(models.TextChoices):
    WARD_SAME_HOSPITAL = "WARD_SAME_HOSPITAL", _("Ward, same hospital")
    STEP_DOWN = "STEP_DOWN", _("Step-down / IMCU")
    OTHER_HOSPITAL_ICU = "OTHER_HOSPITAL_ICU", _("Other hospital ICU")
    OTHER_HOSPITAL_WARD = "OTHER_HOSPITAL_WARD", _("Other hospital ward")
    REHABILITATION = "REHABILITATION", _("Rehabilitation (SSR)")
    HOME = "HOME", _("Home")
    LONG_TERM_CARE = "LONG_TERM_CARE", _("Long-term care")
    OTHER = "OTHER", _("Other")


class HospitalDestination(models.TextChoices):
    HOME = "HOME", _("Home")
    HOME_WITH_HELP = "HOME_WITH_HELP", _("Home with help / HAD")
    REHABILITATION = "REHABILITATION", _("Rehabilitation (SSR)")
    NURSING_HOME = "NURSING_HOME", _("Nursing home (EHPAD)")
    OTHER_ACUTE_HOSPITAL = "OTHER_ACUTE_HOSPITAL", _("Other acute hospital")
    PSYCHIATRY = "PSYCHIATRY", _("Psychiatry")
    OTHER = "OTHER", _("Other")


@pghistory.track()
class IcuStay(CrfRecord):
    """One ICU stay: the index stay (number 1) and every readmission before D90.

    Saved with `discharged_at` empty while the participant is in the ICU; the ICU
    discharge form completes it (record_icu_discharge).
    """

    FORM_CODE = "ICU_DISCHARGE"
    CDASH = {
        "stay_number": "HOSPID",
        "admitted_at": "HOSTDAT/HOSTTIM",
        "discharged_at": "HOENDAT/HOENTIM",
        "vital_status": "DSDECOD",
        "death_at": "DTHDAT",
        "death_cause": "DDORRES (DDTESTCD=PRCDTH)",
    }
    SERVER_FIELDS = ("stay_number",)

    stay_number = models.PositiveSmallIntegerField(_("ICU stay number"))
    admitted_at = models.DateTimeField(_("ICU admission date/time"))
    discharged_at = models.DateTimeField(_("ICU discharge date/time"), null=True, blank=True)
    ongoing_at_d90 = models.BooleanField(_("still in the ICU at D90"), default=False)
    vital_status = models.CharField(
        _("vital status at ICU discharge"), max_length=5, choices=VitalStatus.choices, blank=True
    )
    death_at = models.DateTimeField(_("date/time of death"), null=True, blank=True)
    death_cause = models.CharField(
        _("primary cause of death"), max_length=20, choices=DeathCause.choices, blank=True
    )
    death_cause_other = models.CharField(_("other cause (text)"), max_length=200, blank=True)
    death_after_lst_withdrawal = models.BooleanField(
        _("death after withholding/withdrawal of life support"), null=True, blank=True
    )
    destination = models.CharField(
        _("destination"), max_length=20, choices=IcuDestination.choices, blank=True
    )

    class Meta:
        verbose_name = _("ICU stay")
        verbose_name_plural = _("ICU stays")
        ordering = ["participant_id", "stay_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "stay_number"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_icu_stay_unique_number",
            ),
            models.CheckConstraint(
                condition=models.Q(discharged_at__isnull=True)
                | models.Q(discharged_at__gte=models.F("admitted_at")),
                name="crf_icu_stay_discharge_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('ICU stay')} {self.stay_number}"


@pghistory.track()
class HospitalDischarge(CrfRecord):
    FORM_CODE = "HOSPITAL_DISCHARGE"
    CDASH = {
        "admission_date": "HOSTDAT (HOTERM=HOSPITAL)",
        "discharge_date": "HOENDAT (HOTERM=HOSPITAL)",
        "vital_status": "DSDECOD",
    }

    admission_date = models.DateField(_("hospital admission date"), null=True, blank=True)
    discharge_date = models.DateField(_("hospital discharge date"), null=True, blank=True)
    still_in_hospital_at_d90 = models.BooleanField(_("still in hospital at D90"), default=False)
    transfer_counted = models.BooleanField(
        _("transfer to another acute hospital counted in the index stay"), null=True, blank=True
    )
    transfer_details = models.CharField(
        _("transfer dates and hospital"), max_length=200, blank=True
    )
    vital_status = models.CharField(
        _("vital status"), max_length=5, choices=VitalStatus.choices, blank=True
    )
    destination = models.CharField(
        _("destination"), max_length=24, choices=HospitalDestination.choices, blank=True
    )

    class Meta:
        verbose_name = _("hospital discharge")
        verbose_name_plural = _("hospital discharges")
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_hospital_discharge_one_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('hospital discharge')}"


@pghistory.track()
class Death(CrfRecord):
    """The one death record of a participant (crf-spec.md §2.17: merged report).

    Written by record_death, from the ICU discharge, follow-up or end-of-study forms, so
    every cross-form rule reads the death date from one place.
    """

    FORM_CODE = "DEATH"
    CDASH = {"death_date": "DTHDAT", "death_at": "DTHDAT/DTHTIM", "cause": "DDORRES"}

    death_date = models.DateField(_("date of death"))
    death_at = models.DateTimeField(_("date/time of death"), null=True, blank=True)
    cause = models.CharField(
        _("primary cause of death"), max_length=20, choices=DeathCause.choices, blank=True
    )
    cause_other = models.CharField(_("other cause (text)"), max_length=200, blank=True)
    linked_infection = models.ForeignKey(
        "crf.SecondaryInfection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("linked infection episode"),
    )
    after_lst_withdrawal = models.BooleanField(
        _("death after withholding/withdrawal of life support"), null=True, blank=True
    )
    source = models.CharField(_("recorded from"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("death")
        verbose_name_plural = _("deaths")
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_death_one_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('death')}"
