"""Writes of the wizard: its draft, and finishing setup through the settings services."""

import logging
from collections.abc import Mapping
from datetime import time
from typing import TypedDict

from django.contrib.auth.models import User
from django.db import transaction

from dreams.models import Cadence, DreamSettings, LoopTiming
from dreams.services.dream_settings import (
    dream_settings_change,
    dream_settings_update,
    loop_timing_update,
    setup_complete,
)
from engines.models import EngineSelection, SelectionSource
from engines.selection import engine_select
from setup_wizard.forms import STEP_NAMES
from setup_wizard.models import SetupDraft

logger = logging.getLogger(__name__)


class CadenceValues(TypedDict):
    enabled: bool
    cadence: Cadence
    daily_at: time | None
    interval_hours: int | None
    time_zone: str
    min_new_moments: int


@transaction.atomic
def setup_draft_save(
    *, draft: SetupDraft, step: str, values: dict[str, str], go_to: str
) -> SetupDraft:
    """Keep `values` as the input of `step` and make `go_to` the step shown next. The
    furthest step reached only grows."""
    draft.data = {**draft.data, step: values}
    draft.step = go_to
    if STEP_NAMES.index(go_to) > STEP_NAMES.index(draft.reached):
        draft.reached = go_to
    draft.save()
    return draft


def setup_draft_discard(*, user: User) -> None:
    SetupDraft.objects.filter(user=user).delete()


@transaction.atomic
def setup_finish(
    *,
    user: User,
    cadence: CadenceValues,
    engine: str | None,
    timing: LoopTiming,
    replay: Mapping[str, object] | None = None,
    remote_addr: str | None = None,
) -> DreamSettings:
    """Write everything the wizard collected through the same services as the admin and
    the API, open the dream run's activation gate, and drop the draft; all or nothing.
    `engine` None keeps the current selection (allowed only when no engine was ready);
    `replay` (the replay mode and its settings, by field name) None keeps them.
    Raises `EngineSelectionError` when the chosen engine is no longer ready."""
    dream_settings_update(**cadence)
    if engine is not None:
        stored = EngineSelection.objects.filter(pk=EngineSelection.SINGLETON_ID).first()
        engine_select(
            engine=engine,
            # A model chosen elsewhere for this engine (admin, API) is kept.
            model=stored.model if stored is not None and stored.engine == engine else "",
            source=SelectionSource.SETUP,
            actor=user.get_username(),
            remote_addr=remote_addr,
        )
    loop_timing_update(
        cognitive_cycle_ms=timing.cognitive_cycle_ms,
        dream_cycle_ms=timing.dream_cycle_ms,
        session_timeout_ms=timing.session_timeout_ms,
    )
    if replay:
        dream_settings_change(changes=replay)
    row = setup_complete()
    setup_draft_discard(user=user)
    logger.info("Setup finished by %s.", user.get_username())
    return row
