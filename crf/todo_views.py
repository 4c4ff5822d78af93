"""The forms a site has to enter (home page links, issue #11; ADR 0023)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import work_filter
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from crf import todo
from participants.models import Participant
from platinium.lib.paging import page_of
from platinium.lib.study_time import paris_today


@capability_required(C.ENTER_CRF)
def forms_to_enter(request: HttpRequest) -> HttpResponse:
    """`?show=injections_due` (injections whose window is open today) or `?show=overdue`
    (forms past their window): the site's participants, the current site of the switcher."""
    show = request.GET.get("show", "")
    if show not in todo.KINDS:
        show = todo.OVERDUE
    current = request.current_site.get()  # type: ignore[attr-defined]
    participants = Participant.objects.filter(
        work_filter(request.user, C.ENTER_CRF, current)
    ).select_related("site")
    entries = todo.forms_to_enter(participants, request.user)[show]
    titles = {
        todo.INJECTIONS_DUE: gettext("Injections due today"),
        todo.OVERDUE: gettext("Overdue forms"),
    }
    return render(
        request,
        "crf/forms_to_enter.html",
        {
            "entries": page_of(entries, request),
            "show": show,
            "title": titles[show],
            "today": paris_today(timezone.now()),
        },
    )
