from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from audit import dbroles
        from audit.triggers import append_only_triggers

        # Every pghistory event table, present and future, gets the same non-ignorable
        # append-only triggers as AuditEvent (registered here, so migrations carry them).
        for model in dbroles.history_event_models():
            for trigger in append_only_triggers():
                trigger.register(model)  # type: ignore[arg-type]  # pgtrigger takes the class
        post_migrate.connect(dbroles.grant_after_migrate, sender=self)
