from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteQuerySet(models.QuerySet["Site"]):
    def active(self) -> SiteQuerySet:
        return self.filter(status=Site.Status.ACTIVE)


class Site(models.Model):
    """An investigating centre (ICU). Codes are fixed once (protocol.md §2)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=120)
    city = models.CharField(_("city"), max_length=80)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    timezone = models.CharField(_("time zone"), max_length=40, default="Europe/Paris")
    pharmacy_email = models.EmailField(_("pharmacy e-mail"), blank=True)
    principal_investigator_email = models.EmailField(_("principal investigator e-mail"), blank=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{2}$"), name="site_code_two_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE
