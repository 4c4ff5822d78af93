"""The actions of the audit trail, as a static list: the audit log's filter offers them
without reading the table (docs/decisions/0022). tests/audit/test_action_list.py checks
that every `record("...")` of the code is here. Actions built from a model name
(`crf.<form>.create`, `.update`, `.entered_in_error`, `query.<kind>`) are offered as
families: a filter value ending with "." matches every action it begins.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from audit.labels import form_name

ACTIONS: tuple[str, ...] = (
    "casebook_pdf_downloaded",
    "casebook_signed",
    "crf.death.create",
    "crf.death.update",
    "crf.edit_checks.rerun",
    "crf.infectionmicroorganism.update",
    "crf.sae.acknowledged",
    "crf.sae.follow_up",
    "crf.sae.follow_up_carried_by_initial",
    "crf.sae.follow_up_notified",
    "crf.sae.notified",
    "crf.sae.reported",
    "deviation.reviewed",
    "eligibility.consent_corrected",
    "eligibility.consent_recorded",
    "eligibility.enrolled",
    "eligibility.participant_flagged",
    "eligibility.screening_corrected",
    "eligibility.screening_created",
    "eligibility.screening_saved",
    "exports.allocation_released",
    "exports.dataset_exported",
    "exports.downloaded",
    "exports.requested",
    "login_failed",
    "login_succeeded",
    "logout",
    "notifications.unsent_alert",
    "account_unlocked",
    "password_reset_completed",
    "password_reset_requested",
    "password_reset_sent",
    "participants.casebook_locked",
    "participants.casebook_unlocked",
    "participants.database_locked",
    "participants.database_unlocked",
    "participants.form_locked",
    "participants.form_unlocked",
    "participants.status_changed",
    "query.raised",
    "randomization.allocation_list_loaded",
    "randomization.emergency_unblinding",
    "randomization.flagged_in_error",
    "randomization.kit_destroyed",
    "randomization.kit_dispensed",
    "randomization.kit_incident",
    "randomization.kit_list_loaded",
    "randomization.kit_replaced",
    "randomization.kits_expired",
    "randomization.no_kit",
    "randomization.quarantine_decided",
    "randomization.randomized",
    "randomization.shipment_dispatched",
    "randomization.shipment_received",
    "randomization.shipment_requested",
    "randomization.unblinding_authorised",
    "reauthentication_failed",
    "role_granted",
    "role_revoked",
    "sdv_verified",
    "two_factor_enrolled",
    "two_factor_failed",
    "two_factor_verified",
    "user_activated",
    "user_created",
    "user.language_chosen",
    "user.digest_preference_changed",
    "user_activated",
    "user_created",
    "user_deactivated",
)

FAMILIES: tuple[str, ...] = (
    "crf.",
    "eligibility.",
    "exports.",
    "participants.",
    "query.",
    "randomization.",
)

# What the audit log shows for each action (English msgids, French in the catalogue).
LABELS: dict[str, Any] = {
    "account_unlocked": _("Account unlocked"),
    "password_reset_completed": _("Password reset completed"),
    "password_reset_requested": _("Password reset requested"),
    "password_reset_sent": _("Password reset link sent by the administrator"),
    "casebook_pdf_downloaded": _("Casebook PDF downloaded"),
    "casebook_signed": _("Casebook signed"),
    "crf.edit_checks.rerun": _("Edit checks run again"),
    "crf.sae.acknowledged": _("SAE acknowledged"),
    "crf.sae.follow_up": _("SAE follow-up reported"),
    "crf.sae.follow_up_carried_by_initial": _("SAE follow-up sent with the initial report"),
    "crf.sae.follow_up_notified": _("SAE follow-up notified to vigilance"),
    "crf.sae.notified": _("SAE notified to vigilance"),
    "crf.sae.reported": _("SAE reported"),
    "deviation.reviewed": _("Protocol deviation reviewed"),
    "eligibility.consent_corrected": _("Consent corrected"),
    "eligibility.consent_recorded": _("Consent recorded"),
    "eligibility.enrolled": _("Participant enrolled"),
    "eligibility.participant_flagged": _("Participant flagged for eligibility review"),
    "eligibility.screening_corrected": _("Screening corrected"),
    "eligibility.screening_created": _("Screening created"),
    "eligibility.screening_saved": _("Screening saved"),
    "exports.allocation_released": _("Allocation released"),
    "exports.dataset_exported": _("Dataset exported"),
    "exports.downloaded": _("Export downloaded"),
    "exports.requested": _("Export requested"),
    "login_failed": _("Login failed"),
    "login_succeeded": _("Login succeeded"),
    "logout": _("Logout"),
    "notifications.unsent_alert": _("Alert: notification not sent"),
    "participants.casebook_locked": _("Casebook locked"),
    "participants.casebook_unlocked": _("Casebook unlocked"),
    "participants.database_locked": _("Database locked"),
    "participants.database_unlocked": _("Database unlocked"),
    "participants.form_locked": _("Form locked"),
    "participants.form_unlocked": _("Form unlocked"),
    "participants.status_changed": _("Participant status changed"),
    "randomization.allocation_list_loaded": _("Allocation list loaded"),
    "randomization.emergency_unblinding": _("Emergency unblinding"),
    "randomization.flagged_in_error": _("Randomization flagged as made in error"),
    "randomization.kit_destroyed": _("Kit destroyed"),
    "randomization.kit_dispensed": _("Kit dispensed"),
    "randomization.kit_incident": _("Kit incident"),
    "randomization.kit_list_loaded": _("Kit list loaded"),
    "randomization.kit_replaced": _("Kit replaced"),
    "randomization.kits_expired": _("Kits expired"),
    "randomization.no_kit": _("No kit available"),
    "randomization.quarantine_decided": _("Quarantine decision"),
    "randomization.randomized": _("Participant randomized"),
    "randomization.shipment_dispatched": _("Shipment dispatched"),
    "randomization.shipment_received": _("Shipment received"),
    "randomization.shipment_requested": _("Shipment requested"),
    "randomization.unblinding_authorised": _("Unblinding authorised"),
    "reauthentication_failed": _("Re-authentication failed"),
    "role_granted": _("Role granted"),
    "role_revoked": _("Role revoked"),
    "sdv_verified": _("Source data verified"),
    "two_factor_enrolled": _("Second factor enrolled"),
    "two_factor_failed": _("Second factor failed"),
    "two_factor_verified": _("Second factor verified"),
    "user_activated": _("Account activated"),
    "user_created": _("Account created"),
    "user.language_chosen": _("Language chosen"),
    "user.digest_preference_changed": _("Daily query digest turned on or off"),
    "user_deactivated": _("Account deactivated"),
}
FORM_VERBS: dict[str, Any] = {
    "create": _("Form created"),
    "update": _("Form changed"),
    "entered_in_error": _("Form marked entered in error"),
}
QUERY_KINDS: dict[str, Any] = {
    "raised": _("Query raised"),
    "answered": _("Query answered"),
    "closed": _("Query closed"),
    "reopened": _("Query reopened"),
    "cancelled": _("Query cancelled"),
    "auto_closed": _("Query closed automatically"),
}


def action_label(action: str) -> str:
    """The action as the audit log names it: "Form changed · Daily follow-up" for the
    actions built from a form's name, "Query answered" for a query's."""
    if action in LABELS:
        return str(LABELS[action])
    family, _dot, rest = action.partition(".")
    if family == "crf" and "." in rest:
        form, _dot, verb = rest.partition(".")
        if verb in FORM_VERBS:
            return f"{FORM_VERBS[verb]} · {form_name(f'crf.{form}')}"
    if family == "query" and rest in QUERY_KINDS:
        return str(QUERY_KINDS[rest])
    return action


FAMILY_LABELS: dict[str, Any] = {
    "crf.": _("All case report form actions"),
    "eligibility.": _("All screening and enrolment actions"),
    "exports.": _("All export actions"),
    "participants.": _("All participant and lock actions"),
    "query.": _("All query actions"),
    "randomization.": _("All randomization and pharmacy actions"),
}


def filter_choices() -> list[tuple[str, str]]:
    """(value, label) of the audit log's action filter: the families, then each action."""
    families = [(f, str(FAMILY_LABELS.get(f, f))) for f in FAMILIES]
    actions = sorted({(a, action_label(a)) for a in ACTIONS}, key=lambda c: c[1])
    return families + actions
