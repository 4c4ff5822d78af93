"""Data management locks: lock/unlock a form, a casebook or the database (re-authenticated,
with a reason, audited) and the lock history (docs/decisions/0012-locks.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.reauth import ReauthenticationFailed, reauthenticate, second_factor_required
from accounts.roles import Capability as C
from crf.definitions import FORMS
from monitoring.forms import LockForm
from participants import locks
from participants.models import Lock, Participant

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


def _lock_page(
    request: AuthenticatedRequest,
    *,
    title: str,
    current: Lock | None,
    lock: Callable[..., Lock],
    unlock: Callable[..., Lock],
    back: str,
    history: models.QuerySet[Lock],
) -> HttpResponse:
    with_token = second_factor_required(request.user)
    state = "unlock" if current is not None else "lock"
    if request.method == "POST":
        form = LockForm(request.POST, with_token=with_token)
        if form.is_valid():
            action = form.cleaned_data["action"]
            if action != state:
                # Someone else locked or unlocked it since the page was shown.
                messages.error(request, gettext("The lock changed since you opened the page."))
                return redirect(request.get_full_path())
            try:
                # Before the service's transaction: a failed attempt is audited and counted.
                reauthenticate(
                    request.user,
                    password=form.cleaned_data["password"],
                    token=form.cleaned_data.get("token", ""),
                    purpose="lock",
                    request=request,
                )
                service = lock if action == "lock" else unlock
                service(by=request.user, reason=form.cleaned_data["reason"])
            except ReauthenticationFailed as failed:
                form.add_error("password", failed.message)
            except locks.LockRefused as refused:
                form.add_error(None, refused.messages[0])
            else:
                messages.success(
                    request, gettext("Locked.") if action == "lock" else gettext("Unlocked.")
                )
                return redirect(back)
    else:
        form = LockForm(initial={"action": state}, with_token=with_token)
    return render(
        request,
        "monitoring/lock_form.html",
        {
            "title": title,
            "current": current,
            "form": form,
            "state": state,
            "back": back,
            "history": history.select_related("locked_by", "unlocked_by", "site")[:50],
        },
    )


@capability_required(C.LOCK)
def database_lock(request: AuthenticatedRequest) -> HttpResponse:
    return _lock_page(
        request,
        title=gettext("Database lock"),
        current=locks.current_database_lock(),
        lock=locks.lock_database,
        unlock=locks.unlock_database,
        back=reverse("monitoring:database_lock"),
        history=Lock.objects.filter(level=Lock.Level.DATABASE),
    )


@capability_required(C.LOCK)
def casebook_lock(request: AuthenticatedRequest, code: str) -> HttpResponse:
    participant = get_object_or_404(Participant.objects.visible_to(request.user), code=code)
    if not has_capability(request.user, C.LOCK, participant.site_id):
        raise PermissionDenied
    return _lock_page(
        request,
        title=gettext("Casebook of %(code)s") % {"code": participant.code},
        current=locks.casebook_lock(participant),
        lock=lambda **kw: locks.lock_casebook(participant, **kw),
        unlock=lambda **kw: locks.unlock_casebook(participant, **kw),
        back=reverse("crf:participant", kwargs={"code": participant.code}),
        history=Lock.objects.filter(level=Lock.Level.CASEBOOK, participant=participant),
    )


def form_url(obj: Any) -> str:
    """The page of a lockable form (a CRF row or a screening record)."""
    for definition in FORMS:
        if type(obj) is definition.model:
            return reverse(
                "crf:form_detail",
                kwargs={"code": obj.participant.code, "form": definition.slug, "pk": obj.pk},
            )
    if obj._meta.label_lower == "eligibility.screening":
        return reverse("eligibility:screening_detail", kwargs={"pk": obj.pk})
    return reverse("monitoring:lock_history")


@capability_required(C.LOCK)
def form_lock(request: AuthenticatedRequest, model_label: str, pk: int) -> HttpResponse:
    model = locks.lockable_form(model_label)
    if model is None:
        raise Http404
    obj = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    if not has_capability(request.user, C.LOCK, locks.site_id_of(obj)):
        raise PermissionDenied
    return _lock_page(
        request,
        title=gettext("Form %(form)s") % {"form": f"{model._meta.verbose_name} {obj}"},
        current=locks.form_lock(obj),
        lock=lambda **kw: locks.lock_form(obj, **kw),
        unlock=lambda **kw: locks.unlock_form(obj, **kw),
        back=form_url(obj),
        history=Lock.objects.filter(level=Lock.Level.FORM, model_label=model_label, object_id=pk),
    )


@capability_required(C.VIEW_AUDIT)
def lock_history(request: AuthenticatedRequest) -> HttpResponse:
    """Every lock and unlock, newest first (roles.md: readers of the clinical audit trail)."""
    if not has_capability(request.user, C.VIEW_CLINICAL_DATA):
        raise PermissionDenied
    history = Lock.objects.visible_to(request.user).select_related(
        "locked_by", "unlocked_by", "participant", "site"
    )
    level = request.GET.get("level", "")
    if level in Lock.Level.values:
        history = history.filter(level=level)
    current = request.GET.get("current") == "1"
    if current:  # locks in force (home page link, issue #11)
        history = history.current()
    return render(
        request,
        "monitoring/lock_history.html",
        {
            "history": history[:500],
            "levels": Lock.Level.choices,
            "level": level,
            "can_lock": has_capability(request.user, C.LOCK),
            "database_lock": locks.current_database_lock(),
        },
    )
