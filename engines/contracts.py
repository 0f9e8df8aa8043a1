"""What goes into an engine and what must come out of it.

Every engine, from a hosted model to the offline one, answers the same two calls with
these drafts. Drafts are validated here (shape, ranges, and the sigil code through the
sigil parser), so nothing downstream ever meets an engine's raw output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from dreams.emotion import CIRCUMPLEX_MAX, CIRCUMPLEX_MIN
from dreams.sigils import SigilSyntaxError, parse_sigil
from dreams.text import clean_text, text_problem

Unit = Annotated[float, Field(ge=CIRCUMPLEX_MIN, le=CIRCUMPLEX_MAX)]
# Engine output is text like any other input: no lone surrogates, NUL or control characters.
Clean = AfterValidator(clean_text)


class Circumplex(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    valence: Unit
    arousal: Unit


class _SigilDraft(BaseModel):
    """A sigil phrase of one to five words and sigil code that must parse."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    sigil_phrase: Annotated[str, Field(min_length=1, max_length=120), Clean]
    sigil_code: Annotated[str, Field(min_length=1, max_length=20_480), Clean]
    circumplex: Circumplex
    # Filled from sigil_code by validation; engines never send it.
    sigil_commands: list[list] = Field(default_factory=list, exclude=True)

    @field_validator("sigil_phrase")
    @classmethod
    def phrase_has_one_to_five_words(cls, phrase: str) -> str:
        words = phrase.split()
        if not 1 <= len(words) <= 5:
            raise ValueError(f"the sigil phrase must have 1 to 5 words, not {len(words)}")
        return " ".join(words)

    @model_validator(mode="after")
    def sigil_code_parses(self) -> _SigilDraft:
        try:
            self.sigil_commands = parse_sigil(self.sigil_code)
        except SigilSyntaxError as error:
            raise ValueError(f"sigil_code is not valid sigil code: {error}") from None
        if not any(command[0] in {"stroke", "fill"} for command in self.sigil_commands):
            raise ValueError("sigil_code never calls stroke() or fill(), so it draws nothing")
        return self


class MomentDraft(_SigilDraft):
    """The output of cognize: one new mind moment."""

    mind_moment: Annotated[str, Field(min_length=1, max_length=2_000), Clean]


class DreamTheme(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=80), Clean]
    summary: Annotated[str, Field(min_length=1, max_length=600), Clean]
    moment_ids: Annotated[list[int], Field(min_length=1, max_length=50)]


class ThreadDraft(BaseModel):
    """A continuity thread the dream touches: a recurring concern, named the same way
    across dreams so that it can be followed."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=80), Clean]
    note: Annotated[str, Field(max_length=400), Clean] = ""


class DreamDraft(_SigilDraft):
    """The output of dream: a dream review consolidating recent moments."""

    title: Annotated[str, Field(min_length=1, max_length=120), Clean]
    narrative: Annotated[str, Field(min_length=1, max_length=6_000), Clean]
    themes: Annotated[list[DreamTheme], Field(min_length=1, max_length=5)]
    threads: Annotated[list[ThreadDraft], Field(max_length=12)] = Field(default_factory=list)

    def cited_moment_ids(self) -> set[int]:
        return {moment_id for theme in self.themes for moment_id in theme.moment_ids}


@dataclass(frozen=True)
class PerceptInput:
    """A percept as an engine sees it: what was seen or heard, and how it felt."""

    kind: str  # "visual" or "audio"
    description: str = ""
    transcript: str = ""
    valence: float | None = None
    arousal: float | None = None

    @property
    def content(self) -> str:
        return self.description or self.transcript


@dataclass(frozen=True)
class MomentContext:
    """A prior mind moment given as context, and a member of dream material."""

    id: int
    cycle: int
    text: str
    sigil_phrase: str
    valence: float
    arousal: float
    created_at: datetime | None = None
    sigil_commands: list[list] = field(default_factory=list)


@dataclass(frozen=True)
class ContinuityContext:
    """An open continuity thread carried into the next dream."""

    name: str
    status: str
    times_seen: int
    note: str = ""


# The longest wording a personality may give each part of its voice.
VOICE_MAX_CHARS = 2_000
SIGIL_STYLE_MAX_CHARS = 1_000


@dataclass(frozen=True)
class Voice:
    """The editable part of the prompts: who the mind is when it thinks (cognition) and
    when it dreams (dreaming), and how its sigils look (sigil_style). A personality version
    holds one; `engines.prompts` puts the fixed contract after it.

    Checked like all text: within its length, no lone surrogates, NUL or control
    characters. Cognition and dreaming may not be blank; a sigil style may.
    """

    cognition: str
    dreaming: str
    sigil_style: str = ""

    def __post_init__(self) -> None:
        for name, label, limit, required in (
            ("cognition", "the voice of cognition", VOICE_MAX_CHARS, True),
            ("dreaming", "the voice of dreaming", VOICE_MAX_CHARS, True),
            ("sigil_style", "the sigil style", SIGIL_STYLE_MAX_CHARS, False),
        ):
            text = getattr(self, name)
            if required and not text.strip():
                raise ValueError(f"{label} is empty")
            if len(text) > limit:
                raise ValueError(f"{label} is {len(text)} characters long (at most {limit})")
            problem = text_problem(text)
            if problem is not None:
                raise ValueError(f"{label} {problem}")
