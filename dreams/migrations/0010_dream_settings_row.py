"""The dream settings' one row exists from the first migration on, so reading the settings
never writes (DreamSettings.load is a plain get)."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create_row(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    dream_settings = apps.get_model("dreams", "DreamSettings")
    dream_settings.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("dreams", "0009_holder_help"),
    ]

    operations = [
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
