"""The dream told in the first person: what surfaced, theme by theme, and what became of
the open threads.
"""

from __future__ import annotations

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
from engines.offline.themes import Theme

_QUIET_THREADS_NAMED = 3


_RECALLS = ("One stays with me:", "I remember", "Still with me:")


def _span(moments: Sequence[MomentContext]) -> str:
    first, last = min(m.cycle for m in moments), max(m.cycle for m in moments)
    return f"at cycle {first}" if first == last else f"from cycle {first} to {last}"


def theme_summary(theme: Theme) -> str:
    count = len(theme.members)
    about = joined(theme.terms[:4]) or "nothing I can name"
    feel = "they feel" if count > 1 else "it feels"
    summary = (
        f"{capitalized(counted(count, 'moment'))} {_span(theme.members)} "
        f"{'turn' if count > 1 else 'turns'} on {about}; "
        f"{feel} {mood_of(*mean_circumplex(theme.members))}."
    )
    excerpt = excerpt_of(theme.members[0].text)
    return f"{summary} The clearest: \u201c{excerpt}\u201d" if excerpt else summary


def thread_note(theme: Theme) -> str:
    moments = counted(len(theme.members), "moment")
    about = f" about {joined(theme.terms[:3])}" if theme.terms else ""
    if theme.thread is None:
        return f"First noticed tonight, in {moments}{about}."
    dreams = counted(theme.thread.times_seen + 1, "dream")
    return f"Back again in {moments}{about}; seen in {dreams} so far."


def _theme_paragraph(index: int, theme: Theme, *, alone: bool) -> str:
    name, count = in_sentence(theme.name), counted(len(theme.members), "moment")
    mood = mood_of(*mean_circumplex(theme.members))
    if alone:
        line = f"{capitalized(name)} ran through all of it and felt {mood}."
    elif index == 0:
        line = f"{capitalized(name)} came back most often, in {count}, and felt {mood}."
    elif index == 1:
        line = f"Then {name}: {count}, {mood}."
    else:
        line = f"And {name}, in {count}, {mood}."
    excerpt = excerpt_of(theme.members[0].text)
    if not excerpt:
        return line
    recall = _RECALLS[min(index, len(_RECALLS) - 1)]
    return f"{line} {recall} \u201c{excerpt}\u201d"


def _continuity_paragraph(themes: Sequence[Theme], continuity: Sequence[ContinuityContext]) -> str:
    sentences = [
        f"{quoted_names([theme.name], opening=True)} is an old thread: it has now surfaced in "
        f"{counted(theme.thread.times_seen + 1, 'dream')}."
        for theme in themes
        if theme.thread
    ]
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
) -> str:
    names = quoted_names([theme.name for theme in themes])
    things = "One thing" if len(themes) == 1 else f"{capitalized(in_words(len(themes)))} things"
    paragraphs = [
        f"Tonight I went back through {counted(len(moments), 'moment')}, {_span(moments)}. "
        f"{things} kept surfacing: {names}.",
        *(
            _theme_paragraph(index, theme, alone=len(themes) == 1)
            for index, theme in enumerate(themes)
        ),
        _continuity_paragraph(themes, continuity),
        f"On the whole the night felt {mood_of(*circumplex)}.",
    ]
    return "\n\n".join(paragraphs)
