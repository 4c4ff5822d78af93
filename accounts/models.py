from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import GLOBAL_ROLES, Role


class Language(models.TextChoices):
    """The languages of the interface (settings.LANGUAGES); French first (ADR 0008)."""

    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A person using the EDC. Never deleted: deactivated (is_active=False)."""

    # The last language the user chose in the language switcher: e-mails sent to the user
    # outside a request (the daily query digest) are written in it.
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.FRENCH
    )

    # The daily query digest (monitoring/digest.py) is on unless the person turns it off on
    # their preferences page: queries are then followed from the worklist only.
    query_digest = models.BooleanField(_("daily query digest"), default=True)

    objects = UserManager()  # type: ignore[misc]  # AbstractUser's manager, stubs type it per class

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(revoked_at__isnull=True)


@pghistory.track()
class Membership(models.Model):
    """User × site × role. Site is empty for global roles (data manager, statistician…)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("user"),
    )
    site = models.ForeignKey(
        "sites.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("site"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["role", "site__code"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "site", "role"],
                condition=models.Q(revoked_at__isnull=True),
                name="membership_unique_active",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role__in=sorted(GLOBAL_ROLES), site__isnull=True)
                    | (~models.Q(role__in=sorted(GLOBAL_ROLES)) & models.Q(site__isnull=False))
                ),
                name="membership_site_matches_role_scope",
            ),
            models.CheckConstraint(
                condition=~models.Q(granted_by=models.F("user")),
                name="membership_not_self_granted",
            ),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site is not None else _("all sites")
        return f"{self.user.username} · {self.get_role_display()} · {where}"
