from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")

    def ready(self) -> None:
        from participants.lock_guard import install_after_migrate

        # The lock guard is attached to every clinical table after each migrate, so a
        # table added later is guarded too (docs/decisions/0012-locks.md).
        post_migrate.connect(
            install_after_migrate, sender=self, dispatch_uid="participants_lock_guard"
        )
