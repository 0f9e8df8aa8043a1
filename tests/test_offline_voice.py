"""The offline engine's voice as a new user hears it: articles, agreement and quoting right,
no sentence twice in a narrative, no moment or name twice in a theme, and sigils that read
at the 40 px of a chip. The corpus check is `manage.py bench_voice`'s, on a smaller corpus.
"""

import random

import pytest
from django.core.management import call_command

from benchmarks.voice_corpus import (
    SEED,
    article_errors,
    near_repeats,
    repeated_sentences,
    run_corpus,
    sigil_ink,
)
from dreams.services.seeding import seed_values
from dreams.sigils import generate_sigil
from dreams.sigils.generate import MAX_STROKES
from engines.contracts import ContinuityContext, MomentContext, PerceptInput
from engines.offline.engine import OfflineEngine
from engines.offline.hearing import is_described_sound
from engines.offline.prose import verb_for, with_article

# Bounds at 40 px, chosen from what was measured before and after (bench_voice, seed 15).
# A moment sigil below 3% ink is a few faint marks (the "silver and red kite" sigil was
# 2.5%: three small hooks); above 11% its 0.8 px strokes run together (the densest were
# 14.5%). After: 3.3% to 10.6% over 3,000 seeds.
MOMENT_COVERAGE = (0.03, 0.11)
# Every sigil hangs on an anchor reaching 30 units from the centre; the smallest, a square
# turned 45 degrees, spans 42% of the chip (three small hooks spanned 47%, so span alone
# cannot tell them: coverage does).
MOMENT_SPAN = 0.4
# A dream sigil is a seal: its ring is about 4% of ink and its centre a moment sigil
# shrunk, so below 6% something is missing; above 15% it is the scribble it was (14.7% to
# 19.9% with 27 to 54 strokes, five glyphs in a circle). After: 9.5% to 14.0%.
DREAM_COVERAGE = (0.06, 0.15)
# Four ring arcs, six strokes in the centre and two in each of four medallions: the most
# the engine's five cited sigils make.
DREAM_STROKES = 18
# The ring and its medallions reach 47 units from the centre: 94% of the chip.
DREAM_SPAN = 0.75
# Speech about a sound with nobody in it ("the rain is getting worse") reads as the sound:
# 2.3% of the speech in the full corpus, all of it that one line.
SPEECH_AS_SOUND_SHARE = 0.05


@pytest.fixture(scope="module")
def figures():
    return run_corpus(moments=200, reviews=20, seed=SEED)


@pytest.fixture(scope="module")
def engine() -> OfflineEngine:
    return OfflineEngine()


# The corpus ---------------------------------------------------------------------------


def test_the_corpus_exercises_every_check(figures):
    assert (figures.moments, figures.reviews, figures.seeded_reviews) == (200, 20, 10)
    assert figures.article_seeded.checked >= 300
    assert figures.duplicate_cited_names.checked >= 40  # themes
    assert figures.sounds_quoted.checked >= 30
    assert figures.speech_as_sound.checked >= 30
    assert len(figures.moment_sigils) == 200 and len(figures.dream_sigils) == 20


def test_no_article_errors_in_moments_demo_moments_or_reviews(figures):
    for tally in (figures.article_moments, figures.article_seeded, figures.article_reviews):
        assert tally.found == 0, tally.examples


def test_no_sentence_is_written_twice(figures):
    assert figures.repeated_moments.found == 0, figures.repeated_moments.examples
    assert figures.repeated_narratives.found == 0, figures.repeated_narratives.examples
    assert figures.near_repeat_narratives.found == 0, figures.near_repeat_narratives.examples


def test_no_moment_or_name_twice_within_a_theme(figures):
    assert figures.duplicate_citations.found == 0, figures.duplicate_citations.examples
    assert figures.duplicate_cited_names.found == 0, figures.duplicate_cited_names.examples
    assert figures.duplicate_theme_names.found == 0, figures.duplicate_theme_names.examples


def test_described_sounds_are_never_quoted_as_speech(figures):
    assert figures.sounds_quoted.found == 0, figures.sounds_quoted.examples
    speech = figures.speech_as_sound
    assert speech.found <= SPEECH_AS_SOUND_SHARE * speech.checked, speech.examples


def test_moment_sigils_read_at_40_px(figures):
    low, high = MOMENT_COVERAGE
    for ink in figures.moment_sigils:
        assert low <= ink.coverage <= high, ink
        assert ink.strokes <= MAX_STROKES, ink
        assert ink.span >= MOMENT_SPAN, ink


def test_dream_sigils_read_as_one_figure_at_40_px(figures):
    low, high = DREAM_COVERAGE
    for ink in figures.dream_sigils:
        assert low <= ink.coverage <= high, ink
        assert ink.strokes <= DREAM_STROKES, ink
        assert ink.span >= DREAM_SPAN, ink


def test_the_sigil_of_silver_and_red_kite_is_one_bold_figure():
    ink = sigil_ink(generate_sigil("silver and red kite").commands)
    assert ink.coverage >= MOMENT_COVERAGE[0] and ink.span >= MOMENT_SPAN


def test_bench_voice_prints_every_figure(capsys):
    call_command("bench_voice", moments=30, reviews=2)
    out = capsys.readouterr().out
    for line in (
        "a/an errors in reviews",
        "repeated sentences within a narrative",
        "duplicate names (sigil phrases) within a theme",
        "described sounds quoted as speech",
        "moment sigils: ink coverage (%)",
        "dream sigils: strokes",
    ):
        assert line in out


# The checks themselves ------------------------------------------------------------------


def test_the_checks_find_what_they_count():
    assert article_errors("like a orbit, an unicorn, a hour") == ["a orbit", "an unicorn", "a hour"]
    assert article_errors("an hour, a unicorn, an X-ray, a one-way street, an FBI agent") == []
    narrative = (
        "I remember \u201cThe moment is warm.\u201d Still with me: \u201cThe moment is warm.\u201d"
    )
    assert repeated_sentences(narrative) == ["the moment is warm"]
    template = "The moment is warm, circling a harbour I cannot name. The moment is quiet, "
    assert near_repeats(template + "circling a river I cannot name.")
    assert near_repeats(template + "and a river is all I see.") == []


# Articles and agreement -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "written"),
    [
        ("hour", "an hour"),
        ("honest answer", "an honest answer"),
        ("heirloom", "an heirloom"),
        ("unicorn", "a unicorn"),
        ("university", "a university"),
        ("European", "a European"),
        ("one-way street", "a one-way street"),
        ("uninvited guest", "an uninvited guest"),
        ("orbit", "an orbit"),
        ("amber stillness", "an amber stillness"),
        ("X-ray", "an X-ray"),
        ("FBI agent", "an FBI agent"),
        ("NASA engineer", "a NASA engineer"),
        ("honeycomb", "a honeycomb"),
    ],
)
def test_a_or_an_goes_by_sound(phrase, written):
    assert with_article(phrase) == written
    assert article_errors(written) == []


def test_the_demo_moments_read_right():
    rng = random.Random(1)
    texts = []
    for index in range(400):
        values = seed_values(rng, seed=1, index=index)
        texts.append(values["text"])
        texts += [percept["description"] for percept in values["visual_percepts"]]
    assert any(" an " in text for text in texts)  # an orbit, an echo: the case that failed
    assert [error for text in texts for error in article_errors(text)] == []


def test_a_plural_subject_keeps_returning(engine):
    assert (verb_for("waves", "keeps", "keep"), verb_for("tide", "keeps", "keep")) == (
        "keep",
        "keeps",
    )
    assert verb_for("glass", "keeps", "keep") == "keeps"
    prior = [MomentContext(n, n, "Waves on the sand.", "waves", 0.1, 0.1) for n in (1, 2, 3)]
    percepts = [PerceptInput("visual", description="Waves break over the pier.")]
    text = engine.cognize(percepts, prior).draft.mind_moment
    assert "Waves keep returning: it was in each of my last three thoughts." in text


# Speech and described sounds ------------------------------------------------------------


def test_a_described_sound_is_written_as_a_sound_not_as_speech(engine):
    percepts = [PerceptInput("audio", transcript="Someone laughs two tables away.")]
    text = engine.cognize(percepts, []).draft.mind_moment
    assert text.startswith("Somewhere, someone laughs two tables away.")
    assert "\u201c" not in text and "says" not in text


def test_speech_beside_a_sound_is_still_quoted(engine):
    percepts = [
        PerceptInput("audio", transcript="do you like my lighthouse"),
        PerceptInput("audio", transcript="A door closes softly."),
    ]
    text = engine.cognize(percepts, []).draft.mind_moment
    assert "Someone says, \u201cDo you like my lighthouse?\u201d" in text
    assert "Somewhere, a door closes softly." in text


# None of these is in the corpus.
@pytest.mark.parametrize(
    "text",
    [
        "A car alarm goes off down the street.",
        "[applause]",
        "glasses clinking at the bar",
        "Heavy rain on a tin roof.",
        "Somebody whistles a few notes.",
        "A crowd cheering in the distance",
        "Pigeons coo on the ledge.",
    ],
)
def test_sounds_the_corpus_never_had_are_told_from_speech(text):
    assert is_described_sound(text)


@pytest.mark.parametrize(
    "text",
    [
        "are we there yet",
        "I told you so",
        "the bus leaves at six",
        "thanks for coming",
        "Is that the wind?",
        "we can hear the music from here",
    ],
)
def test_speech_the_corpus_never_had_is_kept_as_speech(text):
    assert not is_described_sound(text)


# Dreams ---------------------------------------------------------------------------------


def _moment(moment_id: int, text: str, phrase: str) -> MomentContext:
    return MomentContext(
        moment_id, moment_id, text, phrase, 0.3, 0.2, generate_sigil(phrase).commands
    )


def _templated_material() -> list[MomentContext]:
    """Two topics written with one template, as the demo's moments are: every theme's
    clearest moment reads like every other's."""
    moments = []
    for index in range(60):
        topic = ("harbour", "lantern")[index % 2]
        other = ("tide", "flame", "rope", "glass", "salt", "wick")[index % 6]
        text = f"The moment is warm, circling the {topic} and the {other} I cannot name."
        moments.append(_moment(index + 1, text, f"{topic} {other}"))
    return moments


def test_a_narrative_never_quotes_the_same_template_twice(engine):
    draft = engine.dream(_templated_material(), []).draft
    assert len(draft.themes) >= 2
    assert draft.narrative.count("circling the") == 1
    assert repeated_sentences(draft.narrative) == []
    assert near_repeats(draft.narrative) == []


def test_a_theme_cites_each_sigil_phrase_once_and_still_counts_every_moment(engine):
    moments = [_moment(n, f"An electric orbit, {n} times.", "electric orbit") for n in range(1, 9)]
    moments += [
        _moment(n, f"An orbit of electric light, seen {n}.", "orbit light") for n in (9, 10)
    ]
    draft = engine.dream(moments, []).draft
    for theme in draft.themes:
        phrases = [next(m.sigil_phrase for m in moments if m.id == i) for i in theme.moment_ids]
        assert len(phrases) == len(set(phrases)), theme
    assert sum(len(theme.moment_ids) for theme in draft.themes) == 2
    assert draft.themes[0].summary.startswith("Eight moments")


def test_old_threads_are_told_in_one_sentence(engine):
    moments = _templated_material()
    continuity = [
        ContinuityContext("harbour", "open", times_seen=2),
        ContinuityContext("lantern", "open", times_seen=1),
    ]
    draft = engine.dream(moments, continuity).draft
    assert "Old threads came back: \u201charbour\u201d (now in three dreams) and " in (
        draft.narrative
    ) or "Old threads came back: \u201clantern\u201d (now in two dreams) and " in (draft.narrative)
    assert "is an old thread" not in draft.narrative
