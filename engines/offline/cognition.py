"""What cognize writes: salient terms and phrases of the percepts, sentences of what was
seen and heard, a term that keeps returning, and the words that are the engine's own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from engines.contracts import MomentContext, PerceptInput
from engines.offline.hearing import is_described_sound
from engines.offline.mood import MOODS
from engines.offline.prose import (
    capitalized,
    in_sentence,
    in_words,
    joined,
    shortened,
    verb_for,
)
from engines.offline.words import BOILERPLATE, QUESTION_OPENERS, SENTENCE_END, runs, word_terms

# What cognize writes around the percepts' own words.
_SIGHT_OPENINGS = ("In front of me, {}.", "Before me, {}.", "Here and now, {}.")
_ONE_VOICE = "Someone says, {}"
_VOICES = "I hear {}"
_SOUNDS = "Somewhere, {}."
NOTHING_PERCEIVED = "Nothing reaches me; the room is quiet."
NOTHING_MADE_OUT = "Something stirs, but I cannot make it out."
DRIFT = "My thoughts drift back to \u201c{}\u201d."
ECHO = "echo of {}"
STILLNESS = "stillness"
_AGAIN = "{} again; it was in my thoughts a little while ago."
_RETURNING = "{} {} returning: it was in {} of my last {} thoughts."
_RETURNS = ("keeps", "keep")  # as the term is one thing or many


# The words cognize writes itself say nothing about what a moment was about: left out of
# dreams, they cannot pull moments together by mood sentence or by phrasing.
_OWN_WORDS = frozenset(
    word_terms(
        " ".join(
            [
                *_SIGHT_OPENINGS,
                _ONE_VOICE,
                _VOICES,
                _SOUNDS,
                NOTHING_PERCEIVED,
                NOTHING_MADE_OUT,
                DRIFT,
                ECHO,
                STILLNESS,
                _AGAIN,
                _RETURNING,
                *_RETURNS,
                *(sentence for _, sentence in MOODS.values()),
            ]
        )
    )
)


def content_terms(text: str) -> list[str]:
    """The terms of a moment's text that are not the engine's own wording."""
    return [term for term in word_terms(text) if term not in _OWN_WORDS]


# cognize -------------------------------------------------------------------------------


def word_scores(percepts: Sequence[PerceptInput], remembered: Counter[str]) -> dict[str, float]:
    """How salient each term of the percepts is: how often it occurs, in how many percepts,
    and, lightly, whether it was already on the mind."""
    occurrences: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for percept in percepts:
        terms = word_terms(f"{percept.description} {percept.transcript}")
        occurrences.update(terms)
        spread.update(set(terms))
    return {
        term: count + (spread[term] - 1) + (0.5 if remembered[term] else 0.0)
        for term, count in occurrences.items()
    }


def remembered_terms(prior_moments: Sequence[MomentContext]) -> Counter[str]:
    """In how many prior moments each term occurs (but for the words cognize writes)."""
    counts: Counter[str] = Counter()
    for moment in prior_moments:
        counts.update(set(content_terms(f"{moment.text} {moment.sigil_phrase}")))
    return counts


def candidate_phrases(
    percepts: Sequence[PerceptInput], scores: Mapping[str, float]
) -> list[tuple[str, ...]]:
    """Candidate phrases, most salient first.

    A phrase is as salient as its most salient word, with a little more for every other
    word (it is more specific); ties go to the phrase met first.
    """
    candidates: dict[tuple[str, ...], float] = {}
    for percept in percepts:
        for text in (percept.description, percept.transcript):
            for run in runs(text):
                weights = sorted((scores[term] for term in run), reverse=True)
                candidates.setdefault(run, weights[0] + 0.25 * sum(weights[1:]))
    return sorted(candidates, key=lambda run: -candidates[run])


def sigil_phrase(phrases: Sequence[tuple[str, ...]]) -> str:
    """The best phrase; a single word gets the next best phrase joined to it."""
    if not phrases:
        return ""
    best = phrases[0]
    if len(best) == 1:
        partner = next((run for run in phrases if not set(run) & set(best)), None)
        if partner:
            return f"{best[0]} and {' '.join(partner)}"
    return " ".join(best)


def echo_term(prior_moments: Sequence[MomentContext]) -> str | None:
    """With nothing to name, a moment echoes the term most present in recent sigil phrases
    (what the mind distilled, not every word it wrote)."""
    counts = Counter(
        term for moment in prior_moments for term in set(content_terms(moment.sigil_phrase))
    )
    return min(counts, key=lambda term: (-counts[term], term), default=None)


def _clause(description: str) -> str:
    """A description's first sentence, ready to follow "In front of me," or "Somewhere,"."""
    text = BOILERPLATE.sub("", SENTENCE_END.split(description.strip(), maxsplit=1)[0])
    return in_sentence(shortened(text).rstrip(" ."))


def _quote(transcript: str) -> str:
    """A transcript as quoted speech; transcripts seldom punctuate, so questions get their
    question mark back."""
    quote = capitalized(shortened(transcript).rstrip(" ."))
    first = quote.split(maxsplit=1)[0].lower() if quote else ""
    if first in QUESTION_OPENERS and quote[-1] not in "?!\u2026":
        quote += "?"
    return quote


def _most_salient(texts: list[str], scores: Mapping[str, float], limit: int = 2) -> list[str]:
    """Up to `limit` distinct texts carrying the most salient words, in their own order."""
    texts = list(dict.fromkeys(text for text in texts if text))

    def salience(index: int) -> float:
        return max((scores.get(term, 0.0) for term in word_terms(texts[index])), default=0.0)

    chosen = sorted(sorted(range(len(texts)), key=lambda index: -salience(index))[:limit])
    return [texts[index] for index in chosen]


def perceived(
    percepts: Sequence[PerceptInput], scores: Mapping[str, float], *, variant: int
) -> list[str]:
    """At most two sentences of what was seen, heard said, and heard: a transcript that
    describes a sound is written as one, never quoted as speech."""
    sights = _most_salient([_clause(p.description) for p in percepts if p.kind != "audio"], scores)
    said = [p.transcript for p in percepts if not is_described_sound(p.transcript)]
    speech = _most_salient([_quote(transcript) for transcript in said], scores)
    sounds = _most_salient(
        [
            *(_clause(p.description) for p in percepts if p.kind == "audio"),
            *(_clause(p.transcript) for p in percepts if is_described_sound(p.transcript)),
        ],
        scores,
    )
    sentences = []
    if sights:
        opening = _SIGHT_OPENINGS[variant % len(_SIGHT_OPENINGS)]
        sentences.append(opening.format("; then ".join(sights)))
    if speech:
        quoted = ", then ".join(f"\u201c{quote}\u201d" for quote in speech)
        ending = "" if speech[-1][-1] in "?!\u2026" else "."
        sentences.append((_ONE_VOICE if len(speech) == 1 else _VOICES).format(quoted) + ending)
    if sounds:
        sentences.append(_SOUNDS.format(joined(sounds)))
    return sentences[:2]


def recurrence(
    phrases: Sequence[tuple[str, ...]], remembered: Counter[str], recent: int
) -> list[str]:
    """A sentence noticing the most salient phrase word that was already on the mind."""
    term = next((term for run in phrases for term in run if remembered[term]), None)
    if term is None:
        return []
    times = remembered[term]
    if times == 1:
        return [_AGAIN.format(capitalized(term))]
    share = "each" if times == recent else in_words(times)
    verb = verb_for(term, *_RETURNS)
    return [_RETURNING.format(capitalized(term), verb, share, in_words(recent))]
