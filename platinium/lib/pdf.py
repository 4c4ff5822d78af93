"""One way to render a PDF (WeasyPrint): a template, its context, bytes back.

WeasyPrint fetches every URL a template names (images, stylesheets). A PDF is built from
data users typed, so a URL in it must never reach the network or the file system: the
fetcher serves only our own static files (docs/decisions/0020-casebook-pdf.md).
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# Relative and root-relative URLs of a template resolve against this origin, which never
# names a real host: only the fetcher below answers for it.
BASE_URL = "https://pdf.platinium.invalid/"


class RefusedUrl(ValueError):
    """A URL the PDF renderer does not fetch."""


def static_path(url: str) -> Path | None:
    """The file of a static URL of ours, or None for anything else."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query:
        return None
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
    path = unquote(parts.path)
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix) :]
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    return Path(found) if isinstance(found, str) else None


@functools.cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Answers our static files from disk; refuses every other URL (never the network)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = static_path(url)
            if path is None:
                raise RefusedUrl(f"not fetched: {url[:200]}")
            mime_type, _encoding = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                url,
                path.read_bytes(),
                {"Content-Type": mime_type or "application/octet-stream"},
            )

    return StaticOnlyFetcher


def url_fetcher() -> Any:
    return _fetcher_class()()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=url_fetcher()).write_pdf()


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    return html_to_pdf(render_to_string(template_name, context))
