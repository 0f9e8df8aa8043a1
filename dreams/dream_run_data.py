"""A dream run as plain JSON data, the shape of the API's run object.

`run_dream --json` and `dream_status --json` print it without loading DRF, so a cron tick
stays cheap; the API's serializer lists the same fields (`DREAM_RUN_FIELDS`) and a test
holds the two to the same output.
"""

from datetime import datetime

from dreams.models import DreamRun

DREAM_RUN_FIELDS = (
    "id",
    "trigger",
    "status",
    "reason",
    "reason_label",
    "detail",
    "stage",
    "engine",
    "model",
    "force",
    "dry_run",
    "material_count",
    "warnings",
    "outcome",
    "review_id",
    "started_at",
    "finished_at",
    "duration_ms",
)


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        # DRF's rendering of an aware UTC time, so both outputs read the same.
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return value


def dream_run_data(run: DreamRun) -> dict[str, object]:
    values = {name: getattr(run, name, None) for name in DREAM_RUN_FIELDS}
    values["reason_label"] = run.get_reason_display()
    return {name: _json_value(value) for name, value in values.items()}
