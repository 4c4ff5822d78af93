"""What every case report form row has in common.

Each CRF row belongs to one participant (site = participant.site), carries a `status`
and, where the form describes a day, its study day, so "which forms exist and their
status" is one indexed query per model: `Model.objects.filter(participant__in=...)
.values("participant_id", "status", "study_day")`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from audit.versioning import VersionedModel

if TYPE_CHECKING:
    from accounts.types import Visitor


class CrfStatus(models.TextChoices):
    # Saved with required items still missing (hard limits always hold).
    IN_PROGRESS = "in_progress", _("In progress")
    # Every required item present; later changes need a reason.
    COMPLETE = "complete", _("Complete")
    # Voided through mark_entered_in_error (never deleted); excluded from analyses.
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class YesNoUnknown(models.TextChoices):
    YES = "Y", _("Yes")
    NO = "N", _("No")
    UNKNOWN = "U", _("Unknown")


class VitalStatus(models.TextChoices):
    ALIVE = "ALIVE", _("Alive")
    DEAD = "DEAD", _("Dead")


class DeathCause(models.TextChoices):
    """crf-spec.md §2.11 primary cause of death."""

    REFRACTORY_SHOCK = "REFRACTORY_SHOCK", _("Refractory shock")
    MULTI_ORGAN_FAILURE = "MULTI_ORGAN_FAILURE", _("Multi-organ failure")
    HYPOXAEMIA = "HYPOXAEMIA", _("Hypoxaemia")
    NEUROLOGICAL = "NEUROLOGICAL", _("Neurological")
    CARDIAC = "CARDIAC", _("Cardiac")
    HAEMORRHAGE = "HAEMORRHAGE", _("Haemorrhage")
    OTHER = "OTHER", _("Other")


class CrfQuerySet(models.QuerySet):
    def visible_to(self, user: Visitor) -> Self:
        """Clinical data of the user's sites; pharmacists, admins and rando managers: none."""
        return self.filter(
            site_filter(user, Capability.VIEW_CLINICAL_DATA, field="participant__site")
        )

    def for_participant(self, participant: Any) -> Self:
        return self.filter(participant=participant)

    def current(self) -> Self:
        """Rows that count: everything except forms marked entered in error."""
        return self.exclude(status=CrfStatus.ENTERED_IN_ERROR)


class CrfRecord(VersionedModel):
    """Abstract base of every CRF model (participant, status, entered-in-error trail)."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, verbose_name=_("participant")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CrfStatus.choices, default=CrfStatus.IN_PROGRESS
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    entered_in_error_at = models.DateTimeField(
        _("marked entered in error at"), null=True, blank=True
    )
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("marked entered in error by"),
    )
    entered_in_error_reason = models.TextField(_("entered-in-error reason"), blank=True)

    objects = CrfQuerySet.as_manager()

    # Schedule code of crf/schedule.py VISITS this form belongs to.
    FORM_CODE: ClassVar[str] = ""
    # Field → CDISC CDASH-style variable, for exports (crf-spec.md §2).
    CDASH: ClassVar[dict[str, str]] = {}
    # Fields the service computes; never taken from a POST (roles.md invariant 3).
    SERVER_FIELDS: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def audit_site_code(self) -> str:
        return self.participant.site.code

    @property
    def is_entered_in_error(self) -> bool:
        return self.status == CrfStatus.ENTERED_IN_ERROR

    @property
    def reason_required_for_change(self) -> bool:
        """roles.md: a reason is required once the form is complete, not while in progress."""
        return self.status != CrfStatus.IN_PROGRESS
