# The database lock moves to participants.Lock (level "database"), the one lock record that
# day-10 visibility, the statistician's unblinding and the PostgreSQL guard read
# (docs/decisions/0012-locks.md). Existing rows are copied before the table is dropped.

from django.db import migrations


def copy_database_locks(apps, schema_editor):
    DatabaseLock = apps.get_model("randomization", "DatabaseLock")
    Lock = apps.get_model("participants", "Lock")
    old = list(DatabaseLock.objects.order_by("locked_at", "id"))
    for index, row in enumerate(old):
        later = old[index + 1] if index + 1 < len(old) else None
        Lock.objects.create(
            level="database",
            locked_at=row.locked_at,
            locked_by_id=row.locked_by_id,
            reason=row.reason or "Database lock recorded before the lock history.",
            # The old table could only add locks: a lock recorded again superseded the
            # previous one, which is kept as lifted at that moment.
            unlocked_at=later.locked_at if later else None,
            unlocked_by_id=later.locked_by_id if later else None,
            unlock_reason="Superseded by a later database lock." if later else "",
        )


class Migration(migrations.Migration):

    dependencies = [
        ("randomization", "0001_initial"),
        ("participants", "0002_lock_history"),
    ]

    operations = [
        migrations.RunPython(copy_database_locks, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="DatabaseLock",
        ),
    ]
