"""Audit triggers that no session setting can switch off (docs/decisions/0002-audit-trail.md).

A trigger compiled by django-pgtrigger starts with `IF _pgtrigger_should_ignore(TG_NAME)`,
which reads the `pgtrigger.ignore` setting. Any role may `SET` that setting, so the
application's own database role could skip the append-only refusal or the pghistory
capture. The classes here compile the same triggers WITHOUT that check. They stay ordinary
pgtrigger triggers (migrations, hashes, `manage.py pgtrigger install` all re-create exactly
this SQL), so a later migration cannot bring the ignore path back.
"""

from __future__ import annotations

from typing import Any

import pghistory
import pghistory.trigger
import pgtrigger
from pgtrigger import compiler

# Postgres refuses these with this SQLSTATE (insufficient_privilege) so that callers see
# a permission problem, not a data error.
REFUSAL = (
    "RAISE EXCEPTION 'audit trail is append-only: % refused on %', TG_OP, TG_TABLE_NAME"
    " USING ERRCODE = '42501';"
)


class StrictTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's installation SQL minus the `pgtrigger.ignore` escape hatch.

    Migrations reference this class: never change the template; add a new class instead.
    """

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class NotIgnorable:
    """Mixin for a pgtrigger Trigger: compile it with `StrictTriggerSql`."""

    def compile(self, model: Any) -> compiler.Trigger:
        compiled = super().compile(model)  # type: ignore[misc]
        kwargs = {k: v for k, v in compiled.sql.kwargs.items() if k != "ignore_func_name"}
        return compiler.Trigger(name=compiled.name, sql=StrictTriggerSql(**kwargs))


class AppendOnly(NotIgnorable, pgtrigger.Trigger):
    """Refuses UPDATE and DELETE of any row."""

    when = pgtrigger.Before
    operation = pgtrigger.Update | pgtrigger.Delete
    func = REFUSAL


class RefuseTruncate(NotIgnorable, pgtrigger.Trigger):
    """Refuses TRUNCATE (which fires no row trigger, hence a statement-level one)."""

    when = pgtrigger.Before
    operation = pgtrigger.Truncate
    level = pgtrigger.Statement
    func = REFUSAL


def append_only_triggers() -> list[pgtrigger.Trigger]:
    return [AppendOnly(name="append_only"), RefuseTruncate(name="refuse_truncate")]


class CaptureEvent(NotIgnorable, pghistory.trigger.Event):
    """pghistory's capture trigger (copies the row into its event table), not ignorable."""


class _NotIgnorableRowEvent:
    def add_event_trigger(self, event_model: Any) -> None:
        pgtrigger.register(
            CaptureEvent(
                event_model=event_model,
                label=self.label,  # type: ignore[attr-defined]
                name=self.trigger_name,  # type: ignore[attr-defined]
                row=self.row,  # type: ignore[attr-defined]
                operation=self.operation,  # type: ignore[attr-defined]
                condition=self.condition,  # type: ignore[attr-defined]
                level=self.level,  # type: ignore[attr-defined]
            )
        )(event_model.pgh_tracked_model)


class InsertEvent(_NotIgnorableRowEvent, pghistory.InsertEvent):
    pass


class UpdateEvent(_NotIgnorableRowEvent, pghistory.UpdateEvent):
    pass


class DeleteEvent(_NotIgnorableRowEvent, pghistory.DeleteEvent):
    pass
