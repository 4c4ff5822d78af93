from __future__ import annotations

from typing import Any

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from audit.versioning import VersionedModel


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def visible_to(self, user: Any) -> ParticipantQuerySet:
        """Object-level authorization: another site's participant is simply not there."""
        return self.filter(site_filter(user, Capability.VIEW_PARTICIPANTS))

    def at_site(self, site: Any) -> ParticipantQuerySet:
        return self.filter(site=site)


@pghistory.track()
class Participant(VersionedModel):
    """An enrolled patient, known only by a pseudonymous code `<site>-<seq>` (protocol §2).

    Versioned like the forms: a status change (death, end of study) is a write to clinical
    data and goes through `participants.services` (version check, history, audit event).
    """

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        RANDOMIZED = "randomized", _("Randomized")
        COMPLETED = "completed", _("Study completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DIED = "died", _("Died")
        LOST = "lost", _("Lost to follow-up")

    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="participants", verbose_name=_("site")
    )
    seq = models.PositiveIntegerField(_("sequence"))
    code = models.CharField(_("participant code"), max_length=6, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ENROLLED
    )
    enrolled_at = models.DateTimeField(_("enrolled at"))
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    eligibility_flag = models.BooleanField(
        _("flagged: eligibility no longer confirmed"), default=False
    )
    eligibility_flag_reason = models.TextField(_("flag reason"), blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("locked by"),
    )

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["site__code", "seq"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["site", "seq"], name="participant_unique_site_seq"),
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="participant_seq_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @staticmethod
    def format_code(site_code: str, seq: int) -> str:
        return f"{site_code}-{seq:03d}"
