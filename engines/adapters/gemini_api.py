"""Google's Gemini API through Google's official Gen AI SDK (`google-genai`)."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from engines.adapters.base import READY, Check, Completion, Engine, ReadinessState
from engines.adapters.openai_api import error_for_status, scrub, sdk_installed
from engines.adapters.prompted import PromptedEngine
from engines.errors import (
    EngineAuthFailed,
    EngineError,
    EngineNotReady,
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
SETUP_HINT = "Set GEMINI_API_KEY in the server's environment, then reload."
# Gemini refuses an unknown key with 400 and this reason, not with 401.
_INVALID_KEY_REASON = "API_KEY_INVALID"


def _api_key(env: Mapping[str, str]) -> str:
    return next((env[name] for name in KEY_VARIABLES if env.get(name)), "")


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
class GeminiClient:
    model: str
    base_url: str
    api_key: str = field(repr=False)

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


class GeminiAdapter:
    def check(self, env: Mapping[str, str]) -> Check:
        if not sdk_installed("google.genai"):
            return Check(
                ReadinessState.NOT_INSTALLED,
                "Install Google's Gen AI SDK: pip install 'dreams[providers]', then restart.",
            )
        if not _api_key(env):
            return Check(ReadinessState.NEEDS_SETUP, SETUP_HINT)
        return READY

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine:
        api_key = _api_key(env)
        if not api_key:
            raise EngineNotReady(message=f"{EngineNotReady.default_message} {SETUP_HINT}")
        client = GeminiClient(
            model=model,
            base_url=env.get("GEMINI_BASE_URL") or GEMINI_BASE_URL,
            api_key=api_key,
        )
        return PromptedEngine(client=client, timeout=timeout)
