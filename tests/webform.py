"""What a browser would submit: parse the rendered HTML and build a form's data set.

Tests that post hand-built dictionaries miss what the page really sends (a select whose
saved value matches no option, a checkbox the template forgot). These helpers follow the
HTML form-submission rules closely enough for our pages:

- a control belongs to its `form="…"` attribute's form, else to its nearest ancestor form;
- disabled controls (and controls inside a disabled fieldset) are not sent;
- checkboxes and radios are sent only when checked (value defaults to "on");
- a single select sends its selected option, else its first enabled option; a multiple
  select sends every selected option; an option's value defaults to its text;
- buttons are sent only when they are the submitter.

`submit(client, url, …)` GETs the page, takes the form, applies `changes` as a user would
type them, and POSTs it to the form's action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

SKIPPED_INPUTS = frozenset({"submit", "button", "reset", "image", "file"})


@dataclass
class Control:
    tag: str
    attrs: dict[str, str | None]
    form_id: str | None  # explicit form="" attribute
    ancestor_form: int | None  # index of the enclosing <form>
    disabled: bool
    options: list[tuple[str, bool, bool]] = field(default_factory=list)  # value, selected, dis.
    text: str = ""

    @property
    def name(self) -> str:
        return self.attrs.get("name") or ""

    @property
    def type(self) -> str:
        return (self.attrs.get("type") or "text").lower() if self.tag == "input" else self.tag


@dataclass
class HtmlForm:
    """One form of a page: its action, method and controls in tree order."""

    index: int
    attrs: dict[str, str | None]
    controls: list[Control] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.attrs.get("id") or ""

    @property
    def action(self) -> str:
        return self.attrs.get("action") or ""

    @property
    def method(self) -> str:
        return (self.attrs.get("method") or "get").lower()

    def names(self) -> set[str]:
        return {c.name for c in self.controls if c.name}

    def entries(self, submitter: str | None = None) -> list[tuple[str, str]]:
        """The form data set a browser builds (names and values, in tree order)."""
        out: list[tuple[str, str]] = []
        for c in self.controls:
            if not c.name or c.disabled:
                continue
            kind = c.type
            if c.tag == "button" or kind in SKIPPED_INPUTS:
                if submitter is not None and c.name == submitter:
                    out.append((c.name, c.attrs.get("value") or ""))
                continue
            if kind in {"checkbox", "radio"}:
                if "checked" in c.attrs:
                    out.append((c.name, c.attrs.get("value") or "on"))
            elif c.tag == "select":
                out.extend((c.name, v) for v in _select_values(c))
            elif c.tag == "textarea":
                out.append((c.name, c.text))
            else:
                out.append((c.name, c.attrs.get("value") or ""))
        return out

    def data(self, submitter: str | None = None) -> dict[str, Any]:
        """The data set as the Django test client takes it (lists for repeated names)."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.entries(submitter):
            grouped.setdefault(name, []).append(value)
        return {k: v[0] if len(v) == 1 else v for k, v in grouped.items()}

    def choices(self) -> dict[str, list[str]]:
        """Every value a user could pick per name: select options, radios, checkboxes."""
        out: dict[str, list[str]] = {}
        for c in self.controls:
            if not c.name or c.disabled:
                continue
            if c.tag == "select":
                out.setdefault(c.name, []).extend(v for v, _s, dis in c.options if not dis)
            elif c.type in {"checkbox", "radio"}:
                out.setdefault(c.name, []).append(c.attrs.get("value") or "on")
        return out


def _select_values(c: Control) -> list[str]:
    enabled = [(v, s) for v, s, dis in c.options if not dis]
    if "multiple" in c.attrs:
        return [v for v, s in enabled if s]
    selected = [v for v, s, _d in c.options if s]
    if selected:
        return [selected[-1]]
    return [enabled[0][0]] if enabled else []


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self.controls: list[Control] = []
        self._form_stack: list[int] = []
        self._disabled_fieldsets = 0
        self._fieldset_stack: list[bool] = []
        self._select: Control | None = None
        self._option: list[Any] | None = None  # [value or None, selected, disabled, text]
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        if tag == "form":
            self.forms.append(HtmlForm(index=len(self.forms), attrs=attrs))
            self._form_stack.append(len(self.forms) - 1)
        elif tag == "fieldset":
            disabled = "disabled" in attrs
            self._fieldset_stack.append(disabled)
            self._disabled_fieldsets += disabled
        elif tag in {"input", "select", "textarea", "button"}:
            control = Control(
                tag=tag,
                attrs=attrs,
                form_id=attrs.get("form"),
                ancestor_form=self._form_stack[-1] if self._form_stack else None,
                disabled="disabled" in attrs or self._disabled_fieldsets > 0,
            )
            self.controls.append(control)
            if tag == "select":
                self._select = control
            elif tag == "textarea":
                self._textarea = control
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = [attrs.get("value"), "selected" in attrs, "disabled" in attrs, ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form_stack:
            self._form_stack.pop()
        elif tag == "fieldset" and self._fieldset_stack:
            self._disabled_fieldsets -= self._fieldset_stack.pop()
        elif tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_option()
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser drops one newline right after <textarea>.
            text = self._textarea.text
            self._textarea.text = text[1:] if text.startswith("\n") else text
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[3] += data
        elif self._textarea is not None:
            self._textarea.text += data

    def _close_option(self) -> None:
        if self._option is not None and self._select is not None:
            value, selected, disabled, text = self._option
            if value is None:
                value = " ".join(text.split())
            self._select.options.append((value, selected, disabled))
        self._option = None


def forms_in(html: str | bytes) -> list[HtmlForm]:
    """Every form of a page with its associated controls."""
    parser = _Parser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    parser.close()
    by_id = {f.id: f for f in parser.forms if f.id}
    for control in parser.controls:
        if control.form_id is not None:
            owner = by_id.get(control.form_id)
        elif control.ancestor_form is not None:
            owner = parser.forms[control.ancestor_form]
        else:
            owner = None
        if owner is not None:
            owner.controls.append(control)
    return parser.forms


def form_in(
    html: str | bytes, *, form_id: str | None = None, containing: str | None = None
) -> HtmlForm:
    """The form with this id, or the first POST form that has a control named `containing`,
    or the first POST form of the page."""
    forms = forms_in(html)
    if form_id is not None:
        matches = [f for f in forms if f.id == form_id]
    elif containing is not None:
        matches = [f for f in forms if containing in f.names()]
    else:
        matches = [f for f in forms if f.method == "post"]
    if not matches:
        raise LookupError(f"no form (id={form_id!r}, containing={containing!r}) on the page")
    return matches[0]


def apply(data: dict[str, Any], changes: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
    """Set values as a user would (None removes the name: an unticked box)."""
    items = changes.items() if isinstance(changes, Mapping) else changes
    for name, value in items:
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value


def submit(
    client: Any,
    url: str,
    *,
    form_id: str | None = None,
    containing: str | None = None,
    changes: Mapping[str, Any] | None = None,
    submitter: str | None = None,
    **extra: Any,
) -> Any:
    """GET `url`, fill the chosen form as the page rendered it, apply `changes`, POST it."""
    page = client.get(url)
    if page.status_code != 200:
        raise AssertionError(f"GET {url} answered {page.status_code}")
    form = form_in(page.content, form_id=form_id, containing=containing)
    data = form.data(submitter)
    apply(data, changes or {})
    target = urljoin(url, form.action) if form.action else url
    return client.post(target, data, **extra)
