"""The built-in engine: no network, no model download, the same answer for the same input.

`cognize` writes a first-person observation out of the percepts' own words, picks the
sigil phrase from their most salient terms, averages their emotional readings and draws
the sigil from the phrase. `dream` finds the recurring themes of the material (TF-IDF over
each moment's text and sigil phrase, k-means with a fixed seed, the number of themes chosen
by silhouette), cites the moments nearest each theme's centre and most strongly felt, names
themes and threads by their most distinctive terms (reusing the names of open threads that
match) and composes the dream sigil from the cited moments' sigils.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from itertools import zip_longest
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from dreams.sigils.commands import commands_to_code
from dreams.sigils.compose import compose_sigils
from dreams.sigils.generate import generate_sigil
from engines.adapters.base import Answer
from engines.contracts import (
    ContinuityContext,
    DreamDraft,
    MomentContext,
    MomentDraft,
    PerceptInput,
    Voice,
)
from engines.errors import EngineOutputInvalid
from engines.offline.cognition import (
    DRIFT,
    ECHO,
    NOTHING_MADE_OUT,
    NOTHING_PERCEIVED,
    STILLNESS,
    candidate_phrases,
    echo_term,
    perceived,
    recurrence,
    remembered_terms,
    sigil_phrase,
    word_scores,
)
from engines.offline.mood import MOODS, mean_circumplex, moment_circumplex, mood_key
from engines.offline.narrative import narrative, recalled, theme_summary, thread_note
from engines.offline.prose import joined
from engines.offline.themes import SIGIL_MEMBERS, Theme, cited_moments, find_themes, name_themes
from engines.prompts import DEFAULT_VOICE

DraftT = TypeVar("DraftT", bound=BaseModel)


class OfflineEngine:
    """Deterministic and local: all it needs is the words it is given.

    It follows none of a personality: it has no language model to hand a voice or a sigil
    style to, so it takes `voice` like every engine and writes in its own words, whatever
    the voice says (the registry's disclosure and the personality page say so).
    """

    def cognize(
        self,
        percepts: Sequence[PerceptInput],
        prior_moments: Sequence[MomentContext],
        *,
        voice: Voice = DEFAULT_VOICE,
    ) -> Answer[MomentDraft]:
        remembered = remembered_terms(prior_moments)
        scores = word_scores(percepts, remembered)
        phrases = candidate_phrases(percepts, scores)
        echo = echo_term(prior_moments)
        phrase = sigil_phrase(phrases) or (ECHO.format(echo) if echo else STILLNESS)
        sentences = [
            *perceived(percepts, scores, variant=zlib.crc32(phrase.encode("utf-8"))),
            *recurrence(phrases, remembered, len(prior_moments)),
        ]
        if not sentences:
            sentences = [NOTHING_MADE_OUT if percepts else NOTHING_PERCEIVED]
            if echo:
                sentences.append(DRIFT.format(echo))
        valence, arousal = moment_circumplex(percepts, prior_moments)
        sentences.append(MOODS[mood_key(valence, arousal)][1])
        sigil = generate_sigil(phrase)
        return Answer(
            _validated(
                MomentDraft,
                {
                    "mind_moment": " ".join(sentences[:3]),
                    "sigil_phrase": phrase,
                    "sigil_code": sigil.code,
                    "circumplex": {"valence": valence, "arousal": arousal},
                },
            )
        )

    def dream(
        self,
        material: Sequence[MomentContext],
        continuity: Sequence[ContinuityContext],
        *,
        voice: Voice = DEFAULT_VOICE,
    ) -> Answer[DreamDraft]:
        # Sorted, so that the same moments give the same dream in whatever order they come.
        moments = sorted(material, key=lambda moment: (moment.cycle, moment.id))
        themes = name_themes(find_themes(moments), continuity)
        keywords = [theme.keyword for theme in themes if theme.keyword][:3]
        title = f"A dream of {joined(keywords)}" if keywords else "A quiet dream"
        commands = compose_sigils(_sigil_members(themes), seed=title)
        if not commands:
            commands = generate_sigil(title).commands
        valence, arousal = mean_circumplex(moments)
        excerpts = recalled(themes)
        return Answer(
            _validated(
                DreamDraft,
                {
                    "title": title,
                    "narrative": narrative(
                        moments, themes, continuity, (valence, arousal), excerpts
                    ),
                    "themes": [
                        {
                            "name": theme.name,
                            "summary": theme_summary(theme, excerpt),
                            "moment_ids": [moment.id for moment in cited_moments(theme)],
                        }
                        for theme, excerpt in zip(themes, excerpts, strict=True)
                    ],
                    "threads": [
                        {"name": theme.name, "note": thread_note(theme)} for theme in themes
                    ],
                    "sigil_phrase": joined(keywords, final=", ") if keywords else STILLNESS,
                    "sigil_code": commands_to_code(commands),
                    "circumplex": {"valence": valence, "arousal": arousal},
                },
            )
        )


def _validated(draft_type: type[DraftT], data: dict) -> DraftT:
    # Callers handle engine errors, never a pydantic exception.
    try:
        return draft_type.model_validate(data)
    except ValidationError as error:
        raise EngineOutputInvalid(str(error)) from None


def _sigil_members(themes: Sequence[Theme]) -> list[list[list]]:
    """Cited sigils for the dream sigil, most salient first, taking turns between themes so
    that every theme is in the drawing."""
    ranked = [
        [moment.sigil_commands for moment in cited_moments(theme) if moment.sigil_commands]
        for theme in themes
    ]
    turns = zip_longest(*ranked)
    return [commands for turn in turns for commands in turn if commands][:SIGIL_MEMBERS]
