"""Resurfacing: which moments the dream loop brings back, and when.

- `replays_over_time`: replays per day as stacked bars, one segment per replay mode (the
  dashboard's, for every moment; a moment page's, for that moment);
- `most_replayed`: the share of moments never replayed, and the most replayed moments as
  bars linking to their pages;
- `cited_replays`: the moments a dream cites, replayed per day before the dream and after
  it: does consolidation guide replay?

The modes arrive as (value, label) pairs: the plots know no model.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from dreams.plots.svg import (
    Linear,
    Plot,
    element,
    esc,
    isolate,
    nothing_drawn,
    plural,
    svg_root,
    text_direction,
    tooltip,
    truncate,
    when,
)

WIDTH = 320.0
LEFT, RIGHT = 40.0, 312.0
# The bar charts of moments: names on the left, bars from BAR_X to BAR_END, numbers after.
NAME_X, BAR_X, BAR_END = 4.0, 150.0, 284.0
ROW = 22.0
# Within a day's slot, the bar takes this share (the rest is the gap between days).
BAR_SHARE = 0.72
LEGEND_ROW = 16.0
# About how wide a letter of the legend is, in the SVG's units (11 px text).
LETTER_WIDTH = 6.2

EMPTY_COPY = (
    "No moment has resurfaced yet: the dream loop replays moments while nobody is connected."
)


@dataclass(frozen=True)
class DayReplays:
    """Replays on one day (UTC) in one mode."""

    day: date
    mode: str
    replays: int


@dataclass(frozen=True)
class ReplayedMoment:
    """A moment among the most replayed. `label` names it ("Cycle 12 · a quiet harbour")."""

    label: str
    replays: int
    citations: int
    last_resurfaced_at: datetime | None
    href: str


@dataclass(frozen=True)
class CitedReplays:
    """A moment a dream cites, and how often it was replayed in the windows around it."""

    label: str
    before: int
    after: int
    href: str


def day_words(day: date) -> str:
    return f"{day.day} {day:%b}"


def times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count:,} times"


def counted(count: int, one: str) -> str:
    """ "1 replay", "4,256 replays": a count with thousands separated."""
    return f"{count:,} {one if count == 1 else one + 's'}"


def rate(count: int, days: int) -> str:
    """Replays per day, as people say it: "0.4 a day"."""
    per_day = count / days
    shown = f"{per_day:.1f}".removesuffix(".0") if per_day < 10 else f"{per_day:.0f}"
    return f"{shown} a day"


def nice_ceiling(value: float) -> float:
    """The round number at or above `value` an axis ends at: 1, 2, 5, 10, 20, 50, ..."""
    if value <= 1:
        return 1.0
    step = 1.0
    while True:
        for factor in (1.0, 2.0, 5.0):
            if step * factor >= value:
                return step * factor
        step *= 10


# Replays over time


def replays_over_time(
    replays: Sequence[DayReplays],
    *,
    first: date,
    last: date,
    modes: Sequence[tuple[str, str]],
    title: str,
    covers: str,
    empty: str = EMPTY_COPY,
) -> Plot:
    """The days from `first` to `last`, each a bar of its replays stacked by mode (in the
    order of `modes`); one mark per day and mode with replays. `covers` says which days
    ("the last 30 days (UTC)")."""
    label = f"{title}: {covers}"
    kept = [entry for entry in replays if first <= entry.day <= last and entry.replays > 0]
    if not kept:
        return nothing_drawn(kind="replays", title=title, label=label, empty=empty)
    labels = dict(modes)
    order = {mode: index for index, (mode, _) in enumerate(modes)}
    by_day: dict[date, list[DayReplays]] = {}
    for entry in sorted(kept, key=lambda entry: order.get(entry.mode, len(order))):
        by_day.setdefault(entry.day, []).append(entry)
    present = [mode for mode, _ in modes if any(entry.mode == mode for entry in kept)]
    present += sorted({entry.mode for entry in kept} - set(present))

    legend, top = _legend([(mode, labels.get(mode, mode)) for mode in present])
    height = top + 130.0
    bottom = height - 22.0
    highest = nice_ceiling(max(sum(e.replays for e in entries) for entries in by_day.values()))
    y = Linear((0.0, highest), (bottom, top))
    span = (last - first).days + 1
    slot = (RIGHT - LEFT) / span
    width = max(1.0, slot * BAR_SHARE)

    body = [legend, _grid(y, highest, bottom)]
    for day, entries in sorted(by_day.items()):
        left = LEFT + slot * (day - first).days + (slot - width) / 2
        stacked = 0
        for entry in entries:
            lower, upper = y(stacked), y(stacked + entry.replays)
            stacked += entry.replays
            mode = labels.get(entry.mode, entry.mode)
            words = f"{day_words(day)}: {counted(entry.replays, 'replay')}, {mode}"
            body.append(
                element(
                    "rect",
                    tooltip(words),
                    x=left,
                    y=upper,
                    width=width,
                    height=max(lower - upper, 0.5),
                    class_=f"mark segment mode-{_mode_class(entry.mode)}",
                )
            )
    body.append(_day_axis(first, last, height))
    return Plot(
        kind="replays",
        title=title,
        label=label,
        svg=svg_root("".join(body), width=WIDTH, height=height, label=label, class_="plot-svg"),
        count=len(kept),
        summary=_over_time_summary(kept, by_day, labels, covers),
        empty=empty,
    )


def _mode_class(mode: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in mode.replace("_", "-"))


def _legend(entries: Sequence[tuple[str, str]], *, left_edge: float = LEFT) -> tuple[str, float]:
    """The modes' swatches and names, wrapped onto as many rows as they need; returns the
    markup and where the drawing below it starts."""
    parts, left, baseline = [], left_edge, 13.0
    for mode, name in entries:
        needed = 16 + LETTER_WIDTH * len(name) + 12
        if left > left_edge and left + needed > RIGHT:
            left, baseline = left_edge, baseline + LEGEND_ROW
        parts.append(
            element(
                "rect",
                x=left,
                y=baseline - 9,
                width=10.0,
                height=10.0,
                rx=2.0,
                class_=f"swatch mode-{_mode_class(mode)}",
            )
            + element("text", esc(name), x=left + 14, y=baseline, class_="legend")
        )
        left += needed
    return element("g", "".join(parts), class_="legend-key"), baseline + 14


def _grid(y: Linear, highest: float, bottom: float) -> str:
    lines = []
    # Counts are whole: the middle line only where it is one.
    for value in (0.0, highest / 2, highest) if highest % 2 == 0 else (0.0, highest):
        at = y(value)
        lines.append(
            element(
                "line",
                x1=LEFT,
                x2=RIGHT,
                y1=at,
                y2=at,
                class_="grid zero" if value == 0 else "grid",
            )
            + element(
                "text", f"{value:,.0f}", x=LEFT - 4, y=at + 3, text_anchor="end", class_="tick"
            )
        )
    return "".join(lines)


def _day_axis(first: date, last: date, height: float) -> str:
    baseline = height - 6
    if first == last:
        return element(
            "text", day_words(first), x=WIDTH / 2, y=baseline, text_anchor="middle", class_="tick"
        )
    return element(
        "text", day_words(first), x=LEFT, y=baseline, text_anchor="start", class_="tick"
    ) + element("text", day_words(last), x=RIGHT, y=baseline, text_anchor="end", class_="tick")


def _over_time_summary(
    kept: list[DayReplays],
    by_day: dict[date, list[DayReplays]],
    labels: dict[str, str],
    covers: str,
) -> str:
    total = sum(entry.replays for entry in kept)
    per_mode: dict[str, int] = {}
    for entry in kept:
        per_mode[entry.mode] = per_mode.get(entry.mode, 0) + entry.replays
    ranked = sorted(per_mode.items(), key=lambda item: -item[1])
    by_mode = ", ".join(f"{labels.get(mode, mode)} {count:,}" for mode, count in ranked)
    said = f"{counted(total, 'replay')} in {covers}. By mode: {by_mode}"
    busiest_day, busiest = max(
        ((day, sum(e.replays for e in entries)) for day, entries in by_day.items()),
        key=lambda item: (item[1], item[0]),
    )
    if len(by_day) > 1:
        said += f". The busiest day was {day_words(busiest_day)}, with {busiest:,}"
    return said + "."


# The most replayed moments, and the share never replayed


def most_replayed(
    moments: Sequence[ReplayedMoment],
    *,
    with_sigil: int,
    never_replayed: int,
    empty: str = EMPTY_COPY,
) -> Plot:
    """`with_sigil` moments could be replayed, `never_replayed` of them never were; one
    mark per moment of `moments` (the most replayed, most first)."""
    title = "Most replayed moments"
    label = f"{title}, and the share of moments never replayed"
    drawn = [moment for moment in moments if moment.replays > 0]
    if not drawn or with_sigil <= 0:
        return nothing_drawn(kind="resurfaced", title=title, label=label, empty=empty)
    share = min(1.0, max(0.0, never_replayed / with_sigil))
    body = [_share_meter(share, never_replayed, with_sigil)]
    top = 46.0
    x = Linear((0.0, float(max(moment.replays for moment in drawn))), (BAR_X, BAR_END))
    for index, moment in enumerate(drawn):
        body.append(_replayed_row(moment, top + ROW * index, x))
    height = top + ROW * len(drawn) + 4
    return Plot(
        kind="resurfaced",
        title=title,
        label=label,
        svg=svg_root("".join(body), width=WIDTH, height=height, label=label, class_="plot-svg"),
        count=len(drawn),
        summary=_most_replayed_summary(drawn, share, never_replayed, with_sigil),
        empty=empty,
    )


def percent(share: float) -> str:
    """A share as people read it: "0%", "under 1%", "37%", "over 99%", "100%"."""
    if 0 < share < 0.01:
        return "under 1%"
    if 0.99 < share < 1:
        return "over 99%"
    return f"{share * 100:.0f}%"


def _share_meter(share: float, never: int, total: int) -> str:
    left, right, top = NAME_X, BAR_END + 24, 20.0
    width = right - left
    replayed = width * (1 - share)
    words = f"{percent(share)} never replayed: {never:,} of {counted(total, 'moment')} with a sigil"
    return element(
        "g",
        tooltip(words)
        + element("text", esc(words), x=left, y=13.0, class_="legend")
        + element("rect", x=left, y=top, width=width, height=10.0, rx=3.0, class_="share-never")
        + (
            element(
                "rect", x=left, y=top, width=replayed, height=10.0, rx=3.0, class_="share-replayed"
            )
            if replayed > 0
            else ""
        ),
        class_="share",
    )


def _name(text: str, top: float, right: float) -> str:
    """A moment's name in HTML inside the drawing: it decides its own direction and is cut
    with an ellipsis where its room ends."""
    span = element(
        "div",
        element("span", esc(text), dir="auto", class_="bar-name"),
        xmlns="http://www.w3.org/1999/xhtml",
        dir=text_direction(text),
        class_="bar-head",
    )
    return element("foreignObject", span, x=NAME_X, y=top, width=right - NAME_X - 6, height=ROW - 4)


def _replayed_row(moment: ReplayedMoment, top: float, x: Linear) -> str:
    name = isolate(moment.label)
    said = f"{name}: replayed {times(moment.replays)}"
    if moment.citations:
        said += f", cited by {plural(moment.citations, 'dream')}"
    if moment.last_resurfaced_at is not None:
        said += f", last resurfaced {when(moment.last_resurfaced_at)}"
    middle = top + (ROW - 4) / 2
    content = (
        tooltip(said)
        + _name(moment.label, top, BAR_X)
        + element(
            "rect",
            x=BAR_X,
            y=middle - 5,
            width=max(x(moment.replays) - BAR_X, 1.0),
            height=10.0,
            rx=2.0,
            class_="bar",
        )
        + element(
            "text",
            f"{moment.replays:,}",
            x=x(moment.replays) + 4,
            y=middle + 4,
            class_="value",
        )
    )
    return element("a", content, href=moment.href, class_="mark")


def _most_replayed_summary(
    drawn: list[ReplayedMoment], share: float, never: int, total: int
) -> str:
    head = drawn[0]
    if not never:
        said = "Every moment with a sigil has been replayed at least once."
    elif total == 1:
        said = "The one moment with a sigil has never been replayed."
    else:
        said = (
            f"{never:,} of the {total:,} moments with a sigil ({percent(share)}) "
            f"{'has' if never == 1 else 'have'} never been replayed."
        )
    name = isolate(truncate(head.label, 60))
    return f"{said} The most replayed, {name}, came back {times(head.replays)}."


# The moments a dream cites, before and after it


def cited_replays(
    moments: Sequence[CitedReplays],
    *,
    written: date,
    before_days: int,
    after_days: int,
    limit: int,
    empty: str,
) -> Plot:
    """`moments`: every cited moment still kept, the most replayed around the dream first.
    Each of the first `limit` replayed in these days is a mark: its replays per day in the
    `before_days` days before the day the dream was `written` and in the `after_days` days
    after it. That day itself is left out: its replays may fall either side."""
    title = "Replays before and after this dream"
    label = f"{title}: the moments its themes cite, replays per day"
    replayed = [moment for moment in moments if moment.before or moment.after]
    drawn = replayed[:limit]
    if not drawn:
        return nothing_drawn(kind="cited", title=title, label=label, empty=empty)
    rates = [moment.before / before_days for moment in drawn]
    if after_days:
        rates += [moment.after / after_days for moment in drawn]
    x = Linear((0.0, max(rates)), (BAR_X, BAR_END))
    legend, top = _legend(
        [("before", f"{plural(before_days, 'day')} before"), ("after", _after_words(after_days))],
        left_edge=NAME_X,
    )
    body = [legend]
    for index, moment in enumerate(drawn):
        body.append(_cited_row(moment, top + ROW * index, x, before_days, after_days))
    height = top + ROW * len(drawn) + 4
    summary = _cited_summary(
        moments, before_days=before_days, after_days=after_days, written=written
    )
    if len(drawn) < len(moments):
        most = "most " if len(drawn) < len(replayed) else ""
        summary += f" Drawn: the {plural(len(drawn), 'moment')} {most}replayed in these days."
    return Plot(
        kind="cited",
        title=title,
        label=label,
        svg=svg_root("".join(body), width=WIDTH, height=height, label=label, class_="plot-svg"),
        count=len(drawn),
        summary=summary,
        empty=empty,
    )


def _after_words(after_days: int) -> str:
    if not after_days:
        return "after: from tomorrow"
    return f"{plural(after_days, 'day')} after"


def _cited_row(
    moment: CitedReplays, top: float, x: Linear, before_days: int, after_days: int
) -> str:
    name = isolate(moment.label)
    said = (
        f"{name}: {counted(moment.before, 'replay')} in the {plural(before_days, 'day')} "
        f"before ({rate(moment.before, before_days)})"
    )
    if after_days:
        said += (
            f", {moment.after:,} in the {plural(after_days, 'day')} after "
            f"({rate(moment.after, after_days)})"
        )
    parts = [tooltip(said), _name(moment.label, top, BAR_X)]
    for index, (which, count, days) in enumerate(
        (("before", moment.before, before_days), ("after", moment.after, after_days))
    ):
        if not days:
            continue
        at = x(count / days)
        parts.append(
            element(
                "rect",
                x=BAR_X,
                y=top + 2 + 8 * index,
                width=max(at - BAR_X, 1.0),
                height=6.0,
                rx=1.5,
                class_=f"cited-bar mode-{which}",
            )
        )
    return element("a", "".join(parts), href=moment.href, class_="mark")


def _cited_summary(
    moments: Sequence[CitedReplays], *, before_days: int, after_days: int, written: date
) -> str:
    before = sum(moment.before for moment in moments)
    after = sum(moment.after for moment in moments)
    whose = "the moment" if len(moments) == 1 else f"the {len(moments)} moments"
    said = (
        f"Replays of {whose} this dream cites: {rate(before, before_days)} in the "
        f"{plural(before_days, 'day')} before it"
    )
    if after_days:
        said += f", {rate(after, after_days)} in the {plural(after_days, 'day')} after"
        before_rate, after_rate = before / before_days, after / after_days
        if after_rate > before_rate:
            said += " (more often since)"
        elif after_rate < before_rate:
            said += " (less often since)"
    else:
        said += (
            f". It was written today ({day_words(written)}, UTC): the days after it are "
            "counted from tomorrow"
        )
    return said + ". The day it was written is left out."
