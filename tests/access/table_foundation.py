"""Truth-table entries of the foundation URLs (roles.md matrix)."""

from __future__ import annotations

from django.utils import timezone

from tests.access.harness import EVERYONE, Entry, World

CLINICAL_VIEWERS = frozenset(
    {"investigator", "coordinator", "pharmacist", "monitor", "data_manager", "statistician"}
)
AUDIT_VIEWERS = CLINICAL_VIEWERS


def populate(world: World) -> None:
    from participants.models import Participant
    from sites.models import Site

    site11 = Site.objects.get(code="11")
    site16 = Site.objects.get(code="16")
    inv = world.users["investigator"]
    world.site11, world.site16 = site11, site16
    world.participant11 = Participant.objects.create(
        site=site11, seq=901, code="11-901", enrolled_at=timezone.now(), enrolled_by=inv
    )
    world.participant16 = Participant.objects.create(
        site=site16,
        seq=901,
        code="16-901",
        enrolled_at=timezone.now(),
        enrolled_by=world.users["investigator_nantes"],
    )
    world.admin_target = world.users["coordinator"]
    world.membership = world.users["coordinator"].memberships.first()


ENTRIES = [
    Entry("home", EVERYONE),
    Entry("healthz", EVERYONE, public=True),
    Entry("accounts:login", EVERYONE, public=True, note="logged-in users are redirected home"),
    Entry("accounts:logout", EVERYONE, method="POST", public=True),
    Entry("accounts:two_factor", EVERYONE),
    Entry("accounts:session_renew", EVERYONE, method="POST", note="renews the session (0022)"),
    Entry("accounts:password_change", EVERYONE),
    Entry("accounts:password_changed", EVERYONE),
    Entry("accounts:password_reset", EVERYONE, public=True, note="forgot password (0029)"),
    Entry("accounts:password_reset_sent", EVERYONE, public=True),
    Entry(
        "accounts:password_reset_confirm",
        EVERYONE,
        public=True,
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"},
        note="a wrong token shows 'link no longer valid'",
    ),
    Entry("accounts:password_reset_complete", EVERYONE, public=True),
    Entry("accounts:preferences", EVERYONE, note="the person's own settings (0031)"),
    Entry(
        "accounts:switch_site",
        frozenset(
            {"investigator", "coordinator", "pharmacist", "monitor", "data_manager", "statistician"}
        ),
        method="POST",
        data=lambda w: {"site": w.site11.pk},
        note="only sites the user can see; others 404",
    ),
    Entry("set_language", EVERYONE, method="POST", public=True, data=lambda w: {"language": "en"}),
    Entry("accounts:user_list", frozenset({"admin"})),
    Entry("accounts:user_create", frozenset({"admin"})),
    Entry(
        "accounts:user_detail",
        frozenset({"admin"}),
        kwargs=lambda w: {"user_id": w.admin_target.pk},
    ),
    Entry(
        "accounts:user_set_active",
        frozenset({"admin"}),
        method="POST",
        kwargs=lambda w: {"user_id": w.admin_target.pk},
        data=lambda w: {"reason": "x"},
    ),
    Entry(
        "accounts:user_unlock",
        frozenset({"admin"}),
        method="POST",
        kwargs=lambda w: {"user_id": w.admin_target.pk},
        data=lambda w: {"reason": "x"},
    ),
    Entry(
        "accounts:user_send_password_reset",
        frozenset({"admin"}),
        method="POST",
        kwargs=lambda w: {"user_id": w.admin_target.pk},
        data=lambda w: {"reason": "x"},
    ),
    Entry(
        "accounts:membership_revoke",
        frozenset({"admin"}),
        method="POST",
        kwargs=lambda w: {"membership_id": w.membership.pk},
        data=lambda w: {"reason": "x"},
    ),
    Entry("audit:log", frozenset({"data_manager"})),
    Entry(
        "audit:object_trail",
        AUDIT_VIEWERS,
        kwargs=lambda w: {"model_label": "participants.participant", "pk": w.participant11.pk},
        other_site_kwargs=lambda w: {
            "model_label": "participants.participant",
            "pk": w.participant16.pk,
        },
    ),
    Entry("sites:list", CLINICAL_VIEWERS),
    Entry("participants:list", CLINICAL_VIEWERS),
    Entry(
        "participants:detail",
        CLINICAL_VIEWERS,
        kwargs=lambda w: {"code": w.participant11.code},
        other_site_kwargs=lambda w: {"code": w.participant16.code},
    ),
]
