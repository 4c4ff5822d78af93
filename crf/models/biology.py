"""Day-10 biology (crf-spec.md §2.7), entered by data management, blinded until lock.

mHLA-DR is the pharmacodynamic marker of interferon gamma (randomization.md "Blinding
beyond the arm field"), so `visible_to()` hides the whole row from site staff, monitors
and the blinded sponsor team; `progress_visible_to()` gives them only whether the form
exists and its status (docs/decisions/0010-d10-biology-visibility.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from crf.models.base import CrfQuerySet, CrfRecord, CrfStatus
from crf.units import CountUnit

if TYPE_CHECKING:
    from accounts.types import Visitor


class NotDoneReason(models.TextChoices):
    DISCHARGED_HOME = "DISCHARGED_HOME", _("Discharged home")
    DEATH = "DEATH", _("Death")
    TECHNICAL = "TECHNICAL", _("Technical")
    FORGOTTEN = "FORGOTTEN", _("Forgotten")
    OTHER = "OTHER", _("Other")


class MhlaDrMethod(models.TextChoices):
    # Only AB/C-calibrated flow cytometry is accepted (protocol.md §4).
    STANDARDISED_FLOW = "STANDARDISED_FLOW", _("Standardised flow cytometry (AB/C calibrated)")


class D10BiologyQuerySet(CrfQuerySet):
    def visible_to(self, user: Visitor) -> D10BiologyQuerySet:
        from crf.blinding import d10_results_visible

        if not d10_results_visible(user):
            return self.none()
        return super().visible_to(user)

    def progress_visible_to(self, user: Visitor) -> D10BiologyQuerySet:
        """For timelines: rows the user's clinical scope reaches. Read only
        `participant_id`, `status`, `sample_taken` from it, never the results."""
        return self.filter(
            site_filter(user, Capability.VIEW_CLINICAL_DATA, field="participant__site")
        ).only("id", "participant_id", "status", "sample_taken", "study_day")


@pghistory.track()
class D10Biology(CrfRecord):
    FORM_CODE = "D10_BIOLOGY"
    CDASH = {
        "sample_taken": "LBSTAT",
        "not_done_reason": "LBREASND",
        "sampled_at": "LBDAT/LBTIM",
        "mhla_dr_abc": "LBORRES (LBTESTCD=MHLADR, LBORRESU=AB/C)",
        "method": "LBMETHOD",
        "laboratory": "LBNAM",
        "lymphocytes_value": "LBORRES (LBTESTCD=LYM)",
        "lymphocytes_g_l": "LBSTRESN",
        "leucocytes_g_l": "LBORRES (LBTESTCD=WBC)",
        "monocytes_g_l": "LBORRES (LBTESTCD=MONO)",
    }
    SERVER_FIELDS = ("study_day", "lymphocytes_g_l")
    # The audit page hides these from whoever may not see the results.
    BLINDED_FIELDS = (
        "mhla_dr_abc",
        "lymphocytes_value",
        "lymphocytes_unit",
        "lymphocytes_g_l",
        "leucocytes_g_l",
        "monocytes_g_l",
    )

    sample_taken = models.BooleanField(_("sample taken"), null=True, blank=True)
    not_done_reason = models.CharField(
        _("reason not done"), max_length=16, choices=NotDoneReason.choices, blank=True
    )
    not_done_other = models.CharField(_("other reason"), max_length=200, blank=True)
    sampled_at = models.DateTimeField(_("sample date/time"), null=True, blank=True)
    study_day = models.SmallIntegerField(_("study day"), null=True, blank=True, editable=False)
    mhla_dr_abc = models.PositiveIntegerField(_("mHLA-DR (AB/C)"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=MhlaDrMethod.choices, blank=True)
    laboratory = models.CharField(_("laboratory ID"), max_length=64, blank=True)
    hours_to_analysis = models.DecimalField(
        _("time from sampling to analysis (h)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
    )
    lymphocytes_value = models.DecimalField(
        _("absolute lymphocyte count"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    lymphocytes_unit = models.CharField(
        _("lymphocytes unit"), max_length=8, choices=CountUnit.choices, blank=True
    )
    lymphocytes_g_l = models.DecimalField(
        _("lymphocytes (G/L)"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        editable=False,
    )
    leucocytes_g_l = models.DecimalField(
        _("leucocytes (G/L)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    monocytes_g_l = models.DecimalField(
        _("monocytes (G/L)"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    objects = D10BiologyQuerySet.as_manager()

    class Meta:
        verbose_name = _("day-10 biology")
        verbose_name_plural = _("day-10 biology")
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_d10_one_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('day-10 biology')}"
