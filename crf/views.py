"""CRF pages: casebook, create / view / edit of each form, entered in error, SAE list."""

from __future__ import annotations

import copy
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.reauth import second_factor_required
from accounts.roles import Capability as C
from audit.forms import SUBMISSION_KEY, show_submission_key_errors
from audit.idempotency import AlreadySubmitted, created_with, submitted_once
from audit.labels import field_label
from audit.services import ReasonRequired
from audit.versioning import StaleVersion
from crf import definitions, services
from crf.access import ACKNOWLEDGE_SAE, can_enter, get_participant_for_user, require_enter
from crf.definitions import CrfDefinition, by_model
from crf.display import display_value, shown_fields
from crf.form_page import mark_required, missing_message, required_items, skip_logic
from crf.forms import CrfForm, EnteredInErrorForm, MicroorganismFormSet, form_class
from crf.models import (
    AdverseEvent,
    CrfStatus,
    D10Biology,
    DataQuery,
    IcuStay,
    SecondaryInfection,
)
from crf.open_queries import open_queries_by_field, open_query_count
from crf.services.core import values_of
from participants import locks
from participants.models import Lock, Participant

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest, User


def _definition(form: str) -> CrfDefinition:
    try:
        return definitions.by_slug(form)
    except KeyError:
        raise Http404 from None


def _fixed_value(definition: CrfDefinition, raw: str | None) -> Any:
    """The key fixed by the URL, validated (bad input: 404, never a 500)."""
    if not definition.fixed:
        return None
    if raw is None:
        raise Http404
    try:
        if definition.fixed == "number":
            value: Any = int(raw)
            if not 1 <= value <= 5:
                raise ValueError
        elif definition.fixed == "day_date":
            value = date.fromisoformat(raw)
        else:
            if raw not in definition.schedule_codes:  # FU_D30, FU_D60, FU_D90
                raise ValueError
            value = raw
    except ValueError:
        raise Http404 from None
    return value


def _object(definition: CrfDefinition, participant: Participant, user: User, pk: int) -> Any:
    qs = definition.model.objects.visible_to(user).filter(participant=participant)
    return get_object_or_404(qs, pk=pk)


def _locked(participant: Participant, form: Any = None) -> Lock | None:
    """The lock in force on this participant (database, casebook) or form, if any."""
    return locks.lock_refusing(participant, form)


@capability_required(C.VIEW_CLINICAL_DATA)
def casebook(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """The participant's CRF rows by form, with status (the timeline comes later)."""
    participant = get_participant_for_user(request.user, code)
    sections = []
    for definition in definitions.FORMS:
        if definition.model is D10Biology:
            rows = list(
                D10Biology.objects.progress_visible_to(request.user).filter(participant=participant)
            )
            readable = {
                r.pk
                for r in D10Biology.objects.visible_to(request.user)
                .filter(participant=participant)
                .only("id")
            }
        else:
            rows = list(
                definition.model.objects.visible_to(request.user).filter(participant=participant)
            )
            readable = {r.pk for r in rows}
        sections.append(
            {
                "definition": definition,
                "rows": rows,
                # "ICU discharge" edits the open stay: a new one would overlap it (#11).
                "open_stay": next(
                    (r for r in rows if r.discharged_at is None and not r.ongoing_at_d90), None
                )
                if definition.model is IcuStay
                else None,
                "readable": readable,
                "can_enter": can_enter(request.user, participant, definition.enter),
            }
        )
    lock = _locked(participant)
    return render(
        request,
        "crf/casebook.html",
        {
            "participant": participant,
            "sections": sections,
            "locked": lock,
            "lock_message": locks.lock_message(lock) if lock else "",
            "open_flags": open_query_count(participant),
        },
    )


def _apply_refusal(form: CrfForm, refused: services.CrfRefused) -> None:
    for finding in refused.findings:
        name = finding.field if finding.field in form.fields else None
        form.add_error(name, finding.message)


def _stale_context(form: CrfForm, current: Any) -> dict[str, Any]:
    """What changed since the user opened the form: both values, side by side."""
    theirs = values_of(current)
    mine = form.model_data() if hasattr(form, "cleaned_data") else {}
    diff = [
        {
            "field": current._meta.get_field(name).verbose_name,
            "mine": mine.get(name),
            "theirs": theirs.get(name),
        }
        for name in mine
        if mine.get(name) != theirs.get(name)
    ]
    who = current.updated_by.username if current.updated_by else "?"
    when = timezone.localtime(current.updated_at).strftime("%H:%M")
    return {"stale": {"who": who, "when": when, "diff": diff, "version": current.version}}


def _edit(
    request: AuthenticatedRequest,
    definition: CrfDefinition,
    participant: Participant,
    instance: Any,
    fixed: Any,
) -> HttpResponse:
    form_type = form_class(definition)
    formset = None
    context: dict[str, Any] = {}
    # The form builds on a copy: the service compares against the stored row.
    target = copy.copy(instance) if instance else definition.model(participant=participant)
    if definition.fixed and instance is None:
        setattr(target, definition.fixed, fixed)
    creating = instance is None
    if request.method == "POST":
        form = form_type(request.POST, instance=target, creating=creating)
        if definition.model is SecondaryInfection:
            formset = MicroorganismFormSet(request.POST, prefix="organism")
        if lock := _locked(participant, instance):
            messages.error(request, locks.lock_message(lock))
        elif not form.is_valid():
            show_submission_key_errors(form)
        elif formset is None or formset.is_valid():
            kwargs: dict[str, Any] = {}
            if formset is not None:
                kwargs["microorganisms"] = [
                    f.cleaned_data for f in formset.forms if f.cleaned_data.get("organism")
                ]
            key = form.cleaned_data.get(SUBMISSION_KEY)
            try:
                with submitted_once(key, by=request.user):
                    result = services.save_for(
                        definition,
                        participant,
                        by=request.user,
                        data=form.model_data(),
                        instance=instance,
                        expected_version=form.cleaned_data.get("expected_version"),
                        reason=form.cleaned_data.get("reason_for_change", ""),
                        fixed_value=fixed,
                        **kwargs,
                    )
            except AlreadySubmitted:
                earlier = created_with(key, by=request.user)
                if (
                    isinstance(earlier, definition.model)
                    and earlier.participant_id == participant.pk
                ):
                    # The same submission again (double click, resent POST): show its row.
                    messages.info(request, gettext("This form was already saved."))
                    return redirect(
                        "crf:form_detail",
                        code=participant.code,
                        form=definition.slug,
                        pk=earlier.pk,
                    )
                form.add_error(None, gettext("This page was already used: reload it."))
            except services.CrfRefused as refused:
                _apply_refusal(form, refused)
            except ReasonRequired:
                form.add_error(None, gettext("Give a reason for this change."))
            except StaleVersion as stale:
                context.update(_stale_context(form, stale.current))
                data = request.POST.copy()
                data["expected_version"] = str(stale.current.version)
                form = form_type(data, instance=target, creating=creating)
                form.is_valid()
            except services.ParticipantLocked as locked:
                form.add_error(None, str(locked))
            except IntegrityError as error:
                form.add_error(None, integrity_message(error))
            else:
                _report(request, result)
                response = redirect(
                    "crf:form_detail", code=participant.code, form=definition.slug, pk=result.obj.pk
                )
                response["X-Draft-Saved"] = "1"
                return response
    else:
        form = form_type(instance=target, creating=creating)
        if definition.model is SecondaryInfection:
            initial = [
                {
                    k: getattr(m, k)
                    for k in (
                        "organism",
                        "mrsa",
                        "vre",
                        "c3g_resistant",
                        "esbl",
                        "carbapenem_resistant",
                        "carbapenemase",
                        "carbapenemase_type",
                    )
                }
                for m in (
                    instance.microorganisms.filter(entered_in_error=False) if instance else []
                )
            ]
            formset = MicroorganismFormSet(initial=initial or [{}], prefix="organism")
    lock = _locked(participant, instance)
    mark_required(form, required_items(definition, target))
    context.update(
        {
            "participant": participant,
            "definition": definition,
            "skip_logic": skip_logic(definition, form, target),
            "form": form,
            "formset": formset,
            "instance": instance,
            "fixed": fixed,
            "locked": lock,
            "lock_message": locks.lock_message(lock) if lock else "",
            "draft_key": f"{request.path}|{request.user.pk}",
        }
    )
    return render(request, "crf/form.html", context)


def _report(request: AuthenticatedRequest, result: services.SaveResult) -> None:
    if result.unchanged:
        messages.info(request, gettext("Nothing changed: nothing was saved."))
        return
    model = type(result.obj)
    if result.missing:
        obj = result.obj
        edit_url = reverse(
            "crf:form_edit",
            kwargs={"code": obj.participant.code, "form": by_model(model).slug, "pk": obj.pk},
        )
        messages.warning(request, missing_message(model, result.missing, edit_url))
    else:
        messages.success(request, gettext("Saved."))
    if result.not_kept:
        messages.warning(
            request,
            gettext("Not kept, these items do not apply to this form: %(items)s.")
            % {"items": _labels(model, result.not_kept)},
        )
    for finding in result.warnings:
        messages.warning(
            request, gettext("Flagged for review: %(message)s") % {"message": finding.message}
        )


def _labels(model: type[Any], items: list[Any]) -> str:
    """Field labels, in form order, of findings or field names."""
    names = [getattr(item, "field", item) for item in items]
    return ", ".join(dict.fromkeys(field_label(model, n) for n in names if n != "__all__"))


@capability_required(C.VIEW_CLINICAL_DATA)
def form_new(request: AuthenticatedRequest, code: str, form: str) -> HttpResponse:
    definition = _definition(form)
    participant = get_participant_for_user(request.user, code)
    require_enter(request.user, participant, definition.enter)
    fixed = _fixed_value(
        definition, request.GET.get(definition.fixed) if definition.fixed else None
    )
    # Read the saved row before the key: a row and its key commit together, so a parallel
    # twin's row seen here means its key is seen below (the other order races).
    existing = _existing(definition, participant, fixed)
    if request.method == "POST":
        earlier = created_with(request.POST.get(SUBMISSION_KEY), by=request.user)
        if isinstance(earlier, definition.model) and earlier.participant_id == participant.pk:
            # The same submission again, after the first was saved: show its row.
            messages.info(request, gettext("This form was already saved."))
            return redirect("crf:form_detail", code=code, form=definition.slug, pk=earlier.pk)
    if existing is not None:
        return redirect("crf:form_edit", code=code, form=definition.slug, pk=existing.pk)
    return _edit(request, definition, participant, None, fixed)


def _existing(definition: CrfDefinition, participant: Participant, fixed: Any) -> Any:
    """A single form, or the row of a fixed key, already saved: edit it instead."""
    qs = definition.model.objects.current().filter(participant=participant)
    if definition.single:
        return qs.first()
    if definition.fixed:
        return qs.filter(**{definition.fixed: fixed}).first()
    return None


@capability_required(C.VIEW_CLINICAL_DATA)
def form_edit(request: AuthenticatedRequest, code: str, form: str, pk: int) -> HttpResponse:
    definition = _definition(form)
    participant = get_participant_for_user(request.user, code)
    instance = _object(definition, participant, request.user, pk)
    require_enter(request.user, participant, definition.enter)
    if instance.status == CrfStatus.ENTERED_IN_ERROR:
        raise Http404
    fixed = getattr(instance, definition.fixed) if definition.fixed else None
    return _edit(request, definition, participant, instance, fixed)


@capability_required(C.VIEW_CLINICAL_DATA)
def form_detail(request: AuthenticatedRequest, code: str, form: str, pk: int) -> HttpResponse:
    definition = _definition(form)
    participant = get_participant_for_user(request.user, code)
    instance = _object(definition, participant, request.user, pk)
    counts = open_queries_by_field(instance)
    rows = [
        {
            "name": f.name,
            "label": f.verbose_name,
            "value": display_value(instance, f),
            "open_queries": counts.get(f.name, 0),
        }
        for f in shown_fields(definition.model)
    ]
    queries = (
        DataQuery.objects.visible_to(request.user)
        .unresolved()
        .for_object(instance)
        .order_by("raised_at")
    )
    lock = _locked(participant, instance)
    return render(
        request,
        "crf/detail.html",
        {
            "participant": participant,
            "definition": definition,
            "instance": instance,
            "rows": rows,
            "queries": queries,
            "can_raise_query": has_capability(request.user, C.RAISE_QUERY, participant.site_id)
            and instance.status != CrfStatus.ENTERED_IN_ERROR,
            "locked": lock,
            "lock_message": locks.lock_message(lock) if lock else "",
            "form_lock": locks.form_lock(instance),
            "can_lock": has_capability(request.user, C.LOCK, participant.site_id),
            "lock_with_token": has_capability(request.user, C.LOCK, participant.site_id)
            and second_factor_required(request.user),
            "model_label": definition.model._meta.label_lower,
            "can_enter": can_enter(request.user, participant, definition.enter)
            and not lock
            and instance.status != CrfStatus.ENTERED_IN_ERROR,
            "can_void": can_enter(request.user, participant, C.MARK_ENTERED_IN_ERROR)
            and definition.model is not D10Biology,
            "error_form": EnteredInErrorForm(initial={"expected_version": instance.version}),
            "microorganisms": instance.microorganisms.filter(entered_in_error=False)
            if definition.model is SecondaryInfection
            else None,
        },
    )


@require_POST
@capability_required(C.MARK_ENTERED_IN_ERROR)
def form_entered_in_error(
    request: AuthenticatedRequest, code: str, form: str, pk: int
) -> HttpResponse:
    definition = _definition(form)
    participant = get_participant_for_user(request.user, code)
    instance = _object(definition, participant, request.user, pk)
    require_enter(request.user, participant, C.MARK_ENTERED_IN_ERROR)
    if definition.model is D10Biology:
        raise PermissionDenied
    error_form = EnteredInErrorForm(request.POST)
    if not error_form.is_valid():
        messages.error(request, gettext("Give a reason to mark the form entered in error."))
    elif lock := _locked(participant, instance):
        messages.error(request, locks.lock_message(lock))
    else:
        try:
            services.mark_entered_in_error(
                instance,
                by=request.user,
                reason=error_form.cleaned_data["reason"],
                expected_version=error_form.cleaned_data.get("expected_version"),
            )
            messages.success(request, gettext("Marked entered in error."))
        except StaleVersion:
            messages.error(
                request, gettext("The form changed since you opened it: review it and try again.")
            )
        except services.ParticipantLocked as locked:
            messages.error(request, str(locked))
    return redirect("crf:form_detail", code=code, form=form, pk=pk)


@capability_required(C.VIEW_CLINICAL_DATA)
def sae_list(request: AuthenticatedRequest) -> HttpResponse:
    """SAEs awaiting acknowledgement by vigilance / data management (dashboard list), or
    with `?show=to_report` those whose report has not left for vigilance yet (the site's
    24-hour clock); `?site_code=` narrows to one site (home page links, issue #11)."""
    to_report = request.GET.get("show") == "to_report"
    saes = AdverseEvent.objects.visible_to(request.user)
    saes = saes.to_report() if to_report else saes.awaiting_acknowledgement()
    site_code = request.GET.get("site_code", "")
    if site_code:
        saes = saes.filter(participant__site__code=site_code)
    from accounts.access import has_capability

    return render(
        request,
        "crf/sae_list.html",
        {
            "saes": saes.select_related("participant__site").order_by("sae_recorded_at"),
            "to_report": to_report,
            "can_acknowledge": has_capability(request.user, ACKNOWLEDGE_SAE),
            "now": timezone.now(),
        },
    )


@require_POST
@capability_required(ACKNOWLEDGE_SAE)
def sae_acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    ae = get_object_or_404(AdverseEvent.objects.visible_to(request.user).serious(), pk=pk)
    services.acknowledge_sae(ae, by=request.user)
    messages.success(request, gettext("SAE acknowledged."))
    return redirect(reverse("crf:sae_list"))


def integrity_message(error: IntegrityError) -> str:
    """A database refusal in words: a duplicate form, or a value the form left empty."""
    code = getattr(error.__cause__, "pgcode", "")
    if code == "23502":  # not_null_violation
        column = getattr(getattr(error.__cause__, "diag", None), "column_name", "") or ""
        return gettext("A required value is missing: %(field)s.") % {"field": column}
    return gettext("This form already exists for this participant.")
