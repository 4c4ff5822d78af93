"""roles.md's matrix, transcribed literally, must equal accounts.roles.ROLE_CAPABILITIES.

The matrix is copied below as text (one line per row, as in roles.md). Each row names
the capabilities it grants; the symbols translate to a scope: S / R·S / S (kits) → the
user's own sites, R / Y / C2 / C3 → all sites, C1 → per capability (note C1), — → denied.
"""

from __future__ import annotations

import copy

import pytest

from accounts.roles import (
    ALL,
    CONDITIONAL_CAPABILITIES,
    GLOBAL_ROLES,
    ROLE_CAPABILITIES,
    SITE,
    Role,
)
from accounts.roles import Capability as C

ROLE_COLUMNS = [
    Role.INVESTIGATOR,
    Role.COORDINATOR,
    Role.PHARMACIST,
    Role.MONITOR,
    Role.DATA_MANAGER,
    Role.STATISTICIAN,
    Role.RANDOMIZATION_MANAGER,
    Role.ADMIN,
]

# roles.md "## Matrix", verbatim (inv | coord | pharm | mon | dm | stat | rando | admin).
MATRIX = """
| view participant list and CRF data | S | S | C1 | R·S | R | R | — | — |
| create screening record, enrol | S | S | — | — | — | — | — | — |
| enter / modify CRF data (reason required once a form is complete) | S | S | — | — | — | — | — | — |
| physically delete clinical data | — | — | — | — | — | — | — | — |
| mark a form "entered in error" (audited, reason) | S | S | — | — | — | — | — | — |
| randomize a participant | S | S | — | — | — | — | — | — |
| see the treatment arm | — | — | — | — | — | C2 | Y | — |
| see kit numbers | S | S | S | R·S | R | R | Y | — |
| receive kits, dispense a kit, record accountability | — | — | S | R·S | — | — | — | — |
| emergency unblinding of one participant (reason, notified) | S | — | — | — | — | — | — | — |
| raise a query | — | — | — | S | Y | — | — | — |
| answer a query | S | S | C1 | — | — | — | — | — |
| close / cancel a query | — | — | — | S | Y | — | — | — |
| source data verification | — | — | — | S | — | — | — | — |
| sign a casebook / form (re-authentication, meaning shown) | S | — | — | — | — | — | — | — |
| lock form / participant; database lock | — | — | — | — | Y | — | — | — |
| unlock (reason, audited) | — | — | — | — | C3 | — | — | — |
| view audit trail (blinded view) | S | S | C1 | R·S | R | R | — | — |
| export data, blinded | — | — | — | — | Y | Y | — | — |
| export data with treatment arm | — | — | — | — | — | C2 | Y | — |
| investigator copy of own site's data (PDF + CSV + audit) | S | S | — | — | — | — | — | — |
| load allocation list / kit list | — | — | — | — | — | — | Y | — |
| manage users and memberships | — | — | — | — | — | — | — | Y |
| recruitment and data-quality dashboards (no arm) | S | S | S (kits) | S | Y | Y | — | — |
"""  # noqa: E501 (rows copied verbatim)

# Each row → (capabilities a full grant gives, capabilities a read-only grant gives).
ROW_CAPABILITIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "view participant list and CRF data": (
        (C.VIEW_PARTICIPANTS, C.VIEW_CLINICAL_DATA),
        (C.VIEW_PARTICIPANTS, C.VIEW_CLINICAL_DATA),
    ),
    "create screening record, enrol": ((C.SCREEN,), ()),
    "enter / modify CRF data (reason required once a form is complete)": ((C.ENTER_CRF,), ()),
    "physically delete clinical data": ((), ()),
    'mark a form "entered in error" (audited, reason)': ((C.MARK_ENTERED_IN_ERROR,), ()),
    "randomize a participant": ((C.RANDOMIZE,), ()),
    "see the treatment arm": ((C.SEE_ARM,), (C.SEE_ARM,)),
    "see kit numbers": ((C.SEE_KIT_NUMBERS,), (C.SEE_KIT_NUMBERS,)),
    "receive kits, dispense a kit, record accountability": (
        (C.MANAGE_KITS, C.VIEW_KIT_ACCOUNTABILITY),
        (C.VIEW_KIT_ACCOUNTABILITY,),
    ),
    "emergency unblinding of one participant (reason, notified)": ((C.EMERGENCY_UNBLIND,), ()),
    "raise a query": ((C.RAISE_QUERY,), ()),
    "answer a query": ((C.ANSWER_QUERY,), ()),
    "close / cancel a query": ((C.CLOSE_QUERY,), ()),
    "source data verification": ((C.SDV,), ()),
    "sign a casebook / form (re-authentication, meaning shown)": ((C.SIGN,), ()),
    "lock form / participant; database lock": ((C.LOCK,), ()),
    "unlock (reason, audited)": ((C.UNLOCK,), ()),
    "view audit trail (blinded view)": ((C.VIEW_AUDIT,), (C.VIEW_AUDIT,)),
    "export data, blinded": ((C.EXPORT_BLINDED,), ()),
    "export data with treatment arm": ((C.EXPORT_UNBLINDED,), ()),
    "investigator copy of own site's data (PDF + CSV + audit)": ((C.INVESTIGATOR_COPY,), ()),
    "load allocation list / kit list": ((C.LOAD_ALLOCATION_LIST,), ()),
    "manage users and memberships": ((C.MANAGE_USERS,), ()),
    "recruitment and data-quality dashboards (no arm)": ((C.VIEW_DASHBOARDS,), ()),
}

# symbol → (scope, read only?)
SYMBOLS: dict[str, tuple[str | None, bool]] = {
    "S": (SITE, False),
    "S (kits)": (SITE, False),
    "R·S": (SITE, True),
    "R": (ALL, True),
    "Y": (ALL, False),
    "C2": (ALL, False),  # conditional: CONDITIONAL_CAPABILITIES, checked below
    "C3": (ALL, False),  # unlock with a mandatory reason
    "—": (None, False),
}
# C1: the pharmacist sees participant code, randomization date and kit records of the
# site, never clinical CRFs.
C1 = {
    C.VIEW_PARTICIPANTS: SITE,
    C.VIEW_CLINICAL_DATA: None,
    C.ANSWER_QUERY: SITE,
    C.VIEW_AUDIT: SITE,
}

# Capabilities that refine the matrix from other specs; each listed with its exact grants.
EXTRAS: dict[str, dict[str, str]] = {
    # crf-spec.md: the investigator confirms eligibility with an e-signature.
    C.CONFIRM_ELIGIBILITY: {Role.INVESTIGATOR: SITE},
    # randomization.md: the unblinding log is read by those who monitor unblinding.
    C.VIEW_UNBLINDING_LOG: {Role.MONITOR: SITE, Role.DATA_MANAGER: ALL},
    # The searchable all-sites audit log is a data-management tool.
    C.VIEW_GLOBAL_AUDIT_LOG: {Role.DATA_MANAGER: ALL},
    # randomization.md: day-10 mHLA-DR is entered by data management only.
    C.ENTER_D10_BIOLOGY: {Role.DATA_MANAGER: ALL},
    # crf-spec.md §2.9: the sponsor side acknowledges receipt of an SAE report.
    C.ACKNOWLEDGE_SAE: {Role.DATA_MANAGER: ALL},
    # roles.md §2 (ADR 0025): monitors read the deviation log of their sites, data
    # managers read all of it and review (classify) each deviation.
    C.VIEW_DEVIATION_LOG: {Role.MONITOR: SITE, Role.DATA_MANAGER: ALL},
    C.REVIEW_DEVIATION: {Role.DATA_MANAGER: ALL},
}


def parse_matrix(text: str) -> dict[str, list[str]]:
    rows = {}
    for line in text.strip().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 1 + len(ROLE_COLUMNS), line
        rows[cells[0]] = cells[1:]
    return rows


def expected_capabilities() -> dict[str, dict[str, str]]:
    expected: dict[str, dict[str, str]] = {role: {} for role in ROLE_COLUMNS}
    for action, symbols in parse_matrix(MATRIX).items():
        full, read_only = ROW_CAPABILITIES[action]
        for role, symbol in zip(ROLE_COLUMNS, symbols, strict=True):
            if symbol == "C1":
                for capability in full:
                    if C1.get(capability):
                        expected[role][capability] = C1[capability]
                continue
            scope, is_read = SYMBOLS[symbol]
            if scope is None:
                continue
            for capability in read_only if is_read else full:
                expected[role][capability] = scope
    for capability, grants in EXTRAS.items():
        for role, scope in grants.items():
            expected[role][capability] = scope
    return expected


def differences(actual: dict[str, dict[str, str]]) -> list[str]:
    expected = expected_capabilities()
    problems = []
    for role in ROLE_COLUMNS:
        want, have = expected[role], {str(k): v for k, v in actual.get(role, {}).items()}
        for capability in sorted(set(want) | set(have)):
            if want.get(capability) != have.get(capability):
                problems.append(
                    f"{role}.{capability}: roles.md says {want.get(capability)}, "
                    f"code says {have.get(capability)}"
                )
    return problems


def test_every_matrix_row_is_mapped_to_capabilities() -> None:
    assert set(parse_matrix(MATRIX)) == set(ROW_CAPABILITIES)


def test_role_capabilities_equal_the_roles_md_matrix() -> None:
    assert differences(ROLE_CAPABILITIES) == []


def test_no_role_can_physically_delete_clinical_data() -> None:
    every_capability = {cap for caps in ROLE_CAPABILITIES.values() for cap in caps}
    assert not {cap for cap in every_capability if "delete" in cap}


def test_conditional_grants_are_exactly_the_c2_cells() -> None:
    c2 = set()
    for action, symbols in parse_matrix(MATRIX).items():
        for role, symbol in zip(ROLE_COLUMNS, symbols, strict=True):
            if symbol == "C2":
                c2 |= {(role, cap) for cap in ROW_CAPABILITIES[action][0]}
    assert c2 == set(CONDITIONAL_CAPABILITIES)


def test_global_roles_are_the_all_sites_none_and_technical_scopes() -> None:
    # roles.md "## Roles" scope column: all sites / none / technical → no site.
    assert set(GLOBAL_ROLES) == {
        Role.DATA_MANAGER,
        Role.STATISTICIAN,
        Role.RANDOMIZATION_MANAGER,
        Role.ADMIN,
    }


@pytest.mark.parametrize(
    "mutate",
    [
        lambda caps: caps[Role.PHARMACIST].__setitem__(C.VIEW_CLINICAL_DATA, SITE),
        lambda caps: caps[Role.MONITOR].__setitem__(C.SDV, ALL),
        lambda caps: caps[Role.COORDINATOR].pop(C.RANDOMIZE),
        lambda caps: caps[Role.ADMIN].__setitem__(C.VIEW_AUDIT, ALL),
    ],
    ids=[
        "pharmacist-sees-crf",
        "monitor-sdv-all-sites",
        "coordinator-cannot-randomize",
        "admin-sees-audit",
    ],
)
def test_comparison_catches_a_drift_from_the_matrix(mutate) -> None:  # type: ignore[no-untyped-def]
    """Negative control: a wrong grant in the code is reported."""
    drifted = copy.deepcopy({role: dict(caps) for role, caps in ROLE_CAPABILITIES.items()})
    mutate(drifted)
    assert differences(drifted)
