from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from tests.access.harness import all_entries

# Django's own admin is a superuser-only tool, outside the user interface.
EXCLUDED_NAMESPACES = {"admin"}


def _names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            if namespace in EXCLUDED_NAMESPACES:
                continue
            names |= _names(pattern, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_url_pattern_has_an_authorization_decision() -> None:
    covered = {entry.name for entry in all_entries()}
    missing = sorted(_names(get_resolver()) - covered)
    assert not missing, f"URL names without a truth-table entry: {missing}"


def test_the_truth_table_names_only_existing_urls() -> None:
    stale = sorted({entry.name for entry in all_entries()} - _names(get_resolver()))
    assert not stale, f"truth-table entries for URLs that do not exist: {stale}"
