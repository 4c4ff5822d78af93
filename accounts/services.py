"""Protocol actions on accounts: each runs in a transaction and writes its audit event."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import forget_memberships
from accounts.models import Language, Membership, User
from accounts.password_reset import reset_email
from accounts.roles import GLOBAL_ROLES, Role
from audit.services import record
from sites.models import Site


class AccountError(ValueError):
    pass


@transaction.atomic
def create_user(
    username: str,
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str,
    by: User,
) -> User:
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record("user_created", target=user, by=by, data={"username": username})
    return user


@transaction.atomic
def grant_role(user: User, *, role: str, site: Site | None, by: User) -> Membership:
    """Give `user` a role (at `site` for site roles). Nobody grants a role to themselves."""
    if user.pk == by.pk:
        raise AccountError(_("You cannot grant a role to yourself."))
    if role not in Role.values:
        raise AccountError(_("Unknown role."))
    if role in GLOBAL_ROLES and site is not None:
        raise AccountError(_("This role applies to all sites; do not choose a site."))
    if role not in GLOBAL_ROLES and site is None:
        raise AccountError(_("Choose the site of this role."))
    current = set(user.memberships.active().values_list("role", flat=True))
    if role == Role.ADMIN and current - {Role.ADMIN}:
        raise AccountError(_("A technical administrator cannot hold a clinical role."))
    if role != Role.ADMIN and Role.ADMIN in current:
        raise AccountError(_("A technical administrator cannot hold a clinical role."))
    if user.memberships.active().filter(role=role, site=site).exists():
        raise AccountError(_("This user already has this role."))
    membership = Membership.objects.create(user=user, site=site, role=role, granted_by=by)
    forget_memberships(user)
    record(
        "role_granted",
        target=user,
        by=by,
        data={"role": role, "site": site.code if site else None},
        site_code=site.code if site else "",
    )
    return membership


@transaction.atomic
def revoke_membership(membership: Membership, *, by: User, reason: str) -> Membership:
    if membership.user_id == by.pk:
        raise AccountError(_("You cannot change your own roles."))
    membership.revoked_at = timezone.now()
    membership.save(update_fields=["revoked_at"])
    forget_memberships(membership.user)
    record(
        "role_revoked",
        target=membership.user,
        by=by,
        data={"role": membership.role, "site": membership.site.code if membership.site else None},
        reason=reason,
    )
    return membership


@transaction.atomic
def set_user_active(user: User, *, active: bool, by: User, reason: str) -> User:
    """Deactivate (sessions stop working on the next request) or reactivate an account."""
    if user.pk == by.pk:
        raise AccountError(_("You cannot deactivate your own account."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record("user_activated" if active else "user_deactivated", target=user, by=by, reason=reason)
    return user


@transaction.atomic
def set_language_preference(user: User, *, language: str) -> User:
    """The user chose a language in the switcher: e-mails sent later use it too."""
    if language not in Language.values or user.language == language:
        return user
    user.language = language
    user.save(update_fields=["language"])
    record("user.language_chosen", target=user, by=user, data={"language": language})
    return user


@transaction.atomic
def unlock_account(user: User, *, by: User, reason: str) -> int:
    """Lift a lockout now instead of after the 30 minutes (django-axes locks by username,
    docs/decisions/0004): the failed attempts of that username are forgotten. Returns how
    many attempt rows were cleared."""
    cleared = int(axes_reset(username=user.username))
    record(
        "account_unlocked", target=user, by=by, data={"attempts_cleared": cleared}, reason=reason
    )
    return cleared


@transaction.atomic
def send_password_reset(user: User, *, by: User | None, reason: str = "") -> None:
    """E-mail the user a single-use link to choose a new password: asked by the user on
    the "forgot password" page (`by` None) or sent by the administrator. Sent inside the
    transaction: a failed send rolls the audit event back, so the trail never says "sent"
    for an e-mail that was not."""
    if not user.is_active:
        raise AccountError(_("This account is disabled: enable it before sending a reset link."))
    if not user.email:
        raise AccountError(_("This account has no e-mail address."))
    record(
        "password_reset_sent" if by is not None else "password_reset_requested",
        target=user,
        by=by,
        reason=reason,
    )
    reset_email(user).send()


@transaction.atomic
def set_digest_preference(user: User, *, query_digest: bool, by: User) -> User:
    """A person turns their own daily query digest e-mail on or off (ADR 0031)."""
    if user.pk != by.pk:
        raise PermissionDenied
    if user.query_digest == query_digest:
        return user
    user.query_digest = query_digest
    user.save(update_fields=["query_digest"])
    record(
        "user.digest_preference_changed", target=user, by=by, data={"query_digest": query_digest}
    )
    return user
