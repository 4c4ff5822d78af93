"""roles.md invariants 3 and 4 through the real write views.

3. A POST can never set server-owned fields: every main write view gets valid data PLUS
   extra keys naming server-owned fields with harmful values (another site, another
   participant, a final status, an arm, a kit, old dates, another user); the database then
   holds the server's values. A negative control shows the checking helper does catch a
   field that changed.
4. With the participant locked, every CRF write endpoint (create and edit of each form of
   crf.definitions.FORMS, entered in error, the daily grid row) refuses with nothing saved; the
   same POST on the unlocked participant saves (the payload was not simply invalid).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Capability as C
from crf.definitions import FORMS, by_slug
from crf.models import Baseline, CrfStatus, DailyFollowUp, StudyDrugAdministration
from crf.services import save_for
from crf.services.core import values_of
from eligibility.models import Consent, Screening
from participants.locks import lock_casebook, unlock_casebook
from participants.models import Lock, Participant
from randomization import arm_access
from randomization.models import Allocation, Kit, KitEvent
from sites.models import Site
from tests.crf.helpers import baseline_data, d0_of, daily_data, injection_data, paris, randomized
from tests.eligibility.factories import (
    FACTORY_PASSWORD,
    consent,
    make_enrolled_participant,
    make_screening,
)
from tests.eligibility.webform import post_data
from tests.randomization.factories import load_slots, make_kits, make_participant

pytestmark = pytest.mark.django_db

CASE = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "eligibility" / "cases.json").read_text()
)[0]
OLD = "2001-01-01T00:00"

# ---------------------------------------------------------------------------------------------
# The checking helper (invariant 3)


def recent(value: Any) -> bool:
    """A server timestamp: set now, not the 2001 date the POST sent."""
    return value is not None and abs(timezone.now() - value) < timedelta(minutes=10)


def drift(obj: Any, expected: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose DATABASE value is not the server's: {name: (expected, actual)}.

    An expected value may be a predicate (callable) for values the server computes now.
    """
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    out = {}
    for name, want in expected.items():
        actual = getattr(fresh, name)
        ok = want(actual) if callable(want) else actual == want
        if not ok:
            out[name] = (want, actual)
    return out


def assert_server_values(obj: Any, expected: dict[str, Any]) -> None:
    changed = drift(obj, expected)
    assert not changed, f"a POST set server-owned fields of {obj!r}: {changed}"


def harmful(world: dict[str, Any], **overrides: str) -> dict[str, str]:
    """Extra POST keys naming server-owned fields, each with a value that would do harm."""
    other_site = str(world["site16"].pk)
    other_user = str(world["other_user"].pk)
    keys = {
        "site": other_site,
        "site_id": other_site,
        "status": "completed",
        "participant": str(world["other_participant"].pk),
        "participant_id": str(world["other_participant"].pk),
        "code": "16-999",
        "seq": "999",
        "number": "S-16-9999",
        "arm": "A",
        "arm_token": "A",
        "treatment_arm": "A",
        "kit": world["other_kit"].code,
        "kit_id": str(world["other_kit"].pk),
        "slot": "999",
        "rand_no": "ZZZZZZZZ",
        "randomized_at": OLD,
        "randomized_by": other_user,
        "enrolled_at": OLD,
        "enrolled_by": other_user,
        "version": "99",
        "created_at": OLD,
        "created_by": other_user,
        "updated_at": OLD,
        "updated_by": other_user,
        "locked_at": OLD,
        "locked_by": other_user,
        "signed_at": OLD,
        "signed_by": other_user,
        "eligibility_flag": "true",
        "eligibility_flag_reason": "set by the client",
        "entered_in_error_at": OLD,
        "entered_in_error_by": other_user,
        "entered_in_error_reason": "set by the client",
        "study_day": "99",
        "sofa_total": "0",
        "sofa_respiration": "0",
        "sofa_cardiovascular": "0",
        "recorded_at": OLD,
        "recorded_by": other_user,
        "granted_by": other_user,
        "granted_at": OLD,
        "revoked_at": OLD,
        "is_superuser": "on",
        "is_staff": "on",
        "user": other_user,
        "screening": str(world["other_screening"].pk),
    }
    keys.update(overrides)
    return keys


def _form(values: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        if value is True:
            out[key] = "true"
        elif value is False:
            out[key] = "false"
        elif value is None:
            out[key] = ""
        elif hasattr(value, "strftime") and hasattr(value, "hour"):
            out[key] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif isinstance(value, list):
            continue
        else:
            out[key] = str(value)
    return out


@pytest.fixture
def world(site11: Any, site16: Any, role_users: dict[str, Any]) -> dict[str, Any]:
    """Another site's participant, screening and kit, another user: the harmful targets."""
    load_slots([site11, site16])
    other_kit = make_kits(site16, 1)[0]
    return {
        "site11": site11,
        "site16": site16,
        "users": role_users,
        "other_user": role_users["investigator_nantes"],
        "other_participant": make_participant(site16),
        "other_screening": make_screening(site16),
        "other_kit": other_kit,
    }


def _errors(response: Any) -> str:
    """The messages and field errors of a page (what the user would read), for failures."""
    html = response.content.decode()
    found = re.findall(
        r'class="(?:[^"]*\b(?:alert|invalid-feedback|errorlist)\b[^"]*)"[^>]*>(.*?)</', html, re.S
    )
    return f"{response.status_code}: " + " | ".join(t.strip() for t in found if t.strip())


def _client(user: Any, english: bool = True) -> Client:
    client = Client()
    client.force_login(user)
    if english:
        client.cookies["django_language"] = "en"
    return client


def _other_targets_untouched(world: dict[str, Any]) -> None:
    kit, other = world["other_kit"], world["other_participant"]
    assert_server_values(kit, {"status": Kit.Status.AVAILABLE, "participant": None})
    assert_server_values(kit, {"site": world["site16"]})
    assert_server_values(other, {"status": Participant.Status.ENROLLED})
    assert not Lock.objects.filter(participant=other).exists()
    assert_server_values(world["other_screening"], {"participant": None, "site": world["site16"]})
    assert not Allocation.objects.filter(participant=other).exists()


# ---------------------------------------------------------------------------------------------
# Negative control: the helper reports a field that did change.


def test_the_helper_reports_server_owned_fields_that_did_change(world: dict[str, Any]) -> None:
    screening = make_screening(world["site11"])
    expected = {"site": world["site11"], "status": Screening.Status.ELIGIBLE, "version": 2}
    assert drift(screening, expected) == {}
    elsewhere = Site.objects.exclude(code__in=["11", "16"]).order_by("code").first()
    Screening.objects.filter(pk=screening.pk).update(
        site=elsewhere, status=Screening.Status.NOT_ELIGIBLE
    )
    changed = drift(screening, expected)
    assert set(changed) == {"site", "status"}
    assert changed["site"] == (world["site11"], elsewhere)
    with pytest.raises(AssertionError, match="server-owned"):
        assert_server_values(screening, expected)
    # A predicate expectation fails too when the value is the client's old date.
    participant = world["other_participant"]
    Participant.objects.filter(pk=participant.pk).update(
        enrolled_at=timezone.now() - timedelta(days=9000)
    )
    assert set(drift(participant, {"enrolled_at": recent})) == {"enrolled_at"}


# ---------------------------------------------------------------------------------------------
# Invariant 3, view by view


def test_screening_create_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    investigator = world["users"]["investigator"]
    data = post_data(CASE) | harmful(
        world,
        status="enrolled",
        sofa_first_week_max="1",
        apache_ii_total="1",
        egfr="1",
        failed_codes="I1",
        missing_codes="I2",
    )
    del data["version"]  # the form's optimistic-lock token: tested on the edit below
    response = _client(investigator).post(reverse("eligibility:screening_create"), data)
    assert response.status_code == 302, _errors(response)
    screening = Screening.objects.exclude(pk=world["other_screening"].pk).get()
    assert_server_values(
        screening,
        {
            "site": world["site11"],
            "seq": 1,
            "number": "S-11-0001",
            "status": Screening.Status.ELIGIBLE,
            "participant": None,
            "created_by": investigator,
            "created_at": recent,
            "version": 2,  # created, then its values and verdict saved: two versions
            "sofa_first_week_max": 15,
            "apache_ii_total": 11,
            "failed_codes": [],
            "missing_codes": [],
        },
    )
    _other_targets_untouched(world)


def test_screening_edit_ignores_server_owned_keys_and_refuses_a_forged_version(
    world: dict[str, Any],
) -> None:
    screening = make_screening(world["site11"], labs={"alt_u_l": None})
    assert screening.status == Screening.Status.INCOMPLETE
    url = reverse("eligibility:screening_detail", args=[screening.pk])
    client = _client(world["users"]["coordinator"])
    extras = harmful(world, status="enrolled", sofa_first_week_max="1", apache_ii_total="1")
    del extras["version"]
    stored = {
        "site": world["site11"],
        "seq": screening.seq,
        "number": screening.number,
        "participant": None,
        "created_by": screening.created_by,
    }

    # A forged version is the optimistic lock's business: refused, nothing written.
    forged = post_data(CASE, version="99", reason_for_change="ALT received") | extras
    assert client.post(url, forged).status_code == 422
    version = screening.version
    assert_server_values(screening, {**stored, "status": "incomplete", "version": version})

    data = post_data(CASE, version=str(version), reason_for_change="ALT received") | extras
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert_server_values(
        screening,
        {
            **stored,
            "status": Screening.Status.ELIGIBLE,
            "version": version + 1,
            "apache_ii_total": 11,
        },
    )
    _other_targets_untouched(world)


def test_consent_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    screening = make_screening(world["site11"])
    investigator = world["users"]["investigator"]
    when = timezone.localtime(screening.evaluated_at - timedelta(hours=1))
    data = {
        "given_by": "PATIENT",
        "consented_at": when.strftime("%Y-%m-%dT%H:%M"),
        "information_sheet_version": "1.0",
    } | harmful(world, status="enrolled")
    response = _client(investigator).post(reverse("eligibility:consent", args=[screening.pk]), data)
    assert response.status_code == 302, _errors(response)
    recorded = Consent.objects.get(screening=screening)
    assert_server_values(
        recorded,
        {"screening": screening, "recorded_by": investigator, "recorded_at": recent, "version": 1},
    )
    assert_server_values(
        screening,
        {"status": Screening.Status.ELIGIBLE, "participant": None, "site": world["site11"]},
    )
    assert not Consent.objects.filter(screening=world["other_screening"]).exists()
    _other_targets_untouched(world)


def test_enrol_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    screening = make_screening(world["site11"])
    consent(screening)
    investigator = world["users"]["investigator"]
    data = {"password": FACTORY_PASSWORD} | harmful(world, status="randomized")
    response = _client(investigator).post(reverse("eligibility:enrol", args=[screening.pk]), data)
    assert response.status_code == 302, _errors(response)
    participant = Participant.objects.get(screening=screening)
    assert_server_values(
        participant,
        {
            "site": world["site11"],
            "seq": 1,
            "code": "11-001",
            "status": Participant.Status.ENROLLED,
            "enrolled_by": investigator,
            "enrolled_at": recent,
            "eligibility_flag": False,
            "eligibility_flag_reason": "",
        },
    )
    assert_server_values(screening, {"status": Screening.Status.ENROLLED, "site": world["site11"]})
    _other_targets_untouched(world)


def test_randomize_confirm_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    site11 = world["site11"]
    make_kits(site11, 4)
    participant = make_enrolled_participant(site11)
    coordinator = world["users"]["coordinator"]
    url = reverse("randomization:randomize", args=[participant.code])
    data = {"idempotency_key": "mass-assignment", "confirm": "on"} | harmful(
        world, idempotency_key="mass-assignment"
    )
    response = _client(coordinator).post(url, data)
    assert response.status_code == 302, _errors(response)
    allocation = Allocation.objects.select_related("slot__stratum").get(participant=participant)
    assert_server_values(
        allocation,
        {
            "site": site11,
            "randomized_by": coordinator,
            "randomized_at": recent,
            "error_flag": False,
        },
    )
    assert allocation.slot.seq == 1 and allocation.slot.stratum.site == site11
    assert allocation.slot.rand_no != "ZZZZZZZZ"
    kit = Kit.objects.get(participant=participant)
    assert_server_values(kit, {"site": site11, "status": Kit.Status.ALLOCATED})
    # The kit holds the slot's arm: the server chose both, the POSTed "arm" played no part.
    assert list(arm_access.kits_matching_slot(allocation.slot.arm_token, [(1, kit.arm_token)]))
    assert_server_values(participant, {"status": Participant.Status.RANDOMIZED})
    assert not Lock.objects.filter(participant=participant).exists()
    _other_targets_untouched(world)


def test_pharmacy_dispense_scan_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    site11 = world["site11"]
    participant = randomized(site11, dispensed=False)  # the pharmacy dispenses it below
    kit = Kit.objects.get(participant=participant)
    pharmacist = world["users"]["pharmacist"]
    data = {"kit_code": kit.code} | harmful(
        world,
        status=Kit.Status.DESTROYED,
        to_status=Kit.Status.DESTROYED,
        by=str(world["other_user"].pk),
    )
    response = _client(pharmacist).post(
        reverse("randomization:dispense", args=[participant.code]), data
    )
    assert response.status_code == 302, _errors(response)
    # DISPENSED is the server's transition for this action; not the POSTed DESTROYED.
    assert_server_values(
        kit, {"status": Kit.Status.DISPENSED, "site": site11, "participant": participant}
    )
    event = KitEvent.objects.filter(kit=kit).latest("occurred_at", "id")
    assert_server_values(
        event,
        {
            "to_status": Kit.Status.DISPENSED,
            "by": pharmacist,
            "site": site11,
            "participant": participant,
            "occurred_at": recent,
        },
    )
    assert_server_values(participant, {"status": Participant.Status.RANDOMIZED})
    assert not Lock.objects.filter(participant=participant).exists()
    _other_targets_untouched(world)


def test_baseline_create_and_edit_ignore_server_owned_keys(world: dict[str, Any]) -> None:
    participant = randomized(world["site11"])
    coordinator = world["users"]["coordinator"]
    client = _client(coordinator)
    extras = harmful(
        world,
        status=CrfStatus.ENTERED_IN_ERROR,
        age_years="5",
        bmi="1",
        charlson_index="30",
    )
    data = _form(baseline_data()) | {"charlson_none": "on"} | extras
    response = client.post(reverse("crf:form_new", args=[participant.code, "baseline"]), data)
    assert response.status_code == 302, _errors(response)
    baseline = Baseline.objects.get()
    server = {
        "participant": participant,
        "status": CrfStatus.COMPLETE,
        "created_by": coordinator,
        "updated_by": coordinator,
        "created_at": recent,
        "entered_in_error_at": None,
        "entered_in_error_by": None,
        "entered_in_error_reason": "",
        "bmi": Decimal("25.2"),
        "charlson_index": 0,
        "age_years": lambda age: age is not None and age > 60,
    }
    assert_server_values(baseline, {**server, "version": 1})

    url = reverse("crf:form_edit", args=[participant.code, "baseline", baseline.pk])
    edit = data | {"height_cm": "180", "expected_version": "1", "reason_for_change": "measured"}
    investigator = world["users"]["investigator"]
    response = _client(investigator).post(url, edit)
    assert response.status_code == 302, _errors(response)
    assert_server_values(
        baseline,
        {
            **server,
            "updated_by": investigator,
            "created_by": coordinator,
            "height_cm": 180,
            "bmi": Decimal("24.7"),
            "version": 2,
        },
    )
    _other_targets_untouched(world)


def test_injection_form_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    participant = randomized(world["site11"], days_ago=20)
    when = paris(d0_of(participant) + timedelta(days=1))
    data = _form(injection_data(participant, when)) | harmful(world, number="5", study_day="9")
    url = reverse("crf:form_new", args=[participant.code, "injection"]) + "?number=1"
    response = _client(world["users"]["coordinator"]).post(url, data)
    assert response.status_code == 302, _errors(response)
    injection = StudyDrugAdministration.objects.get()
    assert_server_values(
        injection,
        {"participant": participant, "number": 1, "study_day": 1, "version": 1},
    )
    assert injection.status != CrfStatus.ENTERED_IN_ERROR


def test_daily_grid_row_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    participant = randomized(world["site11"], days_ago=5)
    day = d0_of(participant) + timedelta(days=2)
    coordinator = world["users"]["coordinator"]
    url = reverse("crf:daily_grid_row", args=[participant.code, day.isoformat()])
    extras = harmful(
        world,
        status=CrfStatus.ENTERED_IN_ERROR,
        day_date=(day + timedelta(days=1)).isoformat(),
        pao2_mmhg="500",
        platelets_g_l="500",
    )
    response = _client(coordinator).post(url, _form(daily_data()) | extras)
    assert response.status_code == 302
    row = DailyFollowUp.objects.get()
    server = {
        "participant": participant,
        "day_date": day,
        "study_day": 2,
        "sofa_total": 9,  # P/F 200 on IMV 2, platelets 1, bilirubin 1, NE 3, GCS 1, creat. 1
        "sofa_respiration": 2,
        "sofa_cardiovascular": 3,
        "pao2_mmhg": Decimal("80"),
        "platelets_g_l": Decimal("120"),
        "created_by": coordinator,
        "entered_in_error_at": None,
    }
    assert_server_values(row, {**server, "version": 1})
    assert row.status != CrfStatus.ENTERED_IN_ERROR

    # A real edit (daily_data has GCS 14 already: saved unchanged, nothing is written).
    edit = _form(daily_data(temperature_max_c="38.5")) | extras
    edit |= {"expected_version": "1", "reason_for_change": "x"}
    assert _client(coordinator).post(url, edit).status_code == 302
    assert_server_values(row, {**server, "version": 2})
    _other_targets_untouched(world)


def test_admin_user_create_ignores_privilege_and_membership_keys(world: dict[str, Any]) -> None:
    from accounts.models import User

    admin = world["users"]["admin"]
    data = {
        "username": "newcomer",
        "email": "newcomer@example.invalid",
        "first_name": "New",
        "last_name": "Comer",
        "password": "a-long-unguessable-passphrase-42",
    } | harmful(
        world,
        is_active="",
        role="data_manager",
        groups="1",
        user_permissions="1",
        date_joined=OLD,
        last_login=OLD,
    )
    response = _client(admin).post(reverse("accounts:user_create"), data)
    assert response.status_code == 302, _errors(response)
    user = User.objects.get(username="newcomer")
    assert_server_values(
        user,
        {"is_superuser": False, "is_staff": False, "is_active": True, "date_joined": recent},
    )
    assert not user.memberships.exists()
    assert not user.groups.exists() and not user.user_permissions.exists()


def test_admin_grant_role_ignores_server_owned_keys(world: dict[str, Any]) -> None:
    from accounts.models import Membership, User

    admin = world["users"]["admin"]
    account = User.objects.create_user("grantee", "grantee@example.invalid", "x")
    other = world["other_user"]
    before = set(other.memberships.values_list("pk", flat=True))
    data = {"role": "coordinator", "site": str(world["site11"].pk)} | harmful(
        world, site=str(world["site11"].pk), user=str(other.pk), id="1"
    )
    response = _client(admin).post(reverse("accounts:user_detail", args=[account.pk]), data)
    assert response.status_code == 302, _errors(response)
    membership = Membership.objects.get(user=account)
    assert_server_values(
        membership,
        {
            "user": account,
            "role": "coordinator",
            "site": world["site11"],
            "granted_by": admin,
            "granted_at": recent,
            "revoked_at": None,
        },
    )
    assert set(other.memberships.values_list("pk", flat=True)) == before
    assert_server_values(account, {"is_superuser": False, "is_staff": False})


# ---------------------------------------------------------------------------------------------
# Invariant 4: a locked participant's CRF refuses every write

# One payload per form: enough to save (in progress) on an unlocked participant.
SLUGS = sorted(d.slug for d in FORMS)


def _payload(slug: str, participant: Participant) -> dict[str, str]:
    d0 = d0_of(participant)
    if slug == "icu-stay":
        return {"admitted_at": paris(d0 - timedelta(days=8), 9).strftime("%Y-%m-%dT%H:%M")}
    if slug == "baseline":
        return {"height_cm": "178"}
    if slug == "infection":  # the microorganism formset's management form
        return {"organism-TOTAL_FORMS": "0", "organism-INITIAL_FORMS": "0"}
    return {}


# A field each form's edit changes (asked whatever the other answers, so never cleared).
EDIT_CHANGE: dict[str, tuple[str, Any]] = {
    "baseline": ("height_cm", "170"),
    "injection": ("administered_by", "nurse B"),
    "daily": ("gcs", "9"),
    "d10": ("laboratory", "LAB-B"),
    "icu-stay": (
        "admitted_at",
        lambda p: paris(d0_of(p) - timedelta(days=7), 9).strftime("%Y-%m-%dT%H:%M"),
    ),
    "hospital-discharge": ("vital_status", "ALIVE"),
    "infection": ("category", "PN"),
    "adverse-event": ("term", "Changed term"),
    "medication": ("drug_name", "changed"),
    "follow-up": ("source", "PATIENT_PHONE"),
    "end-of-study": ("end_status", "INVESTIGATOR_DECISION"),
    "deviation": ("description", "changed"),
}


def _fixed(slug: str, participant: Participant) -> dict[str, Any]:
    fixed = by_slug(slug).fixed
    if fixed == "day_date":
        return {"day_date": d0_of(participant) + timedelta(days=1)}
    if fixed == "number":
        return {"number": 1}
    if fixed == "visit":
        return {"visit": "FU_D30"}
    return {}


def _new_url(slug: str, participant: Participant) -> str:
    url = reverse("crf:form_new", args=[participant.code, slug])
    fixed = _fixed(slug, participant)
    for key, value in fixed.items():
        url += f"?{key}={value.isoformat() if hasattr(value, 'isoformat') else value}"
    return url


def _writer(slug: str, users: dict[str, Any]) -> Any:
    """Who enters the form: site staff, or data management for the day-10 biology."""
    return users["coordinator" if by_slug(slug).enter == C.ENTER_CRF else "data_manager"]


def _lock(participant: Participant, by: Any) -> None:
    lock_casebook(participant, by=by, reason="casebook reviewed")


def _unlock(participant: Participant) -> None:
    by = participant.locks.get(unlocked_at__isnull=True).locked_by
    unlock_casebook(participant, by=by, reason="query answered")


def _refused(response: Any) -> bool:
    if response.status_code in (403, 404):
        return True
    body = response.content.decode()
    return response.status_code == 200 and "locked" in body and "read-only" in body


def _rows(slug: str, participant: Participant) -> list[dict[str, Any]]:
    model = by_slug(slug).model
    return [values_of(r) for r in model.objects.filter(participant=participant).order_by("pk")]


@pytest.fixture
def crf_world(site11: Any, role_users: dict[str, Any]) -> dict[str, Any]:
    return {"participant": randomized(site11, days_ago=100), "users": role_users}


@pytest.mark.parametrize("slug", SLUGS)
def test_a_locked_participant_refuses_every_crf_create(
    slug: str, crf_world: dict[str, Any]
) -> None:
    participant, users = crf_world["participant"], crf_world["users"]
    client = _client(_writer(slug, users))
    url, data = _new_url(slug, participant), _payload(slug, participant)
    _lock(participant, users["data_manager"])
    response = client.post(url, data)
    assert _refused(response), (response.status_code, _errors(response))
    assert _rows(slug, participant) == []

    # Negative control: the same POST saves once the participant is unlocked.
    _unlock(participant)
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert len(_rows(slug, participant)) == 1


def _saved_row(slug: str, participant: Participant, users: dict[str, Any]) -> Any:
    payload = _payload(slug, participant)
    data: dict[str, Any] = {}
    if "admitted_at" in payload:
        data["admitted_at"] = paris(d0_of(participant) - timedelta(days=8), 9)
    definition = by_slug(slug)
    return save_for(
        definition,
        participant,
        by=_writer(slug, users),
        data=data,
        fixed_value=_fixed(slug, participant).get(definition.fixed),
    ).obj


@pytest.mark.parametrize("slug", SLUGS)
def test_a_locked_participant_refuses_every_crf_edit(slug: str, crf_world: dict[str, Any]) -> None:
    participant, users = crf_world["participant"], crf_world["users"]
    row = _saved_row(slug, participant, users)
    client = _client(_writer(slug, users))
    url = reverse("crf:form_edit", args=[participant.code, slug, row.pk])
    field, value = EDIT_CHANGE[slug]
    value = value(participant) if callable(value) else value
    data = _payload(slug, participant) | {
        field: value,
        "expected_version": str(row.version),
        "reason_for_change": "changed after lock",
    }
    before = _rows(slug, participant)
    _lock(participant, users["data_manager"])
    response = client.post(url, data)
    assert _refused(response), (response.status_code, _errors(response))
    assert _rows(slug, participant) == before

    # Negative control: unlocked, the same edit is written (new version, new value).
    _unlock(participant)
    response = client.post(url, data)
    assert response.status_code == 302, _errors(response)
    after = type(row)._default_manager.get(pk=row.pk)
    assert after.version == row.version + 1
    assert _form({field: getattr(after, field)})[field] == value


@pytest.mark.parametrize("slug", SLUGS)
def test_a_locked_participant_refuses_entered_in_error(
    slug: str, crf_world: dict[str, Any]
) -> None:
    participant, users = crf_world["participant"], crf_world["users"]
    row = _saved_row(slug, participant, users)
    url = reverse("crf:form_entered_in_error", args=[participant.code, slug, row.pk])
    data = {"reason": "duplicate", "expected_version": str(row.version)}
    before = _rows(slug, participant)
    _lock(participant, users["data_manager"])
    response = _client(users["coordinator"]).post(url, data, follow=True)
    assert _refused(response), (response.status_code, _errors(response))
    assert _rows(slug, participant) == before
    assert type(row)._default_manager.get(pk=row.pk).status != CrfStatus.ENTERED_IN_ERROR

    if slug == "d10":  # never voided by the site (403 or 404 whatever the lock)
        return
    _unlock(participant)  # negative control: unlocked, the same POST voids the form
    _client(users["coordinator"]).post(url, data)
    assert type(row)._default_manager.get(pk=row.pk).status == CrfStatus.ENTERED_IN_ERROR


def test_a_locked_participant_refuses_the_daily_grid_row(crf_world: dict[str, Any]) -> None:
    participant, users = crf_world["participant"], crf_world["users"]
    day = d0_of(participant) + timedelta(days=2)
    url = reverse("crf:daily_grid_row", args=[participant.code, day.isoformat()])
    client = _client(users["coordinator"])
    _lock(participant, users["data_manager"])
    response = client.post(url, _form(daily_data()), follow=True)
    assert _refused(response), (response.status_code, _errors(response))
    assert not DailyFollowUp.objects.filter(participant=participant).exists()

    _unlock(participant)  # negative control
    assert client.post(url, _form(daily_data())).status_code == 302
    assert DailyFollowUp.objects.filter(participant=participant, day_date=day).exists()
