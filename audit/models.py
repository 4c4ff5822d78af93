from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.triggers import append_only_triggers


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def for_target(self, target: models.Model) -> AuditEventQuerySet:
        return self.filter(target_type=target._meta.label_lower, target_id=str(target.pk))

    def at_sites(self, site_codes: list[str]) -> AuditEventQuerySet:
        return self.filter(site_code__in=site_codes)


class AuditEvent(models.Model):
    """A business event (login, role granted, enrolment, export…), written by services.

    Append-only: the database refuses UPDATE, DELETE and TRUNCATE (triggers below). Field-level
    history of clinical rows is kept separately by django-pghistory triggers.
    """

    occurred_at = models.DateTimeField(_("when (UTC)"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    target_type = models.CharField(_("object type"), max_length=100, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    site_code = models.CharField(_("site"), max_length=2, blank=True, db_index=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    request_id = models.CharField(_("request id"), max_length=36, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]
        # UPDATE, DELETE and TRUNCATE refused, whatever the session settings (audit.triggers).
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_repr}"

    @property
    def action_label(self) -> str:
        from audit.actions import action_label

        return action_label(self.action)

    @property
    def has_trail_page(self) -> bool:
        """Only objects with site-scoped visibility have an audit page (audit.views)."""
        from django.apps import apps

        try:
            model = apps.get_model(self.target_type)
        except (LookupError, ValueError):
            return False
        return hasattr(model._default_manager, "visible_to") and getattr(model, "AUDIT_PAGE", True)


class SubmissionKey(models.Model):
    """The one-time key of a creating form, and the row its first submission created.

    A double click, a resent POST or two parallel requests carry the same key: the
    unique (user, key) pair lets only one of them create a row (docs/decisions/0011).
    Append-only like the audit trail.
    """

    key = models.UUIDField(_("submission key"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    target_type = models.CharField(_("object type"), max_length=100)
    target_id = models.CharField(_("object id"), max_length=64)
    created_at = models.DateTimeField(_("when (UTC)"), default=timezone.now)

    class Meta:
        verbose_name = _("submission key")
        verbose_name_plural = _("submission keys")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="audit_submission_key_once_per_user"
            ),
        ]
        # UPDATE, DELETE and TRUNCATE refused, whatever the session settings (audit.triggers).
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.key} → {self.target_type} {self.target_id}"
