from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import capability_scope, site_filter
from accounts.roles import Capability
from audit.versioning import VersionedModel

if TYPE_CHECKING:
    from accounts.types import Visitor


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def visible_to(self, user: Visitor, site: Any = None) -> ParticipantQuerySet:
        """Object-level authorization: another site's participant is simply not there.
        With `site`, that site's rows only (none if the user may not see them there)."""
        return self.filter(site_filter(user, Capability.VIEW_PARTICIPANTS, site=site))

    def to_randomize(self) -> ParticipantQuerySet:
        """Enrolled and not randomized yet (no allocation)."""
        return self.filter(status=Participant.Status.ENROLLED, allocation__isnull=True)


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

    @staticmethod
    def format_code(site_code: str, seq: int) -> str:
        return f"{site_code}-{seq:03d}"


class LockQuerySet(models.QuerySet["Lock"]):
    def current(self) -> LockQuerySet:
        """Locks in force: lifting a lock fills unlocked_at, it never deletes the row."""
        return self.filter(unlocked_at__isnull=True)

    def visible_to(self, user: Visitor) -> LockQuerySet:
        """The lock history is part of the (blinded) audit trail of clinical data: a reader
        of every site's clinical data sees all of it; a site-scoped reader sees the locks of
        their sites' casebooks and forms, and the database locks."""
        all_sites, site_ids = capability_scope(user, Capability.VIEW_CLINICAL_DATA)
        if all_sites:
            return self.all()
        return self.filter(models.Q(site_id__in=site_ids) | models.Q(level=Lock.Level.DATABASE))


class Lock(models.Model):
    """One lock of a form, of a casebook or of the whole database (docs/decisions/0012).

    The lock state lives here, in its own table, and never in the locked rows: locking and
    unlocking never write to a locked row, and the PostgreSQL guard on every clinical table
    (participants/lock_guard.py) reads this table. A lifted lock keeps its row with
    unlocked_at/by/reason; locking again is a new row, so the table is the lock history.
    """

    class Level(models.TextChoices):
        FORM = "form", _("Form")
        CASEBOOK = "casebook", _("Casebook")
        DATABASE = "database", _("Database")

    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="locks",
        verbose_name=_("participant"),
    )
    # The site of the locked casebook or form (None for the database): who may read it.
    site = models.ForeignKey(
        "sites.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("site"),
    )
    # A form lock names its row: app_label.model_name and primary key.
    model_label = models.CharField(_("form"), max_length=100, blank=True)
    object_id = models.BigIntegerField(_("form id"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), default=timezone.now)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("locked by"),
    )
    reason = models.TextField(_("reason for locking"))
    unlocked_at = models.DateTimeField(_("unlocked at"), null=True, blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unlocked by"),
    )
    unlock_reason = models.TextField(_("reason for unlocking"), blank=True)

    objects = LockQuerySet.as_manager()

    class Meta:
        ordering = ["-locked_at", "-id"]
        verbose_name = _("lock")
        verbose_name_plural = _("locks")
        indexes = [
            # The guard trigger looks up locks in force on every clinical write.
            models.Index(
                fields=["level", "participant", "model_label", "object_id"],
                condition=models.Q(unlocked_at__isnull=True),
                name="lock_current_idx",
            )
        ]
        constraints = [
            # One lock in force per target (a second lock of a locked target is refused).
            models.UniqueConstraint(
                fields=["level", "participant", "model_label", "object_id"],
                condition=models.Q(unlocked_at__isnull=True),
                nulls_distinct=False,
                name="lock_one_current_per_target",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        level="database",
                        participant__isnull=True,
                        site__isnull=True,
                        model_label="",
                        object_id__isnull=True,
                    )
                    | models.Q(
                        level="casebook",
                        participant__isnull=False,
                        site__isnull=False,
                        model_label="",
                        object_id__isnull=True,
                    )
                    | models.Q(
                        level="form",
                        object_id__isnull=False,
                        model_label__gt="",
                        site__isnull=False,
                    )
                ),
                name="lock_target_matches_level",
            ),
            models.CheckConstraint(
                condition=models.Q(unlocked_at__isnull=True, unlocked_by__isnull=True)
                | models.Q(unlocked_at__isnull=False, unlocked_by__isnull=False),
                name="lock_unlock_complete",
            ),
        ]
        triggers = [
            # The lock history is append-only: a row is never deleted, its lock fields never
            # change, and it is lifted once (unlocked_* filled from empty).
            pgtrigger.Protect(name="lock_never_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="lock_fields_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(
                    "level",
                    "participant",
                    "model_label",
                    "object_id",
                    "locked_at",
                    "locked_by",
                    "reason",
                ),
            ),
            pgtrigger.Protect(
                name="lock_lifted_once",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__unlocked_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} lock {self.locked_at:%Y-%m-%d %H:%M}"

    @property
    def form_name(self) -> str:
        from audit.labels import form_name

        return form_name(self.model_label)

    @property
    def in_force(self) -> bool:
        return self.unlocked_at is None
