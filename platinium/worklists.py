"""The home page's work lists (issue #11, ADR 0023): for each of the user's capabilities,
counts of what is waiting, each a link to the list of exactly those items.

Site roles count at the site chosen in the switcher (`accounts.access.work_filter`);
all-sites roles count on every site. The counts come from each app's `todo.py`; no count
depends on the treatment arm (every section is shown to blinded roles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import todo as accounts_todo
from accounts.access import capability_scope, has_capability, work_filter
from accounts.roles import Capability as C
from crf import todo as crf_todo
from eligibility import todo as eligibility_todo
from exports import todo as exports_todo
from monitoring import todo as monitoring_todo
from participants import todo as participants_todo
from participants.models import Participant
from randomization import todo as randomization_todo


@dataclass(frozen=True)
class Count:
    key: str  # stable name, for the page's data attributes and the tests
    label: str
    n: int
    url: str


@dataclass
class Section:
    key: str
    title: str
    counts: list[Count] = field(default_factory=list)


def _url(name: str, **params: str) -> str:
    return f"{reverse(name)}?{urlencode(params)}" if params else reverse(name)


def _site_params(user: Any, capability: str, current: Any) -> dict[str, str]:
    """`site_code` for the lists that show every site of the user, when the home count is
    the current site's (work_filter narrowed it): the list then opens on that site."""
    all_sites, site_ids = capability_scope(user, capability)
    if all_sites or current is None or current.pk not in site_ids:
        return {}
    return {"site_code": current.code}


def site_work(user: Any, current: Any) -> Section:
    """Investigators and research nurses: what to screen, randomize, enter, report, answer."""
    scope = work_filter(user, C.ENTER_CRF, current)
    scope_ae = work_filter(user, C.ENTER_CRF, current, field="participant__site")
    site_only = _site_params(user, C.ENTER_CRF, current)
    forms = crf_todo.forms_to_enter(Participant.objects.filter(scope), user)
    section = Section("site", _("At my site"))
    section.counts += [
        Count(
            "screenings_to_finish",
            _("Screenings to finish"),
            eligibility_todo.screenings_to_finish(user, scope),
            _url("eligibility:screening_list", show="to_finish"),
        ),
        Count(
            "participants_to_randomize",
            _("Participants to randomize"),
            participants_todo.participants_to_randomize(user, scope),
            _url("participants:list", show="to_randomize"),
        ),
        Count(
            "injections_due",
            _("Injections due today"),
            len(forms[crf_todo.INJECTIONS_DUE]),
            _url("crf:forms_to_enter", show=crf_todo.INJECTIONS_DUE),
        ),
        Count(
            "forms_overdue",
            _("Overdue forms"),
            len(forms[crf_todo.OVERDUE]),
            _url("crf:forms_to_enter", show=crf_todo.OVERDUE),
        ),
        Count(
            "saes_to_report",
            _("Serious adverse events to report (24-hour clock)"),
            crf_todo.saes_to_report(user, scope_ae),
            _url("crf:sae_list", show="to_report", **site_only),
        ),
        Count(
            "queries_to_answer",
            _("Queries to answer"),
            crf_todo.queries_to_answer(user, scope_ae),
            _url("monitoring:query_list", status="to_answer", **site_only),
        ),
    ]
    if has_capability(user, C.SIGN):
        section.counts.append(
            Count(
                "casebooks_to_resign",
                _("Casebooks to re-sign"),
                monitoring_todo.casebooks_to_resign(work_filter(user, C.SIGN, current)),
                _url("monitoring:resign_list", **_site_params(user, C.SIGN, current)),
            )
        )
    return section


def pharmacy(user: Any, current: Any) -> Section | None:
    """The pharmacy of the current site (as the pharmacy page shows it)."""
    from accounts.access import sites_with

    site = current if has_capability(user, C.MANAGE_KITS, current) else None
    site = site or sites_with(user, C.MANAGE_KITS).order_by("code").first()
    if site is None:
        return None
    counts = randomization_todo.pharmacy_counts(site)
    home = reverse("randomization:pharmacy_home")
    return Section(
        "pharmacy",
        _("Pharmacy"),
        [
            Count(
                "kits_to_dispense",
                _("Kits to dispense"),
                counts["kits_to_dispense"],
                f"{home}#to-dispense",
            ),
            Count(
                "shipments_to_receive",
                _("Shipments to receive"),
                counts["shipments_to_receive"],
                _url("randomization:pharmacy_home", show="to_receive") + "#shipments",
            ),
            Count(
                "kits_expiring",
                _("Kits expiring within 30 days"),
                counts["kits_expiring"],
                _url("randomization:pharmacy_home", show="expiring") + "#stock-by-expiry",
            ),
        ],
    )


def monitoring(user: Any, current: Any) -> Section:
    scope = work_filter(user, C.SDV, current)
    site_only = _site_params(user, C.SDV, current)
    return Section(
        "monitoring",
        _("Monitoring"),
        [
            Count(
                "queries_to_review",
                _("Answered queries to review"),
                monitoring_todo.queries_to_review(
                    user, work_filter(user, C.SDV, current, field="participant__site")
                ),
                _url("monitoring:query_list", status="to_review", **site_only),
            ),
            Count(
                "participants_to_verify",
                _("Participants with data to verify (SDV)"),
                monitoring_todo.participants_to_verify(scope),
                _url("monitoring:sdv_progress", show="to_verify", **site_only),
            ),
        ],
    )


def data_management(user: Any) -> Section:
    ages = monitoring_todo.unresolved_queries_by_age(user)
    locks = monitoring_todo.locks_in_force(user)
    labels = {
        "lt7": _("Unresolved queries raised under 7 days ago"),
        "7to30": _("Unresolved queries raised 7 to 30 days ago"),
        "gt30": _("Unresolved queries raised over 30 days ago"),
    }
    lock_labels = {
        "casebook": _("Casebooks locked"),
        "form": _("Forms locked"),
        "database": _("Database locks in force"),
    }
    section = Section("data_management", _("Data management"))
    section.counts.append(
        Count(
            "saes_to_acknowledge",
            _("Serious adverse events to acknowledge"),
            monitoring_todo.saes_to_acknowledge(user),
            reverse("crf:sae_list"),
        )
    )
    section.counts += [
        Count(
            f"queries_{band}",
            labels[band],
            ages[band],
            _url("monitoring:query_list", status="unresolved", age=band),
        )
        for band in monitoring_todo.AGE_BANDS
    ]
    section.counts += [
        Count(
            f"locks_{level}",
            lock_labels[level],
            locks[level],
            _url("monitoring:lock_history", level=level, current="1"),
        )
        for level in ("casebook", "form", "database")
    ]
    return section


def exports(user: Any) -> Section:
    return Section(
        "exports",
        _("Exports"),
        [
            Count(
                "exports_ready",
                _("My exports ready to download"),
                exports_todo.exports_ready(user),
                _url("exports:home", show="ready"),
            )
        ],
    )


def randomization_lists() -> Section:
    counts = randomization_todo.randomization_manager_counts()
    url = reverse("randomization:allocation_lists")
    return Section(
        "randomization",
        _("Randomization"),
        [
            Count(
                "allocation_lists", _("Allocation lists loaded"), counts["allocation_lists"], url
            ),
            Count("kits_at_depot", _("Kits at the central depot"), counts["kits_at_depot"], url),
        ],
    )


def users() -> Section:
    counts = accounts_todo.admin_counts()
    return Section(
        "users",
        _("Users"),
        [
            Count(
                "active_users",
                _("Active accounts"),
                counts["active_users"],
                reverse("accounts:user_list"),
            ),
            Count(
                "users_without_role",
                _("Active accounts without a role"),
                counts["users_without_role"],
                _url("accounts:user_list", show="no_role"),
            ),
        ],
    )


def sections_for(user: Any, current: Any) -> list[Section]:
    """The user's work lists, one section per kind of work their capabilities allow."""
    sections: list[Section | None] = []
    if has_capability(user, C.ENTER_CRF):
        sections.append(site_work(user, current))
    if has_capability(user, C.MANAGE_KITS):
        sections.append(pharmacy(user, current))
    if has_capability(user, C.SDV):
        sections.append(monitoring(user, current))
    if has_capability(user, C.ACKNOWLEDGE_SAE):
        sections.append(data_management(user))
    if has_capability(user, C.EXPORT_BLINDED):
        sections.append(exports(user))
    if has_capability(user, C.LOAD_ALLOCATION_LIST):
        sections.append(randomization_lists())
    if has_capability(user, C.MANAGE_USERS):
        sections.append(users())
    return [section for section in sections if section is not None]
