"""The lost-write check: every save the server acknowledged to a load user is in the
database with the value sent, and has its audit trail (the AuditEvent the service wrote in
the same transaction, and the pghistory row where the model is tracked).

Reads the database directly (psycopg2, plain SQL): the check must not trust the code it
checks. Returns one line per problem; an empty list is "0 lost writes".
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import psycopg2

Ack = dict[str, Any]


def lost_writes(acks: Iterable[Ack], database_url: str) -> list[str]:
    acks = list(acks)
    problems: list[str] = []
    connection = psycopg2.connect(database_url)
    try:
        with connection.cursor() as cursor:
            latest = _latest_daily_versions(acks)
            for ack in acks:
                check = CHECKS.get(ack["kind"])
                if check is not None:
                    problems += [f"{ack['kind']} {_short(ack)}: {p}" for p in check(cursor, ack)]
                    if ack["kind"] == "daily":
                        problems += [
                            f"daily {_short(ack)}: {p}" for p in _daily_current(cursor, ack, latest)
                        ]
    finally:
        connection.close()
    return problems


def _short(ack: Ack) -> str:
    return ", ".join(f"{k}={v}" for k, v in ack.items() if k not in {"kind", "at"})


def _one(cursor: Any, sql: str, params: list[Any]) -> Any:
    cursor.execute(sql, params)
    return cursor.fetchone()


def _audited(
    cursor: Any, target_type: str, target_id: Any, action: str, reason: str | None
) -> bool:
    sql = (
        "SELECT 1 FROM audit_auditevent "
        "WHERE target_type = %s AND target_id = %s AND action LIKE %s"
    )
    params: list[Any] = [target_type, str(target_id), action]
    if reason is not None:
        sql += " AND reason = %s"
        params.append(reason)
    return _one(cursor, sql, params) is not None


def _daily_row(cursor: Any, ack: Ack) -> Any:
    return _one(
        cursor,
        "SELECT d.id, d.version, d.temperature_max_c FROM crf_dailyfollowup d "
        "JOIN participants_participant p ON p.id = d.participant_id "
        "WHERE p.code = %s AND d.day_date = %s AND d.status <> 'entered_in_error'",
        [ack["code"], ack["day"]],
    )


def _daily(cursor: Any, ack: Ack) -> list[str]:
    row = _daily_row(cursor, ack)
    if row is None:
        return ["no such daily form in the database"]
    problems = []
    value = Decimal(ack["value"])
    if (
        _one(
            cursor,
            "SELECT 1 FROM crf_dailyfollowupevent WHERE id = %s AND version = %s "
            "AND temperature_max_c = %s",
            [row[0], ack["version"], value],
        )
        is None
    ):
        problems.append(f"version {ack['version']} with {value} °C never stored (history)")
    if not _audited(cursor, "crf.dailyfollowup", row[0], "crf.dailyfollowup.%", ack["reason"]):
        problems.append("no audit event with this reason")
    return problems


def _latest_daily_versions(acks: list[Ack]) -> dict[tuple[str, str], Ack]:
    latest: dict[tuple[str, str], Ack] = {}
    for ack in acks:
        if ack["kind"] == "daily":
            key = (ack["code"], ack["day"])
            if key not in latest or ack["version"] > latest[key]["version"]:
                latest[key] = ack
    return latest


def _daily_current(cursor: Any, ack: Ack, latest: dict[tuple[str, str], Ack]) -> list[str]:
    """The stored row is at least the acknowledged version; the last acknowledged save of
    a row holds its value unless someone saved after it."""
    row = _daily_row(cursor, ack)
    if row is None:
        return []
    _pk, version, stored = row
    if version < ack["version"]:
        return [f"stored version {version} is older than the acknowledged {ack['version']}"]
    last = latest[(ack["code"], ack["day"])] is ack
    if last and version == ack["version"] and stored != Decimal(ack["value"]):
        return [f"stored {stored} °C, acknowledged {ack['value']} °C"]
    return []


def _screening(cursor: Any, ack: Ack) -> list[str]:
    row = _one(cursor, "SELECT age FROM eligibility_screening WHERE id = %s", [ack["pk"]])
    if row is None:
        return ["no such screening in the database"]
    problems = [] if row[0] == ack["age"] else [f"stored age {row[0]}, acknowledged {ack['age']}"]
    if not _audited(cursor, "eligibility.screening", ack["pk"], "eligibility.screening_%", None):
        problems.append("no audit event")
    return problems


def _answer(cursor: Any, ack: Ack) -> list[str]:
    problems = []
    message = _one(
        cursor,
        "SELECT 1 FROM crf_querymessage WHERE query_id = %s AND kind = 'answered' AND text = %s",
        [ack["query"], ack["text"]],
    )
    if message is None:
        problems.append("answer not in the query's messages")
    if not _audited(cursor, "crf.dataquery", ack["query"], "query.answered", ack["text"]):
        problems.append("no audit event with this answer")
    return problems


def _raise(cursor: Any, ack: Ack) -> list[str]:
    row = _one(cursor, "SELECT object_id, text FROM crf_dataquery WHERE id = %s", [ack["query"]])
    if row is None:
        return ["no such query in the database"]
    problems = [] if row == (ack["row"], ack["text"]) else [f"stored {row}"]
    if not _audited(cursor, "crf.dataquery", ack["query"], "query.raised", ack["text"]):
        problems.append("no audit event with this question")
    history = "SELECT 1 FROM crf_dataqueryevent WHERE id = %s AND pgh_label = 'insert'"
    if _one(cursor, history, [ack["query"]]) is None:
        problems.append("no history row")
    return problems


CHECKS = {"daily": _daily, "screening": _screening, "answer": _answer, "raise": _raise}
