"""Optimistic locking: a form saves only if the row is still the version it showed."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaleVersion(Exception):
    """Someone saved the row after the user opened the form."""

    def __init__(self, current: models.Model) -> None:
        self.current = current
        super().__init__(str(_("This record was changed by someone else.")))


class VersionedModel(models.Model):
    """Abstract base: `version` increases on every save through `save_versioned()`."""

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


def save_versioned(
    instance: VersionedModel, *, expected_version: int | None, by: AbstractBaseUser | None
) -> None:
    """Insert, or update only if the stored version is still `expected_version`.

    The check and the write are one UPDATE … WHERE version = n, so two concurrent
    saves cannot both pass (no read-modify-write race).
    """
    instance.updated_by = by  # type: ignore[assignment]  # AUTH_USER_MODEL: audit sits below accounts
    if instance._state.adding:
        instance.version = 1
        instance.save()
        return
    model = type(instance)
    fields = {
        f.attname: getattr(instance, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key and f.attname != "version"
    }
    fields["updated_at"] = timezone.now()
    same_version = model._default_manager.filter(pk=instance.pk, version=expected_version)  # type: ignore[misc]  # None: no row, StaleVersion
    updated = same_version.update(version=models.F("version") + 1, **fields)
    if updated != 1:
        raise StaleVersion(model._default_manager.get(pk=instance.pk))
    instance.version = expected_version + 1 if expected_version is not None else instance.version
    instance.updated_at = fields["updated_at"]
