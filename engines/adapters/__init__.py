"""One module per engine: its cheap readiness check and how to build it."""

from collections.abc import Mapping
from importlib import import_module

from engines.adapters.base import Adapter, Check, Engine, ReadinessState
from engines.registry import EngineId


class UnsupportedAdapter:
    """Upstream-only engines: recognised, never usable here."""

    def check(self, env: Mapping[str, str]) -> Check:
        return Check(
            ReadinessState.UNSUPPORTED,
            "Select another engine: this one is not part of Dreams.",
        )

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine:
        raise NotImplementedError("unsupported engines are never built")


# Imported on first use, so a missing provider SDK only affects its own engine.
_ADAPTER_PATHS: dict[EngineId, str] = {
    EngineId.ANTHROPIC: "engines.adapters.anthropic_api:AnthropicAdapter",
    EngineId.OPENAI: "engines.adapters.openai_api:OpenAIAdapter",
    EngineId.OPENROUTER: "engines.adapters.openai_api:OpenRouterAdapter",
    EngineId.GEMINI: "engines.adapters.gemini_api:GeminiAdapter",
    EngineId.OLLAMA: "engines.adapters.ollama:OllamaAdapter",
    EngineId.CLAUDE_CLI: "engines.adapters.cli:ClaudeCliAdapter",
    EngineId.CODEX_CLI: "engines.adapters.cli:CodexCliAdapter",
    EngineId.OFFLINE: "engines.adapters.offline:OfflineAdapter",
}


def adapter_for(engine_id: EngineId) -> Adapter:
    path = _ADAPTER_PATHS.get(engine_id)
    if path is None:
        return UnsupportedAdapter()
    module_name, class_name = path.split(":")
    return getattr(import_module(module_name), class_name)()
