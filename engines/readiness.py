"""Readiness of every engine, projected safely for any audience.

Cheap checks (environment, PATH, importable packages, and Ollama's local model list with a
sub-second timeout) are cached for `DREAMS_READINESS_TTL_S`; async callers use
`engine_readiness_async` so a check never blocks the event loop. A live probe, which
really asks the engine something, happens only on request.
"""

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from engines.adapters import adapter_for
from engines.adapters.base import Check, ReadinessState
from engines.redaction import redact
from engines.registry import ENGINES, EngineSpec, engine_spec

STATE_LABELS: dict[ReadinessState, str] = {
    ReadinessState.READY: "Ready",
    ReadinessState.NEEDS_SETUP: "Needs setup",
    ReadinessState.NOT_INSTALLED: "Not installed",
    ReadinessState.UNREACHABLE: "Unreachable",
    ReadinessState.UNSUPPORTED: "Not supported here",
}


@dataclass(frozen=True)
class Readiness:
    engine: str
    engine_label: str
    state: ReadinessState
    fix_hint: str
    disclosure: str
    selectable: bool
    checked_at: datetime

    @property
    def ready(self) -> bool:
        return self.state is ReadinessState.READY

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


_cache: dict[str, tuple[float, Readiness]] = {}
_cache_lock = threading.Lock()


def _ttl() -> float:
    return float(getattr(settings, "DREAMS_READINESS_TTL_S", 30))


def _project(spec: EngineSpec, check: Check) -> Readiness:
    return Readiness(
        engine=spec.id.value,
        engine_label=spec.label,
        state=check.state,
        # Hints are written by us, but one redaction pass makes the promise unconditional.
        fix_hint=redact(check.fix_hint),
        disclosure=spec.disclosure,
        selectable=spec.selectable,
        checked_at=timezone.now(),
    )


def _check(spec: EngineSpec) -> Check:
    try:
        return adapter_for(spec.id).check(os.environ)
    except Exception:
        return Check(
            ReadinessState.NOT_INSTALLED,
            "This engine's support could not be loaded. Reinstall the project's dependencies.",
        )


def engine_readiness(engine_id: str, *, fresh: bool = False) -> Readiness | None:
    spec = engine_spec(engine_id)
    return None if spec is None else spec_readiness(spec, fresh=fresh)


def spec_readiness(spec: EngineSpec, *, fresh: bool = False) -> Readiness:
    engine_id = spec.id.value
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(engine_id)
    if cached and not fresh and cached[0] > now:
        return cached[1]
    readiness = _project(spec, _check(spec))
    with _cache_lock:
        _cache[engine_id] = (now + _ttl(), readiness)
    return readiness


def all_engine_readiness(*, fresh: bool = False) -> list[Readiness]:
    return [spec_readiness(spec, fresh=fresh) for spec in ENGINES]


async def all_engine_readiness_async(*, fresh: bool = False) -> list[Readiness]:
    return await asyncio.to_thread(all_engine_readiness, fresh=fresh)


def readiness_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()
