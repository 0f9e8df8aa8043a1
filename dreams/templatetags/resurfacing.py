"""The resurfacing pictures in pages: `{% load resurfacing %}`, then

    {% replays_plot %}                          replays of every moment per day, by mode
    {% most_replayed_plot %}                    the most replayed moments, and the share
                                                never replayed
    {% moment_replays_plot moment %}            one moment's replays per day, by mode
    {% cited_replays_plot review themes=... %}  a dream's cited moments, replayed before
                                                and after it (`themes`: the dream page's
                                                own, their moments already read)

The reads are dreams.selectors.resurfacing's; the drawing is dreams.plots.resurfacing's.
"""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from dreams.models import DreamReview, MindMoment, MomentKind
from dreams.plots import resurfacing
from dreams.plots.resurfacing import CitedReplays, DayReplays, ReplayedMoment
from dreams.plots.svg import Plot
from dreams.replay import MODE_LABELS, ReplayMode
from dreams.selectors import resurfacing as reads
from dreams.selectors.dream_pages import ThemeView
from dreams.templatetags.plots import FIGURE, moment_label

register = template.Library()

MODES = [(mode, MODE_LABELS.get(mode, mode)) for mode in ReplayMode.values]


def _figure(plot: Plot, *, caption: bool = True) -> dict[str, Any]:
    # The builders escape every text they put in the markup (dreams.plots.svg.esc).
    return {"plot": plot, "svg": mark_safe(plot.svg), "caption": caption}  # noqa: S308


def _days(over_time: reads.ReplaysOverTime) -> list[DayReplays]:
    return [DayReplays(entry.day, entry.mode, entry.replays) for entry in over_time.days]


@register.inclusion_tag(FIGURE)
def replays_plot(days: int = reads.DAYS) -> dict[str, Any]:
    over_time = reads.replays_over_time(days=days)
    plot = resurfacing.replays_over_time(
        _days(over_time),
        first=over_time.first,
        last=over_time.last,
        modes=MODES,
        title="Replays over time",
        covers=f"the last {days} days (UTC)",
    )
    return _figure(plot)


@register.inclusion_tag(FIGURE)
def most_replayed_plot(top: int = reads.TOP) -> dict[str, Any]:
    counts = reads.sigil_moment_counts()
    moments = [
        ReplayedMoment(
            label=moment_label(moment),
            replays=moment.replays,
            citations=moment.citations,
            last_resurfaced_at=timezone.localtime(moment.last_resurfaced_at)
            if moment.last_resurfaced_at
            else None,
            href=moment.get_absolute_url(),
        )
        for moment in reads.top_moments(limit=top)
    ]
    plot = resurfacing.most_replayed(
        moments, with_sigil=counts.with_sigil, never_replayed=counts.never_replayed
    )
    return _figure(plot)


@register.inclusion_tag(FIGURE)
def moment_replays_plot(moment: MindMoment, caption: bool = True) -> dict[str, Any]:
    """`caption=False` under a heading that names it already (the moment page)."""
    over_time = reads.moment_replays_over_time(moment.pk)
    if not moment.has_sigil:
        empty = "The dream loop replays only moments with a sigil: this one has none."
    elif moment.replays:
        empty = f"Not replayed in the last {reads.DAYS} days."
    else:
        empty = "Its replays are drawn here, day by day, once the dream loop brings it back."
    plot = resurfacing.replays_over_time(
        _days(over_time),
        first=over_time.first,
        last=over_time.last,
        modes=MODES,
        title="Its replays",
        covers=f"the last {reads.DAYS} days (UTC)",
        empty=empty,
    )
    return _figure(plot, caption=caption)


def _cited_label(moment: MindMoment) -> str:
    if moment.sigil_phrase:
        return moment.sigil_phrase
    return "A dream" if moment.kind == MomentKind.DREAM else "A moment"


@register.inclusion_tag(FIGURE)
def cited_replays_plot(
    review: DreamReview, themes: Iterable[ThemeView] | None = None
) -> dict[str, Any]:
    cited = None
    if themes is not None:
        found = [c.moment for theme in themes for c in theme.cited if c.moment is not None]
        cited = list({moment.pk: moment for moment in found}.values())
    data = reads.dream_resurfacing(review, cited=cited)
    if not data.cited:
        empty = "The moments this dream's themes cite are no longer kept."
    elif not data.after_days:
        empty = (
            f"It was written today ({resurfacing.day_words(data.written)}, UTC), a day left "
            "out since its replays may fall either side of the dream: the moments it cites "
            f"were not replayed in the {data.before_days} days before it, and the days after "
            "it are counted from tomorrow."
        )
    else:
        empty = (
            f"The dream loop has not replayed the moments this dream cites in the "
            f"{data.before_days} days before it or since. The replay mode “last dream” in "
            "the dream settings replays them."
        )
    plot = resurfacing.cited_replays(
        [
            CitedReplays(
                label=_cited_label(entry.moment),
                before=entry.before,
                after=entry.after,
                href=entry.moment.get_absolute_url(),
            )
            for entry in data.moments
        ],
        written=data.written,
        before_days=data.before_days,
        after_days=data.after_days,
        limit=reads.CITED_DRAWN,
        empty=empty,
    )
    return _figure(plot)
