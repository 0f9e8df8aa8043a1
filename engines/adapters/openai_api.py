"""OpenAI, OpenAI-compatible servers and OpenRouter: one chat-completions client, two setups."""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from engines.adapters.base import Completion
from engines.adapters.hosted import Connection, HostedAdapter, HostedClient, sdk_error
from engines.errors import EngineError
from engines.schemas import DraftSchema

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENROUTER_BASE_URL = "https://openrouter.ai/api/v1"
# Local OpenAI-compatible servers ignore the key, but the SDK refuses to send no key at all.
PLACEHOLDER_KEY = "no-key-needed"

# How an OpenAI-compatible server without JSON-schema answers (older vLLM, llama.cpp or
# LM Studio builds, some proxies) refuses a request that carries one.
_REFUSED_REQUEST_STATUSES = frozenset({400, 422})
_SCHEMA_WORDS = ("response_format", "json_schema")
# The least time a retry is given, so that one started at the deadline times out cleanly.
_MIN_RETRY_TIMEOUT_S = 0.05


def _refuses_json_schema(error: Exception, sdk: ModuleType) -> bool:
    """Whether a server refused a request because of its JSON schema response format."""
    if not isinstance(error, sdk.APIStatusError):
        return False
    said = str(error).lower()
    return error.status_code in _REFUSED_REQUEST_STATUSES and any(
        word in said for word in _SCHEMA_WORDS
    )


@dataclass(frozen=True)
class OpenAICompatibleClient(HostedClient):
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


class _OpenAICompatibleAdapter(HostedAdapter):
    sdk_module = "openai"
    install_hint = "Install the OpenAI SDK: pip install 'dreams[providers]', then restart."
    client_type = OpenAICompatibleClient


class OpenAIAdapter(_OpenAICompatibleAdapter):
    setup_hint = (
        "Set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) in the "
        "server's environment (or .env), then restart Dreams."
    )

    def _connection(self, env: Mapping[str, str]) -> Connection | None:
        # A compatible server needs no key: its URL alone is a setup.
        api_key = env.get("OPENAI_API_KEY", "")
        base_url = env.get("OPENAI_BASE_URL", "")
        if not api_key and not base_url:
            return None
        return Connection(base_url or OPENAI_BASE_URL, api_key or PLACEHOLDER_KEY)


class OpenRouterAdapter(_OpenAICompatibleAdapter):
    setup_hint = (
        "Set OPENROUTER_API_KEY in the server's environment (or .env), then restart Dreams."
    )
    key_variables = ("OPENROUTER_API_KEY",)
    base_url_variable = "OPENROUTER_BASE_URL"
    default_base_url = OPENROUTER_BASE_URL
