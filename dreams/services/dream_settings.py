"""Writes to the dream settings: cadence, live loop timing (with the display phases'
weights) and setup completion.

The setup wizard, the admin and any API write through these, so each rule (ranges, time
zones, the activation gate) is enforced in one place: the model's validators, run by
`full_clean` before every save.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dreams.models import DEFAULT_PHASE_WEIGHTS, SETTABLE_FIELDS, Cadence, DreamSettings
from engines.selection import engine_auto_select

logger = logging.getLogger(__name__)


def _locked() -> DreamSettings:
    DreamSettings.load()  # the row exists before it is locked
    return DreamSettings.objects.select_for_update().get(pk=DreamSettings.SINGLETON_ID)


def _save(row: DreamSettings, fields: list[str]) -> DreamSettings:
    row.full_clean()
    row.save(update_fields=[*fields, "updated_at"])
    return row


@transaction.atomic
def dream_settings_update(
    *,
    enabled: bool,
    cadence: Cadence,
    daily_at: time | None = None,
    interval_hours: int | None = None,
    time_zone: str,
    min_new_moments: int,
    max_material: int | None = None,
    timeout_s: int | None = None,
) -> DreamSettings:
    """When and how the mind dreams. A value given as None stays as it is (the daily time
    is kept while the cadence is every few hours, and the other way round). Raises
    `ValidationError` (with field errors) on values out of range."""
    row = _locked()
    changes = {
        "enabled": enabled,
        "cadence": cadence,
        "daily_at": daily_at,
        "interval_hours": interval_hours,
        "time_zone": time_zone,
        "min_new_moments": min_new_moments,
        "max_material": max_material,
        "timeout_s": timeout_s,
    }
    fields = [name for name, value in changes.items() if value is not None]
    for name in fields:
        setattr(row, name, changes[name])
    _save(row, fields)
    logger.info("Dream settings changed: %s, enabled=%s.", row.get_cadence_display(), enabled)
    return row


@transaction.atomic
def loop_timing_update(
    *,
    cognitive_cycle_ms: int | None,
    dream_cycle_ms: int | None,
    session_timeout_ms: int | None,
    phase_weights: Mapping[str, int] | None = None,
) -> DreamSettings:
    """The live loops' timing, in milliseconds; None means the server's environment value.
    `phase_weights` (by field name, see DEFAULT_PHASE_WEIGHTS) share each cycle among the
    display phases; None keeps them. A running conductor picks the change up within a
    second (it re-reads the timing with its session reaper), without a restart; new phase
    weights apply from each loop's next cycle."""
    row = _locked()
    row.cognitive_cycle_ms = cognitive_cycle_ms
    row.dream_cycle_ms = dream_cycle_ms
    row.session_timeout_ms = session_timeout_ms
    fields = ["cognitive_cycle_ms", "dream_cycle_ms", "session_timeout_ms"]
    for name, weight in (phase_weights or {}).items():
        if name not in DEFAULT_PHASE_WEIGHTS:
            raise ValidationError({name: "This is not a display phase's weight."})
        setattr(row, name, weight)
        fields.append(name)
    _save(row, fields)
    timing = row.loop_timing
    logger.info(
        "Loop timing set: cognitive cycle %d ms, dream cycle %d ms, session timeout %d ms, "
        "phase weights %s.",
        timing.cognitive_cycle_ms,
        timing.dream_cycle_ms,
        timing.session_timeout_ms,
        "/".join(str(weight) for weight in timing.phase_weights),
    )
    return row


@transaction.atomic
def setup_complete(*, completed_at: datetime | None = None) -> DreamSettings:
    """Open the dream run's activation gate: setup has been finished."""
    row = _locked()
    row.setup_completed_at = completed_at or timezone.now()
    _save(row, ["setup_completed_at"])
    engine_auto_select()  # the engine the reads reported until now becomes the stored one
    logger.info("Setup is complete; dream runs may start.")
    return row


@transaction.atomic
def dream_settings_change(
    *, changes: Mapping[str, object], finish_setup: bool = False
) -> DreamSettings:
    """Set some of the dream settings by field name, the rest kept, under the same
    validators as every other write (the model's, by `full_clean`); `finish_setup` also
    opens the activation gate. Nothing is written when any value is refused: raises
    `ValidationError` with the field errors."""
    unknown = sorted(set(changes) - set(SETTABLE_FIELDS))
    if unknown:
        raise ValidationError({name: "This is not a dream setting." for name in unknown})
    row = _locked()
    for name, value in changes.items():
        setattr(row, name, value)
    fields = list(changes)
    if finish_setup and not row.setup_complete:
        row.setup_completed_at = timezone.now()
        fields.append("setup_completed_at")
        engine_auto_select()
    if fields:
        _save(row, fields)
    logger.info("Dream settings changed: %s.", ", ".join(fields) or "nothing")
    return row
