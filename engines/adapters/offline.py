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

import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise, zip_longest
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from dreams.emotion import clamp_unit
from dreams.sigils.commands import commands_to_code
from dreams.sigils.compose import compose_sigils
from dreams.sigils.generate import generate_sigil
from engines.adapters.base import READY, Answer, Check
from engines.contracts import (
    ContinuityContext,
    DreamDraft,
    MomentContext,
    MomentDraft,
    PerceptInput,
)
from engines.errors import EngineOutputInvalid

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse

DraftT = TypeVar("DraftT", bound=BaseModel)

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
_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"[^\W\d_]+(?:[{_APOSTROPHES}-][^\W\d_]+)*")
# Phrases never run across punctuation.
_PUNCTUATION = re.compile('[.,;:!?()\\[\\]{}"/\u201c\u201d\u00ab\u00bb\u2026\u2013\u2014]+')
# A sentence also ends after a closing quote: 'Someone says, “Is it late?” Then...'
_SENTENCE_END = re.compile("(?<=[.!?\u2026\u201d])\\s+")
_BOILERPLATE = re.compile(
    r"^\s*(?:(?:the|this|an?)\s+)?(?:image|picture|photo(?:graph)?|frame|scene|camera view)"
    r"\s+(?:shows|depicts|contains|captures|features)\s+|^\s*i\s+(?:can\s+)?see\s+",
    re.IGNORECASE,
)

_MAX_PHRASE_RUN = 3
# Longer "words" are noise (a pasted link, a held key); they would also overflow the phrase.
_MAX_TERM_LENGTH = 24
_MAX_QUOTED_WORDS = 24
_MAX_QUOTED_CHARS = 200
_MAX_EXCERPT_CHARS = 160
# With no reading of its own, a moment keeps a fading share of the recent mood.
_LINGERING_MOOD = 0.25
_QUIET_AROUSAL = -0.2
# Readings within this distance of zero count as neutral when putting a mood into words.
_NEUTRAL_BAND = 0.15

_MAX_THEMES = 5
_CITED_PER_THEME = 8
_PHRASE_WEIGHT = 3
_TERMS_PER_THEME = 8
_SIGIL_MEMBERS = 5
_SILHOUETTE_SAMPLE = 2000
_K_MEANS_SEEDINGS = 3
_K_MEANS_ROUNDS = 300
# A moment cited for a theme is close to its centre first, strongly felt second.
_INTENSITY_WEIGHT = 0.5
_QUIET_THREADS_NAMED = 3

_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)

# (mood adjective, a sentence of the moment feeling it), by sign of valence and arousal.
_MOODS: dict[tuple[int, int], tuple[str, str]] = {
    (1, 1): ("bright and lively", "Something bright and quick moves in me."),
    (1, 0): ("warm", "It leaves me quietly glad."),
    (1, -1): ("calm and warm", "It settles in me, calm and warm."),
    (0, 1): ("charged", "The air feels charged."),
    (0, 0): ("steady", "I hold it evenly, leaning neither way."),
    (0, -1): ("still", "Everything feels slow and still."),
    (-1, 1): ("tense", "Something in it puts me on edge."),
    (-1, 0): ("heavy", "It sits heavily with me."),
    (-1, -1): ("low and grey", "It leaves a low, grey weight behind."),
}
_QUESTION_OPENERS = frozenset(
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
_RECALLS = ("One stays with me:", "I remember", "Still with me:")

# What cognize writes around the percepts' own words.
_SIGHT_OPENINGS = ("In front of me, {}.", "Before me, {}.", "Here and now, {}.")
_ONE_VOICE = "Someone says, {}"
_VOICES = "I hear {}"
_SOUNDS = "Somewhere, {}."
_NOTHING_PERCEIVED = "Nothing reaches me; the room is quiet."
_NOTHING_MADE_OUT = "Something stirs, but I cannot make it out."
_DRIFT = "My thoughts drift back to \u201c{}\u201d."
_ECHO = "echo of {}"
_STILLNESS = "stillness"
_AGAIN = "{} again; it was in my thoughts a little while ago."
_RETURNING = "{} keeps returning: it was in {} of my last {} thoughts."


class OfflineAdapter:
    def check(self, env: Mapping[str, str]) -> Check:
        return READY

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> OfflineEngine:
        return OfflineEngine()


class OfflineEngine:
    """Deterministic and local: all it needs is the words it is given."""

    def cognize(
        self, percepts: Sequence[PerceptInput], prior_moments: Sequence[MomentContext]
    ) -> Answer[MomentDraft]:
        remembered = _remembered_terms(prior_moments)
        scores = _word_scores(percepts, remembered)
        phrases = _candidate_phrases(percepts, scores)
        echo = _echo(prior_moments)
        phrase = _sigil_phrase(phrases) or (_ECHO.format(echo) if echo else _STILLNESS)
        sentences = [
            *_perceived(percepts, scores, variant=zlib.crc32(phrase.encode("utf-8"))),
            *_recurrence(phrases, remembered, len(prior_moments)),
        ]
        if not sentences:
            sentences = [_NOTHING_MADE_OUT if percepts else _NOTHING_PERCEIVED]
            if echo:
                sentences.append(_DRIFT.format(echo))
        valence, arousal = _moment_circumplex(percepts, prior_moments)
        sentences.append(_MOODS[_mood_key(valence, arousal)][1])
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
        self, material: Sequence[MomentContext], continuity: Sequence[ContinuityContext]
    ) -> Answer[DreamDraft]:
        # Sorted, so that the same moments give the same dream in whatever order they come.
        moments = sorted(material, key=lambda moment: (moment.cycle, moment.id))
        themes = _name_themes(_find_themes(moments), continuity)
        keywords = [theme.keyword for theme in themes if theme.keyword][:3]
        title = f"A dream of {_join(keywords)}" if keywords else "A quiet dream"
        commands = compose_sigils(_sigil_members(themes), seed=title)
        if not commands:
            commands = generate_sigil(title).commands
        valence, arousal = _mean_circumplex(moments)
        return Answer(
            _validated(
                DreamDraft,
                {
                    "title": title,
                    "narrative": _narrative(moments, themes, continuity, (valence, arousal)),
                    "themes": [
                        {
                            "name": theme.name,
                            "summary": _theme_summary(theme),
                            "moment_ids": [m.id for m in theme.members[:_CITED_PER_THEME]],
                        }
                        for theme in themes
                    ],
                    "threads": [
                        {"name": theme.name, "note": _thread_note(theme)} for theme in themes
                    ],
                    "sigil_phrase": _join(keywords, final=", ") if keywords else _STILLNESS,
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


# Words and terms -----------------------------------------------------------------------


def _term(word: str) -> str | None:
    """The term a word counts as, or None for stop words, contractions and fragments."""
    base, apostrophe, suffix = word.lower().replace("\u2019", "'").partition("'")
    if apostrophe and suffix == "t":  # don't, isn't: negations are function words
        return None
    if not 3 <= len(base) <= _MAX_TERM_LENGTH or base in _STOP_WORDS:
        return None
    return base


def _terms(text: str) -> list[str]:
    return [term for word in _WORD.findall(text) if (term := _term(word))]


# The words cognize writes itself say nothing about what a moment was about: left out of
# dreams, they cannot pull moments together by mood sentence or by phrasing.
_OWN_WORDS = frozenset(
    _terms(
        " ".join(
            [
                *_SIGHT_OPENINGS,
                _ONE_VOICE,
                _VOICES,
                _SOUNDS,
                _NOTHING_PERCEIVED,
                _NOTHING_MADE_OUT,
                _DRIFT,
                _ECHO,
                _STILLNESS,
                _AGAIN,
                _RETURNING,
                *(sentence for _, sentence in _MOODS.values()),
            ]
        )
    )
)


def _content_terms(text: str) -> list[str]:
    """The terms of a moment's text that are not the engine's own wording."""
    return [term for term in _terms(text) if term not in _OWN_WORDS]


def _runs(text: str) -> Iterator[tuple[str, ...]]:
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


def _join(items: Sequence[str], *, final: str = " and ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + final + items[-1]


def _number(number: int) -> str:
    return _NUMBER_WORDS[number] if number < len(_NUMBER_WORDS) else str(number)


def _count(number: int, noun: str) -> str:
    return f"{_number(number)} {noun}{'' if number == 1 else 's'}"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _in_sentence(text: str) -> str:
    """Text to continue a sentence with: "A woman waves" becomes "a woman waves", but "I"
    and words with capitals of their own (NASA, McCartney) keep theirs."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if first == "I" or any(char.isupper() for char in first[1:]):
        return text
    return text[:1].lower() + text[1:]


def _quoted_names(names: Sequence[str], *, opening: bool = False) -> str:
    """Names in quotes (names are often pairs, "sea and waves", and quotes keep a list of
    them readable); the first one capitalized when it opens a sentence."""
    quoted = [f"\u201c{name}\u201d" for name in names]
    if opening:
        quoted[0] = f"\u201c{_capitalized(names[0])}\u201d"
    return _join(quoted)


def _shortened(text: str) -> str:
    """Text to quote, within a sentence's length."""
    words = text.split()
    shortened = " ".join(words[:_MAX_QUOTED_WORDS])[:_MAX_QUOTED_CHARS]
    return shortened if shortened == " ".join(words) else shortened + "\u2026"


def _excerpt(text: str) -> str:
    """A moment's first sentence, to quote: its own quotes become single ones."""
    text = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]
    text = text.replace("\u201c", "\u2018").replace("\u201d", "\u2019")
    if len(text) <= _MAX_EXCERPT_CHARS:
        return text
    return text[:_MAX_EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def _mood_key(valence: float, arousal: float) -> tuple[int, int]:
    def sign(value: float) -> int:
        return 0 if abs(value) < _NEUTRAL_BAND else (1 if value > 0 else -1)

    return sign(valence), sign(arousal)


def _mood(valence: float, arousal: float) -> str:
    return _MOODS[_mood_key(valence, arousal)][0]


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


# cognize -------------------------------------------------------------------------------


def _word_scores(percepts: Sequence[PerceptInput], remembered: Counter[str]) -> dict[str, float]:
    """How salient each term of the percepts is: how often it occurs, in how many percepts,
    and, lightly, whether it was already on the mind."""
    occurrences: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for percept in percepts:
        terms = _terms(f"{percept.description} {percept.transcript}")
        occurrences.update(terms)
        spread.update(set(terms))
    return {
        term: count + (spread[term] - 1) + (0.5 if remembered[term] else 0.0)
        for term, count in occurrences.items()
    }


def _remembered_terms(prior_moments: Sequence[MomentContext]) -> Counter[str]:
    """In how many prior moments each term occurs (but for the words cognize writes)."""
    counts: Counter[str] = Counter()
    for moment in prior_moments:
        counts.update(set(_content_terms(f"{moment.text} {moment.sigil_phrase}")))
    return counts


def _candidate_phrases(
    percepts: Sequence[PerceptInput], scores: Mapping[str, float]
) -> list[tuple[str, ...]]:
    """Candidate phrases, most salient first.

    A phrase is as salient as its most salient word, with a little more for every other
    word (it is more specific); ties go to the phrase met first.
    """
    candidates: dict[tuple[str, ...], float] = {}
    for percept in percepts:
        for text in (percept.description, percept.transcript):
            for run in _runs(text):
                weights = sorted((scores[term] for term in run), reverse=True)
                candidates.setdefault(run, weights[0] + 0.25 * sum(weights[1:]))
    return sorted(candidates, key=lambda run: -candidates[run])


def _sigil_phrase(phrases: Sequence[tuple[str, ...]]) -> str:
    """The best phrase; a single word gets the next best phrase joined to it."""
    if not phrases:
        return ""
    best = phrases[0]
    if len(best) == 1:
        partner = next((run for run in phrases if not set(run) & set(best)), None)
        if partner:
            return f"{best[0]} and {' '.join(partner)}"
    return " ".join(best)


def _echo(prior_moments: Sequence[MomentContext]) -> str | None:
    """With nothing to name, a moment echoes the term most present in recent sigil phrases
    (what the mind distilled, not every word it wrote)."""
    counts = Counter(
        term for moment in prior_moments for term in set(_content_terms(moment.sigil_phrase))
    )
    return min(counts, key=lambda term: (-counts[term], term), default=None)


def _moment_circumplex(
    percepts: Sequence[PerceptInput], prior_moments: Sequence[MomentContext]
) -> tuple[float, float]:
    """The mean of the percepts' readings; without any, a fading share of the recent mood
    (and, when nothing is perceived at all, a lower arousal: the room is quiet)."""
    reading = []
    for axis in ("valence", "arousal"):
        value = _mean(
            getattr(percept, axis) for percept in percepts if getattr(percept, axis) is not None
        )
        if value is None:
            value = _LINGERING_MOOD * (
                _mean(getattr(moment, axis) for moment in prior_moments) or 0.0
            )
            if not percepts and axis == "arousal":
                value += _QUIET_AROUSAL
        reading.append(round(clamp_unit(value), 3))
    return reading[0], reading[1]


def _clause(description: str) -> str:
    """A description's first sentence, ready to follow "In front of me," or "Somewhere,"."""
    text = _BOILERPLATE.sub("", _SENTENCE_END.split(description.strip(), maxsplit=1)[0])
    return _in_sentence(_shortened(text).rstrip(" ."))


def _quote(transcript: str) -> str:
    """A transcript as quoted speech; transcripts seldom punctuate, so questions get their
    question mark back."""
    quote = _capitalized(_shortened(transcript).rstrip(" ."))
    first = quote.split(maxsplit=1)[0].lower() if quote else ""
    if first in _QUESTION_OPENERS and quote[-1] not in "?!\u2026":
        quote += "?"
    return quote


def _most_salient(texts: list[str], scores: Mapping[str, float], limit: int = 2) -> list[str]:
    """Up to `limit` distinct texts carrying the most salient words, in their own order."""
    texts = list(dict.fromkeys(text for text in texts if text))

    def salience(index: int) -> float:
        return max((scores.get(term, 0.0) for term in _terms(texts[index])), default=0.0)

    chosen = sorted(sorted(range(len(texts)), key=lambda index: -salience(index))[:limit])
    return [texts[index] for index in chosen]


def _perceived(
    percepts: Sequence[PerceptInput], scores: Mapping[str, float], *, variant: int
) -> list[str]:
    """At most two sentences of what was seen, heard said, and heard."""
    sights = _most_salient([_clause(p.description) for p in percepts if p.kind != "audio"], scores)
    speech = _most_salient([_quote(p.transcript) for p in percepts], scores)
    sounds = _most_salient([_clause(p.description) for p in percepts if p.kind == "audio"], scores)
    sentences = []
    if sights:
        opening = _SIGHT_OPENINGS[variant % len(_SIGHT_OPENINGS)]
        sentences.append(opening.format("; then ".join(sights)))
    if speech:
        quoted = ", then ".join(f"\u201c{quote}\u201d" for quote in speech)
        ending = "" if speech[-1][-1] in "?!\u2026" else "."
        sentences.append((_ONE_VOICE if len(speech) == 1 else _VOICES).format(quoted) + ending)
    if sounds:
        sentences.append(_SOUNDS.format(_join(sounds)))
    return sentences[:2]


def _recurrence(
    phrases: Sequence[tuple[str, ...]], remembered: Counter[str], recent: int
) -> list[str]:
    """A sentence noticing the most salient phrase word that was already on the mind."""
    term = next((term for run in phrases for term in run if remembered[term]), None)
    if term is None:
        return []
    times = remembered[term]
    if times == 1:
        return [_AGAIN.format(_capitalized(term))]
    share = "each" if times == recent else _number(times)
    return [_RETURNING.format(_capitalized(term), share, _number(recent))]


# dream ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cluster:
    members: list[MomentContext]  # most salient first
    terms: list[str]  # most distinctive first


@dataclass(frozen=True)
class _Theme(_Cluster):
    name: str
    keyword: str  # the one word standing for the theme in the title and the dream phrase
    thread: ContinuityContext | None  # the open thread it continues


def _intensity(moment: MomentContext) -> float:
    return min(1.0, math.hypot(moment.valence, moment.arousal) / math.sqrt(2))


def _document(moment: MomentContext) -> list[str]:
    """A moment's terms for clustering. The sigil phrase distils what the moment was about,
    so its terms count several times."""
    return _content_terms(moment.text) + _content_terms(moment.sigil_phrase) * _PHRASE_WEIGHT


def _find_themes(moments: Sequence[MomentContext]) -> list[_Cluster]:
    """Clusters of the material, largest first, each with its members ranked by salience:
    closeness to the cluster's centre, and (weighing less) emotional intensity."""
    # numpy and scipy cost tens of MB and a fraction of a second to import: only a dream
    # pays for them, never a readiness check or a cron tick that records a skip.
    import numpy as np

    documents = [_document(moment) for moment in moments]
    if not any(documents):
        by_intensity = sorted(moments, key=lambda moment: -_intensity(moment))
        return [_Cluster(by_intensity, [])]
    # Moments with nothing to name (a quiet room) belong to no theme.
    moments = [moment for moment, document in zip(moments, documents, strict=True) if document]
    documents = [document for document in documents if document]
    intensity = np.array([_intensity(moment) for moment in moments])
    matrix, vocabulary = _tf_idf(documents)
    distinct_documents = len({tuple(sorted(document)) for document in documents})
    # A handful of moments holds one theme, a few dozen can hold five; k-means cannot find
    # more clusters than there are different documents.
    limit = min(_MAX_THEMES, round(math.sqrt(len(moments) / 2)), distinct_documents)
    labels, centres = _cluster(matrix, limit)
    norms = np.linalg.norm(centres, axis=1)
    # Rows are unit vectors, so this is each moment's cosine similarity to its own centre.
    along = np.asarray((matrix @ centres.T)[np.arange(len(moments)), labels]).ravel()
    closeness = np.divide(along, norms[labels], out=np.zeros_like(along), where=norms[labels] > 0)
    # What sets a theme apart is what its centre has more of than the other centres.
    others = (centres.sum(axis=0) - centres) / max(1, len(centres) - 1)
    distinctive = centres - others if len(centres) > 1 else centres
    # Sigil phrases speak of what moments were about; the rest of the text also of how they
    # were written. Names come from phrase terms first.
    in_phrases = {term for moment in moments for term in _content_terms(moment.sigil_phrase)}
    clusters = []
    for label in range(len(centres)):
        index = np.flatnonzero(labels == label)
        if not len(index):
            continue
        salience = closeness[index] + _INTENSITY_WEIGHT * intensity[index]
        ranked = [
            vocabulary[j]
            for j in np.argsort(-distinctive[label], kind="stable")
            if distinctive[label, j] > 0
        ]
        ranked.sort(key=lambda term: term not in in_phrases)
        clusters.append(
            _Cluster(
                [moments[i] for i in index[np.argsort(-salience, kind="stable")]],
                ranked[:_TERMS_PER_THEME],
            )
        )
    return sorted(clusters, key=lambda cluster: -len(cluster.members))


def _tf_idf(documents: Sequence[Sequence[str]]) -> tuple[sparse.csr_matrix, list[str]]:
    """One row per document (non-empty) of sublinear TF-IDF weights, scaled to unit length,
    and the term of each column (alphabetical): tf = 1 + ln(count),
    idf = 1 + ln((1 + documents) / (1 + documents with the term))."""
    import numpy as np
    from scipy import sparse

    vocabulary = sorted({term for document in documents for term in document})
    column = {term: j for j, term in enumerate(vocabulary)}
    rows, columns, counts = [], [], []
    for row, document in enumerate(documents):
        for term, count in sorted(Counter(document).items()):
            rows.append(row)
            columns.append(column[term])
            counts.append(count)
    frequency = np.bincount(columns, minlength=len(vocabulary))
    idf = 1 + np.log((1 + len(documents)) / (1 + frequency))
    weights = (1 + np.log(np.array(counts, dtype=float))) * idf[columns]
    matrix = sparse.csr_matrix((weights, (rows, columns)), shape=(len(documents), len(vocabulary)))
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.csr_matrix(sparse.diags(1 / lengths) @ matrix), vocabulary


def _cluster(matrix: sparse.csr_matrix, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of the best k-means clustering with 2 to `limit` clusters (the
    best separated by silhouette), or of a single cluster when `limit` is below 2."""
    import numpy as np

    if limit < 2:
        return np.zeros(matrix.shape[0], dtype=int), np.asarray(matrix.mean(axis=0))
    fits = [_k_means(matrix, count) for count in range(2, limit + 1)]
    # max keeps the first of equals: the fewest clusters.
    return max(fits, key=lambda fit: _separation(matrix, fit[0]))


def _k_means(matrix: sparse.csr_matrix, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of k-means (k-means++ seeding, Lloyd's iterations) over unit
    rows: the least inertia of a few seedings drawn from a fixed seed."""
    import numpy as np

    generator = np.random.default_rng(0)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(_K_MEANS_SEEDINGS):
        centres = _seed_centres(matrix, count, generator)
        labels = np.full(matrix.shape[0], -1)
        for _ in range(_K_MEANS_ROUNDS):
            distances = _squared_distances(matrix, centres)
            new_labels = distances.argmin(axis=1)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            centres = _centres(matrix, labels, count, distances)
        inertia = float(_squared_distances(matrix, centres)[np.arange(len(labels)), labels].sum())
        if best is None or inertia < best[0]:
            best = (inertia, labels, centres)
    assert best is not None
    return best[1], best[2]


def _squared_distances(matrix: sparse.csr_matrix, centres: np.ndarray) -> np.ndarray:
    import numpy as np

    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2, and every row has length 1.
    products = np.asarray(matrix @ centres.T)
    return np.maximum(1 - 2 * products + (centres**2).sum(axis=1), 0)


def _seed_centres(
    matrix: sparse.csr_matrix, count: int, generator: np.random.Generator
) -> np.ndarray:
    """Greedy k-means++: each next centre the best of a few rows drawn with odds by their
    squared distance to the nearest centre so far (the one that leaves rows nearest)."""
    import numpy as np

    rows = matrix.shape[0]
    trials = 2 + int(math.log(count))
    chosen = [int(generator.integers(rows))]
    nearest = _squared_distances(matrix, matrix[chosen].toarray()).ravel()
    while len(chosen) < count:
        total = nearest.sum()
        if total <= 0:  # every row sits on a centre: any other row will do
            chosen.append(next(i for i in range(rows) if i not in chosen))
            continue
        odds = np.cumsum(nearest) / total
        candidates = np.minimum(np.searchsorted(odds, generator.random(trials)), rows - 1)
        distances = _squared_distances(matrix, matrix[candidates].toarray()).T
        distances = np.minimum(nearest, distances)
        best = int(distances.sum(axis=1).argmin())
        chosen.append(int(candidates[best]))
        nearest = distances[best]
    return matrix[chosen].toarray()


def _centres(
    matrix: sparse.csr_matrix, labels: np.ndarray, count: int, distances: np.ndarray
) -> np.ndarray:
    """The mean of each cluster's rows; a cluster left empty takes the row farthest from
    its own centre."""
    import numpy as np
    from scipy import sparse

    rows = matrix.shape[0]
    membership = sparse.csr_matrix((np.ones(rows), (labels, np.arange(rows))), shape=(count, rows))
    sizes = np.bincount(labels, minlength=count)
    centres = np.asarray((membership @ matrix).todense()) / np.maximum(sizes, 1)[:, None]
    far = np.argsort(-distances[np.arange(rows), labels], kind="stable")
    for label, row in zip(np.flatnonzero(sizes == 0), far, strict=False):
        centres[label] = matrix[row].toarray().ravel()
    return centres


def _separation(matrix: sparse.csr_matrix, labels: np.ndarray) -> float:
    """The mean silhouette of a clustering under cosine distance, on a fixed sample: exact
    silhouettes cost n^2."""
    import numpy as np

    count = matrix.shape[0]
    sample = np.arange(count)
    if count > _SILHOUETTE_SAMPLE:
        generator = np.random.default_rng(0)
        sample = np.sort(generator.choice(count, _SILHOUETTE_SAMPLE, replace=False))
    labels = np.unique(labels[sample], return_inverse=True)[1]
    clusters = labels.max() + 1
    if clusters < 2:
        return -1.0
    rows = matrix[sample]
    distance = np.clip(1 - np.asarray((rows @ rows.T).todense()), 0, 2)
    np.fill_diagonal(distance, 0)
    sizes = np.bincount(labels, minlength=clusters)
    totals = distance @ np.eye(clusters)[labels]  # each row's summed distance to each cluster
    here = np.arange(len(labels))
    own = sizes[labels]
    inside = totals[here, labels] / np.maximum(own - 1, 1)
    mean_to = totals / sizes
    mean_to[here, labels] = np.inf
    nearest_other = mean_to.min(axis=1)
    widest = np.maximum(inside, nearest_other)
    scores = np.divide(nearest_other - inside, widest, out=np.zeros_like(inside), where=widest > 0)
    scores[own == 1] = 0  # a lone member's silhouette is 0 by convention
    return float(scores.mean())


def _stem(term: str) -> str:
    """Enough stemming to match "wave" with "waves" when comparing names."""
    return term[:-1] if len(term) > 3 and term.endswith("s") and not term.endswith("ss") else term


def _thread_matches(
    clusters: Sequence[_Cluster], continuity: Sequence[ContinuityContext]
) -> dict[int, tuple[ContinuityContext, str]]:
    """Which open thread each cluster continues (by cluster index), and the shared term.

    A thread continues the cluster whose top terms include a word of its name; the best
    ranked such terms are matched first, and each thread continues one cluster at most.
    """
    candidates = []
    for cluster_index, cluster in enumerate(clusters):
        stems = [_stem(term) for term in cluster.terms]
        for thread_index, thread in enumerate(continuity):
            words = {_stem(term) for term in _terms(thread.name)}
            rank = next((rank for rank, stem in enumerate(stems) if stem in words), None)
            if rank is not None:
                candidates.append((rank, cluster_index, thread_index))
    matches: dict[int, tuple[ContinuityContext, str]] = {}
    continued: set[int] = set()
    for rank, cluster_index, thread_index in sorted(candidates):
        if cluster_index not in matches and thread_index not in continued:
            matches[cluster_index] = (continuity[thread_index], clusters[cluster_index].terms[rank])
            continued.add(thread_index)
    return matches


def _name_themes(
    clusters: Sequence[_Cluster], continuity: Sequence[ContinuityContext]
) -> list[_Theme]:
    """Open threads keep their names when their theme recurs; other themes are named by
    their two most distinctive terms not already naming another theme."""
    matches = _thread_matches(clusters, continuity)
    used = {_stem(term) for thread, _ in matches.values() for term in _terms(thread.name)}
    themes = []
    for index, cluster in enumerate(clusters):
        if index in matches:
            thread, term = matches[index]
            terms = [term, *(other for other in cluster.terms if other != term)]
            themes.append(_Theme(cluster.members, terms, thread.name, term, thread))
            continue
        words = [term for term in cluster.terms if _stem(term) not in used][:2] or cluster.terms[:2]
        used.update(map(_stem, words))
        name, keyword = _pair_name(words, cluster.members)
        themes.append(_Theme(cluster.members, cluster.terms, name or _STILLNESS, keyword, None))
    return themes


def _pair_name(words: Sequence[str], members: Sequence[MomentContext]) -> tuple[str, str]:
    """A name of two words, as the members' sigil phrases put them ("old man") or else
    joined by "and", and the word that stands for it: the head of a phrase ("man")."""
    if len(words) < 2:
        return "".join(words), "".join(words)
    pairs = {(words[0], words[1]), (words[1], words[0])}
    for moment in members:
        adjacent = next(
            (pair for pair in pairwise(moment.sigil_phrase.lower().split()) if pair in pairs),
            None,
        )
        if adjacent:
            return " ".join(adjacent), adjacent[1]
    return " and ".join(words), words[0]


def _sigil_members(themes: Sequence[_Theme]) -> list[list[list]]:
    """Cited sigils for the dream sigil, most salient first, taking turns between themes so
    that every theme is in the drawing."""
    ranked = [
        [
            moment.sigil_commands
            for moment in theme.members[:_CITED_PER_THEME]
            if moment.sigil_commands
        ]
        for theme in themes
    ]
    turns = zip_longest(*ranked)
    return [commands for turn in turns for commands in turn if commands][:_SIGIL_MEMBERS]


def _mean_circumplex(moments: Sequence[MomentContext]) -> tuple[float, float]:
    return (
        round(clamp_unit(_mean(moment.valence for moment in moments) or 0.0), 3),
        round(clamp_unit(_mean(moment.arousal for moment in moments) or 0.0), 3),
    )


def _span(moments: Sequence[MomentContext]) -> str:
    first, last = min(m.cycle for m in moments), max(m.cycle for m in moments)
    return f"at cycle {first}" if first == last else f"from cycle {first} to {last}"


def _theme_summary(theme: _Theme) -> str:
    count = len(theme.members)
    about = _join(theme.terms[:4]) or "nothing I can name"
    feel = "they feel" if count > 1 else "it feels"
    summary = (
        f"{_capitalized(_count(count, 'moment'))} {_span(theme.members)} "
        f"{'turn' if count > 1 else 'turns'} on {about}; "
        f"{feel} {_mood(*_mean_circumplex(theme.members))}."
    )
    excerpt = _excerpt(theme.members[0].text)
    return f"{summary} The clearest: \u201c{excerpt}\u201d" if excerpt else summary


def _thread_note(theme: _Theme) -> str:
    moments = _count(len(theme.members), "moment")
    about = f" about {_join(theme.terms[:3])}" if theme.terms else ""
    if theme.thread is None:
        return f"First noticed tonight, in {moments}{about}."
    dreams = _count(theme.thread.times_seen + 1, "dream")
    return f"Back again in {moments}{about}; seen in {dreams} so far."


def _theme_paragraph(index: int, theme: _Theme, *, alone: bool) -> str:
    name, count = _in_sentence(theme.name), _count(len(theme.members), "moment")
    mood = _mood(*_mean_circumplex(theme.members))
    if alone:
        line = f"{_capitalized(name)} ran through all of it and felt {mood}."
    elif index == 0:
        line = f"{_capitalized(name)} came back most often, in {count}, and felt {mood}."
    elif index == 1:
        line = f"Then {name}: {count}, {mood}."
    else:
        line = f"And {name}, in {count}, {mood}."
    excerpt = _excerpt(theme.members[0].text)
    if not excerpt:
        return line
    recall = _RECALLS[min(index, len(_RECALLS) - 1)]
    return f"{line} {recall} \u201c{excerpt}\u201d"


def _continuity_paragraph(themes: Sequence[_Theme], continuity: Sequence[ContinuityContext]) -> str:
    sentences = [
        f"{_quoted_names([theme.name], opening=True)} is an old thread: it has now surfaced in "
        f"{_count(theme.thread.times_seen + 1, 'dream')}."
        for theme in themes
        if theme.thread
    ]
    new = [theme.name for theme in themes if not theme.thread]
    if new:
        verb, pronoun = ("is", "it") if len(new) == 1 else ("are", "them")
        names = _quoted_names(new, opening=True)
        sentences.append(f"{names} {verb} new; I will watch for {pronoun}.")
    continued = [theme.thread for theme in themes if theme.thread]
    quiet = [thread.name for thread in continuity if thread not in continued]
    if quiet:
        named = _quoted_names(quiet[:_QUIET_THREADS_NAMED], opening=True)
        if len(quiet) > _QUIET_THREADS_NAMED:
            others = _count(len(quiet) - _QUIET_THREADS_NAMED, "other thread")
            named = f"{named}, and {others}"
        sentences.append(f"{named} stayed quiet tonight.")
    return " ".join(sentences)


def _narrative(
    moments: Sequence[MomentContext],
    themes: Sequence[_Theme],
    continuity: Sequence[ContinuityContext],
    circumplex: tuple[float, float],
) -> str:
    names = _quoted_names([theme.name for theme in themes])
    things = "One thing" if len(themes) == 1 else f"{_capitalized(_number(len(themes)))} things"
    paragraphs = [
        f"Tonight I went back through {_count(len(moments), 'moment')}, {_span(moments)}. "
        f"{things} kept surfacing: {names}.",
        *(
            _theme_paragraph(index, theme, alone=len(themes) == 1)
            for index, theme in enumerate(themes)
        ),
        _continuity_paragraph(themes, continuity),
        f"On the whole the night felt {_mood(*circumplex)}.",
    ]
    return "\n\n".join(paragraphs)
