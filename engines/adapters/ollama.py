"""Ollama's own HTTP API, spoken with httpx (Ollama's SDK would add a dependency for two
requests)."""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from engines.adapters.base import READY, Check, Completion, Engine, ReadinessState
from engines.adapters.hosted import error_for_status
from engines.adapters.prompted import PromptedEngine
from engines.errors import EngineError, EngineTimeout, EngineUnreachable
from engines.registry import EngineId, engine_spec
from engines.schemas import DraftSchema

DEFAULT_PORT = "11434"
# Readiness is checked while a page renders; a server slower than this is not usable anyway.
CHECK_TIMEOUT_S = 0.5
START_HINT = "Start Ollama (ollama serve) or set OLLAMA_HOST to where it runs, then reload."


def ollama_base_url(host: str) -> str:
    """The server URL for an OLLAMA_HOST value, read the way Ollama itself reads it.

    Ollama accepts `host`, `host:port`, `:port` and full URLs; without a scheme it means
    http and port 11434, with an http(s) scheme and no port it means 80 or 443.
    """
    host = host.strip().strip("\"'").strip()
    if "://" not in host:
        host = f"http://{host}"
        default_port = DEFAULT_PORT
    else:
        default_port = ""  # the scheme's own port
    parts = urlsplit(host)
    hostname = parts.hostname or "127.0.0.1"
    if ":" in hostname:
        hostname = f"[{hostname}]"
    try:
        port = str(parts.port or default_port)
    except ValueError:  # an unparseable port; Ollama falls back to its default too
        port = default_port
    netloc = f"{hostname}:{port}" if port else hostname
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def configured_model(env: Mapping[str, str]) -> str:
    spec = engine_spec(EngineId.OLLAMA)
    assert spec is not None
    return env.get(spec.model_variable) or spec.default_model


def _has_model(tags: object, model: str) -> bool:
    """Whether /api/tags lists `model`, which may be named with or without `:latest`."""
    wanted = {model, model.removesuffix(":latest"), f"{model}:latest"}
    entries = tags.get("models") if isinstance(tags, dict) else None
    return any(
        isinstance(entry, dict) and {entry.get("name"), entry.get("model")} & wanted
        for entry in entries or []
    )


@dataclass(frozen=True)
class OllamaClient:
    base_url: str
    model: str

    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion:
        body = {
            "model": self.model,
            "stream": False,
            # Ollama's structured output (0.5 and later): the answer is held to the schema.
            "format": schema.json_schema,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": prompt},
            ],
        }
        try:
            response = httpx.post(f"{self.base_url}/api/chat", json=body, timeout=timeout)
        except httpx.TimeoutException as error:
            raise EngineTimeout(str(error)) from None
        except httpx.ConnectError as error:
            raise EngineUnreachable(str(error)) from None
        except httpx.HTTPError as error:
            raise EngineError(str(error)) from None
        if response.status_code != httpx.codes.OK:
            raise error_for_status(
                response.status_code, f"HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            data = response.json()
            return Completion(
                text=data["message"]["content"],
                input_tokens=data.get("prompt_eval_count"),
                output_tokens=data.get("eval_count"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise EngineError("the server's answer is not an Ollama chat response") from None


class OllamaAdapter:
    def check(self, env: Mapping[str, str]) -> Check:
        model = configured_model(env)
        try:
            response = httpx.get(
                f"{ollama_base_url(env.get('OLLAMA_HOST', ''))}/api/tags",
                timeout=CHECK_TIMEOUT_S,
            )
            response.raise_for_status()
            tags = response.json()
        except Exception:  # a check never raises; whatever answered there is not usable Ollama
            return Check(ReadinessState.UNREACHABLE, START_HINT)
        if not _has_model(tags, model):
            return Check(
                ReadinessState.NEEDS_SETUP,
                f"Pull the model on the Ollama server: ollama pull {model}",
            )
        return READY

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine:
        client = OllamaClient(base_url=ollama_base_url(env.get("OLLAMA_HOST", "")), model=model)
        return PromptedEngine(client=client, timeout=timeout)
