"""The offline engine's voice read at scale, for ``manage.py bench_voice`` and its test.

A fixed-seed corpus: moments the offline engine writes from varied visual and audio
percepts (people, things and places that come back for a while, as a scene does; speech
and described sounds, the way the source protocol's perceptors send both as an audio
percept's text), and dream reviews it writes over runs of those moments and over the
demo's seeded moments (what a new user's first dream is made of). Each text is read for
what a reader notices:

- a/an errors: "a orbit", "an unicorn" (by sound: "an hour", "a one-way street");
- repeated sentences within a text, quoted sentences counted as sentences of their own,
  and near repeats (the same sentence but for one or two words, as a template repeated);
- cited moments that come back twice within a theme (the same moment, or the same sigil
  phrase, which is what the review lists), and themes of one review with the same name;
- described sounds written as quoted speech, and speech written as a sound;
- each sigil as a chip shows it, at 40 px: ink coverage (the share of the image inked,
  partial pixels counting in part), stroke count (the pen strokes it is drawn with) and
  span (the larger side of the inked box, as a share of the chip's: small marks have a
  small span).

The checks here are written apart from the engine's own rules (its own a/an exceptions,
its own sentence splitting), so a blind spot of the engine is not a blind spot here.
"""

from __future__ import annotations

import io
import random
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import cast

import numpy as np
from PIL import Image

from dreams.services.seeding import seed_values

# render_png through the package: importing its module by name would shadow the
# package's render_png function with the module for every later importer.
from dreams.sigils import render_png
from dreams.sigils.paths import trace_paints
from engines.contracts import ContinuityContext, DreamDraft, MomentContext, PerceptInput
from engines.offline.engine import OfflineEngine

__all__ = [
    "CHIP_PX",
    "MOMENTS",
    "REVIEWS",
    "SEED",
    "SigilInk",
    "Spread",
    "Tally",
    "VoiceFigures",
    "article_errors",
    "near_repeats",
    "repeated_sentences",
    "run_corpus",
    "sentences_of",
    "sigil_ink",
]

SEED = 15
MOMENTS = 1_000
REVIEWS = 100
CHIP_PX = 40
# What cognition is given as context, as the conductor gives it.
PRIOR_MOMENTS = 3
# Examples kept per check, to show what a figure counts.
EXAMPLES = 3
# A near repeat: sentences of this many words or more, equal but for this many.
NEAR_REPEAT_WORDS = 6
NEAR_REPEAT_DIFFERENCES = 2


# The percepts' words ------------------------------------------------------------------
# Written by hand with their articles, as a vision model or a transcriber would give them.

_PEOPLE = (
    "a woman in a yellow raincoat",
    "an old man with a cane",
    "a girl with a paper lighthouse",
    "two students",
    "a barista",
    "an elderly couple",
    "a man in an orange hat",
    "a cyclist",
    "a tall stranger",
    "a nurse on a break",
    "an artist",
    "a teenager with headphones",
    "a small boy",
    "a delivery rider",
    "a university lecturer",
    "an off-duty waiter",
    "a European tourist",
    "an usher",
    "a one-armed juggler",
    "an honest-looking salesman",
)
# (present, participle)
_ACTIONS = (
    ("waves at the camera", "waving at the camera"),
    ("holds up a paper lighthouse", "holding up a paper lighthouse"),
    ("reads a newspaper", "reading a newspaper"),
    ("checks the time", "checking the time"),
    ("pours coffee into an enamel mug", "pouring coffee into an enamel mug"),
    ("opens an umbrella", "opening an umbrella"),
    ("draws an owl on a napkin", "drawing an owl on a napkin"),
    ("laughs at something off screen", "laughing at something off screen"),
    ("points at the window", "pointing at the window"),
    ("carries a unicorn balloon", "carrying a unicorn balloon"),
    ("ties a shoelace", "tying a shoelace"),
    ("peels an orange", "peeling an orange"),
    ("writes in a notebook", "writing in a notebook"),
    ("turns an hourglass over", "turning an hourglass over"),
    ("plays a ukulele", "playing a ukulele"),
    ("folds a map of Europe", "folding a map of Europe"),
    ("feeds the pigeons", "feeding the pigeons"),
    ("stares out at the rain", "staring out at the rain"),
    ("hugs a friend", "hugging a friend"),
    ("flies a red kite", "flying a red kite"),
)
_SETTINGS = (
    "in a crowded café",
    "by an open window",
    "under a streetlight",
    "at a bus stop",
    "in an empty hallway",
    "beside a fountain",
    "in a university library",
    "at the edge of an orchard",
    "on a rainy platform",
    "in an art gallery",
    "at a kitchen table",
    "on a park bench",
)
_OBJECTS = (
    "an hourglass",
    "a unicorn figurine",
    "an umbrella",
    "a one-eyed teddy bear",
    "an apple",
    "a European map",
    "an X-ray",
    "a ukulele",
    "an heirloom clock",
    "a paper lighthouse",
    "an empty cup",
    "a half-eaten orange",
    "a honeycomb",
    "an envelope",
    "a useless key",
    "an ice cream cone",
    "a silver and red kite",
    "an old violin",
)
_SURFACES = (
    "a wooden table",
    "an armchair",
    "a windowsill",
    "the floor",
    "an open book",
    "a café counter",
)
_LIGHTS = ("the afternoon sun", "a single lamp", "neon from the street", "an overhead bulb")
_SIGHTS = (
    "{Person} {action} {setting}.",
    "The image shows {person} {acting} {setting}.",
    "A photo of {person} {acting} {setting}.",
    "I can see {person} {acting}.",
    "Close-up of {object} on {surface}.",
    "{Object} on {surface}, lit by {light}.",
    "{Person} {action} while {other} {other_action}.",
)
# What a transcriber hears: seldom punctuated, now and then capitalized.
_SPEECH = (
    "do you like my lighthouse",
    "it's been an hour already",
    "is anyone sitting here",
    "we should go before it rains",
    "I think the train is late again",
    "can you hear the music",
    "look at that owl",
    "happy birthday to you",
    "she said she'd be here by nine",
    "turn it up a little",
    "where did you put the keys",
    "that's an honest mistake",
    "what a beautiful evening",
    "I'll have an oat latte please",
    "the unicorn one is mine",
    "hold on I'm almost done",
    "are you filming this",
    "this is the best orange I've ever had",
    "we met at a university party",
    "you left your umbrella",
    "Thank you so much.",
    "wait for me",
    "it's an heirloom so be careful",
    "did you see the kite",
    "one more minute",
    "the rain is getting worse",
    "nobody told me it was closing early",
    "My hands are freezing.",
)
# What a perceptor describes hearing, sent as the audio percept's text.
_SOUNDS = (
    "Someone laughs two tables away.",
    "Footsteps fade down a corridor.",
    "A kettle whistles in the next room.",
    "Rain drums on the window.",
    "Soft piano music plays somewhere nearby.",
    "A dog barks twice outside.",
    "Cups clink behind the counter.",
    "A phone buzzes on a table.",
    "Traffic hums beyond the glass.",
    "An ambulance siren passes and fades.",
    "Children shout in a playground.",
    "A door closes softly.",
    "Wind rattles the window frame.",
    "A low murmur of conversation.",
    "Someone hums a tune under their breath.",
    "Applause from the next room.",
    "A spoon taps against a mug.",
    "Birdsong through an open window.",
    "The hiss of an espresso machine.",
    "Distant thunder rolls.",
    "Silence, then a cough.",
    "someone humming a tune",
    "footsteps fading down a corridor",
    "wind against glass",
    "a door closing softly",
    "distant music with a steady beat",
    "An owl hoots once.",
    "A baby cries and is hushed.",
    "Keys jingle by the door.",
    "Laughter from a group near the bar.",
)


@dataclass(frozen=True)
class _Scene:
    """What comes back for a while: a place, a few people, things, words and sounds."""

    setting: str
    people: tuple[str, ...]
    objects: tuple[str, ...]
    speech: tuple[str, ...]
    sounds: tuple[str, ...]


def _scene(rng: random.Random) -> _Scene:
    return _Scene(
        rng.choice(_SETTINGS),
        tuple(rng.sample(_PEOPLE, 3)),
        tuple(rng.sample(_OBJECTS, 3)),
        tuple(rng.sample(_SPEECH, 4)),
        tuple(rng.sample(_SOUNDS, 4)),
    )


def _reading(rng: random.Random) -> float | None:
    return None if rng.random() < 0.2 else round(rng.uniform(-1, 1), 3)


def _sight(rng: random.Random, scene: _Scene) -> str:
    person, other = rng.sample(scene.people, 2)
    (action, acting), (other_action, _) = rng.sample(_ACTIONS, 2)
    obj = rng.choice(scene.objects)
    text = rng.choice(_SIGHTS).format(
        person=person,
        Person=person[:1].upper() + person[1:],
        action=action,
        acting=acting,
        setting=scene.setting,
        other=other,
        other_action=other_action,
        object=obj,
        Object=obj[:1].upper() + obj[1:],
        surface=rng.choice(_SURFACES),
        light=rng.choice(_LIGHTS),
    )
    return text


@dataclass(frozen=True)
class _Percepts:
    percepts: list[PerceptInput]
    sounds: list[str]  # the audio percepts' texts that describe a sound
    speech: list[str]  # those that are speech


def _percepts(rng: random.Random, scene: _Scene) -> _Percepts:
    if rng.random() < 0.03:  # now and then nothing reaches the mind
        return _Percepts([], [], [])
    percepts, sounds, speech = [], [], []
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        percepts.append(
            PerceptInput("visual", _sight(rng, scene), "", _reading(rng), _reading(rng))
        )
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if rng.random() < 0.55:
            text = rng.choice(scene.speech)
            speech.append(text)
        else:
            text = rng.choice(scene.sounds)
            sounds.append(text)
        percepts.append(PerceptInput("audio", "", text, _reading(rng), _reading(rng)))
    rng.shuffle(percepts)
    return _Percepts(percepts, sounds, speech)


# The checks --------------------------------------------------------------------------

_ARTICLE = re.compile(r"\b([Aa]n?)\s+[\u201c\u2018\"']?([^\W\d_][\w\u2019'-]*)")
# Words whose first letter is a vowel but whose sound is not (you, w) ...
_CONSONANT_SOUND = re.compile(
    r"^(?:uni(?:c|f|o|q|s|t|v|ver|lat)|use|usu|uti|ura|ure|uro|uto|uku|ufo|uv|eu|ewe|"
    r"one\b|one-|once)",
)
_NOT_UNI = re.compile(r"^uni(?:m|n|d)")  # unimportant, uninvited, unidentified
# ... and words whose first letter is not a vowel but whose sound is (a silent h).
_VOWEL_SOUND = re.compile(r"^(?:hour|honest|honou?r|heir)")
# Letters whose names start with a vowel sound, for initialisms ("an FBI agent").
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")
_VOWELS = frozenset("AEIOU")


def _wants_an(word: str) -> bool:
    # An initialism, or a letter standing for itself ("X-ray", "U-turn"), reads by its
    # letters; longer capitals with a vowel read as a word ("a NASA engineer").
    initialism = word.isupper() and word.isalpha() and (len(word) <= 3 or not _VOWELS & set(word))
    if initialism or re.match(r"[A-Z](?:-|$)", word):
        return word[0] in _VOWEL_LETTERS
    lower = word.lower()
    if _VOWEL_SOUND.match(lower):
        return True
    if lower[0] not in "aeiou":
        return False
    return not _CONSONANT_SOUND.match(lower) or bool(_NOT_UNI.match(lower))


def article_errors(text: str) -> list[str]:
    """Each "a"/"an" that does not suit the sound of the word after it."""
    return [
        match.group(0)
        for match in _ARTICLE.finditer(text)
        if (match.group(1).lower() == "an") != _wants_an(match.group(2))
    ]


_QUOTED = re.compile("\u201c([^\u201c\u201d]*)\u201d")
_SENTENCE = re.compile(r"(?<=[.!?\u2026])\s+(?=\S)")


def _is_sentence(quote: str) -> bool:
    """Whether a quotation is a sentence (quoted words, "sea and waves", are names)."""
    return quote.rstrip().endswith((".", "!", "?", "\u2026")) or len(quote.split()) > 5


def _placeholder(quote: re.Match[str]) -> str:
    """What stands for a quotation in the sentence around it: a quotation ending in a
    full stop ends that sentence as well."""
    end = quote.group(1)[-1:]
    return "\u00ab\u00bb" + (end if end in (".", "!", "?", "\u2026") else "")


def sentences_of(text: str) -> list[str]:
    """The sentences of a text; what is quoted counts as sentences of its own (a quote
    repeated with another lead-in is still repeated)."""
    quoted = [quote for quote in _QUOTED.findall(text) if _is_sentence(quote)]
    outside = _QUOTED.sub(_placeholder, text)
    pieces = [*_SENTENCE.split(outside), *(s for q in quoted for s in _SENTENCE.split(q))]
    return [piece.strip() for piece in pieces if _words(piece)]


def _words(sentence: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[\w\u2019'-]+", sentence.casefold()))


def repeated_sentences(text: str) -> list[str]:
    """Sentences written more than once (each extra time counts)."""
    counts = Counter(_words(sentence) for sentence in sentences_of(text))
    return [" ".join(words) for words, count in counts.items() for _ in range(count - 1)]


def near_repeats(text: str) -> list[tuple[str, str]]:
    """Pairs of different sentences equal but for a word or two."""
    unique = list(dict.fromkeys(_words(sentence) for sentence in sentences_of(text)))
    return [
        (" ".join(a), " ".join(b))
        for a, b in combinations(unique, 2)
        if len(a) == len(b) >= NEAR_REPEAT_WORDS
        and sum(x != y for x, y in zip(a, b, strict=True)) <= NEAR_REPEAT_DIFFERENCES
    ]


def _quotes_of(text: str) -> list[str]:
    return [" ".join(_words(quote)) for quote in _QUOTED.findall(text)]


def _quoted(source: str, text: str) -> bool:
    """Whether the text quotes (the start of) this source text."""
    start = " ".join(_words(source)[:3])
    return any(quote.startswith(start) for quote in _quotes_of(text))


def _written_unquoted(source: str, text: str) -> bool:
    """Whether the text holds this source text outside any quote."""
    start = " ".join(_words(source)[:3])
    return start in " ".join(_words(_QUOTED.sub(" ", text)))


@dataclass(frozen=True)
class SigilInk:
    coverage: float  # share of the chip inked
    strokes: int  # pen strokes: painted subpaths
    span: float  # the larger side of the inked box, as a share of the chip's side


# A pixel at least this inked counts as inked when measuring the span.
_INKED = 0.25


def sigil_ink(commands: Sequence[Sequence[object]], size: int = CHIP_PX) -> SigilInk:
    """How a sigil's ink falls on a chip of ``size`` px (see ``SigilInk``)."""
    alpha = np.asarray(Image.open(io.BytesIO(render_png(commands, size=size))))[..., 1] / 255
    rows, columns = np.nonzero(alpha >= _INKED)
    span = 0.0
    if len(rows):
        span = (max(np.ptp(rows), np.ptp(columns)) + 1) / size
    strokes = sum(
        1 for paint in trace_paints(commands) for subpath in paint.subpaths if subpath.segments
    )
    return SigilInk(float(alpha.mean()), strokes, float(span))


# The figures ------------------------------------------------------------------------


@dataclass
class Tally:
    """How many of the checked items show a problem, and a few examples."""

    found: int = 0
    checked: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, problems: Sequence[object], where: str = "") -> None:
        self.checked += 1
        self.found += len(problems)
        for problem in problems:
            example = f"{problem}{f' ({where})' if where else ''}"
            if len(self.examples) < EXAMPLES and example not in self.examples:
                self.examples.append(example)


@dataclass(frozen=True)
class Spread:
    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(min(values), statistics.median(values), max(values))


@dataclass
class VoiceFigures:
    moments: int = 0
    percepts: int = 0
    reviews: int = 0
    seeded_reviews: int = 0
    article_moments: Tally = field(default_factory=Tally)
    article_seeded: Tally = field(default_factory=Tally)
    article_reviews: Tally = field(default_factory=Tally)
    repeated_moments: Tally = field(default_factory=Tally)
    repeated_narratives: Tally = field(default_factory=Tally)
    near_repeat_narratives: Tally = field(default_factory=Tally)
    duplicate_citations: Tally = field(default_factory=Tally)
    duplicate_cited_names: Tally = field(default_factory=Tally)
    duplicate_theme_names: Tally = field(default_factory=Tally)
    sounds_quoted: Tally = field(default_factory=Tally)
    speech_as_sound: Tally = field(default_factory=Tally)
    moment_sigils: list[SigilInk] = field(default_factory=list)
    dream_sigils: list[SigilInk] = field(default_factory=list)


def _context(moment_id: int, cycle: int, values: dict) -> MomentContext:
    return MomentContext(
        id=moment_id,
        cycle=cycle,
        text=values["text"],
        sigil_phrase=values["sigil_phrase"],
        valence=values["valence"],
        arousal=values["arousal"],
        sigil_commands=values["sigil_commands"],
    )


def _write_moments(
    engine: OfflineEngine, rng: random.Random, count: int, figures: VoiceFigures
) -> list[MomentContext]:
    moments: list[MomentContext] = []
    scene, scene_left = _scene(rng), 0
    for index in range(count):
        if scene_left == 0:
            scene, scene_left = _scene(rng), rng.randint(8, 20)
        scene_left -= 1
        heard = _percepts(rng, scene)
        draft = engine.cognize(heard.percepts, moments[-PRIOR_MOMENTS:]).draft
        text = draft.mind_moment
        figures.percepts += len(heard.percepts)
        figures.article_moments.add(article_errors(text))
        figures.repeated_moments.add(repeated_sentences(text))
        for sound in heard.sounds:
            figures.sounds_quoted.add([text] if _quoted(sound, text) else [])
        for speech in heard.speech:
            figures.speech_as_sound.add([text] if _written_unquoted(speech, text) else [])
        figures.moment_sigils.append(sigil_ink(draft.sigil_commands))
        moments.append(
            MomentContext(
                id=index + 1,
                cycle=index + 1,
                text=text,
                sigil_phrase=draft.sigil_phrase,
                valence=draft.circumplex.valence,
                arousal=draft.circumplex.arousal,
                sigil_commands=draft.sigil_commands,
            )
        )
    figures.moments = count
    return moments


def _seeded_moments(
    rng: random.Random, seed: int, count: int, figures: VoiceFigures
) -> list[MomentContext]:
    """The demo's moments, their text and the percepts they show read for articles."""
    moments = []
    for index in range(count):
        values = seed_values(rng, seed=seed, index=index)
        percepts = cast("list[dict[str, str]]", values["visual_percepts"]) + cast(
            "list[dict[str, str]]", values["audio_percepts"]
        )
        texts = [str(values["text"]), *(text for p in percepts for text in p.values())]
        errors = [error for text in texts for error in article_errors(text)]
        figures.article_seeded.add(errors, str(values["sigil_phrase"]))
        moments.append(_context(index + 1, index + 1, values))
    return moments


def _read_review(
    draft: DreamDraft, material: Sequence[MomentContext], figures: VoiceFigures
) -> None:
    phrase_of = {moment.id: moment.sigil_phrase.casefold() for moment in material}
    where = draft.title
    texts = [
        draft.title,
        draft.narrative,
        *(theme.summary for theme in draft.themes),
        *(thread.note for thread in draft.threads),
    ]
    figures.article_reviews.add([e for text in texts for e in article_errors(text)], where)
    figures.repeated_narratives.add(repeated_sentences(draft.narrative), where)
    figures.near_repeat_narratives.add(near_repeats(draft.narrative), where)
    for theme in draft.themes:
        ids = Counter(theme.moment_ids)
        figures.duplicate_citations.add(
            [f"moment {i}" for i, n in ids.items() for _ in range(n - 1)], where
        )
        names = Counter(phrase_of[i] for i in dict.fromkeys(theme.moment_ids))
        figures.duplicate_cited_names.add(
            [f"{theme.name}: {name!r}" for name, n in names.items() for _ in range(n - 1)], where
        )
    theme_names = Counter(theme.name.casefold() for theme in draft.themes)
    figures.duplicate_theme_names.add(
        [name for name, n in theme_names.items() for _ in range(n - 1)], where
    )
    figures.dream_sigils.append(sigil_ink(draft.sigil_commands))


_MATERIAL_SIZES = (12, 30, 60, 120, 200, 300)


def _dream_over(
    engine: OfflineEngine,
    rng: random.Random,
    runs: Sequence[Sequence[MomentContext]],
    figures: VoiceFigures,
) -> None:
    """One review per run of material; each carries the threads of the one before."""
    continuity: list[ContinuityContext] = []
    for material in runs:
        draft = engine.dream(material, continuity).draft
        _read_review(draft, material, figures)
        figures.reviews += 1
        continuity = [
            ContinuityContext(thread.name, "open", times_seen=rng.randint(1, 3))
            for thread in draft.threads
        ]


def _window(rng: random.Random, moments: Sequence[MomentContext]) -> Sequence[MomentContext]:
    size = min(len(moments), rng.choice(_MATERIAL_SIZES))
    start = rng.randint(0, len(moments) - size)
    return moments[start : start + size]


def run_corpus(*, moments: int = MOMENTS, reviews: int = REVIEWS, seed: int = SEED) -> VoiceFigures:
    """Write the corpus and read it: half the reviews dream over runs of the written
    moments, half over the demo's seeded moments."""
    if moments < 1 or reviews < 2:
        raise ValueError("at least one moment and two reviews")
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus
    engine = OfflineEngine()
    figures = VoiceFigures()
    written = _write_moments(engine, rng, moments, figures)
    seeded = _seeded_moments(rng, seed, max(_MATERIAL_SIZES) * 2, figures)
    half = reviews // 2
    _dream_over(engine, rng, [_window(rng, written) for _ in range(reviews - half)], figures)
    _dream_over(engine, rng, [_window(rng, seeded) for _ in range(half)], figures)
    figures.seeded_reviews = half
    return figures
