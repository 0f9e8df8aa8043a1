"""Words and terms: what counts as a word, which words say nothing (stop words), and the
runs of content words that can make a phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Function words, speech fillers and the boilerplate of machine-written image
# descriptions: none of them says what a moment is about. Kept as text, one list to read.
_STOP_WORDS = frozenset(
    """
    a about above across actually after again against ago ah all almost along already also
    although always am among an and another any anyone anything anyway are around as at
    away back be became because become been before behind being below beside besides
    between beyond both but by can cannot could did do does doing done down during each
    either else enough even ever every everyone everything far few for from further get
    gets getting go goes going gone gonna got had has have having he her here hers herself
    him himself his how however i if in into is it its itself just kind know let like
    little lot made make makes many may maybe me might mine more most much must my myself
    near neither never next no nobody none nor not nothing now of off oh ok okay on once
    one only onto or other others our ours ourselves out over own perhaps please quite
    rather really right said same say says she should since so some somebody someone
    something somewhere sort still such sure than that the their theirs them themselves
    then there these they thing things think this those though through thus till to too
    toward towards uh um under until up upon us very was we well went were what whatever
    when where whether which while who whom whose why will with within without would yeah
    yes yet you your yours yourself yourselves
    appear appears appearing background camera depicts depicting foreground frame holding
    holds image looking looks photo photograph picture scene seem seems shows showing sit
    sits sitting stand standing stands view visible wearing wears
    """.split()  # noqa: SIM905
)
# Words that open a question: a transcript starting with one is asked.
QUESTION_OPENERS = frozenset(
    {
        "am",
        "are",
        "can",
        "could",
        "did",
        "do",
        "does",
        "has",
        "have",
        "how",
        "is",
        "may",
        "shall",
        "should",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "would",
    }
)


_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"[^\W\d_]+(?:[{_APOSTROPHES}-][^\W\d_]+)*")
# Phrases never run across punctuation.
_PUNCTUATION = re.compile('[.,;:!?()\\[\\]{}"/\u201c\u201d\u00ab\u00bb\u2026\u2013\u2014]+')
# A sentence also ends after a closing quote: 'Someone says, “Is it late?” Then...'
SENTENCE_END = re.compile("(?<=[.!?\u2026\u201d])\\s+")
BOILERPLATE = re.compile(
    r"^\s*(?:(?:the|this|an?)\s+)?(?:image|picture|photo(?:graph)?|frame|scene|camera view)"
    r"\s+(?:shows|depicts|contains|captures|features)\s+|^\s*i\s+(?:can\s+)?see\s+",
    re.IGNORECASE,
)


_MAX_PHRASE_RUN = 3
# Longer "words" are noise (a pasted link, a held key); they would also overflow the phrase.
_MAX_TERM_LENGTH = 24


# Words and terms -----------------------------------------------------------------------


def _term(word: str) -> str | None:
    """The term a word counts as, or None for stop words, contractions and fragments."""
    base, apostrophe, suffix = word.lower().replace("\u2019", "'").partition("'")
    if apostrophe and suffix == "t":  # don't, isn't: negations are function words
        return None
    if not 3 <= len(base) <= _MAX_TERM_LENGTH or base in _STOP_WORDS:
        return None
    return base


def word_terms(text: str) -> list[str]:
    return [term for word in _WORD.findall(text) if (term := _term(word))]


def runs(text: str) -> Iterator[tuple[str, ...]]:
    """Candidate phrases: runs of content words between stop words and punctuation, which
    keep their first words (after a determiner or a preposition the noun phrase comes
    first, and what trails it is often a verb)."""
    for chunk in _PUNCTUATION.split(text):
        run: list[str] = []
        # The empty word at the end closes the last run.
        for word in [*_WORD.findall(chunk), ""]:
            term = _term(word) if word else None
            if term and not _ends_phrase(term, run):
                run.append(term)
                continue
            if run:
                yield tuple(dict.fromkeys(run))[:_MAX_PHRASE_RUN]
            run = []


def _ends_phrase(term: str, run: list[str]) -> bool:
    """Cheap cues, in place of a part-of-speech tagger, that a noun phrase is over: an
    adverb (-ly), a participle (-ing), or a verb-like -s word after a word that is not
    plural ("an old man checks his watch")."""
    if (term.endswith("ly") and len(term) > 4) or (term.endswith("ing") and len(term) > 5):
        return True
    verb_like = term.endswith("s") and not term.endswith(("ss", "us", "is"))
    return verb_like and bool(run) and not run[-1].endswith("s")
