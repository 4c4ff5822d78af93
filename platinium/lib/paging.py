"""Lists are paged (docs/decisions/0022): 50 rows a page, the page number in the URL; a page
out of range shows the last page, a page that is not a number the first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest
from django.utils.functional import cached_property

PER_PAGE = 50


def page_of(
    rows: Any, request: HttpRequest, *, per_page: int = PER_PAGE, param: str = "page"
) -> Page:
    """The requested page of an ordered queryset (`?page=`; `param` names another parameter
    for a second list on the same page, given to includes/pager.html too)."""
    return Paginator(rows, per_page).get_page(request.GET.get(param))


class BoundedPaginator(Paginator):
    """Counts at most `bound` + 1 rows (`SELECT count(*) FROM (… LIMIT bound + 1)`), so a
    page of a big table never counts the whole table; `more` says the bound was passed.
    The count drops the list's ORDER BY: how many rows pass the bound does not depend on
    their order, and with it PostgreSQL sorts the whole table to keep the first rows
    (issue #13: the audit log's count grew with the audit table)."""

    def __init__(self, rows: Any, per_page: int, *, bound: int) -> None:
        super().__init__(rows, per_page)
        self.bound = bound

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by()  # type: ignore[attr-defined]  # a QuerySet
        return int(rows[: self.bound + 1].count())

    @property
    def more(self) -> bool:
        return self.count > self.bound


def bounded_page_of(
    rows: Any, request: HttpRequest, *, bound: int, per_page: int = PER_PAGE
) -> Page:
    return BoundedPaginator(rows, per_page, bound=bound).get_page(request.GET.get("page"))
