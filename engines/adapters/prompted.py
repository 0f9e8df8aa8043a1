"""An engine made of a language model: the shared prompts, the model's completion, and
the draft parsed out of its answer."""

from collections.abc import Sequence
from dataclasses import dataclass

from engines.adapters.base import Answer, CompletionClient
from engines.contracts import (
    ContinuityContext,
    DreamDraft,
    MomentContext,
    MomentDraft,
    PerceptInput,
    Voice,
)
from engines.output import Draft, parse_draft, validate_draft
from engines.prompts import (
    DEFAULT_VOICE,
    cognize_prompt,
    cognize_system,
    dream_prompt,
    dream_system,
)
from engines.schemas import draft_schema


@dataclass(frozen=True)
class PromptedEngine:
    client: CompletionClient
    timeout: float

    def _ask(self, system: str, prompt: str, draft_type: type[Draft]) -> Answer[Draft]:
        completion = self.client.complete(
            system=system, prompt=prompt, schema=draft_schema(draft_type), timeout=self.timeout
        )
        if completion.data is not None:
            draft = validate_draft(completion.data, draft_type)
        else:
            draft = parse_draft(completion.text, draft_type)
        return Answer(draft, completion.input_tokens, completion.output_tokens)

    def cognize(
        self,
        percepts: Sequence[PerceptInput],
        prior_moments: Sequence[MomentContext],
        *,
        voice: Voice = DEFAULT_VOICE,
    ) -> Answer[MomentDraft]:
        return self._ask(
            cognize_system(voice), cognize_prompt(percepts, prior_moments), MomentDraft
        )

    def dream(
        self,
        material: Sequence[MomentContext],
        continuity: Sequence[ContinuityContext],
        *,
        voice: Voice = DEFAULT_VOICE,
    ) -> Answer[DreamDraft]:
        return self._ask(dream_system(voice), dream_prompt(material, continuity), DreamDraft)
