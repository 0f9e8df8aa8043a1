"""What every engine adapter provides: a cheap readiness check and a completion client."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from engines.contracts import (
    ContinuityContext,
    DreamDraft,
    MomentContext,
    MomentDraft,
    PerceptInput,
    Voice,
)
from engines.prompts import DEFAULT_VOICE
from engines.schemas import DraftSchema

DraftT = TypeVar("DraftT")


class ReadinessState(StrEnum):
    READY = "ready"
    NEEDS_SETUP = "needs_setup"
    NOT_INSTALLED = "not_installed"
    UNREACHABLE = "unreachable"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Check:
    """The outcome of a readiness check: a state and, unless ready, what to do about it."""

    state: ReadinessState
    fix_hint: str = ""


READY = Check(ReadinessState.READY)


@dataclass(frozen=True)
class Completion:
    """A model's answer: its text or, where the provider hands the answer over already
    decoded (a forced tool call), that JSON object as `data`."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    data: dict | None = None


class CompletionClient(Protocol):
    """A language model behind an engine: system + prompt in, an answer out, within `timeout`.

    `schema` is the draft's JSON schema: clients whose provider has a structured-output
    feature send it there; the others (the CLIs) leave the shape to the prompt.
    Implementations raise the typed errors of `engines.errors` (timeout, auth, rate limit,
    unreachable, other) and never let a provider's exception escape.
    """

    def complete(
        self, *, system: str, prompt: str, schema: DraftSchema, timeout: float
    ) -> Completion: ...


@dataclass(frozen=True)
class Answer(Generic[DraftT]):
    """A validated draft and what the provider reported about the call."""

    draft: DraftT
    input_tokens: int | None = None
    output_tokens: int | None = None


class Engine(Protocol):
    """The two calls every engine answers (see `engines.contracts`), in the voice of a
    personality (see `engines.prompts`)."""

    def cognize(
        self,
        percepts: Sequence[PerceptInput],
        prior_moments: Sequence[MomentContext],
        *,
        voice: Voice = DEFAULT_VOICE,
    ) -> Answer[MomentDraft]: ...

    def dream(
        self,
        material: Sequence[MomentContext],
        continuity: Sequence[ContinuityContext],
        *,
        voice: Voice = DEFAULT_VOICE,
    ) -> Answer[DreamDraft]: ...


class Adapter(Protocol):
    def check(self, env: Mapping[str, str]) -> Check:
        """Cheap and local: environment, PATH, importable packages. No network."""
        ...

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> Engine: ...
