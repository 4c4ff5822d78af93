from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core import validators
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from sites.models import Site


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("Unknown username or wrong password."),
        "inactive": _("This account is disabled. Contact the trial administrator."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets max_length after the field is built, so Django never
        # checks it: a 100,000-character username reached the lockout log (varchar 255).
        limit = getattr(self.fields["username"], "max_length", None) or 150
        self.fields["username"].validators.append(validators.MaxLengthValidator(limit))

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            # ModelBackend refuses inactive users before the form can tell them why; say
            # "disabled" only to someone who knows the password (no account enumeration).
            user = User.objects.filter(username=self.cleaned_data.get("username")).first()
            password = self.cleaned_data.get("password") or ""
            if user is not None and not user.is_active and user.check_password(password):
                raise forms.ValidationError(
                    self.error_messages["inactive"], code="inactive"
                ) from None
            raise


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError(_("The code has 6 digits."))
        return token


class UserCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("Letters, digits and @/./+/-/_ only.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is already taken."))
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password"):
            candidate = User(username=data.get("username", ""), email=data.get("email", ""))
            try:
                validate_password(data["password"], candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class GrantRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.all(),
        required=False,
        help_text=_(
            "Leave empty for data manager, statistician, randomization manager and administrator."
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PreferencesForm(forms.Form):
    query_digest = forms.BooleanField(
        label=_("Send me the daily query digest e-mail"),
        required=False,
        help_text=_(
            "One e-mail a day when queries of your sites wait for you. Turned off, you follow "
            "your queries from the query worklist only."
        ),
    )


class ReauthenticationForm(forms.Form):
    """Password, plus the authenticator code for a user who has a confirmed device.

    The code is not required by the form: `accounts.reauth.reauthenticate` refuses a
    missing code itself, so that the refusal is audited and counted like a wrong one.
    """

    password = forms.CharField(
        label=_("Your password (re-authentication)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        from accounts.reauth import second_factor_required

        super().__init__(*args, **kwargs)
        if not second_factor_required(user):
            del self.fields["token"]

    def credentials(self) -> dict[str, str]:
        """The keyword arguments of `reauthenticate()` typed by the user."""
        return {
            "password": self.cleaned_data.get("password") or "",
            "token": self.cleaned_data.get("token") or "",
        }
