"""Screening log pages: HTTP glue around eligibility.services (function views)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import has_capability, sites_with
from accounts.decorators import capability_required
from accounts.reauth import ReauthenticationFailed
from accounts.roles import Capability as C
from audit.forms import SUBMISSION_KEY, show_submission_key_errors
from audit.idempotency import AlreadySubmitted, created_with, submitted_once
from audit.services import ReasonRequired
from audit.versioning import StaleVersion
from eligibility import adapter, log_html
from eligibility.case import CaseInputError
from eligibility.criteria import CRITERIA, CRITERION_CODES
from eligibility.forms import ConsentForm, EnrolForm, ScreeningForms
from eligibility.models import Consent, Screening
from eligibility.models.choices import CONFIRMATION_STATEMENT
from eligibility.services import (
    EnrolmentRefused,
    ScreeningLocked,
    correct_screening,
    create_screening,
    enrol,
    record_consent,
    save_screening,
)
from participants.models import Participant
from participants.services import ParticipantLocked
from platinium.lib.paging import page_of

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest

# ---------------------------------------------------------------------------------------------
# Access helpers


def _screening_for_read(request: AuthenticatedRequest, pk: int) -> Screening:
    queryset = Screening.objects.visible_to(request.user).select_related("site", "participant")
    return get_object_or_404(queryset, pk=pk)


def _screening_for_write(
    request: AuthenticatedRequest, pk: int, capability: str = C.SCREEN
) -> Screening:
    screening = _screening_for_read(request, pk)
    if not has_capability(request.user, capability, screening.site_id):
        raise PermissionDenied
    return screening


def _screening_site(request: AuthenticatedRequest) -> Any:
    """The site a new screening belongs to: the current site if the user screens there."""
    site = request.current_site.get()
    if site is not None and has_capability(request.user, C.SCREEN, site):
        return site
    site = sites_with(request.user, C.SCREEN).order_by("code").first()
    if site is None:
        raise PermissionDenied
    return site


# ---------------------------------------------------------------------------------------------
# Screening log


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def consort_counts(screenings: Any) -> dict[str, Any]:
    """CONSORT 'enrolment' box: assessed, excluded (with reasons by criterion), enrolled."""
    counts = screenings.aggregate(
        assessed=Count("pk", filter=~Q(status=Screening.Status.DRAFT)),
        not_eligible=Count("pk", filter=Q(status=Screening.Status.NOT_ELIGIBLE)),
        incomplete=Count("pk", filter=Q(status=Screening.Status.INCOMPLETE)),
        eligible=Count("pk", filter=Q(status=Screening.Status.ELIGIBLE)),
        enrolled=Count("pk", filter=Q(status=Screening.Status.ENROLLED)),
    )
    # No ORDER BY: the default ordering (site code) would join the sites and sort for nothing.
    failures = (
        screenings.filter(status=Screening.Status.NOT_ELIGIBLE)
        .order_by()
        .values_list("failed_codes", flat=True)
    )
    by_code: dict[str, int] = dict.fromkeys(CRITERION_CODES, 0)
    inclusion_failed = exclusion_met = 0
    for codes in failures:
        for code in codes:
            by_code[code] += 1
        inclusion_failed += any(code.startswith("I") for code in codes)
        exclusion_met += any(code.startswith("E") for code in codes)
    labels = {c.code: gettext(c.label) for c in CRITERIA}
    counts["not_meeting_inclusion"] = inclusion_failed
    counts["meeting_exclusion"] = exclusion_met
    counts["reasons"] = [
        {"code": code, "label": labels[code], "count": n} for code, n in by_code.items() if n
    ]
    return counts


@capability_required(C.VIEW_CLINICAL_DATA)
def screening_list(request: AuthenticatedRequest) -> HttpResponse:
    site = request.current_site.get()
    screenings = Screening.objects.visible_to(request.user, site)
    status = request.GET.get("status", "")
    if status in Screening.Status.values:
        screenings = screenings.filter(status=status)
    show = request.GET.get("show", "")
    if show == "to_finish":  # home page link (issue #11)
        screenings = screenings.to_finish()
    date_from = _parse_date(request.GET.get("from", ""))
    date_to = _parse_date(request.GET.get("to", ""))
    if date_from:
        screenings = screenings.filter(evaluated_at__date__gte=date_from)
    if date_to:
        screenings = screenings.filter(evaluated_at__date__lte=date_to)
    rows = (
        screenings.select_related("site", "participant")
        .only(*log_html.COLUMNS)  # a screening has a hundred columns; the log shows seven
        .order_by("-seq", "-pk")
    )
    page = page_of(rows, request)
    return render(
        request,
        "eligibility/screening_list.html",
        {
            "screenings": page,
            "screening_rows": log_html.screening_rows(page),
            "consort": consort_counts(screenings),
            "statuses": Screening.Status.choices,
            "status": status,
            "date_from": request.GET.get("from", ""),
            "date_to": request.GET.get("to", ""),
            "can_screen": (site is not None and has_capability(request.user, C.SCREEN, site))
            or (site is None and has_capability(request.user, C.SCREEN)),
        },
    )


# ---------------------------------------------------------------------------------------------
# Screening form


def _checklist_context(forms: ScreeningForms, evaluation: adapter.Evaluation) -> dict[str, Any]:
    result = evaluation.result
    return {
        "evaluation": evaluation,
        "criteria": adapter.criterion_rows(result) if result else [],
        "result": result,
        "sofa_rows": [
            {"icu_day": a.icu_day, "first_week": a.first_week, "score": a.score}
            for a in (result.sofa if result else ())
        ],
        "apache_rows": [
            (adapter.apache_label(name), points)
            for name, points in (result.apache_ii.physiology.items() if result else ())
        ],
    }


def _page(
    request: AuthenticatedRequest,
    forms: ScreeningForms,
    screening: Screening | None,
    evaluation: adapter.Evaluation,
    *,
    can_edit: bool,
    status: int = 200,
) -> HttpResponse:
    context = {
        "forms": forms,
        "screening": screening,
        "can_edit": can_edit,
        "can_enrol": screening is not None
        and has_capability(request.user, C.CONFIRM_ELIGIBILITY, screening.site_id),
        "consent": Consent.objects.filter(screening=screening).first() if screening else None,
        **_checklist_context(forms, evaluation),
    }
    return render(request, "eligibility/screening_form.html", context, status=status)


def _save(request: AuthenticatedRequest, forms: ScreeningForms, screening: Screening | None) -> Any:
    """Validate and save; returns the saved screening, or an Evaluation to re-render."""
    if not forms.is_valid():
        show_submission_key_errors(forms.screening)
        return adapter.preview(forms.to_data())
    data = forms.to_data()
    try:
        if screening is None:
            key = forms.screening.cleaned_data.get(SUBMISSION_KEY)
            try:
                with submitted_once(key, by=request.user):
                    return create_screening(_screening_site(request), by=request.user, data=data)
            except AlreadySubmitted:
                # The same submission again (double click, resent POST): its screening.
                earlier = created_with(key, by=request.user)
                if isinstance(earlier, Screening):
                    return earlier
                forms.screening.add_error(None, gettext("This page was already used: reload it."))
                return adapter.preview(data)
        if screening.is_enrolled:
            return correct_screening(
                screening,
                by=request.user,
                reason=forms.reason,
                changes=data,
                expected_version=forms.version,
            )
        return save_screening(
            screening,
            by=request.user,
            data=data,
            reason=forms.reason,
            expected_version=forms.version,
        )
    except CaseInputError as error:
        forms.add_error(adapter.error_message(error))
    except ReasonRequired:
        forms.screening.add_error(
            "reason_for_change" if "reason_for_change" in forms.screening.fields else None,
            gettext("Give a reason for this change."),
        )
    except StaleVersion:
        forms.screening.add_error(
            None, gettext("This screening was changed by someone else: reload the page.")
        )
    except (ScreeningLocked, ParticipantLocked) as error:
        forms.screening.add_error(None, str(error))
    return adapter.preview(data)


@require_http_methods(["GET", "POST"])
@capability_required(C.SCREEN)
def screening_create(request: AuthenticatedRequest) -> HttpResponse:
    _screening_site(request)  # 403 unless the user screens at some site
    if request.method == "POST":
        forms = ScreeningForms(request.POST)
        outcome = _save(request, forms, None)
        if isinstance(outcome, Screening):
            messages.success(request, _saved_message(outcome))
            return redirect("eligibility:screening_detail", pk=outcome.pk)
        return _page(request, forms, None, outcome, can_edit=True, status=422)
    forms = ScreeningForms()
    evaluation = adapter.preview(adapter.ScreeningData())
    return _page(request, forms, None, evaluation, can_edit=True)


def _saved_message(screening: Screening) -> str:
    return gettext("Screening %(number)s saved: %(status)s.") % {
        "number": screening.number,
        "status": screening.get_status_display(),
    }


@require_http_methods(["GET", "POST"])
@capability_required(C.VIEW_CLINICAL_DATA)
def screening_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    screening = _screening_for_read(request, pk)
    can_edit = has_capability(request.user, C.SCREEN, screening.site_id)
    stored = adapter.data_from_screening(screening)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        forms = ScreeningForms(request.POST, screening=screening, stored=stored)
        outcome = _save(request, forms, screening)
        if isinstance(outcome, Screening):
            if outcome.version == screening.version:
                messages.info(request, gettext("Nothing changed: nothing was saved."))
            else:
                messages.success(request, _saved_message(outcome))
            return redirect("eligibility:screening_detail", pk=outcome.pk)
        return _page(request, forms, screening, outcome, can_edit=True, status=422)
    forms = ScreeningForms(screening=screening, stored=stored, disabled=not can_edit)
    return _page(request, forms, screening, adapter.preview(stored), can_edit=can_edit)


def _checklist(request: AuthenticatedRequest, screening: Screening | None) -> HttpResponse:
    stored = adapter.data_from_screening(screening) if screening else None
    forms = ScreeningForms(request.POST, screening=screening, stored=stored)
    data = forms.to_data()
    evaluation = adapter.preview(data)
    return render(
        request,
        "eligibility/_checklist.html",
        _checklist_context(forms, evaluation),
    )


@require_POST
@capability_required(C.SCREEN)
def checklist_new(request: AuthenticatedRequest) -> HttpResponse:
    _screening_site(request)
    return _checklist(request, None)


@require_POST
@capability_required(C.SCREEN)
def checklist(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _checklist(request, _screening_for_write(request, pk))


# ---------------------------------------------------------------------------------------------
# Consent and enrolment


@require_http_methods(["GET", "POST"])
@capability_required(C.SCREEN)
def consent(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    screening = _screening_for_write(request, pk)
    if request.method == "POST" and _consent_submitted(request, screening):
        return redirect("eligibility:screening_detail", pk=screening.pk)
    existing = Consent.objects.filter(screening=screening).first()
    form = ConsentForm(request.POST or None, instance=existing)
    if request.method == "POST" and not form.is_valid():
        # A twin of this submission may have recorded the consent since `existing` was
        # read (the one-per-screening check then fails): show what it recorded.
        if _consent_submitted(request, screening):
            return redirect("eligibility:screening_detail", pk=screening.pk)
        show_submission_key_errors(form)
    elif request.method == "POST":
        try:
            with submitted_once(form.cleaned_data.get(SUBMISSION_KEY), by=request.user):
                saved = record_consent(
                    screening,
                    by=request.user,
                    given_by=form.cleaned_data["given_by"],
                    consented_at=form.cleaned_data["consented_at"],
                    information_sheet_version=form.cleaned_data["information_sheet_version"],
                    continuation_outcome=form.cleaned_data.get("continuation_outcome") or "",
                    continuation_date=form.cleaned_data.get("continuation_date"),
                    reason=form.cleaned_data.get("reason_for_change", ""),
                    expected_version=existing.version if existing else None,
                )
        except AlreadySubmitted:
            if _consent_submitted(request, screening):
                return redirect("eligibility:screening_detail", pk=screening.pk)
            form.add_error(None, gettext("This page was already used: reload it."))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except ReasonRequired:
            form.add_error(None, gettext("Give a reason for this change."))
        except ParticipantLocked as error:
            form.add_error(None, str(error))
        else:
            if existing is not None and saved.version == existing.version:
                messages.info(request, gettext("Nothing changed: nothing was saved."))
            else:
                messages.success(request, gettext("Consent recorded."))
            return redirect("eligibility:screening_detail", pk=screening.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "eligibility/consent_form.html",
        {"form": form, "screening": screening},
        status=status,
    )


def _consent_submitted(request: AuthenticatedRequest, screening: Screening) -> bool:
    """This POST resends the submission that recorded this screening's consent."""
    earlier = created_with(request.POST.get(SUBMISSION_KEY), by=request.user)
    if isinstance(earlier, Consent) and earlier.screening_id == screening.pk:
        messages.info(request, gettext("Consent already recorded."))
        return True
    return False


def _enrolment_submitted(request: AuthenticatedRequest, screening: Screening) -> bool:
    """This POST resends the signature that enrolled this screening's patient."""
    earlier = created_with(request.POST.get(SUBMISSION_KEY), by=request.user)
    # Read again: the screening loaded for this request may predate the enrolment.
    if (
        isinstance(earlier, Participant)
        and Screening.objects.filter(pk=screening.pk, participant=earlier).exists()
    ):
        messages.info(request, gettext("This patient is already enrolled."))
        return True
    return False


@require_http_methods(["GET", "POST"])
@capability_required(C.CONFIRM_ELIGIBILITY)
def enrol_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    screening = _screening_for_write(request, pk, C.CONFIRM_ELIGIBILITY)
    if request.method == "POST" and _enrolment_submitted(request, screening):
        return redirect("eligibility:screening_detail", pk=screening.pk)
    form = EnrolForm(request.POST or None, user=request.user)
    if request.method == "POST" and not form.is_valid():
        show_submission_key_errors(form)
    elif request.method == "POST":
        try:
            with submitted_once(form.cleaned_data.get(SUBMISSION_KEY), by=request.user):
                participant = enrol(
                    screening, by=request.user, request=request, **form.credentials()
                )
        except AlreadySubmitted:
            if _enrolment_submitted(request, screening):
                return redirect("eligibility:screening_detail", pk=screening.pk)
            form.add_error(None, gettext("This page was already used: reload it."))
        except (EnrolmentRefused, ReauthenticationFailed) as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                gettext("Patient enrolled: participant code %(code)s.")
                % {"code": participant.code},
            )
            return redirect("eligibility:screening_detail", pk=screening.pk)
    evaluation = adapter.preview(adapter.data_from_screening(screening))
    return render(
        request,
        "eligibility/enrol.html",
        {
            "form": form,
            "screening": screening,
            "statement": CONFIRMATION_STATEMENT,
            "evaluation": evaluation,
            "consent": Consent.objects.filter(screening=screening).first(),
        },
        status=422 if request.method == "POST" else 200,
    )
