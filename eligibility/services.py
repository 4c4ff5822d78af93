"""Protocol actions of the screening log: screen, consent, enrol, correct (CONVENTIONS.md services).

Every function runs in one transaction, writes its audit event inside it, and re-runs the
eligibility engine on what is stored, so that a decision never rests on a stale status.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.reauth import reauthenticate
from accounts.roles import Capability
from audit.context import change_reason
from audit.idempotency import claim, refuse_replay
from audit.services import ReasonRequired, record, require_reason
from audit.versioning import save_versioned
from eligibility.adapter import (
    APACHE_FIELDS,
    COURSE_FIELDS,
    HEADER_FIELDS,
    LAB_FIELDS,
    LYMPHOCYTE_FIELDS,
    MHLA_DR_FIELDS,
    SOFA_FIELDS,
    ScreeningData,
    data_from_screening,
    evaluate_data,
)
from eligibility.adapter import error_message as adapter_error
from eligibility.case import CaseInputError
from eligibility.engine import ELIGIBLE, EligibilityResult
from eligibility.models import (
    ApacheIIValues,
    Consent,
    CorticosteroidCourse,
    EligibilityConfirmation,
    LymphocyteCount,
    MhlaDrResult,
    Screening,
    ScreeningLabs,
    SiteSequence,
    SofaDay,
)
from eligibility.models.choices import (
    CONFIRMATION_STATEMENT,
    ConsentGiver,
    ContinuationConsent,
)
from participants.models import Participant
from participants.services import flag_eligibility, lock_for_write
from platinium.lib.study_time import paris_date, paris_today

if TYPE_CHECKING:
    from accounts.types import User


class EnrolmentRefused(Exception):
    """Enrolment is not allowed now; `message` is translated and shown to the user."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ScreeningLocked(Exception):
    """The screening is enrolled: changes go through `correct_screening`."""


# ---------------------------------------------------------------------------------------------
# Numbers


def next_sequence(site: Any, kind: str, model: type[models.Model]) -> int:
    """The next number of `kind` at `site`, gap-free and unique under concurrency.

    The counter row is locked FOR UPDATE until the caller's transaction ends, so two
    enrolments at one site queue here while other sites go on. Rows created without the
    service (imports, fixtures) are skipped over by taking the highest existing sequence.
    """
    SiteSequence.objects.bulk_create([SiteSequence(site=site, kind=kind)], ignore_conflicts=True)
    counter = SiteSequence.objects.select_for_update().get(site=site, kind=kind)
    highest = model._default_manager.filter(site=site).aggregate(m=Max("seq"))["m"] or 0
    counter.last_value = max(counter.last_value, highest) + 1
    counter.save(update_fields=["last_value"])
    return counter.last_value


# ---------------------------------------------------------------------------------------------
# Screening


def _require_screen(by: User, site_id: int) -> None:
    if not has_capability(by, Capability.SCREEN, site_id):
        raise PermissionDenied


@transaction.atomic
def create_screening(site: Any, *, by: User, data: ScreeningData | None = None) -> Screening:
    """Open a screening record (number S-<site>-<seq>); with data, save it at once."""
    _require_screen(by, site.pk)
    if not site.is_active:
        raise PermissionDenied(gettext("This site is not active."))
    seq = next_sequence(site, SiteSequence.SCREENING, Screening)
    refuse_replay(by=by)  # after the site counter's lock: a twin's key is committed
    screening = Screening(
        site=site, seq=seq, number=Screening.format_number(site.code, seq), created_by=by
    )
    save_versioned(screening, expected_version=None, by=by)
    claim(screening, by=by)
    record("eligibility.screening_created", target=screening, by=by)
    if data is not None:
        _store(screening, data, by=by, evaluate=True, fresh=True)
        record("eligibility.screening_saved", target=screening, by=by, data=_summary(screening))
    return screening


@transaction.atomic
def save_screening(
    screening: Screening,
    *,
    by: User,
    data: ScreeningData,
    reason: str = "",
    expected_version: int | None = None,
) -> Screening:
    """Save the screening values and its engine verdict. A reason is needed once saved."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    _require_screen(by, screening.site_id)
    if screening.is_enrolled:
        raise ScreeningLocked(gettext("This patient is enrolled: use a correction."))
    if screening.status != Screening.Status.DRAFT and not (reason or "").strip():
        raise ReasonRequired(gettext("Give a reason for this change."))
    reason = (reason or "").strip()
    with change_reason(reason):
        result = _store(screening, data, by=by, expected_version=expected_version)
    if result is None:
        return screening  # saved unchanged: same version, nothing to audit
    record(
        "eligibility.screening_saved",
        target=screening,
        by=by,
        data=_summary(screening),
        reason=reason,
    )
    return screening


@transaction.atomic
def correct_screening(
    screening: Screening,
    *,
    by: User,
    reason: str,
    changes: ScreeningData,
    expected_version: int | None = None,
) -> Screening:
    """Correct an enrolled patient's screening values (reasoned, audited).

    If the engine then finds the patient not eligible, the participant is flagged for
    review; nothing is deleted and the enrolment stands (ICH E9: analyse as randomized).
    """
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    _require_screen(by, screening.site_id)
    participant_id = screening.participant_id
    if participant_id is None:  # not enrolled
        raise ScreeningLocked(gettext("Only an enrolled patient's screening is corrected."))
    lock_for_write(participant_id)  # a locked casebook is read-only (ParticipantLocked)
    reason = require_reason(screening, reason)
    if not reason:
        raise ReasonRequired(gettext("Give a reason for this change."))
    with change_reason(reason):
        result = _store(screening, data=changes, by=by, expected_version=expected_version)
        if result is None:
            return screening  # nothing corrected: same version, nothing to audit
        if result.status != ELIGIBLE:
            codes = ", ".join(result.failed or result.missing)
            participant = flag_eligibility(
                Participant.objects.get(pk=participant_id),
                by=by,
                note=gettext("After correction the screening is %(status)s (%(codes)s): %(reason)s")
                % {"status": result.status, "codes": codes, "reason": reason},
                reason=reason,
            )
            record(
                "eligibility.participant_flagged",
                target=participant,
                by=by,
                data=_summary(screening),
                reason=reason,
            )
    record(
        "eligibility.screening_corrected",
        target=screening,
        by=by,
        data=_summary(screening),
        reason=reason,
    )
    return screening


def _summary(screening: Screening) -> dict[str, Any]:
    return {
        "status": screening.status,
        "failed": list(screening.failed_codes),
        "missing": list(screening.missing_codes),
    }


def _store(
    screening: Screening,
    data: ScreeningData,
    *,
    by: User,
    expected_version: int | None = None,
    evaluate: bool = False,
    fresh: bool = False,
) -> EligibilityResult | None:
    """Validate (CaseInputError), write the values, then evaluate what is stored.

    Returns None when the values are those already stored (unless `evaluate`, as on
    creation): nothing is written (no new version, no history row), so a page saved
    unchanged leaves no trace. `fresh`: the screening was inserted in this transaction,
    so it has no rows yet and they are not read."""
    evaluate_data(data, screening.number)  # refuse impossible input before any write
    changed = False
    for name in HEADER_FIELDS:
        value = data.header.get(name)
        if value is None and isinstance(Screening._meta.get_field(name), models.CharField):
            value = ""
        changed |= getattr(screening, name) != value
        setattr(screening, name, value)
    changed |= _store_rows(
        screening, SofaDay, "sofa_days", data.sofa, SOFA_FIELDS, key="icu_day", fresh=fresh
    )
    changed |= _store_rows(
        screening, MhlaDrResult, "mhla_dr_results", data.mhla_dr, MHLA_DR_FIELDS, fresh=fresh
    )
    changed |= _store_rows(
        screening,
        LymphocyteCount,
        "lymphocyte_counts",
        data.lymphocytes,
        LYMPHOCYTE_FIELDS,
        fresh=fresh,
    )
    changed |= _store_rows(
        screening,
        CorticosteroidCourse,
        "corticosteroid_courses",
        data.corticosteroids if data.header.get("corticosteroids_given") else [],
        COURSE_FIELDS,
        fresh=fresh,
    )
    changed |= _store_one(screening, ApacheIIValues, data.apache_ii, APACHE_FIELDS, fresh=fresh)
    changed |= _store_one(screening, ScreeningLabs, data.labs, LAB_FIELDS, fresh=fresh)
    if not changed and not evaluate:
        return None

    # The values as saved: the header set above on `screening`, its rows read back.
    result, warnings = evaluate_data(data_from_screening(screening), screening.number)
    if not screening.is_enrolled:
        screening.status = result.status
    screening.failed_codes = list(result.failed)
    screening.missing_codes = list(result.missing)
    screening.sofa_first_week_max = result.sofa_first_week_max
    screening.apache_ii_total = result.apache_ii.total
    screening.egfr = result.egfr_rounded
    screening.soft_limit_flags = [w.as_flag() for w in warnings]
    version = screening.version if expected_version is None else expected_version
    save_versioned(screening, expected_version=version, by=by)
    return result


def _clean(model: type[models.Model], name: str, value: Any) -> Any:
    if value is None and isinstance(model._meta.get_field(name), models.CharField):
        return ""
    return value


def _store_rows(
    screening: Screening,
    model: type[models.Model],
    related: str,
    rows: list[dict[str, Any]],
    names: tuple[str, ...],
    key: str | None = None,
    fresh: bool = False,
) -> bool:
    """Update rows by id (or by `key`), add new ones, void the rows no longer present.
    True when a row was written. `fresh`: a screening without rows yet (not read)."""
    existing = {} if fresh else {row.pk: row for row in getattr(screening, related).current()}
    by_key = {getattr(row, key): row for row in existing.values()} if key else {}
    matched: list[tuple[Any, dict[str, Any]]] = []
    for values in rows:
        row = existing.get(values.get("id")) if values.get("id") else None
        if row is None and key is not None:
            row = by_key.get(values.get(key))
        matched.append((row, values))
    kept = {row.pk for row, _values in matched if row is not None}
    written = False
    for pk, row in existing.items():
        if pk not in kept:
            row.void()
            written = True
    for row, values in matched:
        if row is None:
            row = model(screening=screening)
        changed = False
        for name in names:
            value = _clean(model, name, values.get(name))
            if name.endswith("unit") and not value:
                continue  # keep the default unit
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if row.pk is None or changed:
            row.save()
            written = True
    return written


def _store_one(
    screening: Screening,
    model: type[models.Model],
    values: dict[str, Any],
    names: tuple[str, ...],
    *,
    fresh: bool = False,
) -> bool:
    """Create or update the one row; True when it was written. `fresh`: a screening
    without rows yet (not read)."""
    defaults = {
        name: _clean(model, name, values.get(name))
        for name in names
        if not (name.endswith("unit") and not values.get(name))
    }
    row = None if fresh else model._default_manager.filter(screening=screening).first()
    if row is None:
        # A unit alone (the select's default) is not a value: no empty row is created.
        if any(v not in (None, "") for k, v in defaults.items() if not k.endswith("unit")):
            model._default_manager.create(screening=screening, **defaults)
            return True
        return False
    if any(getattr(row, k) != v for k, v in defaults.items()):
        for key, value in defaults.items():
            setattr(row, key, value)
        row.save()
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Consent


def validate_consent(
    screening: Screening,
    *,
    given_by: str,
    consented_at: datetime,
    continuation_outcome: str,
    continuation_date: date | None,
) -> None:
    """crf-spec.md §2.2 hard rules (ValidationError keyed by field)."""
    errors: dict[str, str] = {}
    if consented_at > timezone.now():
        errors["consented_at"] = gettext("The consent time is in the future.")
    elif screening.icu_admission and consented_at < screening.icu_admission:
        errors["consented_at"] = gettext("The consent is before the ICU admission.")
    if given_by != ConsentGiver.PATIENT and not continuation_outcome:
        errors["continuation_outcome"] = gettext(
            "Record the patient's continuation consent status (consent given by someone else)."
        )
    if given_by == ConsentGiver.PATIENT and continuation_outcome not in (
        "",
        ContinuationConsent.NOT_APPLICABLE,
    ):
        errors["continuation_outcome"] = gettext(
            "The patient consented: no continuation consent applies."
        )
    needs_date = continuation_outcome in (ContinuationConsent.OBTAINED, ContinuationConsent.REFUSED)
    if needs_date and continuation_date is None:
        errors["continuation_date"] = gettext("The continuation consent date is required.")
    if continuation_date is not None:
        local_consent = paris_date(consented_at)
        if continuation_date < local_consent:
            errors["continuation_date"] = gettext(
                "The continuation consent is before the initial consent."
            )
        elif continuation_date > paris_today(timezone.now()):
            errors["continuation_date"] = gettext("The date is in the future.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_consent(
    screening: Screening,
    *,
    by: User,
    given_by: str,
    consented_at: datetime,
    information_sheet_version: str,
    continuation_outcome: str = "",
    continuation_date: date | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Consent:
    """Record (or correct, with a reason) who consented, when, on which information sheet."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    _require_screen(by, screening.site_id)
    if screening.participant_id is not None:
        lock_for_write(screening.participant_id)  # an enrolled patient's casebook may be locked
    validate_consent(
        screening,
        given_by=given_by,
        consented_at=consented_at,
        continuation_outcome=continuation_outcome,
        continuation_date=continuation_date,
    )
    refuse_replay(by=by)  # after the screening's lock: a twin's key is committed
    consent = Consent.objects.filter(screening=screening).first()
    action = "eligibility.consent_recorded"
    created = consent is None
    if consent is None:
        consent = Consent(screening=screening, recorded_by=by)
        expected_version = None
    else:
        submitted = {
            "given_by": given_by,
            "consented_at": consented_at,
            "information_sheet_version": information_sheet_version,
            "continuation_outcome": continuation_outcome or "",
            "continuation_date": continuation_date,
        }
        if all(getattr(consent, k) == v for k, v in submitted.items()):
            return consent  # saved unchanged: same version, nothing to audit
        reason = require_reason(consent, reason)
        action = "eligibility.consent_corrected"
        expected_version = consent.version if expected_version is None else expected_version
    consent.given_by = given_by
    consent.consented_at = consented_at
    consent.information_sheet_version = information_sheet_version
    consent.continuation_outcome = continuation_outcome or ""
    consent.continuation_date = continuation_date
    with change_reason(reason):
        save_versioned(consent, expected_version=expected_version, by=by)
    if created:
        claim(consent, by=by)
    record(
        action,
        target=screening,
        by=by,
        data={"given_by": given_by, "information_sheet_version": information_sheet_version},
        reason=reason,
    )
    return consent


# ---------------------------------------------------------------------------------------------
# Enrolment


def _refusals(screening: Screening, result: EligibilityResult) -> list[str]:
    reasons = []
    if result.status != ELIGIBLE:
        codes = ", ".join(result.failed or result.missing)
        if result.failed:
            reasons.append(gettext("The patient is not eligible (%(codes)s).") % {"codes": codes})
        else:
            reasons.append(gettext("The screening is incomplete (%(codes)s).") % {"codes": codes})
    if not Consent.objects.filter(screening=screening).exists():
        reasons.append(gettext("No consent is recorded."))
    if not screening.site.is_active:
        reasons.append(gettext("The site is not active."))
    return reasons


def _reevaluate(screening: Screening) -> list[str]:
    try:
        result, _warnings = evaluate_data(data_from_screening(screening), screening.number)
    except CaseInputError as error:
        message = adapter_error(error).message
        return [gettext("A stored value is refused: %(message)s") % {"message": message}]
    return _refusals(screening, result)


def enrol(
    screening: Screening,
    *,
    by: User,
    password: str,
    token: str = "",
    request: HttpRequest | None = None,
) -> Participant:
    """Enrol an eligible, consented patient: the investigator signs, a participant code is given.

    The password (and the authenticator code when set up) re-authenticates the investigator
    (21 CFR 11.200 e-signature) through `accounts.reauth`, before the enrolment transaction:
    a refusal raises ReauthenticationFailed, is audited and counts towards the lockout.
    """
    if not has_capability(by, Capability.CONFIRM_ELIGIBILITY, screening.site_id):
        raise PermissionDenied
    reauthenticate(
        by, password=password, token=token, purpose="enrolment", request=request, target=screening
    )
    return _enrol(screening, by=by)


@transaction.atomic
def _enrol(screening: Screening, *, by: User) -> Participant:
    screening = (
        Screening.objects.select_for_update(of=("self",))
        .select_related("site")
        .get(pk=screening.pk)
    )
    refuse_replay(by=by)  # after the screening's lock: a twin's key is committed
    if screening.is_enrolled:
        raise EnrolmentRefused(gettext("This patient is already enrolled."))
    # Re-run the engine on the stored values inside the lock: never trust a stored status.
    reasons = _reevaluate(screening)
    if reasons:
        raise EnrolmentRefused(" ".join(reasons))
    now = timezone.now()
    seq = next_sequence(screening.site, SiteSequence.PARTICIPANT, Participant)
    participant = Participant.objects.create(
        site=screening.site,
        seq=seq,
        code=Participant.format_code(screening.site.code, seq),
        enrolled_at=now,
        enrolled_by=by,
    )
    claim(participant, by=by)
    EligibilityConfirmation.objects.create(
        screening=screening,
        investigator=by,
        confirmed_at=now,
        statement=str(CONFIRMATION_STATEMENT),
        engine_status=ELIGIBLE,
    )
    screening.participant = participant
    screening.status = Screening.Status.ENROLLED
    save_versioned(screening, expected_version=screening.version, by=by)
    record(
        "eligibility.enrolled",
        target=participant,
        by=by,
        data={"screening": screening.number, "statement": str(CONFIRMATION_STATEMENT)},
    )
    return participant


def randomization_preconditions(participant: Participant) -> list[str]:
    """Why `participant` may not be randomized now (translated); empty when it may.

    Called by the randomization service inside its own transaction: the stored screening
    is re-evaluated, the consent must be recorded and the site active.
    """
    screening = Screening.objects.select_related("site").filter(participant=participant).first()
    if screening is None:
        return [gettext("The participant has no screening record.")]
    reasons = _reevaluate(screening)
    if participant.eligibility_flag:
        reasons.append(gettext("The participant's eligibility is flagged for review."))
    return reasons
