"""Query pages: the worklist, one query with its thread and actions, raising a query on a
field of a saved form row (docs/decisions/0013-data-queries.md)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.access import has_capability, sites_with
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from audit.services import ReasonRequired
from audit.versioning import StaleVersion
from crf import services as crf_services
from crf.access import can_enter
from crf.definitions import CRF_MODELS, CrfDefinition, by_model
from crf.forms import form_class
from crf.models import DataQuery, QueryOrigin, QueryStatus
from crf.models.queries import AWAITING_ANSWER
from monitoring import queries
from monitoring.forms import AnswerQueryForm, QueryActionForm, RaiseQueryForm
from monitoring.todo import AGE_BANDS, raised_in_band

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest, User

PAGE_SIZE = 50

# Worklist status filter values: one protocol word each.
TO_ANSWER = "to_answer"
TO_REVIEW = "to_review"
UNRESOLVED = "unresolved"


def _form_of(model: type | None) -> CrfDefinition | None:
    """The form with its own pages that a queried row belongs to (None: none)."""
    definition = by_model(model) if model else None
    return definition if definition is not None and definition.has_page else None


def row_url(query: DataQuery) -> str:
    definition = _form_of(queries.form_model(query.model_label))
    if definition is None:
        return ""
    return reverse(
        "crf:form_detail",
        kwargs={"code": query.participant.code, "form": definition.slug, "pk": query.object_id},
    )


def _require_query_reader(user: User) -> None:
    """The worklist and the query pages: roles that take part in queries and read CRFs."""
    takes_part = any(has_capability(user, cap) for cap in (C.RAISE_QUERY, C.ANSWER_QUERY))
    if not (takes_part and has_capability(user, C.VIEW_CLINICAL_DATA)):
        raise PermissionDenied


def _default_status(user: User) -> str:
    """Site roles see what they must answer, monitors what they must review."""
    if has_capability(user, C.ANSWER_QUERY):
        return TO_ANSWER
    if has_capability(user, C.RAISE_QUERY) and not has_capability(user, C.LOCK):
        return TO_REVIEW
    return UNRESOLVED


STATUS_FILTERS: dict[str, dict[str, Any]] = {
    TO_ANSWER: {"status__in": AWAITING_ANSWER},
    TO_REVIEW: {"status": QueryStatus.ANSWERED},
    UNRESOLVED: {"status__in": (*AWAITING_ANSWER, QueryStatus.ANSWERED)},
    **{value: {"status": value} for value in QueryStatus.values},
    "all": {},
}


@capability_required(C.VIEW_CLINICAL_DATA)
def query_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_query_reader(request.user)
    qs = DataQuery.objects.visible_to(request.user).select_related("participant__site", "raised_by")
    status = request.GET.get("status") or _default_status(request.user)
    if status not in STATUS_FILTERS:
        status = _default_status(request.user)
    qs = qs.filter(**STATUS_FILTERS[status])
    site = request.GET.get("site_code", "")
    if site:
        qs = qs.filter(participant__site__code=site)
    form = request.GET.get("form", "")
    if form:
        qs = qs.filter(model_label=form)
    origin = request.GET.get("origin", "")
    if origin in QueryOrigin.values:
        qs = qs.filter(origin=origin)
    age = request.GET.get("age", "")
    if age in AGE_BANDS:  # home page link (issue #11)
        qs = qs.filter(raised_in_band(age))
    page = Paginator(qs.order_by("raised_at", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/query_list.html",
        {
            "page": page,
            "status": status,
            "statuses": [
                (TO_ANSWER, gettext("To answer")),
                (TO_REVIEW, gettext("Answered, to review")),
                (UNRESOLVED, gettext("Not resolved")),
                *QueryStatus.choices,
                ("all", gettext("All")),
            ],
            "site": site,
            "sites": sites_with(request.user, C.VIEW_CLINICAL_DATA).order_by("code"),
            "form": form,
            "forms": [(m._meta.label_lower, m._meta.verbose_name) for m in CRF_MODELS],
            "origin": origin,
            "origins": QueryOrigin.choices,
        },
    )


def _value_field(query: DataQuery) -> forms.Field | None:
    """The queried field's own form field, to type a correction (None: not correctable)."""
    definition = _form_of(queries.form_model(query.model_label))
    if definition is None:
        return None
    row = definition.model.objects.get(pk=query.object_id)
    field = form_class(definition)(instance=copy.copy(row)).fields.get(query.field)
    return copy.deepcopy(field) if field is not None else None


def _can_correct(user: User, query: DataQuery) -> bool:
    definition = _form_of(queries.form_model(query.model_label))
    return definition is not None and can_enter(user, query.participant, definition.enter)


def _correct(row: Any, field: str, value: Any, reason: str, by: User) -> None:
    """Save the corrected field through the form's own save service (the one write path),
    the answer as the reason for change."""
    definition = by_model(type(row))
    crf_services.save_for(
        definition,
        row.participant,
        by=by,
        data={field: value},
        instance=row,
        expected_version=row.version,
        reason=reason,
        fixed_value=getattr(row, definition.fixed) if definition.fixed else None,
    )


def _answer_form(
    request: AuthenticatedRequest, query: DataQuery, data: Any = None
) -> AnswerQueryForm:
    value_field = _value_field(query) if _can_correct(request.user, query) else None
    return AnswerQueryForm(
        data, value_field=value_field, initial={"expected_version": query.version}
    )


def _page(request: AuthenticatedRequest, query: DataQuery, **forms_: Any) -> HttpResponse:
    user = request.user
    site_id = query.participant.site_id
    can_close = has_capability(user, C.CLOSE_QUERY, site_id)
    initial = {"expected_version": query.version}
    context = {
        "query": query,
        "thread": query.messages.select_related("by"),
        "row_url": row_url(query),
        "answer_form": forms_.get("answer_form")
        or (
            _answer_form(request, query)
            if has_capability(user, C.ANSWER_QUERY, site_id) and query.is_awaiting_answer
            else None
        ),
        "close_form": forms_.get("close_form")
        or (
            QueryActionForm(initial=initial)
            if can_close and query.status in (*AWAITING_ANSWER, QueryStatus.ANSWERED)
            else None
        ),
        "reopen_form": forms_.get("reopen_form")
        or (
            QueryActionForm(initial=initial)
            if can_close and query.status == QueryStatus.CLOSED
            else None
        ),
        "cancel_form": forms_.get("cancel_form")
        or (QueryActionForm(initial=initial) if can_close and query.is_unresolved else None),
    }
    return render(request, "monitoring/query_detail.html", context)


def _query(request: AuthenticatedRequest, pk: int) -> DataQuery:
    _require_query_reader(request.user)
    qs = DataQuery.objects.visible_to(request.user).select_related("participant__site")
    return get_object_or_404(qs, pk=pk)


@capability_required(C.VIEW_CLINICAL_DATA)
def query_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _page(request, _query(request, pk))


@require_POST
@capability_required(C.ANSWER_QUERY)
def query_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    query = _query(request, pk)
    form = _answer_form(request, query, request.POST)
    if form.is_valid():
        correction = None
        if form.cleaned_data.get("correct"):
            correction = (form.cleaned_data.get("corrected_value"), _correct)
        try:
            queries.answer_query(
                query,
                text=form.cleaned_data["text"],
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
                correction=correction,
            )
        except queries.QueryRefused as refused:
            form.add_error(None, refused.message)
        except crf_services.CrfRefused as refused:
            for finding in refused.findings:
                form.add_error(None, finding.message)
        except crf_services.ParticipantLocked as locked:
            form.add_error(None, str(locked))
        except StaleVersion:
            form.add_error(
                None, gettext("The form changed since you opened the query: reload the page.")
            )
        except ReasonRequired:
            form.add_error(None, gettext("Give a reason for this change."))
        else:
            messages.success(request, gettext("Answer sent."))
            return redirect("monitoring:query_detail", pk=query.pk)
    return _page(request, query, answer_form=form)


def _action(request: AuthenticatedRequest, pk: int, name: str) -> HttpResponse:
    query = _query(request, pk)
    form = QueryActionForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["text"]
        version = form.cleaned_data["expected_version"]
        try:
            if name == "close":
                queries.close_query(query, by=request.user, text=text, expected_version=version)
                done = gettext("Query closed.")
            elif name == "reopen":
                queries.reopen_query(query, by=request.user, text=text, expected_version=version)
                done = gettext("Query reopened.")
            else:
                queries.cancel_query(query, by=request.user, reason=text, expected_version=version)
                done = gettext("Query cancelled.")
        except queries.QueryRefused as refused:
            form.add_error(None, refused.message)
        except crf_services.ParticipantLocked as locked:
            form.add_error(None, str(locked))
        else:
            messages.success(request, done)
            return redirect("monitoring:query_detail", pk=query.pk)
    return _page(request, query, **{f"{name}_form": form})


@require_POST
@capability_required(C.CLOSE_QUERY)
def query_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "close")


@require_POST
@capability_required(C.CLOSE_QUERY)
def query_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "reopen")


@require_POST
@capability_required(C.CLOSE_QUERY)
def query_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _action(request, pk, "cancel")


@capability_required(C.RAISE_QUERY)
def query_raise(
    request: AuthenticatedRequest, model_label: str, pk: int, field: str
) -> HttpResponse:
    model = queries.form_model(model_label)
    if model is None or field not in queries.queryable_fields(model):
        raise Http404
    row = get_object_or_404(
        model.objects.visible_to(request.user).select_related("participant__site"), pk=pk
    )
    if not has_capability(request.user, C.RAISE_QUERY, row.participant.site_id):
        raise Http404
    form = RaiseQueryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            query = queries.raise_query(
                row, field=field, text=form.cleaned_data["text"], by=request.user
            )
        except queries.QueryRefused as refused:
            form.add_error(None, refused.message)
        except crf_services.ParticipantLocked as locked:
            form.add_error(None, str(locked))
        else:
            messages.success(request, gettext("Query raised."))
            return redirect("monitoring:query_detail", pk=query.pk)
    definition = _form_of(model)
    return render(
        request,
        "monitoring/query_raise.html",
        {
            "form": form,
            "row": row,
            "participant": row.participant,
            "field_label": model._meta.get_field(field).verbose_name,
            "value": getattr(row, field),
            "row_url": reverse(
                "crf:form_detail",
                kwargs={"code": row.participant.code, "form": definition.slug, "pk": row.pk},
            )
            if definition
            else "",
        },
    )
