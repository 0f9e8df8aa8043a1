"""OpenAI, OpenAI-compatible servers and OpenRouter: one chat-completions client, two setups.

This module also holds what the HTTP adapters share: checking that an SDK is importable,
and turning an HTTP status or a provider SDK's exception into a typed engine error with the
credentials scrubbed out first.
"""

import importlib.util
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

from engines.adapters.base import READY, Check, Completion, Engine, ReadinessState
from engines.adapters.prompted import PromptedEngine
from engines.errors import (
    EngineAuthFailed,
    EngineError,
    EngineNotReady,
    EngineRateLimited,
    EngineTimeout,
    EngineUnreachable,
)
from engines.redaction import REDACTED
from engines.schemas import DraftSchema

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Local OpenAI-compatible servers ignore the key, but the SDK refuses to send no key at all.
PLACEHOLDER_KEY = "no-key-needed"

_STATUS_ERRORS: dict[int, type[EngineError]] = {
    401: EngineAuthFailed,
    403: EngineAuthFailed,
    429: EngineRateLimited,
}
# How an OpenAI-compatible server without JSON-schema answers (older vLLM, llama.cpp or
# LM Studio builds, some proxies) refuses a request that carries one.
_REFUSED_REQUEST_STATUSES = frozenset({400, 422})
_SCHEMA_WORDS = ("response_format", "json_schema")
# The least time a retry is given, so that one started at the deadline times out cleanly.
_MIN_RETRY_TIMEOUT_S = 0.05


def sdk_installed(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        # find_spec raises instead of answering for half-imported or broken packages.
        return False


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` without the given credentials.

    `redact()` only knows the secrets in `os.environ`, but adapters receive theirs in an
    env mapping, and a server or proxy may quote a key back in its error body.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def error_for_status(status: int, detail: str) -> EngineError:
    return _STATUS_ERRORS.get(status, EngineError)(detail)


def sdk_error(error: Exception, sdk: ModuleType, secrets: Iterable[str]) -> EngineError:
    """The typed error for an exception raised inside the `anthropic` or `openai` SDK.

    Both SDKs are generated from the same template, so they share these exception names.
    """
    detail = str(error)
    if error.__cause__ is not None:
        # "Connection error." alone does not say whether it was refused, DNS or TLS.
        detail = f"{detail} ({error.__cause__})"
    detail = scrub(detail, secrets)
    if isinstance(error, sdk.APITimeoutError):
        return EngineTimeout(detail)
    if isinstance(error, sdk.APIConnectionError):
        return EngineUnreachable(detail)
    if isinstance(error, sdk.APIStatusError):
        return error_for_status(error.status_code, detail)
    return EngineError(detail)


def _refuses_json_schema(error: Exception, sdk: ModuleType) -> bool:
    """Whether a server refused a request because of its JSON schema response format."""
    if not isinstance(error, sdk.APIStatusError):
        return False
    said = str(error).lower()
    return error.status_code in _REFUSED_REQUEST_STATUSES and any(
        word in said for word in _SCHEMA_WORDS
    )


@dataclass(frozen=True)
class OpenAICompatibleClient:
    model: str
    base_url: str
    api_key: str = field(repr=False)

    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion:
        import openai

        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ]
        deadline = time.monotonic() + timeout
        try:
            # Retries are the caller's decision, made with the whole time limit in view.
            with openai.OpenAI(
                api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=timeout
            ) as client:
                try:
                    response = self._create(client, messages, schema, timeout)
                except openai.APIStatusError as error:
                    if not _refuses_json_schema(error, openai):
                        raise
                    # Asked again without it, in the time left: the prompt describes the
                    # answer's shape, and the tolerant parser reads what comes back.
                    left = max(deadline - time.monotonic(), _MIN_RETRY_TIMEOUT_S)
                    response = self._create(client, messages, None, left)
        except Exception as error:  # the contract: no provider exception escapes
            raise sdk_error(error, openai, [self.api_key]) from None
        try:
            usage = response.usage
            return Completion(
                text=response.choices[0].message.content or "",
                input_tokens=usage.prompt_tokens if usage else None,
                output_tokens=usage.completion_tokens if usage else None,
            )
        except (AttributeError, IndexError, TypeError):
            raise EngineError("the server's answer is not a chat completion") from None

    def _create(
        self,
        client: "OpenAI",
        messages: "list[ChatCompletionMessageParam]",
        schema: DraftSchema | None,
        timeout: float,
    ) -> "ChatCompletion":
        import openai

        return client.chat.completions.create(
            model=self.model,
            messages=messages,
            # OpenAI's structured output, also spoken by OpenRouter and most compatible
            # servers; strict, so the model can only write what the schema allows.
            response_format=(
                {
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema.name,
                        "schema": schema.json_schema,
                        "strict": True,
                    },
                }
                if schema
                else openai.omit
            ),
            timeout=timeout,
        )


@dataclass(frozen=True)
class _Connection:
    base_url: str
    api_key: str = field(repr=False)


class _OpenAICompatibleAdapter(ABC):
    setup_hint: ClassVar[str]

    @abstractmethod
    def _connection(self, env: Mapping[str, str]) -> _Connection | None:
        """Where to send requests and with which key, or None while that is not set up."""

    def check(self, env: Mapping[str, str]) -> Check:
        if not sdk_installed("openai"):
            return Check(
                ReadinessState.NOT_INSTALLED,
                "Install the OpenAI SDK: pip install 'dreams[providers]', then restart.",
            )
        if self._connection(env) is None:
            return Check(ReadinessState.NEEDS_SETUP, self.setup_hint)
        return READY

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine:
        connection = self._connection(env)
        if connection is None:
            raise EngineNotReady(message=f"{EngineNotReady.default_message} {self.setup_hint}")
        client = OpenAICompatibleClient(
            model=model, base_url=connection.base_url, api_key=connection.api_key
        )
        return PromptedEngine(client=client, timeout=timeout)


class OpenAIAdapter(_OpenAICompatibleAdapter):
    setup_hint = (
        "Set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) in the "
        "server's environment, then reload."
    )

    def _connection(self, env: Mapping[str, str]) -> _Connection | None:
        api_key = env.get("OPENAI_API_KEY", "")
        base_url = env.get("OPENAI_BASE_URL", "")
        if not api_key and not base_url:
            return None
        return _Connection(base_url or OPENAI_BASE_URL, api_key or PLACEHOLDER_KEY)


class OpenRouterAdapter(_OpenAICompatibleAdapter):
    setup_hint = "Set OPENROUTER_API_KEY in the server's environment, then reload."

    def _connection(self, env: Mapping[str, str]) -> _Connection | None:
        api_key = env.get("OPENROUTER_API_KEY", "")
        if not api_key:
            return None
        return _Connection(env.get("OPENROUTER_BASE_URL") or OPENROUTER_BASE_URL, api_key)
