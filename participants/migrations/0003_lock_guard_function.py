# The PL/pgSQL function that refuses writes on locked data (docs/decisions/0012-locks.md).
# The triggers that call it are attached to every clinical table after each migrate
# (participants.lock_guard.install_guards, computed from the models), so tables added later
# get it too. The SQL is frozen here; participants/lock_guard.py keeps the same text and a
# test checks they agree.

from django.db import migrations

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION platinium_refuse_locked_write() RETURNS trigger
LANGUAGE plpgsql AS $guard$
DECLARE
    -- TG_ARGV: 0 form label, 1 column holding the form id, 2 column holding the
    -- participant id ('' when it is read from the parent form), 3 parent form table.
    rows jsonb[];
    r jsonb;
    form_id bigint;
    pid bigint;
    found_level text;
BEGIN
    -- Fast path, the usual case: no lock in force at all.
    IF NOT EXISTS (SELECT 1 FROM participants_lock WHERE unlocked_at IS NULL) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        rows := ARRAY[to_jsonb(NEW)];
    ELSIF TG_OP = 'DELETE' THEN
        rows := ARRAY[to_jsonb(OLD)];
    ELSE
        rows := ARRAY[to_jsonb(OLD), to_jsonb(NEW)];
    END IF;
    FOREACH r IN ARRAY rows LOOP
        form_id := (r ->> TG_ARGV[1])::bigint;
        pid := NULL;
        IF TG_ARGV[2] <> '' THEN
            pid := (r ->> TG_ARGV[2])::bigint;
        ELSIF TG_ARGV[3] <> '' AND form_id IS NOT NULL THEN
            EXECUTE format('SELECT participant_id FROM %I WHERE id = $1', TG_ARGV[3])
                INTO pid USING form_id;
        END IF;
        SELECT l.level INTO found_level
          FROM participants_lock l
         WHERE l.unlocked_at IS NULL
           AND (l.level = 'database'
                OR (l.level = 'casebook' AND l.participant_id = pid)
                OR (l.level = 'form' AND l.model_label = TG_ARGV[0]
                    AND l.object_id = form_id))
         ORDER BY CASE l.level WHEN 'database' THEN 0 WHEN 'casebook' THEN 1 ELSE 2 END
         LIMIT 1;
        IF found_level IS NOT NULL THEN
            RAISE EXCEPTION 'locked: a % lock refuses % on %', found_level, TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'PLK01',
                      HINT = 'Unlock it first (audited, with a reason).';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$guard$;
"""

DROP_FUNCTION_SQL = 'DROP FUNCTION IF EXISTS platinium_refuse_locked_write() CASCADE;'


class Migration(migrations.Migration):

    dependencies = [
        ("participants", "0002_lock_history"),
    ]

    operations = [
        migrations.RunSQL(FUNCTION_SQL, DROP_FUNCTION_SQL),
    ]
