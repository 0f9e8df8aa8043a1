"""The engines this product knows, in auto-selection order."""

from dataclasses import dataclass
from enum import StrEnum


class EngineId(StrEnum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    OPENROUTER = "openrouter"
    GEMINI = "gemini"
    OLLAMA = "ollama"
    CLAUDE_CLI = "claude-cli"
    CODEX_CLI = "codex-cli"
    HERMES = "hermes"
    OFFLINE = "offline"


@dataclass(frozen=True)
class EngineSpec:
    id: EngineId
    label: str
    # Where material goes when this engine thinks: shown before anyone selects it.
    disclosure: str
    # The environment variable that overrides the model, and the model used without it.
    model_variable: str = ""
    default_model: str = ""
    # Upstream-only engines are listed for recognition but can never be selected.
    selectable: bool = True
    # Whether it thinks in a personality's voice: a language model does; the built-in
    # engine has no model to give a voice to (its disclosure says so).
    follows_personality: bool = True

    @property
    def timeout_variable(self) -> str:
        return f"DREAMS_{self.id.upper().replace('-', '_')}_TIMEOUT_S"


ENGINES: tuple[EngineSpec, ...] = (
    EngineSpec(
        EngineId.ANTHROPIC,
        "Anthropic Claude (API)",
        "Percepts and mind moments are sent to Anthropic's API.",
        "ANTHROPIC_MODEL",
        "claude-sonnet-5-5",
    ),
    EngineSpec(
        EngineId.OPENAI,
        "OpenAI or an OpenAI-compatible server",
        "Percepts and mind moments are sent to OpenAI's API, or to the OpenAI-compatible "
        "server this site is configured to use.",
        "OPENAI_MODEL",
        "gpt-4.1-mini",
    ),
    EngineSpec(
        EngineId.OPENROUTER,
        "OpenRouter",
        "Percepts and mind moments are sent to OpenRouter, which forwards them to the "
        "model provider it routes to.",
        "OPENROUTER_MODEL",
        "anthropic/claude-sonnet-4.5",
    ),
    EngineSpec(
        EngineId.GEMINI,
        "Google Gemini (API)",
        "Percepts and mind moments are sent to Google's Gemini API.",
        "GEMINI_MODEL",
        "gemini-2.5-flash",
    ),
    EngineSpec(
        EngineId.OLLAMA,
        "Ollama (local models)",
        "Percepts and mind moments are sent to the Ollama server this site is configured "
        "to use; on this machine they stay local.",
        "OLLAMA_MODEL",
        "llama3.2",
    ),
    EngineSpec(
        EngineId.CLAUDE_CLI,
        "Claude Code CLI",
        "Percepts and mind moments are passed to the Claude Code CLI on this server, which "
        "sends them to Anthropic under its own login.",
        "CLAUDE_CLI_MODEL",
        "",
    ),
    EngineSpec(
        EngineId.CODEX_CLI,
        "Codex CLI",
        "Percepts and mind moments are passed to the Codex CLI on this server, which sends "
        "them to OpenAI under its own login.",
        "CODEX_CLI_MODEL",
        "",
    ),
    EngineSpec(
        EngineId.HERMES,
        "Hermes (upstream only)",
        "Nothing is sent: this engine exists only in the upstream product.",
        selectable=False,
    ),
    EngineSpec(
        EngineId.OFFLINE,
        "Offline (built in)",
        "Nothing leaves this server: the built-in engine runs here without a network. It "
        "follows no personality: it has no language model to give a voice to, and writes "
        "from the percepts' own words.",
        default_model="builtin",
        follows_personality=False,
    ),
)

ENGINE_BY_ID: dict[str, EngineSpec] = {spec.id.value: spec for spec in ENGINES}


def engine_spec(engine_id: str) -> EngineSpec | None:
    return ENGINE_BY_ID.get(engine_id)
