"""Reads for the wizard: the starting draft (the values in force now) and a user's draft."""

from datetime import datetime

from django.contrib.auth.models import User

from dreams.models import DreamSettings
from engines.selection import selected_engine
from setup_wizard.forms import REPLAY_FIELDS, STEP_NAMES, local_input, time_text
from setup_wizard.models import SetupDraft


def setup_current_values() -> dict[str, dict[str, str]]:
    """Every step's input as it would be submitted for the settings in force, so running
    the wizard again starts from what is configured, not from factory defaults."""
    row = DreamSettings.load()
    timing = row.loop_timing
    cadence = {
        "cadence": row.cadence,
        "daily_at": time_text(row.daily_at),
        "interval_hours": str(row.interval_hours),
        "time_zone": row.time_zone,
        "min_new_moments": str(row.min_new_moments),
    }
    if row.enabled:
        cadence["enabled"] = "on"
    selection = selected_engine()
    return {
        "welcome": {},
        "cadence": cadence,
        # A selected engine that is not ready is not offered as the choice: it cannot be.
        "engine": {"engine": selection.engine} if selection.ready else {},
        "timing": {
            "cognitive_cycle_ms": str(timing.cognitive_cycle_ms),
            "dream_cycle_ms": str(timing.dream_cycle_ms),
            "session_timeout_ms": str(timing.session_timeout_ms),
            **_replay_values(row),
        },
        "review": {},
    }


def _replay_values(row: DreamSettings) -> dict[str, str]:
    """The replay settings as the timing step's inputs show them (times in the dream time
    zone, an unset bound empty)."""
    values = {}
    for name in REPLAY_FIELDS:
        value = getattr(row, name)
        if isinstance(value, datetime):
            values[name] = local_input(value, row.zone)
        else:
            values[name] = "" if value is None else str(value)
    return values


def setup_draft_for(user: User) -> SetupDraft:
    """The user's draft, or (unsaved) a new one that starts from the current values: a
    visit that changes nothing writes nothing."""
    draft = SetupDraft.objects.filter(user=user).first()
    if draft is not None:
        return draft
    first = STEP_NAMES[0]
    return SetupDraft(user=user, step=first, reached=first, data=setup_current_values())
