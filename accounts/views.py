from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.access import visible_sites
from accounts.decorators import capability_required
from accounts.forms import (
    GrantRoleForm,
    LoginForm,
    PreferencesForm,
    ReasonForm,
    TokenForm,
    UserCreateForm,
)
from accounts.lockout import is_locked_out
from accounts.middleware import SESSION_SITE_KEY
from accounts.models import Membership, User
from accounts.roles import Capability as C
from accounts.todo import without_role
from audit.services import record

if TYPE_CHECKING:
    from collections.abc import Callable

    from accounts.types import AuthenticatedRequest


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if settings.PLATINIUM_REQUIRE_2FA:
            # The set-up secret is made here, by a POST: the 2FA page (a GET) writes nothing.
            _device_for(form.get_user(), create=True)
        return response


def _device_for(user: User, *, create: bool) -> TOTPDevice | None:
    """The user's confirmed device, else the one being set up (made if `create`)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "pk").first()
    if device is None and create:
        device = TOTPDevice.objects.create(user=user, confirmed=False, name="authenticator")
    return device


@login_required
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Set up (first time) or verify a TOTP second factor for this session."""
    user = request.user
    device = _device_for(user, create=request.method == "POST")
    if device is None:
        # Reached without logging in through the login form: one click makes the secret.
        return render(request, "accounts/two_factor.html", {"start": True})
    if request.method == "POST" and "start" in request.POST:
        return HttpResponseRedirect(request.get_full_path())
    setting_up = not device.confirmed
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record("two_factor_enrolled", target=user, by=user)
            otp_login(request, device)
            record("two_factor_verified", target=user, by=user)
            next_url = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = "/"
            return HttpResponseRedirect(next_url or "/")
        record("two_factor_failed", target=user, by=user)
        form.add_error("token", _("This code is not valid. Check your device's clock and retry."))
    context = {"form": form, "setting_up": setting_up}
    if setting_up:
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = io.BytesIO()
        image.save(buffer)
        context["qr_svg"] = buffer.getvalue().decode()
        context["secret_b32"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor.html", context)


@require_POST
@login_required
def session_renew(request: AuthenticatedRequest) -> HttpResponse:
    """The page's "still here": being a POST, SessionActivityMiddleware renews the session
    and answers with the seconds it has left (docs/decisions/0022)."""
    return HttpResponse(status=204)


@require_POST
@login_required
def switch_site(request: AuthenticatedRequest) -> HttpResponse:
    chosen = request.POST.get("site", "")
    site = visible_sites(request.user).filter(pk=chosen).first() if chosen.isdigit() else None
    if site is None:
        raise Http404
    request.session[SESSION_SITE_KEY] = site.pk
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    # A URL, never a view name: redirect() would try to reverse any other text.
    return HttpResponseRedirect(next_url)


@capability_required(C.MANAGE_USERS)
def user_list(request: AuthenticatedRequest) -> HttpResponse:
    users = User.objects.prefetch_related("memberships__site").order_by("username")
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(username__icontains=query)
    if request.GET.get("show") == "no_role":  # home page link (issue #11)
        users = without_role(users)
    return render(request, "accounts/user_list.html", {"users": users, "q": query})


@capability_required(C.MANAGE_USERS)
def user_create(request: AuthenticatedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.create_user(
            form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            password=form.cleaned_data["password"],
            by=request.user,
        )
        messages.success(request, _("Account %(username)s created.") % {"username": user.username})
        return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@capability_required(C.MANAGE_USERS)
def user_detail(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id)
    grant_form = GrantRoleForm(request.POST or None)
    if request.method == "POST" and grant_form.is_valid():
        try:
            services.grant_role(
                account,
                role=grant_form.cleaned_data["role"],
                site=grant_form.cleaned_data["site"],
                by=request.user,
            )
        except services.AccountError as error:
            grant_form.add_error(None, str(error))
        else:
            messages.success(request, _("Role granted."))
            return redirect("accounts:user_detail", user_id=account.pk)
    memberships = account.memberships.active().select_related("site")
    return render(
        request,
        "accounts/user_detail.html",
        {
            "account": account,
            "memberships": memberships,
            "grant_form": grant_form,
            "reason_form": ReasonForm(),
            "locked_out": is_locked_out(account.username),
        },
    )


def _reasoned_action(
    request: AuthenticatedRequest,
    user_id: int,
    action: Callable[[str], object],
    success: str,
) -> HttpResponse:
    """An administrator's account action that needs a written reason: validate the reason,
    run the service, report its refusal as a message, and go back to the account page."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
    else:
        try:
            action(form.cleaned_data["reason"])
            messages.success(request, success)
        except services.AccountError as error:
            messages.error(request, str(error))
    return redirect("accounts:user_detail", user_id=user_id)


@require_POST
@capability_required(C.MANAGE_USERS)
def membership_revoke(request: AuthenticatedRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.active(), pk=membership_id)
    return _reasoned_action(
        request,
        membership.user_id,
        lambda reason: services.revoke_membership(membership, by=request.user, reason=reason),
        _("Role revoked."),
    )


@require_POST
@capability_required(C.MANAGE_USERS)
def user_set_active(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id)
    active = request.POST.get("active") == "1"
    return _reasoned_action(
        request,
        account.pk,
        lambda reason: services.set_user_active(
            account, active=active, by=request.user, reason=reason
        ),
        _("Account updated."),
    )


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    """The person's own settings: the daily query digest e-mail (the language is the
    switcher's)."""
    form = PreferencesForm(
        request.POST or None, initial={"query_digest": request.user.query_digest}
    )
    if request.method == "POST" and form.is_valid():
        services.set_digest_preference(
            request.user, query_digest=form.cleaned_data["query_digest"], by=request.user
        )
        messages.success(request, _("Preferences saved."))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@require_POST
@capability_required(C.MANAGE_USERS)
def user_unlock(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id)
    return _reasoned_action(
        request,
        account.pk,
        lambda reason: services.unlock_account(account, by=request.user, reason=reason),
        _("Account unlocked: the user can log in again."),
    )


@require_POST
@capability_required(C.MANAGE_USERS)
def user_send_password_reset(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    account = get_object_or_404(User, pk=user_id)
    return _reasoned_action(
        request,
        account.pk,
        lambda reason: services.send_password_reset(account, by=request.user, reason=reason),
        _("A password reset link was sent to %(email)s.") % {"email": account.email},
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher (the cookie), and for a logged-in user the choice kept on
    the account so that e-mails sent outside a request use it (the daily query digest)."""
    response = i18n.set_language(request)
    if request.user.is_authenticated:
        services.set_language_preference(request.user, language=request.POST.get("language", ""))
    return response
