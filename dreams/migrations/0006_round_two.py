"""Round two: text hygiene on the text fields (and a repair of what was stored before it),
the run stages as choices, the lease holders' format, and the dream settings' one row from
the start (so reading the settings never writes)."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

import dreamsite.validators
from dreams.text import scrubbed_data

TEXT_FIELDS = {
    "Session": ["client_name"],
    "MindMoment": ["text", "sigil_phrase", "visual_percepts", "audio_percepts"],
    "Percept": ["payload"],
    "DreamReview": ["title", "narrative", "themes", "threads"],
    "ContinuityThread": ["name", "note"],
}


def repair_stored_text(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Lone surrogates, NUL and control characters become U+FFFD, so no page or API answer
    fails on a row stored before text was checked at every boundary."""
    for model_name, fields in TEXT_FIELDS.items():
        model = apps.get_model("dreams", model_name)
        rows = model.objects.only("pk", *fields).iterator(chunk_size=2000)
        for row in rows:
            changed = {}
            for field in fields:
                value = getattr(row, field)
                repaired = scrubbed_data(value)
                if repaired != value:
                    changed[field] = repaired
            if changed:
                model.objects.filter(pk=row.pk).update(**changed)


def create_settings_row(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    dream_settings = apps.get_model("dreams", "DreamSettings")
    dream_settings.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("dreams", "0005_queued_runs_and_scheduler_heartbeats")]

    operations = [
        migrations.AlterField(
            model_name="continuitythread",
            name="name",
            field=models.CharField(
                max_length=80, validators=[dreamsite.validators.validate_clean_text]
            ),
        ),
        migrations.AlterField(
            model_name="continuitythread",
            name="note",
            field=models.CharField(
                blank=True, max_length=400, validators=[dreamsite.validators.validate_clean_text]
            ),
        ),
        migrations.AlterField(
            model_name="dreamreview",
            name="narrative",
            field=models.TextField(validators=[dreamsite.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name="dreamreview",
            name="title",
            field=models.CharField(
                max_length=120, validators=[dreamsite.validators.validate_clean_text]
            ),
        ),
        migrations.AlterField(
            model_name="mindmoment",
            name="sigil_phrase",
            field=models.CharField(
                blank=True, max_length=120, validators=[dreamsite.validators.validate_clean_text]
            ),
        ),
        migrations.AlterField(
            model_name="mindmoment",
            name="text",
            field=models.TextField(
                blank=True, validators=[dreamsite.validators.validate_clean_text]
            ),
        ),
        migrations.AlterField(
            model_name="session",
            name="client_name",
            field=models.CharField(
                blank=True, max_length=80, validators=[dreamsite.validators.validate_clean_text]
            ),
        ),
        migrations.RunPython(repair_stored_text, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="dreamrun",
            name="stage",
            field=models.CharField(
                blank=True,
                choices=[
                    ("queued", "Queued"),
                    ("starting", "Starting"),
                    ("dreaming", "Dreaming"),
                    ("writing", "Writing"),
                    ("done", "Done"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="conductorlease",
            name="holder",
            field=models.CharField(
                help_text="host:pid:random, from dreams.processes.holder_name", max_length=120
            ),
        ),
        migrations.AlterField(
            model_name="dreamrun",
            name="holder",
            field=models.CharField(
                blank=True,
                help_text="host:pid:random, from dreams.processes.holder_name",
                max_length=120,
            ),
        ),
        migrations.AlterField(
            model_name="schedulerheartbeat",
            name="holder",
            field=models.CharField(
                blank=True,
                help_text="host:pid:random, from dreams.processes.holder_name",
                max_length=120,
            ),
        ),
        migrations.RunPython(create_settings_row, migrations.RunPython.noop),
    ]
