"""The engine service: every cognize and dream call goes through here, to the selected
engine, with its time limit, and comes back as a validated draft with timings."""

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from engines.adapters import adapter_for
from engines.adapters.base import Answer, Engine
from engines.contracts import (
    ContinuityContext,
    DreamDraft,
    MomentContext,
    MomentDraft,
    PerceptInput,
    Voice,
)
from engines.errors import EngineError, EngineNotReady
from engines.prompts import DEFAULT_VOICE
from engines.readiness import spec_readiness
from engines.registry import EngineId, engine_spec
from engines.selection import SelectedEngine, effective_model, selected_engine

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 60.0
DraftT = TypeVar("DraftT")


@dataclass(frozen=True)
class EngineCall(Generic[DraftT]):
    """A validated draft and how it was made."""

    draft: DraftT
    engine: str
    model: str
    duration_ms: int
    input_tokens: int | None = None
    output_tokens: int | None = None


def engine_timeout(engine: str) -> float:
    spec = engine_spec(engine)
    configured = os.environ.get(spec.timeout_variable, "") if spec else ""
    try:
        return float(configured) if configured else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


def build_engine(selection: SelectedEngine, *, timeout: float | None = None) -> Engine:
    if not selection.ready:
        raise EngineNotReady(
            message=f"{selection.readiness.engine_label} is not ready. "
            f"{selection.readiness.fix_hint}".strip()
        )
    return adapter_for(EngineId(selection.engine)).engine(
        model=selection.model,
        timeout=timeout or engine_timeout(selection.engine),
        env=os.environ,
    )


def _call(
    selection: SelectedEngine | None,
    timeout: float | None,
    ask: Callable[[Engine], Answer[DraftT]],
) -> EngineCall[DraftT]:
    selection = selection or selected_engine()
    engine = build_engine(selection, timeout=timeout)
    started = time.monotonic()
    try:
        answer = ask(engine)
    except EngineError as error:
        logger.warning("Engine %s failed (%s): %s", selection.engine, error.reason, error.detail)
        raise
    return EngineCall(
        draft=answer.draft,
        engine=selection.engine,
        model=selection.model,
        duration_ms=round((time.monotonic() - started) * 1000),
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
    )


def engine_cognize(
    *,
    percepts: Sequence[PerceptInput],
    prior_moments: Sequence[MomentContext],
    voice: Voice,
    selection: SelectedEngine | None = None,
    timeout: float | None = None,
) -> EngineCall[MomentDraft]:
    return _call(
        selection, timeout, lambda engine: engine.cognize(percepts, prior_moments, voice=voice)
    )


def engine_dream(
    *,
    material: Sequence[MomentContext],
    continuity: Sequence[ContinuityContext],
    voice: Voice,
    selection: SelectedEngine | None = None,
    timeout: float | None = None,
) -> EngineCall[DreamDraft]:
    return _call(selection, timeout, lambda engine: engine.dream(material, continuity, voice=voice))


PROBE_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ProbeOutcome:
    engine: str
    ok: bool
    message: str


def engine_probe(*, engine: str | None = None) -> ProbeOutcome:
    """A live call to an engine (the selected one by default) with a short time limit."""
    selection = selected_engine()
    if engine is not None and engine != selection.engine:
        spec = engine_spec(engine)
        if spec is None:
            return ProbeOutcome(engine, False, "There is no engine by that name.")
        readiness = spec_readiness(spec, fresh=True)
        selection = SelectedEngine(engine, effective_model(engine, ""), "probe", readiness)
    try:
        call = engine_cognize(
            percepts=[PerceptInput(kind="visual", description="a person waves hello")],
            prior_moments=[],
            voice=DEFAULT_VOICE,
            selection=selection,
            timeout=PROBE_TIMEOUT_S,
        )
    except EngineError as error:
        return ProbeOutcome(selection.engine, False, error.message)
    return ProbeOutcome(
        selection.engine, True, f'answered in {call.duration_ms} ms: "{call.draft.sigil_phrase}"'
    )
