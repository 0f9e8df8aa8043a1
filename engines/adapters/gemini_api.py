"""Google's Gemini API through Google's official Gen AI SDK (`google-genai`)."""

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from engines.adapters.base import Completion
from engines.adapters.hosted import (
    HostedAdapter,
    HostedClient,
    error_for_status,
    scrub,
)
from engines.errors import (
    EngineAuthFailed,
    EngineError,
    EngineOutputInvalid,
    EngineTimeout,
    EngineUnreachable,
)
from engines.schemas import DraftSchema

if TYPE_CHECKING:
    from google.genai.types import GenerateContentResponse

GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
# GEMINI_API_KEY is the one documented; Google's SDK and tools also read GOOGLE_API_KEY,
# so a server set up for them works as it is. GEMINI_API_KEY wins when both are set.
KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
# Gemini refuses an unknown key with 400 and this reason, not with 401.
_INVALID_KEY_REASON = "API_KEY_INVALID"


def _gemini_error(error: Exception, secrets: list[str]) -> EngineError:
    """The typed error for an exception raised inside the Gen AI SDK or its HTTP client."""
    from google.genai import errors

    detail = scrub(str(error), secrets)
    if isinstance(error, httpx.TimeoutException):
        return EngineTimeout(detail)
    if isinstance(error, httpx.ConnectError):
        return EngineUnreachable(detail)
    if isinstance(error, errors.APIError):
        if _INVALID_KEY_REASON in str(error.details):
            return EngineAuthFailed(detail)
        return error_for_status(error.code, detail)
    return EngineError(detail)


def _no_answer_reason(response: "GenerateContentResponse") -> str:
    """Why Gemini answered without text: a blocked prompt or the candidate's finish reason."""
    feedback = response.prompt_feedback
    if feedback and feedback.block_reason:
        return f"the request was blocked: {feedback.block_reason}"
    if response.candidates and response.candidates[0].finish_reason:
        return f"it stopped: {response.candidates[0].finish_reason}"
    return "it sent no candidate"


@dataclass(frozen=True)
class GeminiClient(HostedClient):
    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion:
        from google import genai
        from google.genai import types

        try:
            # Our own HTTP client, so a failure to connect or a timeout is httpx's whichever
            # transport the SDK would pick; the SDK's timeout (milliseconds) bounds every
            # request, and without retry options it never retries.
            with (
                httpx.Client(timeout=timeout) as http,
                genai.Client(
                    api_key=self.api_key,
                    vertexai=False,
                    http_options=types.HttpOptions(
                        base_url=self.base_url,
                        timeout=math.ceil(timeout * 1000),
                        httpx_client=http,
                    ),
                ) as client,
            ):
                response = client.models.generate_content(
                    model=self.model,
                    contents=prompt,
                    config=types.GenerateContentConfig(
                        system_instruction=system,
                        # Gemini's structured output: JSON held to the draft's schema.
                        response_mime_type="application/json",
                        response_json_schema=schema.json_schema,
                        # No Python functions are offered as tools, so none are called.
                        automatic_function_calling=types.AutomaticFunctionCallingConfig(
                            disable=True
                        ),
                    ),
                )
        except Exception as error:  # the contract: no provider exception escapes
            raise _gemini_error(error, [self.api_key]) from None
        text = response.text
        if not text:
            raise EngineOutputInvalid(f"Gemini gave no answer; {_no_answer_reason(response)}")
        usage = response.usage_metadata
        return Completion(
            text=text,
            input_tokens=usage.prompt_token_count if usage else None,
            output_tokens=usage.candidates_token_count if usage else None,
        )


class GeminiAdapter(HostedAdapter):
    sdk_module = "google.genai"
    install_hint = "Install Google's Gen AI SDK: pip install 'dreams[providers]', then restart."
    setup_hint = "Set GEMINI_API_KEY in the server's environment (or .env), then restart Dreams."
    client_type = GeminiClient
    key_variables = KEY_VARIABLES
    base_url_variable = "GEMINI_BASE_URL"
    default_base_url = GEMINI_BASE_URL
