"""The one source of truth for which engine thinks.

Setup, the dashboard, the admin, the API, scheduled runs and the cognitive loop all call
`selected_engine()`, a read: it never writes. A stored choice is never silently replaced:
when the selected engine is not ready, that is what the caller is told. Auto-selection
(the legacy choice, else the first ready engine) is stored by one explicit service,
`engine_auto_select()`, called when setup finishes and when a conductor starts, and only
when no choice is stored or the stored one names no known engine; until then the read
reports what it would pick.
"""

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction

from dreams.text import text_problem
from engines.models import EngineSelection, EngineSelectionChange, SelectionSource
from engines.readiness import Readiness, all_engine_readiness, engine_readiness
from engines.registry import EngineId, engine_spec

logger = logging.getLogger(__name__)

LEGACY_CONFIG_VARIABLE = "DREAMS_LEGACY_CONFIG"
# EngineSelection.model's length.
MAX_MODEL_LENGTH = 200
LEGACY_CONFIG_DEFAULT = "~/.claude-os/config.json"
LEGACY_ENGINE_NAMES = {
    "claude": EngineId.CLAUDE_CLI,
    "codex": EngineId.CODEX_CLI,
    "openrouter": EngineId.OPENROUTER,
    "hermes": EngineId.HERMES,
}


@dataclass(frozen=True)
class SelectedEngine:
    engine: str
    model: str
    source: str
    readiness: Readiness

    @property
    def ready(self) -> bool:
        return self.readiness.ready


class EngineSelectionError(Exception):
    """A selection that was refused; `code` says why, `message` is product copy."""

    def __init__(self, code: str, message: str, *, fix_hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fix_hint = fix_hint


def effective_model(engine: str, stored_model: str) -> str:
    spec = engine_spec(engine)
    if spec is None:
        return stored_model
    configured = os.environ.get(spec.model_variable, "") if spec.model_variable else ""
    return stored_model or configured or spec.default_model


def legacy_selection() -> tuple[str, str] | None:
    """The choice in the legacy config file, mapped to this product's ids, if any.

    The file is read, never written. Anything unreadable is ignored with a log line.
    """
    path = Path(os.environ.get(LEGACY_CONFIG_VARIABLE, LEGACY_CONFIG_DEFAULT)).expanduser()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        logger.warning("The legacy engine config could not be read; ignoring it.")
        return None
    name = data.get("dreamEngine") if isinstance(data, dict) else None
    if not isinstance(name, str):
        return None
    engine = LEGACY_ENGINE_NAMES.get(name) or (EngineId(name) if engine_spec(name) else None)
    if engine is None:
        logger.warning("The legacy engine config names an unknown engine; ignoring it.")
        return None
    model = data.get("openRouterModel", "") if engine is EngineId.OPENROUTER else ""
    if not isinstance(model, str) or len(model) > MAX_MODEL_LENGTH or text_problem(model):
        logger.warning("The legacy engine config names a model that is not valid; ignoring it.")
        model = ""
    return engine.value, model


def _write(
    *,
    engine: str,
    model: str,
    source: str,
    actor: str = "",
    remote_addr: str | None = None,
) -> EngineSelection:
    with transaction.atomic():
        previous = EngineSelection.objects.select_for_update().filter(pk=1).first()
        EngineSelectionChange.objects.create(
            engine=engine,
            model=model,
            previous_engine=previous.engine if previous else "",
            previous_model=previous.model if previous else "",
            source=source,
            actor=actor,
            remote_addr=remote_addr,
        )
        selection, _ = EngineSelection.objects.update_or_create(
            pk=EngineSelection.SINGLETON_ID,
            defaults={"engine": engine, "model": model, "source": source},
        )
    return selection


def _first_choice() -> tuple[str, str, str]:
    legacy = legacy_selection()
    if legacy is not None:
        return legacy[0], legacy[1], SelectionSource.LEGACY_IMPORT
    first_ready = next(readiness for readiness in all_engine_readiness() if readiness.ready)
    return first_ready.engine, "", SelectionSource.AUTO


def _stored() -> EngineSelection | None:
    """The stored choice, if it names a known engine."""
    stored = EngineSelection.objects.filter(pk=EngineSelection.SINGLETON_ID).first()
    return stored if stored is not None and engine_spec(stored.engine) is not None else None


def engine_auto_select() -> EngineSelection:
    """Store the automatic choice (the legacy one, else the first ready engine) when no
    valid choice is stored; a stored valid choice is kept whatever its readiness."""
    stored = _stored()
    if stored is not None:
        return stored
    if EngineSelection.objects.filter(pk=EngineSelection.SINGLETON_ID).exists():
        logger.warning("The stored engine choice is not a known engine; choosing again.")
    engine, model, source = _first_choice()
    try:
        return _write(engine=engine, model=model, source=source)
    except IntegrityError:
        # Another process chose at the same moment; its choice stands.
        return EngineSelection.objects.get(pk=EngineSelection.SINGLETON_ID)


def selected_engine() -> SelectedEngine:
    """The stored choice, or (none stored yet) what auto-selection would store. Never writes."""
    stored = _stored()
    if stored is not None:
        engine, model, source = stored.engine, stored.model, stored.source
    else:
        engine, model, source = _first_choice()
    readiness = engine_readiness(engine)
    assert readiness is not None  # only known engines are stored or chosen
    return SelectedEngine(
        engine=engine,
        model=effective_model(engine, model),
        source=source,
        readiness=readiness,
    )


def selection_refusal(*, engine: str, allow_not_ready: bool = False) -> EngineSelectionError | None:
    """Why selecting `engine` would be refused, or None when it would be accepted."""
    spec = engine_spec(engine)
    if spec is None:
        return EngineSelectionError("unknown_engine", f"There is no engine called {engine!r}.")
    if not spec.selectable:
        return EngineSelectionError(
            "unsupported_engine", f"{spec.label} cannot be selected in this product."
        )
    readiness = engine_readiness(engine, fresh=True)
    assert readiness is not None
    if not readiness.ready and not allow_not_ready:
        return EngineSelectionError(
            "engine_not_ready",
            f"{spec.label} is not ready: {readiness.label.lower()}.",
            fix_hint=readiness.fix_hint,
        )
    return None


def engine_select(
    *,
    engine: str,
    model: str = "",
    source: SelectionSource,
    actor: str = "",
    remote_addr: str | None = None,
    allow_not_ready: bool = False,
) -> SelectedEngine:
    refusal = selection_refusal(engine=engine, allow_not_ready=allow_not_ready)
    if refusal is not None:
        raise refusal
    _write(engine=engine, model=model, source=source, actor=actor, remote_addr=remote_addr)
    logger.info("Engine selection changed to %s (%s).", engine, source)
    return selected_engine()
