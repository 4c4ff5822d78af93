from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Login success/failure are recorded in the audit trail (Django's auth signals
        # are the only hook for them; no workflow hangs on these receivers).
        from accounts import auth_events  # noqa: F401
