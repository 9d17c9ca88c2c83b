"""A version token per cached table, changed by triggers on every write (see TableVersion)."""

from django.db import migrations, models

# Tables whose writes change their token.
VERSIONED = ["org_person"]


def _postgresql(table: str) -> tuple[list[str], list[str]]:
    function = f"{table}_touched"
    create = [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO org_tableversion ("table", token)
            VALUES ('{table}', (random() * 9.2e18)::bigint)
            ON CONFLICT ("table") DO UPDATE SET token = EXCLUDED.token;
            RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER {function} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]
    drop = [f"DROP TRIGGER IF EXISTS {function} ON {table}", f"DROP FUNCTION IF EXISTS {function}()"]
    return create, drop


def _sqlite(table: str) -> tuple[list[str], list[str]]:
    # SQLite has row triggers only: one per kind of write, each a tiny upsert.
    create = [
        f"""CREATE TRIGGER {table}_{event.lower()}_touched AFTER {event} ON {table}
        BEGIN
            INSERT OR REPLACE INTO org_tableversion ("table", token) VALUES ('{table}', random());
        END"""
        for event in ("INSERT", "UPDATE", "DELETE")
    ]
    drop = [
        f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_touched"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]
    return create, drop


def _statements(vendor: str, *, create: bool) -> list[str]:
    out: list[str] = []
    for table in VERSIONED:
        if vendor == "postgresql":
            made, dropped = _postgresql(table)
        elif vendor == "sqlite":
            made, dropped = _sqlite(table)
        else:
            raise NotImplementedError(f"no version triggers for {vendor}")
        out += made if create else dropped
    return out


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in _statements(vendor, create=True):
        schema_editor.execute(sql)
    # A first token, so that caches work before the table's next write.
    token = "(random() * 9.2e18)::bigint" if vendor == "postgresql" else "random()"
    for table in VERSIONED:
        schema_editor.execute(
            f"INSERT INTO org_tableversion (\"table\", token) VALUES ('{table}', {token})"
        )


def triggers_drop(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="TableVersion",
            fields=[
                ("table", models.CharField(max_length=63, primary_key=True, serialize=False)),
                ("token", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
