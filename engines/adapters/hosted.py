"""What the engines behind a provider's HTTP API share.

An adapter for a provider's SDK (`HostedAdapter`): the SDK must be importable, the
environment must say where to send requests and with which key, and then it builds the
provider's completion client. And the errors: an HTTP status or an SDK's exception turned
into a typed engine error, with the credentials scrubbed out first.
"""

import importlib.util
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import ClassVar

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

_STATUS_ERRORS: dict[int, type[EngineError]] = {
    401: EngineAuthFailed,
    403: EngineAuthFailed,
    429: EngineRateLimited,
}


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


@dataclass(frozen=True)
class Connection:
    base_url: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class HostedClient(ABC):
    """A provider's completion client: which model, where, with which key."""

    model: str
    base_url: str
    api_key: str = field(repr=False)

    @abstractmethod
    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion: ...


class HostedAdapter(ABC):
    """An engine behind a provider's SDK: not installed without the SDK, needing setup
    without a connection, ready otherwise (the key's worth shows on the first call)."""

    sdk_module: ClassVar[str]
    install_hint: ClassVar[str]
    setup_hint: ClassVar[str]
    client_type: ClassVar[type[HostedClient]]
    # The variables holding the key (the first one set wins) and overriding the URL.
    key_variables: ClassVar[tuple[str, ...]]
    base_url_variable: ClassVar[str]
    default_base_url: ClassVar[str]

    def _connection(self, env: Mapping[str, str]) -> Connection | None:
        """Where to send requests and with which key, or None while that is not set up."""
        api_key = next((env[name] for name in self.key_variables if env.get(name)), "")
        if not api_key:
            return None
        return Connection(env.get(self.base_url_variable) or self.default_base_url, api_key)

    def check(self, env: Mapping[str, str]) -> Check:
        if not sdk_installed(self.sdk_module):
            return Check(ReadinessState.NOT_INSTALLED, self.install_hint)
        if self._connection(env) is None:
            return Check(ReadinessState.NEEDS_SETUP, self.setup_hint)
        return READY

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine:
        connection = self._connection(env)
        if connection is None:
            raise EngineNotReady(message=f"{EngineNotReady.default_message} {self.setup_hint}")
        client = self.client_type(
            model=model, base_url=connection.base_url, api_key=connection.api_key
        )
        return PromptedEngine(client=client, timeout=timeout)
