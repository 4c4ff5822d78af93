"""The authorization truth table of docs/trial/roles.md, encoded once.

`ROLE_CAPABILITIES[role][capability]` is the scope in which a role holds a
capability: SITE (the sites of the user's memberships with that role) or ALL.
Everything else in the code asks `accounts.access.has_capability()` or filters
with `visible_to(user)`; tests are generated from this map and from the
per-URL truth table in tests/access/.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INVESTIGATOR = "investigator", _("Investigator")
    COORDINATOR = "coordinator", _("Research nurse / coordinator")
    PHARMACIST = "pharmacist", _("Pharmacist")
    MONITOR = "monitor", _("Monitor (sponsor CRA)")
    DATA_MANAGER = "data_manager", _("Data manager")
    STATISTICIAN = "statistician", _("Statistician")
    RANDOMIZATION_MANAGER = "randomization_manager", _("Randomization manager")
    ADMIN = "admin", _("Technical administrator")


# Roles whose membership is not tied to a site (site is NULL): they act on all sites
# or on none (randomization manager: lists only; admin: users only).
GLOBAL_ROLES = frozenset(
    {Role.DATA_MANAGER, Role.STATISTICIAN, Role.RANDOMIZATION_MANAGER, Role.ADMIN}
)
CLINICAL_ROLES = frozenset(set(Role) - {Role.ADMIN})


class Capability:
    VIEW_PARTICIPANTS = "view_participants"
    VIEW_CLINICAL_DATA = "view_clinical_data"
    SCREEN = "screen"
    CONFIRM_ELIGIBILITY = "confirm_eligibility"
    ENTER_CRF = "enter_crf"
    MARK_ENTERED_IN_ERROR = "mark_entered_in_error"
    RANDOMIZE = "randomize"
    SEE_ARM = "see_arm"
    SEE_KIT_NUMBERS = "see_kit_numbers"
    MANAGE_KITS = "manage_kits"
    VIEW_KIT_ACCOUNTABILITY = "view_kit_accountability"
    EMERGENCY_UNBLIND = "emergency_unblind"
    VIEW_UNBLINDING_LOG = "view_unblinding_log"
    RAISE_QUERY = "raise_query"
    ANSWER_QUERY = "answer_query"
    CLOSE_QUERY = "close_query"
    SDV = "sdv"
    SIGN = "sign"
    LOCK = "lock"
    UNLOCK = "unlock"
    VIEW_AUDIT = "view_audit"
    VIEW_GLOBAL_AUDIT_LOG = "view_global_audit_log"
    EXPORT_BLINDED = "export_blinded"
    EXPORT_UNBLINDED = "export_unblinded"
    INVESTIGATOR_COPY = "investigator_copy"
    LOAD_ALLOCATION_LIST = "load_allocation_list"
    MANAGE_USERS = "manage_users"
    VIEW_DASHBOARDS = "view_dashboards"
    ENTER_D10_BIOLOGY = "enter_d10_biology"
    ACKNOWLEDGE_SAE = "acknowledge_sae"
    VIEW_DEVIATION_LOG = "view_deviation_log"
    REVIEW_DEVIATION = "review_deviation"


SITE = "site"
ALL = "all"
C = Capability

ROLE_CAPABILITIES: dict[str, dict[str, str]] = {
    Role.INVESTIGATOR: {
        C.VIEW_PARTICIPANTS: SITE,
        C.VIEW_CLINICAL_DATA: SITE,
        C.SCREEN: SITE,
        C.CONFIRM_ELIGIBILITY: SITE,
        C.ENTER_CRF: SITE,
        C.MARK_ENTERED_IN_ERROR: SITE,
        C.RANDOMIZE: SITE,
        C.SEE_KIT_NUMBERS: SITE,
        C.EMERGENCY_UNBLIND: SITE,
        C.ANSWER_QUERY: SITE,
        C.SIGN: SITE,
        C.VIEW_AUDIT: SITE,
        C.INVESTIGATOR_COPY: SITE,
        C.VIEW_DASHBOARDS: SITE,
    },
    Role.COORDINATOR: {
        C.VIEW_PARTICIPANTS: SITE,
        C.VIEW_CLINICAL_DATA: SITE,
        C.SCREEN: SITE,
        C.ENTER_CRF: SITE,
        C.MARK_ENTERED_IN_ERROR: SITE,
        C.RANDOMIZE: SITE,
        C.SEE_KIT_NUMBERS: SITE,
        C.ANSWER_QUERY: SITE,
        C.VIEW_AUDIT: SITE,
        C.INVESTIGATOR_COPY: SITE,
        C.VIEW_DASHBOARDS: SITE,
    },
    # C1: participant code, randomization date and kit records of the site; never CRFs.
    Role.PHARMACIST: {
        C.VIEW_PARTICIPANTS: SITE,
        C.SEE_KIT_NUMBERS: SITE,
        C.MANAGE_KITS: SITE,
        C.VIEW_KIT_ACCOUNTABILITY: SITE,
        C.ANSWER_QUERY: SITE,
        C.VIEW_AUDIT: SITE,
        C.VIEW_DASHBOARDS: SITE,
    },
    Role.MONITOR: {
        C.VIEW_PARTICIPANTS: SITE,
        C.VIEW_CLINICAL_DATA: SITE,
        C.SEE_KIT_NUMBERS: SITE,
        C.VIEW_KIT_ACCOUNTABILITY: SITE,
        C.VIEW_UNBLINDING_LOG: SITE,
        C.RAISE_QUERY: SITE,
        C.CLOSE_QUERY: SITE,
        C.SDV: SITE,
        C.VIEW_AUDIT: SITE,
        C.VIEW_DASHBOARDS: SITE,
        # The deviation log of the assigned sites (the data manager reviews: ADR 0025).
        C.VIEW_DEVIATION_LOG: SITE,
    },
    Role.DATA_MANAGER: {
        C.VIEW_PARTICIPANTS: ALL,
        C.VIEW_CLINICAL_DATA: ALL,
        C.SEE_KIT_NUMBERS: ALL,
        C.VIEW_UNBLINDING_LOG: ALL,
        C.RAISE_QUERY: ALL,
        C.CLOSE_QUERY: ALL,
        C.LOCK: ALL,
        C.UNLOCK: ALL,
        C.VIEW_AUDIT: ALL,
        C.VIEW_GLOBAL_AUDIT_LOG: ALL,
        C.EXPORT_BLINDED: ALL,
        C.VIEW_DASHBOARDS: ALL,
        # randomization.md: day-10 mHLA-DR is entered by data management only.
        C.ENTER_D10_BIOLOGY: ALL,
        # Sponsor-side receipt of an SAE report (crf-spec §2.9: the 24-hour clock).
        C.ACKNOWLEDGE_SAE: ALL,
        # Protocol deviations: the sponsor's classification and review (ADR 0025).
        C.VIEW_DEVIATION_LOG: ALL,
        C.REVIEW_DEVIATION: ALL,
    },
    Role.STATISTICIAN: {
        C.VIEW_PARTICIPANTS: ALL,
        C.VIEW_CLINICAL_DATA: ALL,
        C.SEE_KIT_NUMBERS: ALL,
        C.VIEW_AUDIT: ALL,
        C.EXPORT_BLINDED: ALL,
        C.VIEW_DASHBOARDS: ALL,
        # C2: the arm only after database lock and a recorded unblinding authorisation;
        # randomization.arm_access checks those two conditions on top of this entry.
        C.SEE_ARM: ALL,
        C.EXPORT_UNBLINDED: ALL,
    },
    Role.RANDOMIZATION_MANAGER: {
        C.SEE_ARM: ALL,
        C.SEE_KIT_NUMBERS: ALL,
        C.EXPORT_UNBLINDED: ALL,
        C.LOAD_ALLOCATION_LIST: ALL,
    },
    Role.ADMIN: {
        C.MANAGE_USERS: ALL,
    },
}

# Capabilities whose holder needs an extra, data-dependent condition (roles.md C2).
CONDITIONAL_CAPABILITIES = {(Role.STATISTICIAN, C.SEE_ARM), (Role.STATISTICIAN, C.EXPORT_UNBLINDED)}


def capabilities_of(role: str) -> dict[str, str]:
    return ROLE_CAPABILITIES.get(role, {})
