"""axe-core in the browser tests (issue #11, ADR 0037).

The vendored copy (tests/browser/vendor/axe-core, pinned, MPL-2.0) is read from the
repository and injected into the page under test; nothing is fetched when the tests run and
the application never serves it. `serious_violations(page)` returns what a test asserts is
empty; `describe(violations)` prints them so a failure says which rule, where and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# WCAG 2.1 A and AA plus axe's best practices; color-contrast (1.4.3, 4.5:1 for normal text)
# covers the navigation bar.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def run_axe(page: Any, *, context: str = "document") -> list[dict[str, Any]]:
    """Every violation axe finds on the page as it is now (all impacts)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Script content, not a URL: evaluated by the DevTools protocol, so the page's
        # Content-Security-Policy (no inline script) neither blocks it nor reports it.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        """async ([context, tags]) => axe.run(
            context === "document" ? document : context,
            {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]},
        )""",
        [context, TAGS],
    )
    return list(result["violations"])


def serious_violations(page: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [v for v in run_axe(page, **kwargs) if v.get("impact") in BLOCKING]


def describe(violations: list[dict[str, Any]], *, url: str = "") -> str:
    """One paragraph per rule: impact, rule id, help text and link, then each element's
    selector and axe's explanation (for contrast: the colours and the ratio)."""
    lines = [f"{len(violations)} serious/critical accessibility violation(s) on {url}"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
            lines.append(f"      {node['html'][:160]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)
