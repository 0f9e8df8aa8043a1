"""Repair text stored before text was checked at every boundary: lone surrogates, NUL and
control characters become U+FFFD, so no page or API answer fails on an old row."""

from django.db import migrations

from dreams.text import scrubbed_data

TEXT_FIELDS = {
    "Session": ["client_name"],
    "MindMoment": ["text", "sigil_phrase", "visual_percepts", "audio_percepts"],
    "Percept": ["payload"],
    "DreamReview": ["title", "narrative", "themes", "threads"],
    "ContinuityThread": ["name", "note"],
}


def repair(apps, schema_editor):
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


class Migration(migrations.Migration):
    dependencies = [("dreams", "0006_text_hygiene")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop, elidable=True)]
