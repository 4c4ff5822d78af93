"""`{% page_query param number %}`: the current URL's query string with one pager parameter
set (as `{% querystring page=n %}` does for `page`), so a page with two paged lists gives
each its own parameter (ADR 0022, 0028)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: Any, param: str, number: int) -> str:
    query = context.request.GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"
