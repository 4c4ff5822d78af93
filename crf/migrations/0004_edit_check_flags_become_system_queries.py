"""Each soft edit-check flag becomes a system query (docs/decisions/0013-data-queries.md):
an open flag an open query, a closed flag a query closed automatically, with its thread."""

from django.db import migrations


def flags_to_queries(apps, schema_editor):
    flag_model = apps.get_model("crf", "EditCheckFlag")
    query_model = apps.get_model("crf", "DataQuery")
    message_model = apps.get_model("crf", "QueryMessage")
    for flag in flag_model.objects.order_by("id").iterator():
        row_model = apps.get_model(*flag.model_label.split("."))
        row = row_model.objects.filter(pk=flag.object_id).first()
        value = getattr(row, flag.field, None) if row is not None else None
        query = query_model.objects.create(
            participant_id=flag.participant_id,
            model_label=flag.model_label,
            object_id=flag.object_id,
            day=getattr(row, "day_date", None),
            field=flag.field,
            value_when_raised="" if value is None else str(value),
            origin="system",
            status="closed" if flag.closed_at else "open",
            text=flag.message,
            msgid=flag.msgid,
            params=flag.params,
            raised_by_id=flag.created_by_id,
            closed_at=flag.closed_at,
            raised_at=flag.created_at,
        )
        message_model.objects.create(
            query=query,
            kind="raised",
            text=flag.message,
            by_id=flag.created_by_id,
            at=flag.created_at,
        )
        if flag.closed_at:
            message_model.objects.create(query=query, kind="auto_closed", at=flag.closed_at)


class Migration(migrations.Migration):
    dependencies = [("crf", "0003_data_queries")]

    operations = [migrations.RunPython(flags_to_queries, migrations.RunPython.noop)]
