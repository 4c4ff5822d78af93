"""The SAE e-mail outbox (docs/decisions/0017-notifications-never-lost.md).

A row is written in the transaction that makes the report due (the SAE saved, or an SAE
item changed), so a report exists as soon as the data do; a task sends it after commit
and stamps `sent_at` in the same transaction as the send, under a row lock, so a retried
or re-delivered task sends nothing twice. A row still unsent after ten minutes is sent
again by the beat job, which also alerts the data managers once.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SaeNotificationQuerySet(models.QuerySet):
    def unsent(self) -> SaeNotificationQuerySet:
        return self.filter(sent_at__isnull=True)


class SaeNotification(models.Model):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial SAE report")
        FOLLOW_UP = "follow_up", _("SAE follow-up report")

    adverse_event = models.ForeignKey(
        "crf.AdverseEvent",
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("adverse event"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    changed = models.JSONField(_("changed items"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    alerted_at = models.DateTimeField(_("data managers alerted at"), null=True, blank=True)

    objects = SaeNotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("SAE notification")
        verbose_name_plural = _("SAE notifications")
        ordering = ["created_at", "id"]
        constraints = [
            # One initial report per SAE, whatever retries or parallel saves do.
            models.UniqueConstraint(
                fields=["adverse_event"],
                condition=models.Q(kind="initial"),
                name="crf_one_initial_sae_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.adverse_event_id}"
