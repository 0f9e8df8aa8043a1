"""The dream told in the first person: what surfaced, theme by theme, and what became of
the open threads.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from engines.contracts import ContinuityContext, MomentContext
from engines.offline.mood import mean_circumplex, mood_of
from engines.offline.prose import (
    capitalized,
    counted,
    excerpt_of,
    in_sentence,
    in_words,
    joined,
    quoted_names,
)
from engines.offline.themes import Theme, cited_moments

_QUIET_THREADS_NAMED = 3
# Two quotations sharing this share of their words read as one sentence written twice
# (the same template about another thing), so a narrative quotes only one of them.
_ALIKE_SHARE = 0.6


# Each theme has its own way in, so that no two sentences of a narrative read alike.
_RECALLS = ("One stays with me:", "I remember", "Still with me:", "It comes back:", "I hold on to")
_MIDDLE_LINES = (
    "{Name} came next, in {count}, {mood}.",
    "{Name} surfaced too, in {count}, {mood}.",
)


def _span(moments: Sequence[MomentContext]) -> str:
    first, last = min(m.cycle for m in moments), max(m.cycle for m in moments)
    return f"at cycle {first}" if first == last else f"from cycle {first} to {last}"


def _alike(a: str, b: str) -> bool:
    words_a, words_b = (
        Counter(re.findall(r"\w+", a.lower())),
        Counter(re.findall(r"\w+", b.lower())),
    )
    longer = max(words_a.total(), words_b.total())
    return longer > 0 and (words_a & words_b).total() >= _ALIKE_SHARE * longer


def recalled(themes: Sequence[Theme]) -> list[str]:
    """The excerpt each theme quotes, "" for none: the first sentence of its most salient
    cited moment that is unlike every excerpt quoted before it."""
    chosen: list[str] = []
    for theme in themes:
        excerpts = (excerpt_of(moment.text) for moment in cited_moments(theme))
        chosen.append(
            next(
                (text for text in excerpts if text and not any(_alike(text, c) for c in chosen)),
                "",
            )
        )
    return chosen


def theme_summary(theme: Theme, excerpt: str) -> str:
    count = len(theme.members)
    about = joined(theme.terms[:4]) or "nothing I can name"
    feel = "they feel" if count > 1 else "it feels"
    summary = (
        f"{capitalized(counted(count, 'moment'))} {_span(theme.members)} "
        f"{'turn' if count > 1 else 'turns'} on {about}; "
        f"{feel} {mood_of(*mean_circumplex(theme.members))}."
    )
    return f"{summary} The clearest: \u201c{excerpt}\u201d" if excerpt else summary


def thread_note(theme: Theme) -> str:
    moments = counted(len(theme.members), "moment")
    about = f" about {joined(theme.terms[:3])}" if theme.terms else ""
    if theme.thread is None:
        return f"First noticed tonight, in {moments}{about}."
    dreams = counted(theme.thread.times_seen + 1, "dream")
    return f"Back again in {moments}{about}; seen in {dreams} so far."


def _theme_line(index: int, total: int, theme: Theme) -> str:
    name, count = in_sentence(theme.name), counted(len(theme.members), "moment")
    mood = mood_of(*mean_circumplex(theme.members))
    if total == 1:
        return f"{capitalized(name)} ran through all of it and felt {mood}."
    if index == 0:
        return f"{capitalized(name)} came back most often, in {count}, and felt {mood}."
    if index == 1:
        return f"Then {name}: {count}, {mood}."
    if index == total - 1:
        return f"And {name}, in {count}, {mood}."
    line = _MIDDLE_LINES[(index - 2) % len(_MIDDLE_LINES)]
    return line.format(Name=capitalized(name), count=count, mood=mood)


def _theme_paragraph(index: int, total: int, theme: Theme, excerpt: str) -> str:
    line = _theme_line(index, total, theme)
    if not excerpt:
        return line
    return f"{line} {_RECALLS[index % len(_RECALLS)]} \u201c{excerpt}\u201d"


def _continuity_paragraph(themes: Sequence[Theme], continuity: Sequence[ContinuityContext]) -> str:
    old = [
        (theme.name, counted(theme.thread.times_seen + 1, "dream"))
        for theme in themes
        if theme.thread
    ]
    sentences = []
    if len(old) == 1:
        (name, dreams), *_ = old
        sentences.append(
            f"{quoted_names([name], opening=True)} is an old thread: it has now surfaced in "
            f"{dreams}."
        )
    elif old:
        # One sentence for them all: a sentence each would read as one sentence repeated.
        each = [f"{quoted_names([name])} (now in {dreams})" for name, dreams in old]
        sentences.append(f"Old threads came back: {joined(each)}.")
    new = [theme.name for theme in themes if not theme.thread]
    if new:
        verb, pronoun = ("is", "it") if len(new) == 1 else ("are", "them")
        names = quoted_names(new, opening=True)
        sentences.append(f"{names} {verb} new; I will watch for {pronoun}.")
    continued = [theme.thread for theme in themes if theme.thread]
    quiet = [thread.name for thread in continuity if thread not in continued]
    if quiet:
        named = quoted_names(quiet[:_QUIET_THREADS_NAMED], opening=True)
        if len(quiet) > _QUIET_THREADS_NAMED:
            others = counted(len(quiet) - _QUIET_THREADS_NAMED, "other thread")
            named = f"{named}, and {others}"
        sentences.append(f"{named} stayed quiet tonight.")
    return " ".join(sentences)


def narrative(
    moments: Sequence[MomentContext],
    themes: Sequence[Theme],
    continuity: Sequence[ContinuityContext],
    circumplex: tuple[float, float],
    excerpts: Sequence[str],
) -> str:
    """The dream told; ``excerpts`` are what each theme quotes (see ``recalled``)."""
    names = quoted_names([theme.name for theme in themes])
    things = "One thing" if len(themes) == 1 else f"{capitalized(in_words(len(themes)))} things"
    paragraphs = [
        f"Tonight I went back through {counted(len(moments), 'moment')}, {_span(moments)}. "
        f"{things} kept surfacing: {names}.",
        *(
            _theme_paragraph(index, len(themes), theme, excerpt)
            for index, (theme, excerpt) in enumerate(zip(themes, excerpts, strict=True))
        ),
        _continuity_paragraph(themes, continuity),
        f"On the whole the night felt {mood_of(*circumplex)}.",
    ]
    return "\n\n".join(paragraphs)
