"""Typed engine failures, each with a reason code and product copy that is safe to show."""

from typing import ClassVar, Literal

from engines.redaction import redact

# The dream-run reason codes an engine failure is recorded with.
EngineFailure = Literal["engine_error", "engine_not_ready", "timeout", "invalid_output"]


class EngineError(Exception):
    """An engine call that did not produce a valid draft.

    `reason` is one of the dream-run reason codes; `message` is product copy for the
    operator; `detail` is redacted diagnostic text for logs and run records.
    """

    reason: ClassVar[EngineFailure] = "engine_error"
    default_message = "The engine could not answer. Check its readiness, then try again."
    # Whether `detail` is our own wording (safe and useful to show operators) rather than
    # a provider's raw error, which stays in the logs.
    detail_is_ours = False

    def __init__(self, detail: str = "", *, message: str | None = None) -> None:
        self.detail = redact(detail)[:500]
        self.message = message or self.default_message
        super().__init__(self.message if not self.detail else f"{self.message} ({self.detail})")

    @property
    def operator_message(self) -> str:
        if self.detail_is_ours and self.detail:
            return f"{self.message} ({self.detail})"
        return self.message


class EngineNotReady(EngineError):
    reason = "engine_not_ready"
    default_message = "The selected engine is not ready."


class EngineTimeout(EngineError):
    reason = "timeout"
    default_message = "The engine took longer than its time limit."
    detail_is_ours = True


class EngineOutputInvalid(EngineError):
    reason = "invalid_output"
    default_message = "The engine answered, but not with a valid draft."
    detail_is_ours = True


class EngineAuthFailed(EngineError):
    default_message = "The engine refused the credentials. Check its key or login, then reload."


class EngineRateLimited(EngineError):
    default_message = "The engine's provider is limiting requests. Wait a little, then try again."


class EngineUnreachable(EngineError):
    default_message = "The engine's server could not be reached. Check that it is running."
