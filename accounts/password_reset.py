"""Password reset by e-mail (issue #11, docs/decisions/0029-accounts-recovery.md).

Django's token and views do the work: the link holds a token made from the user's
password hash and last login, so it stops working once used, and after
PASSWORD_RESET_TIMEOUT. What we add: the e-mail in the user's language, a link built from
PLATINIUM_BASE_URL (never from the request's Host header), the same answer whether the
address is known or not, and the audit events.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from audit.services import record

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.PLATINIUM_BASE_URL.rstrip("/") + path


def _language_of(user: User) -> str:
    available = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in available else settings.LANGUAGE_CODE


def reset_email(user: User) -> EmailMessage:
    """The reset e-mail, written in the language the user chose in the EDC."""
    context = {
        "user": user,
        "link": reset_link(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "support_contact": settings.PLATINIUM_SUPPORT_CONTACT,
    }
    with translation.override(_language_of(user)):
        subject = " ".join(render_to_string("emails/password_reset_subject.txt", context).split())
        body = render_to_string("emails/password_reset.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]  # Django's e-mail options are not used
        from accounts import services

        # get_users: active accounts with a usable password and this address. Nothing is
        # said about the others, and a failed send is logged, not shown: the page reads
        # the same for an unknown address (no account enumeration).
        for user in self.get_users(self.cleaned_data["email"]):
            try:
                services.send_password_reset(user, by=None)
            except Exception:
                logger.exception("password reset e-mail to user %s failed", user.pk)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    # Never logged in by the link: the next login asks for the second factor as usual.
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm[Any]) -> HttpResponse:
        response = super().form_valid(form)
        record("password_reset_completed", target=form.user, by=form.user)
        return response
