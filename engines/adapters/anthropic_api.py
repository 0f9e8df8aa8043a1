"""Anthropic's Messages API through the official SDK."""

from dataclasses import dataclass

from engines.adapters.base import Completion
from engines.adapters.hosted import HostedAdapter, HostedClient, sdk_error
from engines.errors import EngineError
from engines.schemas import DraftSchema

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
# Room for the longest draft (a dream's narrative and themes) with a margin; drafts are
# validated afterwards, so a truncated answer surfaces as invalid output, not silence.
MAX_TOKENS = 4096


@dataclass(frozen=True)
class AnthropicClient(HostedClient):
    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion:
        import anthropic

        try:
            # Retries are the caller's decision, made with the whole time limit in view.
            with anthropic.Anthropic(
                api_key=self.api_key, base_url=self.base_url, max_retries=0, timeout=timeout
            ) as client:
                message = client.messages.create(
                    model=self.model,
                    max_tokens=MAX_TOKENS,
                    system=system,
                    messages=[{"role": "user", "content": prompt}],
                    # Anthropic's structured output: one tool whose input is the draft,
                    # and the model made to call it.
                    tools=[
                        {
                            "name": schema.name,
                            "description": "Give your answer by calling this tool.",
                            "input_schema": schema.json_schema,
                        }
                    ],
                    tool_choice={"type": "tool", "name": schema.name},
                    timeout=timeout,
                )
        except Exception as error:  # the contract: no provider exception escapes
            raise sdk_error(error, anthropic, [self.api_key]) from None
        try:
            tool_input = next(
                (
                    block.input
                    for block in message.content
                    if block.type == "tool_use" and block.name == schema.name
                ),
                None,
            )
            return Completion(
                # A server behind ANTHROPIC_BASE_URL without tools answers in text instead.
                text="".join(block.text for block in message.content if block.type == "text"),
                input_tokens=message.usage.input_tokens,
                output_tokens=message.usage.output_tokens,
                data=tool_input if isinstance(tool_input, dict) else None,
            )
        except (AttributeError, TypeError):
            raise EngineError("the server's answer is not an Anthropic message") from None


class AnthropicAdapter(HostedAdapter):
    sdk_module = "anthropic"
    install_hint = "Install the Anthropic SDK: pip install 'dreams[providers]', then restart."
    setup_hint = "Set ANTHROPIC_API_KEY in the server's environment (or .env), then restart Dreams."
    client_type = AnthropicClient
    key_variables = ("ANTHROPIC_API_KEY",)
    base_url_variable = "ANTHROPIC_BASE_URL"
    default_base_url = ANTHROPIC_BASE_URL
