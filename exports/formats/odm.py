"""CDISC ODM 1.3.2: one XML file, metadata from the dictionary, clinical data from the same
streamed rows as every other format (ADR 0019).

Written with `lxml.etree.xmlfile`: the metadata definitions one element at a time, then
one SubjectData per participant, written as text (most of the file: building it element by
element was most of the export's time, ADR 0036). Rows of all participant-ordered datasets are
merged by participant (each dataset is ordered by site and participant code), so only one
participant's rows are held at a time. The screening log and the allocation table are
keyed by screening number / read in their own order, so their rows are held per export
(one row per screened patient / participant). Audit records are not part of the file.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import groupby
from pathlib import Path
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from lxml import etree

from exports import dictionary as d
from exports.datasets import Dataset
from platinium.lib.study_time import STUDY_TIME_ZONE

FILE_NAME = "platinium-odm.xml"
NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STUDY_OID = "ST.PLATINIUM"
MDV_OID = "MDV.PLATINIUM.1"
LANGUAGES = ("fr", "en")

# dictionary type → ODM DataType (booleans are their code list values 1/0).
DATA_TYPES = {
    d.STRING: "text",
    d.INTEGER: "integer",
    d.DECIMAL: "float",
    d.BOOLEAN: "integer",
    d.DATE: "date",
    d.DATETIME: "datetime",
    d.TIME: "time",
    d.LIST: "text",  # values joined with "|" as in the other formats
}

# Study events, in protocol order (protocol.md §4): OID, name, repeating, type.
EVENTS: tuple[tuple[str, Any, bool, str], ...] = (
    ("SE.SCREENING", _("Screening"), False, "Scheduled"),
    ("SE.BASELINE", _("Baseline"), False, "Scheduled"),
    ("SE.INJ", _("Study drug injection"), True, "Scheduled"),
    ("SE.DAY", _("Daily ICU follow-up"), True, "Scheduled"),
    ("SE.D10", _("Day 10 biology"), False, "Scheduled"),
    ("SE.FU_D30", _("Day 30 follow-up"), False, "Scheduled"),
    ("SE.FU_D60", _("Day 60 follow-up"), False, "Scheduled"),
    ("SE.FU_D90", _("Day 90 follow-up"), False, "Scheduled"),
    ("SE.COURSE", _("Hospital course and events"), False, "Common"),
    ("SE.DERIVED", _("Derived outcomes"), False, "Common"),
)
EVENT_ORDER = {oid: index for index, (oid, *_rest) in enumerate(EVENTS)}
FOLLOW_UPS = ("SE.FU_D30", "SE.FU_D60", "SE.FU_D90")
FORM_EVENTS = {
    "SCREENING": ("SE.SCREENING",),
    "BASELINE": ("SE.BASELINE",),
    "INJ": ("SE.INJ",),
    "DAILY": ("SE.DAY",),
    "D10_BIOLOGY": ("SE.D10",),
    "FU": FOLLOW_UPS,
    "OUTCOMES": ("SE.DERIVED",),
    "ALLOCATION": ("SE.DERIVED",),
}
# Characters XML 1.0 cannot carry (free text pasted from elsewhere).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def events_of(spec: d.DatasetSpec) -> tuple[str, ...]:
    return FORM_EVENTS.get(spec.form, ("SE.COURSE",))


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _el(tag: str, parent: etree._Element | None = None, **attrib: str) -> etree._Element:
    if parent is None:
        return etree.Element(_q(tag), attrib, nsmap={None: NS})
    return etree.SubElement(parent, _q(tag), attrib)


def _translated(parent: etree._Element, tag: str, label: Any) -> etree._Element:
    holder = _el(tag, parent)
    for language in LANGUAGES:
        with translation.override(language):
            _el("TranslatedText", holder, **{XML_LANG: language}).text = _clean(str(label))
    return holder


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def odm_value(value: Any) -> str | None:
    """A row value in ODM's formats (ISO 8601, 1/0 for booleans); None or "": no ItemData."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(STUDY_TIME_ZONE).isoformat(timespec="seconds")
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return "|".join(str(odm_value(item)) for item in value)
    return _clean(str(value))


def _item_oid(spec: d.DatasetSpec, variable: d.Variable) -> str:
    return f"IT.{spec.name}.{variable.name}"


class _Metadata:
    """Code lists and units shared between variables, numbered in order of first use."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.units: dict[str, str] = {}
        self.code_lists: dict[tuple, tuple[str, str]] = {}
        for dataset in datasets:
            for variable in dataset.columns:
                if variable.unit and not variable.unit.startswith("→"):
                    self.units.setdefault(variable.unit, f"MU.{len(self.units) + 1}")
                key = self.code_list_key(variable)
                if key and key not in self.code_lists:
                    oid = f"CL.{len(self.code_lists) + 1}"
                    self.code_lists[key] = (oid, variable.name)

    @staticmethod
    def code_list_key(variable: d.Variable) -> tuple | None:
        if not variable.choices or variable.type == d.LIST:
            return None
        fr, en = variable.choice_labels("fr"), variable.choice_labels("en")
        return (
            DATA_TYPES[variable.type],
            tuple((str(c.value), fr[c.value], en[c.value]) for c in variable.choices),
        )


def _study_start(xf: Any, meta: _Metadata) -> None:
    variables = _el("GlobalVariables")
    _el("StudyName", variables).text = "PLATINIUM"
    with translation.override("en"):
        _el("StudyDescription", variables).text = str(
            _("Interferon gamma versus placebo in ICU patients (triple-blind)")
        )
    _el("ProtocolName", variables).text = "PLATINIUM"
    xf.write(variables)
    definitions = _el("BasicDefinitions")
    for unit, oid in meta.units.items():
        measurement = _el("MeasurementUnit", definitions, OID=oid, Name=unit)
        symbol = _el("Symbol", measurement)
        for language in LANGUAGES:
            _el("TranslatedText", symbol, **{XML_LANG: language}).text = unit
    xf.write(definitions)


def _metadata(xf: Any, datasets: Sequence[Dataset], meta: _Metadata) -> None:
    protocol = _el("Protocol")
    for oid, *_rest in EVENTS:
        _el("StudyEventRef", protocol, StudyEventOID=oid, Mandatory="No")
    xf.write(protocol)
    for oid, name, repeating, kind in EVENTS:
        with translation.override("en"):  # names are identifiers; both languages follow
            name_en = str(name)
        event = _el("StudyEventDef", OID=oid, Name=name_en, Repeating=_yes(repeating), Type=kind)
        _translated(event, "Description", name)
        for dataset in datasets:
            if oid in events_of(dataset.spec):
                _el("FormRef", event, FormOID=f"F.{dataset.spec.name}", Mandatory="No")
        xf.write(event)
    for dataset in datasets:
        spec = dataset.spec
        form = _el("FormDef", OID=f"F.{spec.name}", Name=spec.name, Repeating="No")
        _translated(form, "Description", spec.label)
        _el("ItemGroupRef", form, ItemGroupOID=f"IG.{spec.name}", Mandatory="No")
        xf.write(form)
    for dataset in datasets:
        spec = dataset.spec
        group = _el(
            "ItemGroupDef",
            OID=f"IG.{spec.name}",
            Name=spec.name,
            Repeating="Yes",
            SASDatasetName=spec.sas_name,
        )
        _translated(group, "Description", spec.label)
        for number, variable in enumerate(dataset.columns, start=1):
            _el(
                "ItemRef",
                group,
                ItemOID=_item_oid(spec, variable),
                OrderNumber=str(number),
                Mandatory="No",
            )
        xf.write(group)
    for dataset in datasets:
        for variable in dataset.columns:
            xf.write(_item_def(dataset.spec, variable, meta))
    for key, (oid, name) in meta.code_lists.items():
        data_type, items = key
        code_list = _el("CodeList", OID=oid, Name=name, DataType=data_type)
        for value, fr, en in items:
            decode = _el("Decode", _el("CodeListItem", code_list, CodedValue=value))
            _el("TranslatedText", decode, **{XML_LANG: "fr"}).text = _clean(fr)
            _el("TranslatedText", decode, **{XML_LANG: "en"}).text = _clean(en)
        xf.write(code_list)


def _item_def(spec: d.DatasetSpec, variable: d.Variable, meta: _Metadata) -> etree._Element:
    attrib = {
        "OID": _item_oid(spec, variable),
        "Name": variable.name,
        "DataType": DATA_TYPES[variable.type],
    }
    key = meta.code_list_key(variable)
    if key and key[0] == "text":
        # Coded text: as long as its longest code.
        attrib["Length"] = str(max(len(value) for value, _fr, _en in key[1]))
    if variable.sas_name:
        attrib["SASFieldName"] = variable.sas_name
    item = _el("ItemDef", **attrib)
    _translated(item, "Question", variable.label)
    if variable.unit in meta.units:
        _el("MeasurementUnitRef", item, MeasurementUnitOID=meta.units[variable.unit])
    if key:
        _el("CodeListRef", item, CodeListOID=meta.code_lists[key][0])
    return item


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


# --- clinical data ---------------------------------------------------------------------


class _Row:
    """One dataset row on its way to an ItemGroupData."""

    __slots__ = ("dataset", "order", "values")

    def __init__(self, dataset: Dataset, order: int, values: list[Any]) -> None:
        self.dataset, self.order, self.values = dataset, order, values

    def get(self, name: str) -> Any:
        index = self.dataset.positions.get(name)
        return None if index is None else self.values[index]


def _sorted_stream(index: int, dataset: Dataset) -> Iterator[tuple[tuple[str, str], int, _Row]]:
    """The rows of a participant-ordered dataset keyed by (site, participant); a stream
    out of that order would split a subject in two: refused rather than written."""
    last: tuple[str, str] | None = None
    for values in dataset.rows():
        row = _Row(dataset, index, values)
        key = (str(row.get("site") or ""), str(row.get("participant") or ""))
        if last is not None and key < last:
            raise RuntimeError(f"{dataset.spec.name}: rows not ordered by site and participant")
        last = key
        yield key, index, row


# Datasets read in their own order (not by participant): held whole, one row per patient.
HELD = frozenset({"screening", "allocation"})


def _subjects(datasets: Sequence[Dataset]) -> Iterator[tuple[str, list[_Row]]]:
    """(subject key, rows) per participant, then per screened patient never enrolled."""
    held: dict[str, list[_Row]] = {}
    not_enrolled: list[_Row] = []
    streams = []
    for index, dataset in enumerate(datasets):
        if dataset.spec.name in HELD:
            for values in dataset.rows():
                row = _Row(dataset, index, values)
                if row.get("participant"):
                    held.setdefault(row.get("participant"), []).append(row)
                else:
                    not_enrolled.append(row)
        else:
            streams.append(_sorted_stream(index, dataset))
    merged = heapq.merge(*streams, key=lambda item: (item[0], item[1]))
    for (_site, participant), items in groupby(merged, key=lambda item: item[0]):
        yield participant, [*held.pop(participant, []), *(row for _k, _i, row in items)]
    # Screened (or allocated) participants with no CRF row in the other datasets.
    for participant in sorted(held):
        yield participant, held[participant]
    for row in not_enrolled:
        yield str(row.get("screening_number")), [row]


def _event_of(row: _Row, parents: dict[tuple[str, Any], tuple[str, str]]) -> tuple[str, str]:
    """(study event OID, repeat key or "") of a row."""
    spec = row.dataset.spec
    visit = str(row.get("visit") or "")
    if spec.form == "DAILY" and visit.startswith("D"):
        return "SE.DAY", visit[1:]
    if spec.form == "INJ" and visit.startswith("INJ"):
        return "SE.INJ", visit[3:]
    if spec.form == "FU" and f"SE.{visit}" in FOLLOW_UPS:
        return f"SE.{visit}", ""
    if spec.name in d.CHILD_FORMS:
        parent = d.CHILD_FORMS[spec.name][1]
        return parents.get((spec.form, row.get(f"{parent}_id")), ("SE.COURSE", ""))
    return events_of(spec)[0], ""


def _repeat_key(row: _Row) -> str:
    """The dataset's key columns joined ("daily.12.map_mmhg" for a change), or 1 for a
    dataset of one row per participant."""
    values = [row.get(name) for name in row.dataset.spec.key]
    if values and all(value is not None for value in values):
        return ".".join(str(value) for value in values)
    return "1"


# Clinical data is most of the file (one ItemData per value, 300,000 audit-trail groups at
# 326 participants): each SubjectData is written as text, not built as lxml elements one
# by one (ADR 0036). Attribute values are escaped as lxml escapes them: the markup
# characters, and the white space an XML parser would otherwise normalise to spaces.
_ATTRIBUTE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def _attr(text: str) -> str:
    """An attribute value: characters XML cannot carry dropped, the others escaped."""
    return _clean(text).translate(_ATTRIBUTE)


class _Openers:
    """Per dataset, the start of each variable's ItemData and of its ItemGroupData."""

    def __init__(self) -> None:
        self._items: dict[int, list[str]] = {}

    def items(self, dataset: Dataset) -> list[str]:
        found = self._items.get(id(dataset))
        if found is None:
            spec = dataset.spec
            found = [
                f'<ItemData ItemOID="{_attr(_item_oid(spec, variable))}" Value="'
                for variable in dataset.columns
            ]
            self._items[id(dataset)] = found
        return found


def _placed(rows: list[_Row]) -> list[tuple[tuple[str, str], _Row]]:
    """The rows with their (study event, repeat key), in the file's order."""
    parents: dict[tuple[str, Any], tuple[str, str]] = {}
    placed = []
    for row in rows:
        if row.dataset.spec.name not in d.CHILD_FORMS:
            event = _event_of(row, parents)
            parents[(row.dataset.spec.form, row.get("record_id"))] = event
            placed.append((event, row))
    placed += [(_event_of(r, parents), r) for r in rows if r.dataset.spec.name in d.CHILD_FORMS]

    def order(item: tuple[tuple[str, str], _Row]) -> tuple:
        (event, repeat), row = item
        number = int(repeat) if repeat.isdigit() else 0
        return EVENT_ORDER[event], number, repeat, row.order

    return sorted(placed, key=order)


def _subject_xml(key: str, rows: list[_Row], openers: _Openers) -> str:
    """One SubjectData element, as text (in the file's default namespace)."""
    out = [f'<SubjectData SubjectKey="{_attr(key)}">']
    for (event, repeat), event_rows in groupby(_placed(rows), key=lambda i: i[0]):
        repeat_key = f' StudyEventRepeatKey="{_attr(repeat)}"' if repeat else ""
        out.append(f'<StudyEventData StudyEventOID="{event}"{repeat_key}>')
        for _order, form_group in groupby(event_rows, key=lambda i: i[1].order):
            form_rows = list(form_group)
            dataset = form_rows[0][1].dataset
            name = _attr(dataset.spec.name)
            items = openers.items(dataset)
            out.append(f'<FormData FormOID="F.{name}">')
            for _event, row in form_rows:
                out.append(
                    f'<ItemGroupData ItemGroupOID="IG.{name}" '
                    f'ItemGroupRepeatKey="{_attr(_repeat_key(row))}">'
                )
                for opener, value in zip(items, row.values, strict=True):
                    text = odm_value(value)
                    # Empty text is no data, as None: no ItemData (ODM has no empty value).
                    # odm_value has dropped the characters XML cannot carry already.
                    if text:
                        out.append(f'{opener}{text.translate(_ATTRIBUTE)}"/>')
                out.append("</ItemGroupData>")
            out.append("</FormData>")
        out.append("</StudyEventData>")
    out.append("</SubjectData>")
    return "".join(out)


def write(datasets: Sequence[Dataset], out_dir: Path, language: str) -> list[Path]:
    """Both languages are in the file (TranslatedText fr and en): `language` is unused."""
    path = out_dir / FILE_NAME
    meta = _Metadata(datasets)
    # The export's clock: the same data exported at the same instant give the same bytes.
    now = timezone.now().astimezone(STUDY_TIME_ZONE)
    try:
        _write(path, datasets, meta, now)
    except BaseException:
        # No half-written file left behind (the service only knows files once written).
        path.unlink(missing_ok=True)
        raise
    return [path]


def _write(path: Path, datasets: Sequence[Dataset], meta: _Metadata, now: datetime) -> None:
    with path.open("wb") as out, etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        root = {
            "FileType": "Snapshot",
            "FileOID": f"PLATINIUM.{now:%Y%m%dT%H%M%S}",
            "CreationDateTime": now.isoformat(timespec="seconds"),
            "ODMVersion": "1.3.2",
            "Originator": "PLATINIUM EDC",
            "Granularity": "All",
        }
        with xf.element(_q("ODM"), root, nsmap={None: NS}):
            with xf.element(_q("Study"), OID=STUDY_OID):
                _study_start(xf, meta)
                with xf.element(_q("MetaDataVersion"), OID=MDV_OID, Name="PLATINIUM 1"):
                    _metadata(xf, datasets, meta)
            with xf.element(_q("ClinicalData"), StudyOID=STUDY_OID, MetaDataVersionOID=MDV_OID):
                # The start tag reaches the file before the subjects written beside lxml.
                xf.flush()
                openers = _Openers()
                for key, rows in _subjects(datasets):
                    out.write(_subject_xml(key, rows, openers).encode("utf-8"))
