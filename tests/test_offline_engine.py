import random

import pytest

from dreams.sigils import generate_sigil, parse_sigil
from engines.adapters import adapter_for
from engines.adapters.base import ReadinessState
from engines.contracts import (
    ContinuityContext,
    DreamDraft,
    MomentContext,
    MomentDraft,
    PerceptInput,
)
from engines.offline.engine import OfflineEngine
from engines.registry import EngineId

# Three planted topics: every moment about one of them uses some of its words, among
# words every topic shares.
TOPICS = {
    "sea": ("sea", "waves", "tide", "shore", "salt", "harbour", "foam", "gulls"),
    "crowd": ("crowd", "faces", "voices", "people", "strangers", "queue", "chatter", "elbows"),
    "clock": ("clock", "hour", "ticking", "minutes", "pendulum", "midnight", "chime", "dial"),
}
SHARED = ("room", "light", "window", "evening", "glass", "floor", "door", "visitor")
TEMPLATES = (
    "In front of me, the {a} and the {b}; the {s} feels {m}.",
    "I keep thinking about {a}, {b} and {c} near the {s}.",
    "Someone says, “{A} again, and {b}.” The {s} is {m}.",
    "Before me, {a} gathering by the {s}; then {b}.",
    "{A} and {c} again. It leaves me {m}.",
)
MOODS = ("calm", "uneasy", "warm", "restless", "slow")


def planted_moments(count: int, seed: int = 0) -> tuple[list[MomentContext], dict[int, str]]:
    """`count` moments cycling through the topics, and each moment's topic by id."""
    rng = random.Random(seed)
    moments, topic_of = [], {}
    names = sorted(TOPICS)
    for index in range(count):
        topic = names[index % len(names)]
        a, b, c = rng.sample(TOPICS[topic], 3)
        text = rng.choice(TEMPLATES).format(
            a=a, b=b, c=c, A=a.capitalize(), s=rng.choice(SHARED), m=rng.choice(MOODS)
        )
        moment_id = 500 + index
        moments.append(
            MomentContext(
                id=moment_id,
                cycle=1000 + index,
                text=text,
                sigil_phrase=f"{a} {b}",
                valence=round(rng.uniform(-1, 1), 3),
                arousal=round(rng.uniform(-1, 1), 3),
                sigil_commands=generate_sigil(f"{topic}-{index}").commands,
            )
        )
        topic_of[moment_id] = topic
    return moments, topic_of


@pytest.fixture(scope="module")
def engine() -> OfflineEngine:
    return OfflineEngine()


@pytest.fixture(scope="module")
def planted() -> tuple[list[MomentContext], dict[int, str]]:
    return planted_moments(300)


def _in_canvas(commands: list[list]) -> bool:
    for name, *args in commands:
        if name == "arc":
            x, y, radius = args[:3]
            points = [(x - radius, y - radius), (x + radius, y + radius)]
        else:
            points = list(zip(args[::2], args[1::2], strict=True))
        if not all(0 <= x <= 100 and 0 <= y <= 100 for x, y in points):
            return False
    return True


# The adapter ------------------------------------------------------------------------------


def test_the_adapter_is_always_ready_and_builds_the_engine():
    adapter = adapter_for(EngineId.OFFLINE)
    assert adapter.check({}).state is ReadinessState.READY
    assert isinstance(adapter.engine(model="builtin", timeout=5.0, env={}), OfflineEngine)


# cognize --------------------------------------------------------------------------------

LIGHTHOUSE = [
    PerceptInput(
        "visual",
        description="A girl holds a paper lighthouse up to the camera.",
        valence=0.6,
        arousal=0.4,
    ),
    PerceptInput("audio", transcript="do you like my lighthouse", valence=0.2),
    PerceptInput("visual", description="The lighthouse has a red stripe.", arousal=-0.2),
]


def test_cognize_observes_the_percepts_in_the_first_person(engine):
    draft = engine.cognize(LIGHTHOUSE, []).draft
    assert isinstance(draft, MomentDraft)
    assert "paper lighthouse" in draft.mind_moment
    assert "“Do you like my lighthouse?”" in draft.mind_moment
    assert draft.mind_moment.startswith(("In front of me,", "Before me,", "Here and now,"))


def test_the_phrase_comes_from_the_most_salient_terms(engine):
    draft = engine.cognize(LIGHTHOUSE, []).draft
    words = set(" ".join(p.content for p in LIGHTHOUSE).lower().replace(".", " ").split())
    assert "lighthouse" in draft.sigil_phrase.split()
    assert set(draft.sigil_phrase.split()) - {"and"} <= words
    assert 1 <= len(draft.sigil_phrase.split()) <= 5


def test_the_circumplex_is_the_mean_of_the_readings(engine):
    circumplex = engine.cognize(LIGHTHOUSE, []).draft.circumplex
    assert circumplex.valence == pytest.approx((0.6 + 0.2) / 2, abs=1e-3)
    assert circumplex.arousal == pytest.approx((0.4 - 0.2) / 2, abs=1e-3)


def test_without_readings_the_mood_leans_on_the_prior_moments(engine):
    prior = [MomentContext(1, 1, "A dark hall.", "dark hall", valence=-0.8, arousal=0.4)]
    percepts = [PerceptInput("visual", description="A coat on a chair.")]
    circumplex = engine.cognize(percepts, prior).draft.circumplex
    assert -0.8 < circumplex.valence < 0 < circumplex.arousal < 0.4


def test_the_sigil_is_drawn_from_the_phrase(engine):
    draft = engine.cognize(LIGHTHOUSE, []).draft
    assert draft.sigil_commands == generate_sigil(draft.sigil_phrase).commands
    assert parse_sigil(draft.sigil_code) == draft.sigil_commands


def test_cognize_is_deterministic_and_follows_its_input(engine):
    first = engine.cognize(LIGHTHOUSE, [])
    assert engine.cognize(LIGHTHOUSE, []) == first
    other = engine.cognize([PerceptInput("visual", description="Two dogs chase a ball.")], [])
    assert other.draft.sigil_phrase != first.draft.sigil_phrase
    assert other.draft.sigil_code != first.draft.sigil_code
    assert other.draft.mind_moment != first.draft.mind_moment


def test_cognize_notices_a_term_that_keeps_returning(engine):
    prior = [
        MomentContext(n, n, f"A lighthouse drawn in chalk, {n}.", "chalk lighthouse", 0.1, 0.1)
        for n in (1, 2, 3)
    ]
    text = engine.cognize(LIGHTHOUSE, prior).draft.mind_moment
    assert "Lighthouse keeps returning: it was in each of my last three thoughts." in text


def test_cognize_with_no_percepts_is_a_quiet_moment(engine):
    draft = engine.cognize([], []).draft
    assert draft.sigil_phrase == "stillness"
    assert draft.mind_moment.startswith("Nothing reaches me")
    assert draft.circumplex.arousal < 0
    prior = [MomentContext(1, 1, "A lighthouse.", "paper lighthouse", 0.0, 0.0)]
    echo = engine.cognize([], prior).draft
    assert echo.sigil_phrase == "echo of lighthouse"
    assert "lighthouse" in echo.mind_moment


def test_cognize_copes_with_percepts_that_say_nothing(engine):
    blank = engine.cognize([PerceptInput("visual"), PerceptInput("audio", transcript="")], [])
    assert blank.draft.mind_moment.startswith("Something stirs")
    noise = "x" * 300 + " " + "word " * 400
    long = engine.cognize([PerceptInput("audio", transcript=noise)], []).draft
    assert len(long.mind_moment) < 1000
    assert long.sigil_phrase == "word"


# dream ----------------------------------------------------------------------------------


def test_dream_finds_the_planted_topics(engine, planted):
    moments, topic_of = planted
    draft = engine.dream(moments, []).draft
    assert isinstance(draft, DreamDraft)
    assert len(draft.themes) == 3
    found = set()
    for theme in draft.themes:
        topics = {topic_of[moment_id] for moment_id in theme.moment_ids}
        assert len(topics) == 1, theme
        (topic,) = topics
        assert set(theme.name.split()) & set(TOPICS[topic])
        found.add(topic)
    assert found == set(TOPICS)


def test_dream_cites_the_most_salient_moments_of_the_material(engine, planted):
    moments, _ = planted
    draft = engine.dream(moments, []).draft
    ids = {moment.id for moment in moments}
    assert draft.cited_moment_ids() <= ids
    assert all(1 <= len(theme.moment_ids) <= 8 for theme in draft.themes)
    assert all(len(set(theme.moment_ids)) == len(theme.moment_ids) for theme in draft.themes)


def test_dream_threads_follow_the_themes_and_reuse_open_threads(engine, planted):
    moments, topic_of = planted
    continuity = [
        ContinuityContext("The tide", "open", times_seen=2),
        ContinuityContext("harvest", "open", times_seen=1),
    ]
    draft = engine.dream(moments, continuity).draft
    assert [thread.name for thread in draft.threads] == [theme.name for theme in draft.themes]
    tide = next(theme for theme in draft.themes if theme.name == "The tide")
    assert {topic_of[moment_id] for moment_id in tide.moment_ids} == {"sea"}
    assert "harvest" not in {thread.name for thread in draft.threads}
    assert "“The tide” is an old thread: it has now surfaced in three dreams." in draft.narrative
    assert "“Harvest” stayed quiet tonight." in draft.narrative


def test_thread_names_are_stable_from_one_dream_to_the_next(engine, planted):
    moments, _ = planted
    first = engine.dream(moments[:150], []).draft
    later = engine.dream(
        moments[150:],
        [ContinuityContext(thread.name, "open", times_seen=1) for thread in first.threads],
    ).draft
    assert {thread.name for thread in later.threads} == {thread.name for thread in first.threads}


def test_dream_writes_a_narrative_title_and_mood(engine, planted):
    moments, _ = planted
    draft = engine.dream(moments, []).draft
    paragraphs = draft.narrative.split("\n\n")
    assert paragraphs[0].startswith("Tonight I went back through 300 moments")
    assert all(theme.name in draft.narrative.lower() for theme in draft.themes)
    assert draft.title.startswith("A dream of ")
    assert 1 <= len(draft.sigil_phrase.split()) <= 5
    assert draft.circumplex.valence == pytest.approx(
        sum(m.valence for m in moments) / len(moments), abs=1e-3
    )
    assert draft.circumplex.arousal == pytest.approx(
        sum(m.arousal for m in moments) / len(moments), abs=1e-3
    )


def test_the_dream_sigil_is_composed_from_the_cited_moments(engine, planted):
    moments, _ = planted
    draft = engine.dream(moments, []).draft
    assert parse_sigil(draft.sigil_code) == draft.sigil_commands
    assert _in_canvas(draft.sigil_commands)
    # Five cited sigils of 10 to 30 commands each, inside a frame.
    assert len(draft.sigil_commands) > 30
    plain = [
        MomentContext(m.id, m.cycle, m.text, m.sigil_phrase, m.valence, m.arousal) for m in moments
    ]
    fallback = engine.dream(plain, []).draft
    assert fallback.sigil_commands == generate_sigil(fallback.title).commands


def test_dream_is_deterministic_whatever_the_order_of_the_material(engine, planted):
    moments, _ = planted
    first = engine.dream(moments, [])
    assert engine.dream(moments, []) == first
    shuffled = list(moments)
    random.Random(1).shuffle(shuffled)
    assert engine.dream(shuffled, []) == first


def test_dream_over_one_moment(engine):
    moment = MomentContext(7, 70, "In front of me, a red kite.", "red kite", 0.5, 0.5)
    draft = engine.dream([moment], []).draft
    assert [theme.moment_ids for theme in draft.themes] == [[7]]
    assert "one moment, at cycle 70" in draft.narrative
    assert draft.themes[0].name == "red kite"


def test_dream_over_quiet_moments(engine):
    quiet = engine.cognize([], []).draft
    moments = [
        MomentContext(n, n, quiet.mind_moment, quiet.sigil_phrase, 0.0, -0.2) for n in (1, 2, 3)
    ]
    draft = engine.dream(moments, []).draft
    assert draft.title == "A quiet dream"
    # One theme of all three; the same phrase is cited once, not listed three times.
    assert draft.themes[0].summary.startswith("Three moments from cycle 1 to 3")
    assert draft.themes[0].moment_ids == [1]


def test_dream_over_ten_thousand_moments(engine):
    moments, topic_of = planted_moments(10_000, seed=5)
    draft = engine.dream(moments, []).draft
    assert draft.cited_moment_ids() <= set(topic_of)
    assert {topic_of[moment_id] for moment_id in draft.cited_moment_ids()} == set(TOPICS)
    assert parse_sigil(draft.sigil_code) == draft.sigil_commands
