"""The pictures in pages: `{% load plots %}`, then

    {% recent_moments as recent %}       the latest moments, with what they cover
    {% mood_plot recent %}               valence and arousal over time, dreams marked
    {% circumplex_plot recent %}         the moments on the circumplex, linking to their pages
    {% reading_plot moment %}            one moment's reading on a small circumplex
                                         (caption=False: the page says it in words)
    {% thread_timeline %}                the continuity threads across the latest dreams
    {% thread_timeline review=review %}  a dream's threads, around that dream
                                         (caption=False: under the page's own heading)
    {% theme_circumplex review %}        the moments a dream's themes cite

`mood_plot` and `circumplex_plot` also take any list of moments (a page's own), with
`covers="..."` saying which moments they are. The reads are dreams.selectors.plot_data's;
the drawing is dreams.plots'.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from dreams.models import DreamReview, MindMoment, MomentKind
from dreams.plots import circumplex, mood, threads
from dreams.plots.circumplex import Reading
from dreams.plots.mood import DreamMark, MoodPoint
from dreams.plots.svg import Link, Plot, isolate, plural
from dreams.selectors import plot_data
from dreams.selectors.dream_pages import ThemeView

register = template.Library()

FIGURE = "plots/figure.html"


@dataclass(frozen=True)
class CoveredMoments:
    """Moments to draw, and how a plot names them ("the last 300 moments")."""

    moments: list[MindMoment]
    covers: str


@register.simple_tag
def recent_moments() -> CoveredMoments:
    moments = plot_data.plot_moments(limit=plot_data.PLOT_MOMENTS)
    return CoveredMoments(moments, latest_covers(len(moments), plot_data.PLOT_MOMENTS))


def latest_covers(count: int, limit: int, noun: str = "moment") -> str:
    """How a plot of the latest things names them: "the last 300 moments", "all 12
    moments so far"."""
    if count >= limit:
        return f"the last {count} {noun}s"
    if count == 1:
        return f"the one {noun} so far"
    return f"all {count} {noun}s so far"


def _covered(moments: CoveredMoments | Iterable[MindMoment], covers: str) -> CoveredMoments:
    if isinstance(moments, CoveredMoments):
        return CoveredMoments(moments.moments, covers or moments.covers)
    listed = list(moments)
    return CoveredMoments(listed, covers or f"the {plural(len(listed), 'moment')} shown")


def moment_label(moment: MindMoment) -> str:
    """How a tooltip names a moment: "Cycle 12 · a quiet harbour (a dream)"."""
    label = f"Cycle {moment.cycle}"
    if moment.sigil_phrase:
        label += f" · {isolate(moment.sigil_phrase)}"
    if moment.kind == MomentKind.DREAM:
        label += " (a dream)"
    return label


def _figure(plot: Plot, *, caption: bool = True) -> dict[str, Any]:
    # The builders escape every text they put in the markup (dreams.plots.svg.esc).
    return {"plot": plot, "svg": mark_safe(plot.svg), "caption": caption}  # noqa: S308


@register.inclusion_tag(FIGURE)
def mood_plot(moments: CoveredMoments | Iterable[MindMoment], covers: str = "") -> dict[str, Any]:
    covered = _covered(moments, covers)
    points = [
        MoodPoint(
            at=timezone.localtime(moment.created_at),
            valence=moment.valence,
            arousal=moment.arousal,
            label=moment_label(moment),
        )
        for moment in covered.moments
    ]
    dreams: list[DreamMark] = []
    if points:
        start = min(moment.created_at for moment in covered.moments)
        end = max(moment.created_at for moment in covered.moments)
        dreams = [
            DreamMark(
                at=timezone.localtime(review.created_at),
                sequence=review.sequence,
                title=review.title,
                href=reverse("dream-page", args=[review.pk]),
            )
            for review in plot_data.dreams_between(start, end)
        ]
    return _figure(mood.mood_plot(points, dreams=dreams, covers=covered.covers))


def _moment_page_pattern() -> str:
    """`/moments/`: one reverse() for hundreds of dots, then each id is appended."""
    return reverse("moment-page", args=[1]).rsplit("1/", 1)[0]


def _readings(
    moments: Iterable[MindMoment], label: Callable[[MindMoment], str] = moment_label
) -> list[Reading]:
    """The moments as dots linking to their pages, each named by `label`."""
    pattern = _moment_page_pattern()
    return [
        Reading(
            valence=moment.valence,
            arousal=moment.arousal,
            colour=moment.colour,
            label=label(moment),
            href=f"{pattern}{moment.pk}/",
        )
        for moment in moments
    ]


@register.inclusion_tag(FIGURE)
def circumplex_plot(
    moments: CoveredMoments | Iterable[MindMoment], covers: str = "", history_link: bool = True
) -> dict[str, Any]:
    covered = _covered(moments, covers)
    more = Link("Read them one by one in the history", reverse("moment-history"))
    plot = circumplex.circumplex_plot(
        _readings(covered.moments), covers=covered.covers, more=more if history_link else None
    )
    return _figure(plot)


@register.inclusion_tag(FIGURE)
def reading_plot(moment: MindMoment, caption: bool = True) -> dict[str, Any]:
    """`caption=False` where the page says the reading in words beside it."""
    reading = Reading(
        valence=moment.valence, arousal=moment.arousal, colour=moment.colour, label="This moment"
    )
    return _figure(circumplex.circumplex_reading(reading), caption=caption)


def _cited_label(moment: MindMoment) -> str:
    # The dream page reads its cited moments without their cycle: the phrase names them.
    if moment.sigil_phrase:
        return isolate(moment.sigil_phrase)
    return "A dream" if moment.kind == MomentKind.DREAM else "A moment"


@register.inclusion_tag(FIGURE)
def theme_circumplex(
    review: DreamReview, themes: Iterable[ThemeView] | None = None
) -> dict[str, Any]:
    """The moments a dream's themes cite. `themes`: the dream page's own (their moments
    already read), else they are read here."""
    if themes is None:
        moments = plot_data.theme_moments(review)
    else:
        cited = [c.moment for theme in themes for c in (*theme.shown, *theme.rest) if c.moment]
        moments = list({moment.pk: moment for moment in cited}.values())
    readings = _readings(moments, label=_cited_label)
    covers = "the moment this dream's themes cite"
    if len(moments) != 1:
        covers = f"the {len(moments)} moments this dream's themes cite"
    plot = circumplex.circumplex_plot(
        readings,
        covers=covers,
        empty="The moments this dream's themes cite are no longer kept.",
    )
    return _figure(plot)


@register.inclusion_tag(FIGURE)
def thread_timeline(review: DreamReview | None = None, caption: bool = True) -> dict[str, Any]:
    """`caption=False` under a heading that names the threads already (the dream page)."""
    data = plot_data.thread_timeline_data(around=review)
    sequences = [dream.sequence for dream in data.dreams]
    if review is not None:
        covers = f"dreams {sequences[0]} to {sequences[-1]}" if len(sequences) > 1 else "this dream"
        empty = "This dream named no continuity threads."
    else:
        covers = latest_covers(len(sequences), plot_data.TIMELINE_DREAMS, "dream")
        empty = threads.EMPTY_COPY
    plot = threads.thread_timeline(
        data.rows,
        dreams=data.dreams,
        covers=covers,
        highlight=review.sequence if review is not None else None,
        more_rows=data.more_rows,
        empty=empty,
    )
    return _figure(plot, caption=caption)
